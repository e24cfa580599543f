-- +goose Up
-- A lot's slot may fall on another day than its event's (set-up the day before, a two-day
-- event): day is that date, NULL when the lot is on the event's day.
ALTER TABLE lots ADD COLUMN day date;
-- The earliest day of the event's lots that is before its day and the latest that is after
-- it, NULL when none is (cancelled lots do not count); written with the event's reminders
-- (db.syncReminders), in every transaction that changes the event or its lots. The event is
-- over at the end of its last lot's day; reminders count back from a lot's own day.
ALTER TABLE events
    ADD COLUMN first_lot_day date,
    ADD COLUMN last_lot_day  date;
-- The day a reminder counts back from when it is not the event's: the earliest day of the
-- structure's lots (of any lot, for the coordination's). NULL: the event's day.
ALTER TABLE reminders ADD COLUMN day date;

-- +goose Down
ALTER TABLE reminders DROP COLUMN day;
ALTER TABLE events DROP COLUMN last_lot_day, DROP COLUMN first_lot_day;
ALTER TABLE lots DROP COLUMN day;
