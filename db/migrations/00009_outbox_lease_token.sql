-- +goose Up
-- The fencing token of the take that holds each outbox message (db.DB.TakeOutbox): every take
-- draws a new one from outbox_lease_seq and stamps it on the messages it leases. What renews or
-- finishes a message (renewed, delivered, failed, parked, given back) applies only with the
-- token of the take that holds it, and finishing clears it (NULL: held by nobody), so that a
-- dispatcher whose lease ended and whose messages another took can no longer record anything
-- for them.
CREATE SEQUENCE outbox_lease_seq;
ALTER TABLE outbox ADD COLUMN lease_token bigint;

-- +goose Down
ALTER TABLE outbox DROP COLUMN lease_token;
DROP SEQUENCE outbox_lease_seq;
