"""Example (a)'s query in Polars (lazy, streaming): `python polars_etl.py IN.parquet OUT.parquet`."""
import sys

import polars as pl

src, dst = sys.argv[1], sys.argv[2]
(
    pl.scan_parquet(src)
    .filter((pl.col("status") >= 500) | (pl.col("latency_ms") > 1000))
    .with_columns(
        slow=pl.col("latency_ms") > 1000,
        minute=pl.col("timestamp").str.slice(0, 16),
    )
    .sink_parquet(dst)
)
