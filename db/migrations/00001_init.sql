-- +goose Up
CREATE TABLE events (
    id               bigserial PRIMARY KEY,
    slug             text NOT NULL UNIQUE,
    name             text NOT NULL,
    day              date NOT NULL,
    time_zone        text NOT NULL DEFAULT 'Europe/Paris',
    venue            text NOT NULL DEFAULT '',
    client           text NOT NULL DEFAULT '',
    coord_channel_id text NOT NULL DEFAULT '',
    recap_channel_id text NOT NULL DEFAULT '',
    board_post_id    text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'published', 'done', 'recapped')),
    reminders        text NOT NULL DEFAULT 'J-7@09:00,J-1@09:00',
    locale           text NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    created_by       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_coord_channel_idx ON events (coord_channel_id);
CREATE INDEX events_day_idx ON events (day);

CREATE TABLE suppliers (
    id           bigserial PRIMARY KEY,
    slug         text NOT NULL UNIQUE,
    name         text NOT NULL,
    categories   text[] NOT NULL DEFAULT '{}',
    channel_id   text NOT NULL DEFAULT '',
    channel_name text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suppliers_categories_idx ON suppliers USING gin (categories);

CREATE TABLE supplier_members (
    supplier_id bigint NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    user_id     text NOT NULL DEFAULT '',
    username    text NOT NULL,
    PRIMARY KEY (supplier_id, username)
);
CREATE INDEX supplier_members_user_idx ON supplier_members (user_id);

CREATE TABLE lots (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code          text NOT NULL,
    title         text NOT NULL,
    category      text NOT NULL,
    description   text NOT NULL DEFAULT '',
    quantity      bigint NOT NULL CHECK (quantity > 0),
    unit          text NOT NULL DEFAULT '',
    budget_cents  bigint NOT NULL CHECK (budget_cents >= 0),
    slot_start    text NOT NULL DEFAULT '',
    slot_end      text NOT NULL DEFAULT '',
    place         text NOT NULL DEFAULT '',
    mode          text NOT NULL CHECK (mode IN ('exclusive', 'shared')),
    max_suppliers int NOT NULL CHECK (max_suppliers >= 1),
    award         text NOT NULL CHECK (award IN ('first-come', 'review')),
    deadline      timestamptz,
    status        text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'filled', 'closed', 'cancelled')),
    cancel_reason text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, code)
);
CREATE INDEX lots_deadline_idx ON lots (deadline) WHERE status = 'open' AND deadline IS NOT NULL;

CREATE TABLE claims (
    id           bigserial PRIMARY KEY,
    lot_id       bigint NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    supplier_id  bigint NOT NULL REFERENCES suppliers (id),
    quantity     bigint NOT NULL CHECK (quantity > 0),
    amount_cents bigint NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
    clicked_by   text NOT NULL DEFAULT '',
    note         text NOT NULL DEFAULT '',
    status       text NOT NULL
        CHECK (status IN ('pending', 'awarded', 'declined', 'withdrawn', 'cancelled')),
    reason       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- One active claim per supplier and lot, whatever the concurrency.
CREATE UNIQUE INDEX claims_active_uniq ON claims (lot_id, supplier_id)
    WHERE status IN ('pending', 'awarded');
CREATE INDEX claims_supplier_idx ON claims (supplier_id);

CREATE TABLE offer_posts (
    lot_id     bigint NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    channel_id text NOT NULL,
    post_id    text NOT NULL DEFAULT '',
    queued_at  timestamptz NOT NULL DEFAULT now(),
    posted_at  timestamptz,
    PRIMARY KEY (lot_id, channel_id)
);

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    parked_at       timestamptz,
    last_error      text NOT NULL DEFAULT '',
    post_id         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id)
    WHERE delivered_at IS NULL AND parked_at IS NULL;

CREATE TABLE reminders (
    id           bigserial PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    supplier_id  bigint REFERENCES suppliers (id),
    due_at       timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'sent', 'skipped')),
    sent_at      timestamptz,
    skip_reason  text NOT NULL DEFAULT '',
    confirmed_at timestamptz,
    confirmed_by text NOT NULL DEFAULT '',
    problem      text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX reminders_recipient_uniq ON reminders (event_id, kind, coalesce(supplier_id, 0));
CREATE INDEX reminders_due_idx ON reminders (due_at, id) WHERE status = 'due';

CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    text NOT NULL,
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    event_id    bigint,
    lot_id      bigint,
    supplier_id bigint,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_event_idx ON audit (event_id, id);
CREATE INDEX audit_lot_idx ON audit (lot_id, id);

CREATE TABLE coordinators (
    username   text PRIMARY KEY,
    added_by   text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE coordinators;
DROP TABLE audit;
DROP TABLE reminders;
DROP TABLE outbox;
DROP TABLE offer_posts;
DROP TABLE claims;
DROP TABLE lots;
DROP TABLE supplier_members;
DROP TABLE suppliers;
DROP TABLE events;
