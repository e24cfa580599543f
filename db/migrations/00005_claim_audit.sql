-- +goose Up
-- A claim is its own audit entry: who clicked (clicked_by, clicked_by_name), when (created_at),
-- for which structure, lot, quantity and note, and as what (action: claim.award or
-- claim.candidacy). It takes its number from the audit entries' sequence (audit_id), so that
-- the audit trail, the view below, keeps one numbering in the order things happened. Claims
-- are never deleted, as audit entries are not.
ALTER TABLE claims
    ADD COLUMN audit_id        bigint,
    ADD COLUMN clicked_by_name text NOT NULL DEFAULT '',
    ADD COLUMN action          text NOT NULL DEFAULT '';

-- Claims made before: their audit entry moves into them, number included.
UPDATE claims c SET audit_id = a.id, clicked_by_name = a.actor_name, action = a.action
FROM audit a
WHERE a.action IN ('claim.award', 'claim.candidacy') AND a.lot_id = c.lot_id AND a.supplier_id = c.supplier_id
    AND a.actor_id = c.clicked_by AND a.at = c.created_at;
DELETE FROM audit a USING claims c WHERE a.id = c.audit_id;

ALTER TABLE claims ALTER COLUMN audit_id SET DEFAULT nextval('audit_id_seq');

-- The audit trail: the audit entries and the claims' own, numbered as they happened.
CREATE VIEW audit_trail AS
    SELECT id, at, actor_id, actor_name, action, event_id, lot_id, supplier_id, detail
    FROM audit
    UNION ALL
    SELECT c.audit_id, c.created_at, c.clicked_by, c.clicked_by_name, c.action, l.event_id, c.lot_id, c.supplier_id,
        jsonb_build_object('quantity', c.quantity, 'note', c.note)
    FROM claims c JOIN lots l ON l.id = c.lot_id
    WHERE c.audit_id IS NOT NULL;

-- +goose Down
DROP VIEW audit_trail;
INSERT INTO audit (id, at, actor_id, actor_name, action, event_id, lot_id, supplier_id, detail)
SELECT c.audit_id, c.created_at, c.clicked_by, c.clicked_by_name, c.action, l.event_id, c.lot_id, c.supplier_id,
    jsonb_build_object('quantity', c.quantity, 'note', c.note)
FROM claims c JOIN lots l ON l.id = c.lot_id
WHERE c.audit_id IS NOT NULL;
ALTER TABLE claims DROP COLUMN audit_id, DROP COLUMN clicked_by_name, DROP COLUMN action;
