-- +goose Up
-- Money actually paid to a structure for an event; what was agreed comes from its claims.
CREATE TABLE payments (
    id           bigserial PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    supplier_id  bigint NOT NULL REFERENCES suppliers (id),
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    note         text NOT NULL DEFAULT '',
    paid_by      text NOT NULL DEFAULT '',
    paid_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_event_supplier_idx ON payments (event_id, supplier_id);

-- Recaps the bot posted, one per outbox message and channel: a replayed message finds its
-- post here and does not post again.
CREATE TABLE recap_posts (
    outbox_id  bigint NOT NULL,
    channel_id text NOT NULL,
    event_id   bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    post_id    text NOT NULL,
    file_ids   text[] NOT NULL DEFAULT '{}',
    posted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, channel_id)
);
CREATE INDEX recap_posts_event_idx ON recap_posts (event_id);

-- +goose Down
DROP TABLE recap_posts;
DROP TABLE payments;
