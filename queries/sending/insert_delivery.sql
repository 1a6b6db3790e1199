-- One new delivery, written with its ledger in one transaction before any API call.
-- Grain: one row per delivery.
-- Parameters: $id, $kind, $title, $promo, $seg, $messages (JSON text), $status, $n (planned count), $unit
-- (customAggregationUnits name), $by, $at (scheduled_at), $tracking (link tracking), $cost (yen),
-- $exclusions (JSON: the audience before exclusions and each exclusion with its count, or null).
insert into deliveries (delivery_id, kind, title, is_promotion, segment_id, messages, status, planned_count,
                        aggregation_unit, created_by, scheduled_at, link_tracking, cost_yen, plan_exclusions)
values ($id, $kind, $title, $promo, $seg, $messages, $status, $n, $unit, $by, $at, $tracking, $cost, $exclusions)
