-- +goose Up
-- Links given to an event's client (/guichet client-link): each opens the event's client page
-- and nothing else. The id is random and the URL carries a signature over it, the event and
-- the expiry (bot/clientgate.go); revoking sets revoked_at on every link of the event. A
-- deleted event takes its links with it.
CREATE TABLE client_links (
    id          text PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_links_event_idx ON client_links (event_id);

-- +goose Down
DROP TABLE client_links;
