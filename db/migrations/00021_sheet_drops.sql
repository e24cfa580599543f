-- +goose Up
-- A spreadsheet a coordinator dropped in chat, kept between its preview and the click on
-- « Importer » or « Annuler », so that a restart in between loses nothing and a second click
-- imports nothing twice: the import and the change of status to 'imported' are one
-- transaction. file_id is Mattermost's id of the file; data is the file as received (at most 5 MB); event_id the event its lots go to
-- (NULL for a file of structures only).
CREATE TABLE sheet_drops (
    id          bigserial PRIMARY KEY,
    post_id     text NOT NULL,
    file_id     text NOT NULL,
    channel_id  text NOT NULL,
    user_id     text NOT NULL,
    file_name   text NOT NULL,
    data        bytea NOT NULL,
    event_id    bigint REFERENCES events (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'imported', 'cancelled')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    done_by     text,
    -- A post heard twice (the listener tells observers at least once) keeps one drop per file.
    UNIQUE (post_id, file_id)
);

-- +goose Down
DROP TABLE sheet_drops;
