package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// result is one check of the replay: what it found, and whether that is what the fixture
// says it should be.
type result struct {
	ok   bool
	text string
}

func (r result) String() string {
	mark := "✓"
	if !r.ok {
		mark = "✗"
	}
	return mark + " " + r.text
}

func pass(format string, args ...any) result {
	return result{ok: true, text: fmt.Sprintf(format, args...)}
}

func fail(format string, args ...any) result {
	return result{text: fmt.Sprintf(format, args...)}
}

// check verifies, from the bot's database and from what people read in Mattermost, that the
// replay did the event's whole job: every lot filled by the 2011 structures, each reminder
// sent once to each structure, every structure confirmed, and the recap shown as a draft to the
// coordination, then published once with its chart and CSV adding up to the lots' budgets. The recap's files are saved into out.
func (s *session) check(ctx context.Context, out string) []result {
	results := []result{
		s.checkLots(ctx),
		s.checkReminders(ctx, phaseFirst),
		s.checkReminders(ctx, phaseLast),
		s.checkConfirmations(ctx),
		s.checkRecap(ctx, out),
		s.checkQuote(ctx, out),
		s.checkOrders(ctx, out),
	}
	results = append(results, s.checkSecondAct(ctx)...)
	return append(results, s.checkRendered())
}

// checkRendered verifies that every post and private answer the people read rendered from the
// catalogue in full: none holds a message id in brackets (a missing message or a template that
// failed on its arguments).
func (s *session) checkRendered() result {
	r := fmt.Sprintf("every one of the %d posts and answers read rendered in full from the catalogue", s.tr.read)
	if len(s.tr.unrendered) == 0 {
		return pass("%s", r)
	}
	ids := make([]string, 0, len(s.tr.unrendered))
	for id, n := range s.tr.unrendered {
		ids = append(ids, fmt.Sprintf("%s (%d)", id, n))
	}
	sort.Strings(ids)
	return fail("%s; but these did not render: %s", r, strings.Join(ids, ", "))
}

func (s *session) checkLots(ctx context.Context) result {
	if s.event == nil {
		return fail("lots: the event was not created")
	}
	lots, err := s.rig.DB().Lots(ctx, s.event.ID)
	if err != nil {
		return fail("lots: %v", err)
	}
	filled, claims := 0, 0
	structures := map[string]bool{}
	var problems []string
	for _, l := range lots {
		st, err := s.rig.DB().LotState(ctx, l.ID)
		if err != nil {
			return fail("lots: %v", err)
		}
		for _, c := range st.Awarded() {
			structures[c.SupplierName] = true
			claims++
		}
		if l.Status == guichet.LotFilled && st.AwardedQuantity() == l.Quantity {
			filled++
		} else {
			problems = append(problems, fmt.Sprintf("%s is %s with %d of %d", l.Code, l.Status, st.AwardedQuantity(), l.Quantity))
		}
	}
	r := fmt.Sprintf("%d of %d lots filled, by %d structures (%d claims)", filled, len(s.fx.lots), len(structures), claims)
	if filled != len(s.fx.lots) || len(lots) != len(s.fx.lots) || len(structures) != len(s.fx.suppliers) || claims != len(s.fx.takes) {
		return fail("%s; want %d lots filled by %d structures with %d claims %v", r, len(s.fx.lots), len(s.fx.suppliers), len(s.fx.takes), problems)
	}
	return pass("%s", r)
}

// checkReminders checks one reminder (the first or the last of the schedule): the scheduler
// sent it once to each structure and once to the coordination, skipped none, and each member
// of each structure found exactly one new direct message from the bot in that phase and none
// in the phases after it.
func (s *session) checkReminders(ctx context.Context, phaseTitle string) result {
	phase, ok := s.phaseOf[phaseTitle]
	if !ok {
		return fail("%s: the replay did not get there", s.t(phaseTitle))
	}
	kind := s.kindOf[phaseTitle]
	label := "J-" + strings.TrimPrefix(string(kind), "j")
	row, err := s.rig.DB().ReminderTally(ctx, s.event.ID, kind)
	if err != nil {
		return fail("%s reminder: %v", label, err)
	}
	// A repeat of this reminder would show as a second new direct message in its phase or
	// in the next reminder's, or as any new direct message once the reminders are over.
	last := s.phaseOf[phaseLast]
	members, once := 0, 0
	var wrong []string
	for _, sup := range s.fx.suppliers {
		for _, m := range sup.Members {
			members++
			later := 0
			for p := last + 1; p <= s.tr.phase; p++ {
				later += s.newInPhase[p][m]
			}
			if n := s.newInPhase[phase][m]; n == 1 && later == 0 {
				once++
			} else {
				wrong = append(wrong, fmt.Sprintf("@%s: %d, then %d after the reminders", m, n, later))
			}
		}
	}
	want := len(s.fx.suppliers) + 1
	r := fmt.Sprintf("%s reminder sent once to each of the %d structures and to the coordination (%d reminders, %d messages queued, %d skipped); %d of %d members read it once in their direct messages",
		label, row.Sent-row.Coordination, row.Sent, row.Queued, row.Skipped, once, members)
	// A reminder the postponement re-armed is queued once more, at the new date.
	queued := want * (1 + s.rearmed(kind))
	if row.Sent != want || row.Coordination != 1 || row.Skipped != 0 || row.Queued != queued || once != members {
		return fail("%s; want %d sent, %d queued, none skipped, each member once %v", r, want, queued, wrong)
	}
	return pass("%s", r)
}

