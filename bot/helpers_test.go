package bot

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

const testPublicURL = "https://guichet.test"

var testCommandToken = "command-token-0123456789abcdef"

var catalog = l10n.New()

// unitBot returns a Bot on store (a fake, or nil for rendering only) and client, at a fixed
// time, with a quiet logger.
func unitBot(t *testing.T, store Store, client *Client, now time.Time) *Bot {
	t.Helper()
	if store == nil {
		store = nilStore{}
	}
	if client == nil {
		client = NewClient("http://127.0.0.1:1", "bot-token", ClientOptions{Logger: quietLogger()})
	}
	b, err := New(Deps{
		Store:         store,
		Access:        &guichet.Access{},
		Catalog:       catalog,
		Client:        client,
		Signer:        testSigner(t),
		CommandTokens: []string{testCommandToken},
		PublicURL:     testPublicURL,
		Now:           func() time.Time { return now },
		Logger:        quietLogger(),
	})
	require.NoError(t, err)
	b.jitter = func() float64 { return 0 }
	return b
}

// nilStore is a Store whose every method panics: for tests that must not touch data.
type nilStore struct{ Store }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func assisesEvent() *guichet.Event {
	return &guichet.Event{ID: 1, Slug: "assises-2011", Name: "Assises métropolitaines de la Politique de la Ville",
		Day: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris", Locale: "fr",
		CoordChannelID: "coord-channel", Status: guichet.EventPublished}
}
