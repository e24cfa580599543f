-- +goose Up
-- When the scheduler re-rendered the offers of an event that is over (its day ended in its
-- time zone, or it is done or recapped), so that their buttons go: once per event, whatever
-- the number of replicas (db.CloseEndedOffers).
ALTER TABLE events ADD COLUMN offers_closed_at timestamptz;
-- Events already over when this migration runs keep their posted offers as they are: editing
-- every offer of every past event at once would flood Mattermost. A click on one of those
-- is refused all the same (the event's state gates claims) and re-renders that copy.
UPDATE events SET offers_closed_at = now()
WHERE status IN ('done', 'recapped') OR day < current_date - 1;
-- The pass looks only at events whose offers are still open.
CREATE INDEX events_offers_open_idx ON events (day) WHERE offers_closed_at IS NULL AND status <> 'draft';

-- +goose Down
DROP INDEX events_offers_open_idx;
ALTER TABLE events DROP COLUMN offers_closed_at;
