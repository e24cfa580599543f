-- +goose Up
-- What the bot has read of the posts people write (bot/listen.go).
--
-- listen_cursors: per channel, the create_at (Mattermost milliseconds) of the newest post
-- handled there; the row with channel_id '' is the newest post handled anywhere, from which a
-- channel with no row of its own is caught up. A restart catches up from here.
CREATE TABLE listen_cursors (
    channel_id     text PRIMARY KEY,
    last_create_at bigint NOT NULL
);

-- listen_posts: one row per post a replica took to handle. The insert decides who handles it
-- (INSERT … ON CONFLICT): a post is handled by one replica; a take whose replica died before
-- it finished (done_at NULL) may be taken again once taken_until has passed.
CREATE TABLE listen_posts (
    post_id     text PRIMARY KEY,
    channel_id  text NOT NULL,
    create_at   bigint NOT NULL,
    taken_until timestamptz NOT NULL,
    done_at     timestamptz
);
CREATE INDEX listen_posts_unfinished_idx ON listen_posts (channel_id, create_at) WHERE done_at IS NULL;
CREATE INDEX listen_posts_create_at_idx ON listen_posts (create_at);

-- lot_questions: a question a structure's member asked about a lot from its offer (« Une
-- question »). offer_channel_id is the structure's channel the offer was read in; coord_post_id
-- the question's thread root in the coordination channel, '' until it is posted.
CREATE TABLE lot_questions (
    id               bigserial PRIMARY KEY,
    lot_id           bigint NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    supplier_id      bigint NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    offer_channel_id text NOT NULL,
    asked_by         text NOT NULL,
    body             text NOT NULL,
    coord_post_id    text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lot_questions_offer_idx ON lot_questions (lot_id, offer_channel_id, id);
CREATE INDEX lot_questions_coord_post_idx ON lot_questions (coord_post_id) WHERE coord_post_id <> '';

-- question_relays: one row per reply relayed from one side of a question's threads to the
-- other, keyed by the reply's post id, written with its outbox message: a reply is relayed once.
CREATE TABLE question_relays (
    source_post_id text PRIMARY KEY,
    question_id    bigint NOT NULL REFERENCES lot_questions (id) ON DELETE CASCADE,
    to_structure   boolean NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE question_relays;
DROP TABLE lot_questions;
DROP TABLE listen_posts;
DROP TABLE listen_cursors;
