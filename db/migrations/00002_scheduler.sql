-- +goose Up
-- Once-per-event bookkeeping of the scheduler: when the coordinator was told who has not
-- confirmed (or the alert was passed over because the event had started), and when the recap
-- was queued.
ALTER TABLE events
    ADD COLUMN unconfirmed_alert_at timestamptz,
    ADD COLUMN recap_queued_at      timestamptz;
-- The scheduler's once-per-event jobs look only at published events near their day.
CREATE INDEX events_published_day_idx ON events (day) WHERE status = 'published';

-- A digest's "Relancer" button works once per digest.
ALTER TABLE reminders ADD COLUMN relaunched_at timestamptz;

-- Claims of a lot, whatever their status (boards, reminders, recaps).
CREATE INDEX claims_lot_idx ON claims (lot_id);

-- One outbox message may become several posts (a reminder DMed to each member of a
-- structure): each target reached is recorded, so that a retried message reaches only the
-- targets it has not reached yet.
CREATE TABLE outbox_targets (
    outbox_id  bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    target     text NOT NULL,
    post_id    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, target)
);

-- +goose Down
DROP TABLE outbox_targets;
DROP INDEX claims_lot_idx;
ALTER TABLE reminders DROP COLUMN relaunched_at;
DROP INDEX events_published_day_idx;
ALTER TABLE events DROP COLUMN recap_queued_at, DROP COLUMN unconfirmed_alert_at;
