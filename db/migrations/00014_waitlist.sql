-- +goose Up
-- Waitlists on first-come lots: a structure that found a lot full waits in line for it. Each
-- row is one structure's place in one lot's line, in id order. A row moves from waiting to
-- offered (the freed quantity is held for it until offer_expires_at) and then to accepted,
-- expired (no answer in time; the next one is offered) or refused (the lot was full again when
-- it answered: it goes back to waiting, keeping its place). At most one row per structure and
-- lot is waiting or offered.
CREATE TABLE waitlist (
    id               bigserial PRIMARY KEY,
    lot_id           bigint NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    supplier_id      bigint NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    joined_by        text NOT NULL,
    joined_by_name   text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'waiting'
                     CHECK (status IN ('waiting', 'offered', 'accepted', 'expired', 'left')),
    offer_expires_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX waitlist_active ON waitlist (lot_id, supplier_id) WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_offer_due ON waitlist (offer_expires_at) WHERE status = 'offered';

-- +goose Down
DROP TABLE waitlist;
