package demo

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

func TestFixtureIsTheAssisesEvent(t *testing.T) {
	t.Parallel()
	f, err := loadFixture()
	require.NoError(t, err)
	require.Equal(t, "Assises métropolitaines de la Politique de la Ville", f.event.Name)
	require.Equal(t, "2011-04-15", f.event.Day.Format(time.DateOnly))
	require.Len(t, f.suppliers, 19)
	require.Len(t, f.lots, 14)
	require.Len(t, f.takes, 26)
	require.Equal(t, 21, f.members())
	require.Equal(t, "19\u202f210,00\u00a0€", l10n.Money(f.budget(), "fr"))
	taking := map[string]bool{}
	for _, tk := range f.takes {
		taking[tk.Supplier] = true
	}
	require.Len(t, taking, 19, "every structure takes something")
}

func TestFixtureCheckRefusesAReplayThatLeavesALotUnfilled(t *testing.T) {
	t.Parallel()
	cases := map[string]func(f *fixture){
		"a share missing":        func(f *fixture) { f.takes = f.takes[1:] },
		"an exclusive lot twice": func(f *fixture) { f.takes = append(f.takes, take{Lot: "SCE", Supplier: "Kenja", Quantity: 0}) },
		"a share too big":        func(f *fixture) { f.takes[0].Quantity++ },
		"an unknown structure":   func(f *fixture) { f.takes[0].Supplier = "Nobody" },
		"an unknown lot":         func(f *fixture) { f.takes[0].Lot = "XXX" },
		"a lot nobody takes at all": func(f *fixture) {
			f.lots = append(f.lots, fixtureLot{Code: "NEW", Title: "Nouveau", Quantity: 1, Budget: 100})
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, err := loadFixture()
			require.NoError(t, err)
			spoil(f)
			require.Error(t, f.check())
		})
	}
}

func TestTranscriptShowsNewAndChangedPostsOnce(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	clock := &simClock{periods: []clockPeriod{{from: time.Unix(0, 0), offset: -time.Hour}}}
	var out bytes.Buffer
	tr := newTranscript(l10n.New(), "fr", paris, clock, &out)
	tr.names["bot"] = "guichet"

	offer := &model.Post{Id: "p1", UserId: "bot", CreateAt: time.Date(2011, 3, 28, 9, 0, 0, 0, time.UTC).UnixMilli() + time.Hour.Milliseconds()}
	offer.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{
		Pretext: "📣 Offre", Title: "ACC — Accueil", Text: "Accueil des participants",
		Fields:  []*model.MessageAttachmentField{{Title: "Quantité", Value: "8 hôtes"}, {Title: "Attribué à", Value: "A\nB"}},
		Actions: []*model.PostAction{{Id: "share", Name: "Je prends une part"}, {Id: "pass", Name: "Pas pour nous"}},
	}})
	text := tr.postText(offer)
	require.Equal(t, "▸ 📣 Offre\n▸ ACC — Accueil\n▸ Accueil des participants\n  Quantité\u202f: 8 hôtes · Attribué à\u202f: A, B\n  [Je prends une part] [Pas pour nous]", text)

	tr.beginPhase(phaseClaims, time.Date(2011, 3, 28, 10, 0, 0, 0, paris))
	tr.action(time.UnixMilli(offer.CreateAt), "kenja.malik", "dans ~kenja", "clique", "réponse privée\u202f: ✅ noté\nsuite")
	tr.endPhase([]view{{heading: "~kenja", posts: []*model.Post{offer}}})
	first := out.String()
	require.Contains(t, first, "1. Les structures prennent leurs lots — lundi 28 mars 2011, 10 h 00")
	require.Contains(t, first, "  11 h 00  @kenja.malik, dans ~kenja\u202f: clique\n           ↳ réponse privée\u202f: ✅ noté\n             suite")
	require.Contains(t, first, "  ~kenja\n    11 h 00  @guichet\u202f: ▸ 📣 Offre")

	// Unchanged: not shown again. Changed: shown once more, marked.
	out.Reset()
	tr.beginPhase(phaseFirst, time.Date(2011, 4, 8, 9, 0, 0, 0, paris))
	tr.endPhase([]view{{heading: "~kenja", posts: []*model.Post{offer}}})
	require.Contains(t, out.String(), "(rien de nouveau)")
	require.NotContains(t, out.String(), "Offre")
	out.Reset()
	offer.Message = "pourvu"
	offer.UpdateAt = offer.CreateAt + 2*time.Hour.Milliseconds()
	tr.beginPhase(phaseLast, time.Date(2011, 4, 14, 9, 0, 0, 0, paris))
	tr.endPhase([]view{{heading: "~kenja", posts: []*model.Post{offer}}})
	require.Contains(t, out.String(), "13 h 00  (modifié) @guichet\u202f: pourvu\n")
}

func TestSimClockKeepsEachPeriodsOffset(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := &simClock{periods: []clockPeriod{
		{from: start, offset: -10 * time.Hour},
		{from: start.Add(time.Minute), offset: -5 * time.Hour},
	}}
	require.Equal(t, start.Add(-10*time.Hour-time.Second), c.sim(start.Add(-time.Second)), "before the first period: its offset")
	require.Equal(t, start.Add(30*time.Second-10*time.Hour), c.sim(start.Add(30*time.Second)))
	require.Equal(t, start.Add(2*time.Minute-5*time.Hour), c.sim(start.Add(2*time.Minute)))
	require.Equal(t, -5*time.Hour, c.offset())
}

func TestProgressPrefixesWholeLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := &progress{w: &out, began: time.Now().Add(-75 * time.Second)}
	_, _ = p.Write([]byte("mmrig: starting"))
	require.Empty(t, out.String(), "an unfinished line waits")
	_, _ = p.Write([]byte(" PostgreSQL\nmmrig: ready\n"))
	p.step("J-%d reminder", 7)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Equal(t, []string{"[ 1:15] mmrig: starting PostgreSQL", "[ 1:15] mmrig: ready", "[ 1:15] demo: J-7 reminder"}, lines)
}

func TestPrepareAtIsBeforeTheFirstReminder(t *testing.T) {
	t.Parallel()
	f, err := loadFixture()
	require.NoError(t, err)
	at, err := f.prepareAt()
	require.NoError(t, err)
	e := guichet.Event{Day: f.event.Day, TimeZone: f.event.TimeZone, Reminders: guichet.DefaultReminders}
	specs, err := guichet.ParseReminders(e.Reminders)
	require.NoError(t, err)
	first, err := e.LocalTime(-specs[0].DaysBefore, specs[0].Hour, specs[0].Minute)
	require.NoError(t, err)
	require.True(t, at.Before(first), "the offers go out before the first reminder is due")
}

// A message id in brackets is the catalogue's rendering of a message it misses or cannot
// render; a button's label in brackets is not.
func TestTranscriptNotesUnrenderedMessages(t *testing.T) {
	tr := newTranscript(l10n.New(), "fr", time.UTC, nil, io.Discard)
	tr.note("✅ **Coop** a accepté [Je prends] [J'accepte le bon de commande]")
	require.Empty(t, tr.unrendered)
	tr.note("[NoticeOrderAccepted]")
	tr.note("avant [ErrLotFull] après [NoticeOrderAccepted]")
	require.Equal(t, map[string]int{"NoticeOrderAccepted": 2, "ErrLotFull": 1}, tr.unrendered)
	require.Equal(t, 3, tr.read)
}
