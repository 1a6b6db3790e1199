-- Incremental rollups: a broadcast's row left with no recipients and no reactions goes, as a full
-- rebuild has none (its rows come from recipients counted or reactions counted, each at least 1).
-- Grain: one delete per row. Parameters: none.
delete from rollup_delivery_route
where recipients = 0 and reactors_24h = 0 and converters_7d = 0
  and delivery_id in (select delivery_id from temp._rollup_recipient_changes)
