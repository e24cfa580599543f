-- +goose Up
-- An event may be cancelled: its offers close, its reminders, digests and recap stop. Why, and
-- when, are kept for the board and the history.
ALTER TABLE events DROP CONSTRAINT events_status_check;
ALTER TABLE events ADD CONSTRAINT events_status_check
    CHECK (status IN ('draft', 'published', 'done', 'recapped', 'cancelled'));
ALTER TABLE events
    ADD COLUMN cancel_reason text NOT NULL DEFAULT '',
    ADD COLUMN cancelled_at  timestamptz;

-- A reminder already sent whose moment comes again after the event was postponed is due once
-- more; previous_day is the event's day it was sent for, so that the new one says the date
-- changed. NULL for a reminder that was never sent before.
ALTER TABLE reminders ADD COLUMN previous_day date;

-- +goose Down
ALTER TABLE reminders DROP COLUMN previous_day;
ALTER TABLE events DROP COLUMN cancelled_at, DROP COLUMN cancel_reason;
UPDATE events SET status = 'done' WHERE status = 'cancelled';
ALTER TABLE events DROP CONSTRAINT events_status_check;
ALTER TABLE events ADD CONSTRAINT events_status_check
    CHECK (status IN ('draft', 'published', 'done', 'recapped'));
