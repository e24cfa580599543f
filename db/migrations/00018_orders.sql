-- +goose Up
-- A new revision and the mark on the one it replaces are written in one transaction; the mark
-- comes first (only one current revision at a time), so it names a row not yet inserted.
ALTER TABLE documents ALTER CONSTRAINT documents_replaced_by_fkey DEFERRABLE INITIALLY DEFERRED;

-- What kept a structure's purchase order from being made (supplier_id 0: the issuer), so that
-- the coordinators are told once, and again only when what is missing changes. The row goes
-- when the order is made.
CREATE TABLE order_blocks (
    event_id    bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    supplier_id bigint NOT NULL,
    missing     text   NOT NULL,
    told_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, supplier_id)
);

-- A structure's invoice to the client for an event, recorded from chat and matched to its
-- purchase order (the revision current when it was recorded). Numbers are the structure's own,
-- never used twice by one structure.
CREATE TABLE invoices (
    id                bigserial PRIMARY KEY,
    event_id          bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    supplier_id       bigint NOT NULL REFERENCES suppliers (id),
    order_id          bigint NOT NULL REFERENCES documents (id),
    number            text   NOT NULL CHECK (number <> ''),
    gross_cents       bigint NOT NULL CHECK (gross_cents > 0),
    order_gross_cents bigint NOT NULL,
    issued_on         date   NOT NULL,
    due_on            date   NOT NULL CHECK (due_on >= issued_on),
    file_id           text   NOT NULL DEFAULT '',
    -- When the coordinators were told the invoice is overdue (TellOverdueInvoices), once.
    overdue_told_at   timestamptz,
    recorded_by       text   NOT NULL DEFAULT '',
    recorded_by_name  text   NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (supplier_id, number)
);
CREATE INDEX invoices_event_idx ON invoices (event_id, supplier_id);

-- Payments may now be made against an invoice, and corrected by a counter-entry: a negative
-- amount with its reason. Nothing is deleted.
ALTER TABLE payments
    ADD COLUMN invoice_id bigint REFERENCES invoices (id),
    ADD COLUMN reason     text NOT NULL DEFAULT '',
    DROP CONSTRAINT payments_amount_cents_check,
    ADD CONSTRAINT payments_amount_check CHECK (amount_cents <> 0 AND (amount_cents > 0 OR reason <> ''));
CREATE INDEX payments_invoice_idx ON payments (invoice_id) WHERE invoice_id IS NOT NULL;

-- +goose Down
DROP INDEX payments_invoice_idx;
ALTER TABLE payments
    DROP CONSTRAINT payments_amount_check,
    ADD CONSTRAINT payments_amount_cents_check CHECK (amount_cents > 0) NOT VALID,
    DROP COLUMN reason,
    DROP COLUMN invoice_id;
DROP TABLE invoices;
DROP TABLE order_blocks;
ALTER TABLE documents ALTER CONSTRAINT documents_replaced_by_fkey NOT DEFERRABLE;
