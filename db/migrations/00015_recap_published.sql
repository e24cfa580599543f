-- +goose Up
-- The recap the scheduler makes the day after is a draft shown to the coordinators; it is
-- final once a coordinator publishes it (« Publier le bilan » or `bilan`): when and by whom
-- (user id), NULL until then. The final recap is queued once, in the transaction that sets it.
ALTER TABLE events
    ADD COLUMN recap_published_at timestamptz,
    ADD COLUMN recap_published_by text;

-- +goose Down
ALTER TABLE events DROP COLUMN recap_published_by, DROP COLUMN recap_published_at;
