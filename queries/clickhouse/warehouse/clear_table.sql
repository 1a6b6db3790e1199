-- Remove this account's rows of one snapshot table before its new snapshot is inserted (the
-- table name is bound as an Identifier from dashboard/warehouse/dialect.py TABLES).
-- Parameters: {table:Identifier}, {account_id:String}.
delete from {table:Identifier} where account_id = {account_id:String}