func (s *session) checkConfirmations(ctx context.Context) result {
	if s.event == nil {
		return fail("confirmations: the event was not created")
	}
	rs, err := s.rig.DB().Confirmations(ctx, s.event.ID)
	if err != nil {
		return fail("confirmations: %v", err)
	}
	n := 0
	for _, r := range rs {
		if r.ConfirmedAt != nil {
			n++
		}
	}
	r := fmt.Sprintf("%d of %d structures confirmed the last reminder", n, len(s.fx.suppliers))
	if n != len(s.fx.suppliers) {
		return fail("%s", r)
	}
	return pass("%s", r)
}

// checkRecap finds the recap's draft (the bot's post with the recap's title and no files,
// without its « Publier le bilan » button once published) and the recap (the bot's post with
// files) in the coordination channel, checks that each is there once, the draft first, that
// the recap and names the total of the lots' budgets, downloads its files into
// out as the coordinator, and checks that the chart is a PNG and that the CSV adds up to the
// same total over every structure.
func (s *session) checkRecap(ctx context.Context, out string) result {
	want := s.fx.budget()
	coord := s.coordinator()
	posts, err := s.botPostsIn(ctx, coord, s.rig.CoordChannel().Id)
	if err != nil {
		return fail("recap: %v", err)
	}
	title := s.cat.T(s.locale, "RecapTitle", map[string]any{"Event": s.event.Name})
	publish := s.cat.T(s.locale, "BtnDraftrecapPublish", nil)
	var recaps, drafts []*model.Post
	for _, p := range posts {
		switch {
		case s.isQuotePost(p):
		case len(p.FileIds) > 0:
			recaps = append(recaps, p)
		case strings.Contains(p.Message, title):
			drafts = append(drafts, p)
		}
	}
	if len(drafts) != 1 {
		return fail("recap: %d drafts in the coordination channel, want 1", len(drafts))
	}
	if len(recaps) != 1 {
		return fail("recap: %d posts with files in the coordination channel, want 1", len(recaps))
	}
	p := recaps[0]
	var problems []string
	if mmrig.Button(drafts[0], publish) != nil {
		problems = append(problems, "the draft still shows its button once published")
	}
	if drafts[0].CreateAt > p.CreateAt {
		problems = append(problems, "the draft came after the recap")
	}
	if !strings.Contains(p.Message, l10n.Money(want, s.locale)) {
		problems = append(problems, "its text does not say "+l10n.Money(want, s.locale))
	}
	var chart, table []byte
	var names []string
	for _, id := range p.FileIds {
		info, _, err := coord.Client.GetFileInfo(ctx, id)
		if err != nil {
			return fail("recap: file %s: %v", id, err)
		}
		data, _, err := coord.Client.GetFile(ctx, id)
		if err != nil {
			return fail("recap: file %s: %v", info.Name, err)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(info.Name)), data, 0o644); err != nil {
			return fail("recap: %v", err)
		}
		names = append(names, filepath.Join(out, filepath.Base(info.Name)))
		switch strings.ToLower(filepath.Ext(info.Name)) {
		case ".png":
			chart = data
		case ".csv":
			table = data
		}
	}
	if _, err := png.Decode(bytes.NewReader(chart)); err != nil {
		problems = append(problems, "no PNG chart attached")
	}
	total, structures, err := s.csvTotal(table)
	if err != nil {
		problems = append(problems, "CSV: "+err.Error())
	} else if total != want || structures != len(s.fx.suppliers) {
		problems = append(problems, fmt.Sprintf("the CSV gives %s over %d structures", l10n.Money(total, s.locale), structures))
	}
	r := fmt.Sprintf("recap draft shown to the coordination, then published once, total %s (the lots' budgets), chart and CSV saved: %s", l10n.Money(want, s.locale), strings.Join(names, ", "))
	if len(problems) > 0 {
		return fail("%s; but %s", r, strings.Join(problems, "; "))
	}
	return pass("%s", r)
}

// csvTotal adds up the recap CSV's amounts in cents and counts its structures, finding the
// columns by their headings in the demo's language.
func (s *session) csvTotal(data []byte) (guichet.Cents, int, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	rd := csv.NewReader(bytes.NewReader(data))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	if err != nil {
		return 0, 0, err
	}
	if len(recs) < 2 {
		return 0, 0, fmt.Errorf("no rows")
	}
	amount, structure := -1, -1
	for i, h := range recs[0] {
		switch h {
		case s.cat.T(s.locale, "ReportColAmountCents", nil):
			amount = i
		case s.cat.T(s.locale, "ReportColStructure", nil):
			structure = i
		}
	}
	if amount < 0 || structure < 0 {
		return 0, 0, fmt.Errorf("no amount or structure column in %v", recs[0])
	}
	var total guichet.Cents
	seen := map[string]bool{}
	for _, rec := range recs[1:] {
		c, err := strconv.ParseInt(rec[amount], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("amount %q", rec[amount])
		}
		total += guichet.Cents(c)
		seen[rec[structure]] = true
	}
	return total, len(seen), nil
}
