-- +goose Up
-- The version of its lot (db.lotVersion) each posted copy of an offer was last rendered from,
-- or '' when unknown: a claim's refresh leaves alone a copy that already shows its claim.
ALTER TABLE offer_posts ADD COLUMN shown_version text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE offer_posts DROP COLUMN shown_version;
