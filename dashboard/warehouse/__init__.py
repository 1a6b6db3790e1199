"""Beyond one machine (issue 17): the account's data as Parquet that any engine reads (DESIGN §9)."""
