"""Prints one line that identifies an ETL output: row count and checksums, read back with DuckDB.

`python check.py FILE.parquet [FILE.parquet ...]` -> `rows=N bytes=S slow=K latency=L minutes=M first=T last=T`
"""
import sys

import duckdb

files = sys.argv[1:]
if not files:
    print("no output files")
    sys.exit(1)
row = duckdb.connect().execute(
    """
    SELECT count(*), sum(bytes), sum(CASE WHEN slow THEN 1 ELSE 0 END), sum(latency_ms),
           count(DISTINCT minute), min(timestamp), max(timestamp)
    FROM read_parquet(?)
    """,
    [files],
).fetchone()
print("rows={} bytes={} slow={} latency={} minutes={} first={} last={}".format(*row))
