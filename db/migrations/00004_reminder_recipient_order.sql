-- +goose Up
-- A structure's reminder rows for an event are looked up by (event, structure) when it claims a
-- lot: the recipient key leads with the structure, the kind last. ON CONFLICT on the three
-- columns infers the index whatever their order.
DROP INDEX reminders_recipient_uniq;
CREATE UNIQUE INDEX reminders_recipient_uniq ON reminders (event_id, coalesce(supplier_id, 0), kind);

-- +goose Down
DROP INDEX reminders_recipient_uniq;
CREATE UNIQUE INDEX reminders_recipient_uniq ON reminders (event_id, kind, coalesce(supplier_id, 0));
