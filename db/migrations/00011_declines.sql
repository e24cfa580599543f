-- +goose Up
-- « Pas pour nous »: a structure said a lot is not for it. One row per structure and lot (a
-- second click changes nothing); who clicked and when are kept for the history. A structure
-- that later takes the lot shows as having taken it: its claim wins over its decline.
CREATE TABLE lot_declines (
    lot_id      bigint NOT NULL REFERENCES lots (id) ON DELETE CASCADE,
    supplier_id bigint NOT NULL REFERENCES suppliers (id) ON DELETE CASCADE,
    user_id     text NOT NULL,
    declined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lot_id, supplier_id)
);

-- +goose Down
DROP TABLE lot_declines;
