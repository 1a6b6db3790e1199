"""Beyond one machine (issue 17): the Parquet interchange, and the same reads on ClickHouse (chdb or a server)."""
