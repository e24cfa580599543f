-- +goose Up
-- The last number given to each series of documents (a prefix and a year: "BC" 2027), so that
-- numbers have no gap: the row is locked by the transaction that takes the next number and
-- records its document, so a rolled-back transaction gives its number back (db/document.go).
CREATE TABLE document_counters (
    prefix text NOT NULL,
    year   int  NOT NULL,
    last   int  NOT NULL CHECK (last >= 0),
    PRIMARY KEY (prefix, year)
);

-- The client's documents, never edited in place: a change makes a new revision under the same
-- number, and the one it replaces is marked replaced (replaced_by). One current revision per
-- quote of an event and per order of a structure in an event.
CREATE TABLE documents (
    id           bigserial PRIMARY KEY,
    kind         text   NOT NULL CHECK (kind IN ('quote', 'order')),
    number       text   NOT NULL,
    revision     int    NOT NULL CHECK (revision >= 1),
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    supplier_id  bigint REFERENCES suppliers (id),
    -- content is a digest of what the document says (its lines and parties): a new revision is
    -- made only when it changes.
    content      text   NOT NULL,
    net_cents    bigint NOT NULL,
    vat_cents    bigint NOT NULL,
    gross_cents  bigint NOT NULL CHECK (gross_cents = net_cents + vat_cents),
    pdf          bytea  NOT NULL,
    csv          bytea,
    created_by   text   NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    replaced_by  bigint REFERENCES documents (id),
    replaced_at  timestamptz,
    accepted_by  text NOT NULL DEFAULT '',
    accepted_at  timestamptz,
    UNIQUE (number, revision),
    CHECK ((kind = 'order') = (supplier_id IS NOT NULL))
);
CREATE UNIQUE INDEX documents_current_idx ON documents (kind, event_id, coalesce(supplier_id, 0))
    WHERE replaced_by IS NULL;

-- +goose Down
DROP TABLE documents;
DROP TABLE document_counters;
