-- +goose Up
-- Rights are held by Mattermost user ids, never by usernames.

-- Each event's coordinators: its creator, and those a coordinator or an administrator added.
CREATE TABLE event_coordinators (
    event_id   bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id    text NOT NULL CHECK (user_id <> ''),
    added_by   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_coordinators_user_id ON event_coordinators (user_id);

-- Every event existing so far gets its creator (already a user id) as coordinator.
INSERT INTO event_coordinators (event_id, user_id, added_by, created_at)
SELECT id, created_by, 'migration', created_at FROM events
WHERE created_by NOT IN ('', 'system', 'cli');

-- The configuration's administrators named by username, bound to a user id the first time
-- the name was resolved, and never resolved again while the name stays configured.
CREATE TABLE administrator_names (
    name        text PRIMARY KEY,
    user_id     text NOT NULL CHECK (user_id <> ''),
    resolved_at timestamptz NOT NULL DEFAULT now()
);

-- The coordinators added from chat before, by username and for every event: kept as pending
-- names until the next start-up resolves each once; it then becomes a coordinator of the
-- events that existed when this migration ran (up to_event_id), not of later ones.
CREATE TABLE legacy_coordinators (
    username    text PRIMARY KEY,
    added_by    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    to_event_id bigint NOT NULL DEFAULT 0
);
INSERT INTO legacy_coordinators (username, added_by, created_at, to_event_id)
SELECT username, added_by, created_at, (SELECT coalesce(max(id), 0) FROM events) FROM coordinators;
DROP TABLE coordinators;

-- +goose Down
CREATE TABLE coordinators (
    username   text PRIMARY KEY,
    added_by   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO coordinators (username, added_by, created_at)
SELECT username, added_by, created_at FROM legacy_coordinators;
DROP TABLE legacy_coordinators;
DROP TABLE administrator_names;
DROP TABLE event_coordinators;
