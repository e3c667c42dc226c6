"""Example (a)'s query in DuckDB: etl_compare.sh runs `python duckdb_etl.py IN.parquet OUT.parquet`."""
import sys

import duckdb

src, dst = sys.argv[1], sys.argv[2]
duckdb.connect().execute(
    f"""
    COPY (
        SELECT *, latency_ms > 1000 AS slow, substr(timestamp, 1, 16) AS minute
        FROM read_parquet('{src}')
        WHERE status >= 500 OR latency_ms > 1000
    ) TO '{dst}' (FORMAT PARQUET)
    """
)
