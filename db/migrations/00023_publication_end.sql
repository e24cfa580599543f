-- +goose Up
-- A publication (`/guichet publier`) is the set of publish_offer messages one command queued;
-- each carries its publication's id in its payload. When the last of them is delivered or
-- refused for good, the coordinator who published gets one direct message with the counts and
-- the channels that refused. "The last" is known exactly once: each message that ends adds
-- itself to its publication's row (an UPDATE, which serialises the messages ending at once),
-- and the one that brings `ended` to `total` queues the message, in its own transaction.
CREATE TABLE publications (
    id           bigserial PRIMARY KEY,
    event_id     bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    published_by text NOT NULL,
    total        integer NOT NULL CHECK (total > 0),
    ended        integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);

CREATE INDEX outbox_publication ON outbox (((payload->>'publication_id')::bigint))
    WHERE kind = 'publish_offer' AND payload ? 'publication_id';

-- +goose StatementBegin
CREATE FUNCTION publication_message_ended() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pub  publications%ROWTYPE;
    args jsonb;
BEGIN
    UPDATE publications SET ended = ended + 1
    WHERE id = (NEW.payload->>'publication_id')::bigint AND ended < total
    RETURNING * INTO pub;
    IF NOT FOUND OR pub.ended < pub.total THEN
        RETURN NULL;
    END IF;
    UPDATE publications SET ended_at = now() WHERE id = pub.id;
    WITH mine AS (
        SELECT o.payload->>'channel_id' AS channel_id, o.post_id, o.delivered_at, o.parked_at
        FROM outbox o
        WHERE o.kind = 'publish_offer' AND o.payload ? 'publication_id'
          AND (o.payload->>'publication_id')::bigint = pub.id
    ), refused AS (
        SELECT DISTINCT m.channel_id, coalesce((SELECT '~' || s.channel_name FROM suppliers s
            WHERE s.channel_id = m.channel_id AND s.channel_name <> '' ORDER BY s.id LIMIT 1), m.channel_id) AS name
        FROM mine m WHERE m.parked_at IS NOT NULL
    )
    SELECT jsonb_build_object(
        'Event', e.name, 'Slug', e.slug,
        'Posted', (SELECT count(*) FROM mine WHERE delivered_at IS NOT NULL AND post_id <> ''),
        'Channels', (SELECT count(DISTINCT channel_id) FROM mine WHERE delivered_at IS NOT NULL AND post_id <> ''),
        'Skipped', (SELECT count(*) FROM mine WHERE delivered_at IS NOT NULL AND post_id = ''),
        'Failed', (SELECT count(*) FROM mine WHERE parked_at IS NOT NULL),
        'FailedChannels', (SELECT count(*) FROM refused),
        'FailedNames', coalesce((SELECT array_to_string((array_agg(name ORDER BY name))[1:30], ', ') FROM refused), ''),
        'FailedMore', greatest((SELECT count(*) FROM refused) - 30, 0))
    INTO args
    FROM events e WHERE e.id = pub.event_id;
    INSERT INTO outbox (kind, payload)
    SELECT 'notice', jsonb_build_object('user_id', pub.published_by, 'event_id', pub.event_id, 'locale', e.locale,
        'message_id', 'NoticeTodayPublicationEnded', 'args', args)
    FROM events e WHERE e.id = pub.event_id;
    PERFORM pg_notify('guichet_outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER publication_message_ended AFTER UPDATE OF delivered_at, parked_at ON outbox
    FOR EACH ROW
    WHEN (NEW.kind = 'publish_offer' AND NEW.payload ? 'publication_id'
          AND OLD.delivered_at IS NULL AND OLD.parked_at IS NULL
          AND (NEW.delivered_at IS NOT NULL OR NEW.parked_at IS NOT NULL))
    EXECUTE FUNCTION publication_message_ended();

-- +goose Down
DROP TRIGGER publication_message_ended ON outbox;
DROP FUNCTION publication_message_ended();
DROP INDEX outbox_publication;
DROP TABLE publications;
