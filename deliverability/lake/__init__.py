"""The lake: the store's tables as day-partitioned Parquet, built by the store's own rules
on DuckDB or Spark, for volumes past one machine (`deliverability lake build`). build.py
builds it; stage.py reads and types each file; engines.py runs the SQL and writes."""
