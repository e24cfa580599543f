-- +goose Up
-- What each structure delivered of its awarded share of a lot, as it reported after the event
-- (« Livré comme prévu ? »), and the amount a coordinator adjusted for that share, with why.
-- One row per (lot, structure), written on the first answer or adjustment.
CREATE TABLE deliveries (
    lot_id         bigint      NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    supplier_id    bigint      NOT NULL REFERENCES suppliers (id),
    delivered_qty  bigint      CHECK (delivered_qty >= 0),
    comment        text        NOT NULL DEFAULT '',
    reported_by    text        NOT NULL DEFAULT '',
    reported_at    timestamptz,
    adjusted_cents bigint      CHECK (adjusted_cents >= 0),
    adjust_reason  text        NOT NULL DEFAULT '',
    adjusted_by    text        NOT NULL DEFAULT '',
    adjusted_at    timestamptz,
    PRIMARY KEY (lot_id, supplier_id)
);

-- +goose Down
DROP TABLE deliveries;
