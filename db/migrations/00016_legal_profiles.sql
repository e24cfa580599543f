-- +goose Up
-- What the client's documents need of each structure (legal.go, guichet.LegalProfile).
ALTER TABLE suppliers
    ADD COLUMN siret         text NOT NULL DEFAULT '' CHECK (siret = '' OR siret ~ '^[0-9]{14}$'),
    ADD COLUMN legal_form    text NOT NULL DEFAULT '',
    ADD COLUMN kind          text NOT NULL DEFAULT '',
    ADD COLUMN vat_regime    text NOT NULL DEFAULT '' CHECK (vat_regime IN ('', 'liable', 'association', 'franchise')),
    ADD COLUMN vat_rate_bp   int  NOT NULL DEFAULT 0 CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    ADD COLUMN address       text NOT NULL DEFAULT '',
    ADD COLUMN billing_email text NOT NULL DEFAULT '';

-- The network's coordination fee for an event, a percentage (basis points) of the structures'
-- net amounts or a fixed amount, and the client's payment term (0: the issuer's).
ALTER TABLE events
    ADD COLUMN fee_bp       int    NOT NULL DEFAULT 0 CHECK (fee_bp BETWEEN 0 AND 10000),
    ADD COLUMN fee_cents    bigint NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
    ADD COLUMN payment_days int    NOT NULL DEFAULT 0 CHECK (payment_days BETWEEN 0 AND 365);

-- +goose Down
ALTER TABLE events DROP COLUMN payment_days, DROP COLUMN fee_cents, DROP COLUMN fee_bp;
ALTER TABLE suppliers DROP COLUMN billing_email, DROP COLUMN address, DROP COLUMN vat_rate_bp,
    DROP COLUMN vat_regime, DROP COLUMN kind, DROP COLUMN legal_form, DROP COLUMN siret;
