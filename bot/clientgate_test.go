package bot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// clientStore serves client links, events and their recaps from memory.
type clientStore struct {
	nilStore
	links  map[string]*guichet.ClientLink
	events map[int64]*guichet.Event
	// reads counts the reads of events and recaps: a refused link reads none.
	reads int
}

func (s *clientStore) ClientLink(_ context.Context, id string) (*guichet.ClientLink, error) {
	if l, ok := s.links[id]; ok {
		c := *l
		return &c, nil
	}
	return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrClientLinkNotFound")
}

func (s *clientStore) Event(_ context.Context, id int64) (*guichet.Event, error) {
	s.reads++
	if e, ok := s.events[id]; ok {
		return e, nil
	}
	return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrEventNotFound", "Slug", id)
}

func (s *clientStore) RecapData(_ context.Context, id int64) (*guichet.RecapData, error) {
	s.reads++
	e := s.events[id]
	lot := &guichet.Lot{ID: id * 10, EventID: id, Code: "DEJ", Title: "Déjeuner de " + e.Name, Quantity: 100, Unit: "repas",
		Budget: 100001, Mode: guichet.Shared, MaxSuppliers: 3}
	claims := []*guichet.Claim{
		{ID: 1, LotID: lot.ID, SupplierID: 1, SupplierName: "Coop " + e.Slug, Quantity: 50, Amount: 50001, Status: guichet.ClaimAwarded},
		{ID: 2, LotID: lot.ID, SupplierID: 2, SupplierName: "Asso " + e.Slug, Quantity: 30, Amount: 30000, Status: guichet.ClaimAwarded},
		{ID: 3, LotID: lot.ID, SupplierID: 3, SupplierName: "Traiteur " + e.Slug, Quantity: 20, Amount: 20000, Status: guichet.ClaimAwarded},
	}
	return &guichet.RecapData{Board: &guichet.Board{Event: e, Lots: []*guichet.LotState{{Lot: lot, Claims: claims}}}}, nil
}

func (s *clientStore) StructureKinds(context.Context, int64) (map[int64]guichet.StructureKind, error) {
	return map[int64]guichet.StructureKind{1: "scop", 2: "association", 3: "scop"}, nil
}

func (s *clientStore) CurrentQuote(_ context.Context, id int64) (*guichet.ClientQuote, []byte, error) {
	if id != 1 {
		return nil, nil, guichet.Errorf(guichet.ENOTFOUND, "ErrClientNoQuote")
	}
	return &guichet.ClientQuote{ID: 7, Number: "DEV-2011-0001", Revision: 2, Net: 90000, VAT: 10001, Gross: 100001,
		CreatedAt: time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC)}, []byte("%PDF-quote"), nil
}

// clientSetup returns a bot on a store with two events, a link to each (valid until
// 2011-06-01), and the tokens of those links.
func clientSetup(t *testing.T, now time.Time) (*Bot, *clientStore, string, string) {
	t.Helper()
	e1 := assisesEvent()
	e2 := &guichet.Event{ID: 2, Slug: "autre-forum", Name: "Forum secret de l'autre client", Day: time.Date(2011, 5, 2, 0, 0, 0, 0, time.UTC),
		TimeZone: "Europe/Paris", Locale: "fr", Status: guichet.EventPublished}
	exp := time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC)
	s := &clientStore{
		links: map[string]*guichet.ClientLink{
			"AAAAAAAAAAAAAAAAAAAAAA": {ID: "AAAAAAAAAAAAAAAAAAAAAA", EventID: 1, ExpiresAt: exp},
			"BBBBBBBBBBBBBBBBBBBBBB": {ID: "BBBBBBBBBBBBBBBBBBBBBB", EventID: 2, ExpiresAt: exp},
		},
		events: map[int64]*guichet.Event{1: e1, 2: e2},
	}
	b := unitBot(t, s, nil, now)
	return b, s, b.signer.ClientLinkToken(s.links["AAAAAAAAAAAAAAAAAAAAAA"]), b.signer.ClientLinkToken(s.links["BBBBBBBBBBBBBBBBBBBBBB"])
}

