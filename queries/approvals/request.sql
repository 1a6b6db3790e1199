-- Ask for approval of a delivery as it is now: a new request replaces a rejected or voided one.
-- Grain: one row per delivery. Parameters: $delivery_id, $fingerprint, $requested_by, $requested_at.
insert or replace into approvals (delivery_id, fingerprint, requested_by, requested_at, status,
                                  decided_by, decided_at, reason)
values ($delivery_id, $fingerprint, $requested_by, $requested_at, 'pending', null, null, null)
