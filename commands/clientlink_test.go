package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/l10n"
)

func TestParseClientLink(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	ok := map[string]commands.ClientLink{
		"lien-client assises-2011":                    {Event: "assises-2011", TTL: 90 * day},
		"client-link":                                 {TTL: 90 * day},
		"lien-client assises-2011 durée=30j":          {Event: "assises-2011", TTL: 30 * day},
		"lien-client assises-2011 duree=\"45 jours\"": {Event: "assises-2011", TTL: 45 * day},
		"client-link assises-2011 duration=7d":        {Event: "assises-2011", TTL: 7 * day},
		"lien-client assises-2011 durée=366":          {Event: "assises-2011", TTL: 366 * day},
		"lien-client assises-2011 révoquer":           {Event: "assises-2011", Revoke: true},
		"client-link assises-2011 revoke":             {Event: "assises-2011", Revoke: true},
		"lien-client révoquer":                        {Revoke: true},
	}
	for text, want := range ok {
		got, err := commands.Parse(text)
		require.NoError(t, err, text)
		require.Equal(t, want, got, text)
	}
	cat := l10n.New()
	bad := map[string]string{
		"lien-client assises-2011 durée=0j":           "La durée «\u202F0j\u202F» n'est pas un nombre de jours entre 1 et 366",
		"lien-client assises-2011 durée=367j":         "entre 1 et 366",
		"lien-client assises-2011 durée=trois-mois":   "«\u202Ftrois-mois\u202F»",
		"lien-client assises-2011 autre":              "autre",
		"lien-client assises-2011 révoquer durée=30j": "durée",
		"lien-client Assises_2011":                    "Assises_2011",
	}
	for text, want := range bad {
		_, err := commands.Parse(text)
		require.Error(t, err, text)
		require.Equal(t, guichet.EINVALID, guichet.ErrorCode(err), text)
		msg := commands.Message(cat, "fr", err)
		require.Contains(t, msg, want, text)
		require.Contains(t, msg, "lien-client <événement>", "the message shows how to write it: %s", msg)
	}
}

// A coordinator of the event gets a link valid for the duration asked (90 days by default),
// and revokes them all; a coordinator of another event gets nothing and makes nothing.
func TestClientLinkGivenAndRevokedByTheEventsCoordinators(t *testing.T) {
	b := setup(t)
	b.chat.addUsers("marie")
	var given []*guichet.ClientLink
	b.h = commands.New(commands.Deps{
		Store: b.db, Chat: b.chat, Access: guichet.NewAccess(b.db, coord.UserID), Catalog: l10n.New(), Locale: "fr",
		Now: func() time.Time { return b.now },
		ClientLinkURL: func(l *guichet.ClientLink) string {
			given = append(given, l)
			return "https://guichet.example/client/" + l.ID + ".sig/"
		},
	})
	b.run(t, coord, coordChannel, "event create assises-2011 2011-04-15 Assises")
	b.run(t, coord, "c-other", "event create autre-2011 2011-05-15 Autre")
	require.Contains(t, b.run(t, coord, "c-other", "coordinator add @marie autre-2011"), "@marie coordonne maintenant")

	reply := b.run(t, coord, coordChannel, "lien-client assises-2011")
	require.Len(t, given, 1)
	require.Contains(t, reply, "Lien pour le client de **Assises**, valable jusqu'au lundi 30 mai 2011, 12 h 00\u202F:\nhttps://guichet.example/client/"+given[0].ID+".sig/")
	require.Contains(t, reply, "`/guichet lien-client assises-2011 révoquer`")
	require.True(t, given[0].ExpiresAt.Equal(b.now.Add(90*24*time.Hour)))

	reply = b.run(t, coord, coordChannel, "client-link duration=30d")
	require.Len(t, given, 2)
	require.True(t, given[1].ExpiresAt.Equal(b.now.Add(30*24*time.Hour)), "the channel's event, 30 days")
	require.Contains(t, reply, "valable jusqu'au jeudi 31 mars 2011")

	marie := member("marie")
	reply = b.run(t, marie, "c-other", "lien-client assises-2011")
	require.NotContains(t, reply, "https://")
	require.Len(t, given, 2)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM client_links`))
	reply = b.run(t, marie, "c-other", "lien-client assises-2011 révoquer")
	require.NotContains(t, reply, "révoqué")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM client_links WHERE revoked_at IS NOT NULL`))

	reply = b.run(t, coord, coordChannel, "lien-client assises-2011 révoquer")
	require.True(t, strings.HasPrefix(reply, "🔒 2 liens de **Assises** révoqués\u202F: ils n'ouvrent plus rien."), reply)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM client_links WHERE revoked_at IS NOT NULL`))
	require.Contains(t, b.run(t, coord, coordChannel, "lien-client assises-2011 révoquer"), "Aucun lien en cours pour **Assises**")
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM audit WHERE action LIKE 'client_link.%'`), "two links made, one revocation")
}
