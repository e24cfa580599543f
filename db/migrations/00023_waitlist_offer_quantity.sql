-- +goose Up
-- The quantity a waitlist offer holds for the structure it is offered to: while the offer is
-- out, no other structure may take it (guichet.LotState.Grant). 0 on rows that were never
-- offered.
ALTER TABLE waitlist ADD COLUMN offer_quantity bigint NOT NULL DEFAULT 0 CHECK (offer_quantity >= 0);

-- +goose Down
ALTER TABLE waitlist DROP COLUMN offer_quantity;