func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, rec.Result().Header, string(body)
}

// noData checks that an answer says nothing of either event.
func noData(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{"Assises", "assises", "Forum", "autre", "Coop", "Déjeuner", "DEV-2011"} {
		require.NotContains(t, body, s)
	}
}

func TestClientLinkOpensItsEventsPageOnly(t *testing.T) {
	t.Parallel()
	before := time.Date(2011, 4, 1, 9, 0, 0, 0, time.UTC)
	b, _, tok1, _ := clientSetup(t, before)
	h := b.Handler()
	require.Equal(t, testPublicURL+"/client/"+tok1+"/", b.ClientLinkURL(&guichet.ClientLink{ID: "AAAAAAAAAAAAAAAAAAAAAA", EventID: 1,
		ExpiresAt: time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC)}))

	code, hdr, body := get(t, h, "/client/"+tok1+"/")
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "no-referrer", hdr.Get("Referrer-Policy"))
	require.Equal(t, "no-store", hdr.Get("Cache-Control"))
	require.Contains(t, body, `<html lang="fr">`)
	require.Contains(t, body, "Assises métropolitaines de la Politique de la Ville")
	require.Contains(t, body, "Coop assises-2011")
	require.Contains(t, body, "1\u202f000,01\u00a0€", "the total, to the cent")
	require.Contains(t, body, "DEV-2011-0001-r2.pdf")
	require.NotContains(t, body, "Forum secret")

	code, _, body = get(t, h, "/client/"+tok1+"/?lang=en")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `<html lang="en">`)
	require.Contains(t, body, "€1,000.01")

	code, _, _ = get(t, h, "/client/"+tok1)
	require.Equal(t, http.StatusMovedPermanently, code, "the address without its last slash is sent to the page")

	code, hdr, body = get(t, h, "/client/"+tok1+"/DEV-2011-0001-r2.pdf")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/pdf", hdr.Get("Content-Type"))
	require.Equal(t, "%PDF-quote", body)

	code, _, pdf1 := get(t, h, "/client/"+tok1+"/guichet-assises-2011.pdf")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(pdf1, "%PDF-"))
	_, _, pdf2 := get(t, h, "/client/"+tok1+"/guichet-assises-2011.pdf")
	require.True(t, bytes.Equal([]byte(pdf1), []byte(pdf2)), "the same page gives the same bytes")

	// Before the day there is no chart.
	code, _, _ = get(t, h, "/client/"+tok1+"/chart.png")
	require.Equal(t, http.StatusNotFound, code)
}

func TestClientPageAfterTheDayIsTheReportWithItsChart(t *testing.T) {
	t.Parallel()
	b, _, tok1, _ := clientSetup(t, time.Date(2011, 4, 20, 9, 0, 0, 0, time.UTC))
	h := b.Handler()
	code, _, body := get(t, h, "/client/"+tok1+"/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "1\u202f000,01\u00a0€ pour l&#39;économie sociale et solidaire, répartis entre 3 structures.")
	require.Contains(t, body, `<th scope="row">SCOP</th><td class="num">2</td><td class="num">700,01`)
	require.Contains(t, body, `<img src="chart.png?lang=fr"`)
	code, hdr, png := get(t, h, "/client/"+tok1+"/chart.png")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "image/png", hdr.Get("Content-Type"))
	require.True(t, strings.HasPrefix(png, "\x89PNG"))
}

