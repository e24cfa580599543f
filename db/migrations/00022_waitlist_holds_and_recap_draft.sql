-- +goose Up
-- The quantity a waitlist offer holds for the structure it is offered to: while the offer is
-- out, no other structure may take it (guichet.LotState.Grant). 0 on rows that were never
-- offered.
ALTER TABLE waitlist ADD COLUMN offer_quantity bigint NOT NULL DEFAULT 0 CHECK (offer_quantity >= 0);
-- The post showing the event's recap draft to the coordinators ('' until it is posted), which
-- a delivery report or an adjustment re-renders until the recap is published.
ALTER TABLE events ADD COLUMN recap_draft_post_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE events DROP COLUMN recap_draft_post_id;
ALTER TABLE waitlist DROP COLUMN offer_quantity;