// Every way around the gate: each is refused with nothing of any event, before any of it is
// read.
func TestClientGateRefusesEveryOtherWay(t *testing.T) {
	t.Parallel()
	now := time.Date(2011, 4, 1, 9, 0, 0, 0, time.UTC)
	b, s, tok1, tok2 := clientSetup(t, now)
	h := b.Handler()
	id1, sig1, _ := strings.Cut(tok1, ".")
	id2, sig2, _ := strings.Cut(tok2, ".")
	flip := func(s string) string {
		c := byte('A')
		if s[0] == 'A' {
			c = 'B'
		}
		return string(c) + s[1:]
	}
	forbidden := map[string]string{
		"tampered signature":                   id1 + "." + flip(sig1),
		"signature cut short":                  id1 + "." + sig1[:20],
		"no signature":                         id1 + ".",
		"id alone":                             id1,
		"another event's id, this signature":   id2 + "." + sig1,
		"this id, another event's signature":   id1 + "." + sig2,
		"unknown id, well formed":              "CCCCCCCCCCCCCCCCCCCCCC." + sig1,
		"an id of the wrong shape":             "AAAA." + sig1,
		"three parts":                          tok1 + ".x",
		"path traversal in the token":          "..%2F" + tok1,
		"a signature over another thing":       id1 + "." + b.signer.Sign(Seal{Purpose: "action:claim", Expires: time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC)}),
		"unpadded base64 of another signature": id1 + "." + strings.Repeat("A", 43),
	}
	for name, tok := range forbidden {
		t.Run(name, func(t *testing.T) {
			for _, file := range []string{"", "guichet-assises-2011.pdf", "chart.png", "DEV-2011-0001-r2.pdf"} {
				reads := s.reads
				code, hdr, body := get(t, h, "/client/"+tok+"/"+file)
				require.Equal(t, http.StatusForbidden, code, "%s %s", tok, file)
				require.Equal(t, "no-referrer", hdr.Get("Referrer-Policy"))
				noData(t, body)
				require.Equal(t, reads, s.reads, "nothing of an event read")
			}
		})
	}

	// The link moved to another event in the database, or given a later expiry: its signature
	// no longer holds.
	moved := *s.links[id1]
	s.links[id1].EventID = 2
	code, _, body := get(t, h, "/client/"+tok1+"/")
	require.Equal(t, http.StatusForbidden, code)
	noData(t, body)
	s.links[id1].EventID = moved.EventID
	s.links[id1].ExpiresAt = moved.ExpiresAt.Add(24 * time.Hour)
	code, _, _ = get(t, h, "/client/"+tok1+"/")
	require.Equal(t, http.StatusForbidden, code)
	s.links[id1].ExpiresAt = moved.ExpiresAt

	// Path traversal in the file name: nothing but the page's own files.
	for _, file := range []string{"..%2F..%2Fetc%2Fpasswd", "..%2F" + tok2 + "%2F", "guichet-autre-forum.pdf", "DEV-2011-0001.pdf",
		"%2e%2e/guichet-assises-2011.pdf", "chart.png/..%2F..%2Fx", "guichet-assises-2011.pdf%00.html"} {
		code, _, body := get(t, h, "/client/"+tok1+"/"+file)
		require.Contains(t, []int{http.StatusNotFound, http.StatusTemporaryRedirect}, code, file)
		noData(t, body)
	}
	// A path that climbs out of the token is cleaned by the server first, then gated anew.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/client/"+tok2+"/../"+tok1+"/", nil))
	require.Equal(t, http.StatusTemporaryRedirect, rec.Code)
	require.Equal(t, "/client/"+tok1+"/", rec.Header().Get("Location"))

	// Revoked: 410, nothing of the event.
	s.links[id2].RevokedAt = &now
	code, _, body = get(t, h, "/client/"+tok2+"/")
	require.Equal(t, http.StatusGone, code)
	noData(t, body)

	// A deleted event's link: 403.
	delete(s.events, 1)
	code, _, body = get(t, h, "/client/"+tok1+"/")
	require.Equal(t, http.StatusForbidden, code)
	noData(t, body)
}

func TestClientLinkExpires(t *testing.T) {
	t.Parallel()
	b, s, tok1, _ := clientSetup(t, time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC))
	reads := s.reads
	code, _, body := get(t, b.Handler(), "/client/"+tok1+"/")
	require.Equal(t, http.StatusGone, code, "from its expiry on")
	require.Contains(t, body, "a expiré ou a été révoqué")
	noData(t, body)
	require.Equal(t, reads, s.reads)

	b, _, tok1, _ = clientSetup(t, time.Date(2011, 5, 31, 23, 59, 59, 0, time.UTC))
	code, _, _ = get(t, b.Handler(), "/client/"+tok1+"/")
	require.Equal(t, http.StatusOK, code, "until its expiry")
}
