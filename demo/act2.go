package demo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// The demo's second act: the event changes under the plan. Once J-7 has gone out, the lunch
// goes from 450 to 380 covers (the caterers' shares shrink as the coordinator says, each is
// told and asked to confirm again) and the event is postponed by a week (J-7 comes again, once,
// at the new date, and J-1 goes out at the new date).

// phaseChanges titles the second act's phase in the transcript.
const phaseChanges = "CmdI19bDemoPhaseChanges"

// The lunch and how it shrinks: its new quantity and each caterer's new share, as the
// coordinator types them.
const (
	lunchCode     = "DEJ"
	lunchQuantity = 380
	postponedBy   = 7
)

var lunchShares = map[string]int64{
	"Méli-Mélo d'Oser Forêt Vivante": 100, "Romsi": 95, "TAK-APRES": 95, "Le Goût des Autres": 90,
}

// secondActState is what the second act leaves for its checks: the first J-7's phase, the
// event's two dates and the lunch's shares before the change.
type secondActState struct {
	firstReminderPhase int
	before, after      *guichet.Event
	shares             map[string]int64
}

// firstReminder plays the schedule's first reminder at the event's first date.
func (s *session) firstReminder(ctx context.Context) error {
	specs, err := guichet.ParseReminders(s.event.Reminders)
	if err != nil {
		return err
	}
	if err := s.reminder(ctx, specs[0], len(specs) == 1); err != nil {
		return err
	}
	s.second = &secondActState{firstReminderPhase: s.tr.phase}
	return nil
}

// secondAct: the day after J-7, the coordinator lowers the lunch's headcount, saying how each
// caterer's share shrinks, and postpones the event by a week.
func (s *session) secondAct(ctx context.Context) error {
	if s.second == nil {
		return fmt.Errorf("the second act comes after the first reminder")
	}
	at := s.clock.now().In(s.tr.zone).AddDate(0, 0, 1)
	at = time.Date(at.Year(), at.Month(), at.Day(), 10, 0, 0, 0, s.tr.zone)
	s.progress.step("the second act: the lunch down to %d covers, the event postponed by %d days", lunchQuantity, postponedBy)
	if err := s.travel(ctx, at); err != nil {
		return err
	}
	s.tr.beginPhase(phaseChanges, at)
	st, err := s.rig.DB().LotState(ctx, s.lots[lunchCode])
	if err != nil {
		return err
	}
	s.second.shares = map[string]int64{}
	for _, c := range st.Awarded() {
		s.second.shares[c.SupplierName] = c.Quantity
	}
	names := make([]string, 0, len(lunchShares))
	for name := range lunchShares {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s: %d", name, lunchShares[name])
	}
	coord, coordCh := s.coordinator(), s.rig.CoordChannel().Id
	edit := fmt.Sprintf(`/guichet lot modifier %s quantité=%d réduire="%s"`, lunchCode, lunchQuantity, strings.Join(parts, "; "))
	if _, err := s.command(ctx, coord, coordCh, edit); err != nil {
		return err
	}
	s.second.before = s.event
	day := s.event.Day.AddDate(0, 0, postponedBy)
	if _, err := s.command(ctx, coord, coordCh, "/guichet événement reporter date="+day.Format(time.DateOnly)); err != nil {
		return err
	}
	e, err := s.rig.DB().Event(ctx, s.event.ID)
	if err != nil {
		return err
	}
	if !e.Day.Equal(day) {
		return fmt.Errorf("the event is on %s after its postponement, want %s", e.Day.Format(time.DateOnly), day.Format(time.DateOnly))
	}
	s.event, s.second.after = e, e
	return s.endPhase(ctx)
}

// checkSecondAct checks what the second act changed: each caterer told once of its new share
// and the lunch's amounts still adding up to its budget to the cent; every structure told once
// of the new date; every reminder moved to the new date, J-7 read once by each member at each
// date (J-1's once at the new date is checkReminders').
func (s *session) checkSecondAct(ctx context.Context) []result {
	if s.second == nil || s.second.after == nil {
		return []result{fail("second act: the replay did not get there")}
	}
	return []result{s.checkLunch(ctx), s.checkPostponed(ctx), s.checkFirstReminderOnce()}
}

// checkLunch: each caterer's channel holds one notice of its share, before → after, and the
// lunch's awarded shares hold 380 covers whose amounts add up to its budget.
func (s *session) checkLunch(ctx context.Context) result {
	st, err := s.rig.DB().LotState(ctx, s.lots[lunchCode])
	if err != nil {
		return fail("lunch: %v", err)
	}
	var problems []string
	var total guichet.Cents
	for _, c := range st.Awarded() {
		total += c.Amount
		if want, ok := lunchShares[c.SupplierName]; !ok || c.Quantity != want {
			problems = append(problems, fmt.Sprintf("%s holds %d", c.SupplierName, c.Quantity))
		}
	}
	if st.AwardedQuantity() != lunchQuantity || st.Lot.Quantity != lunchQuantity {
		problems = append(problems, fmt.Sprintf("the lunch is %d covers with %d awarded", st.Lot.Quantity, st.AwardedQuantity()))
	}
	if total != st.Lot.Budget {
		problems = append(problems, fmt.Sprintf("its shares add up to %s for a budget of %s", l10n.Money(total, s.locale), l10n.Money(st.Lot.Budget, s.locale)))
	}
	told := 0
	for name, after := range lunchShares {
		sup := s.fx.supplier(name)
		n, err := s.channelPosts(ctx, sup, fmt.Sprintf("%d → %d", s.second.shares[name], after))
		if err != nil {
			return fail("lunch: %v", err)
		}
		if n == 1 {
			told++
		} else {
			problems = append(problems, fmt.Sprintf("%s was told %d times", name, n))
		}
	}
	r := fmt.Sprintf("lunch down from 450 to %d covers: %d of %d caterers told once of their new share, shares adding up to %s (its budget)",
		lunchQuantity, told, len(lunchShares), l10n.Money(total, s.locale))
	if len(problems) > 0 {
		return fail("%s; but %s", r, strings.Join(problems, "; "))
	}
	return pass("%s", r)
}

// checkPostponed: every structure's channel holds one notice of the new date, and every
// reminder of the event is due at the new date's schedule.
func (s *session) checkPostponed(ctx context.Context) result {
	before, after := l10n.EventDay(s.second.before, s.locale), l10n.EventDay(s.second.after, s.locale)
	var problems []string
	told := 0
	for _, sup := range s.fx.suppliers {
		n, err := s.channelPosts(ctx, &sup, before, after)
		if err != nil {
			return fail("postponement: %v", err)
		}
		if n == 1 {
			told++
		} else {
			problems = append(problems, fmt.Sprintf("%s was told %d times", sup.Name, n))
		}
	}
	specs, err := guichet.ParseReminders(s.event.Reminders)
	if err != nil {
		return fail("postponement: %v", err)
	}
	moved := 0
	for _, spec := range specs {
		want, err := s.event.LocalTime(-spec.DaysBefore, spec.Hour, spec.Minute)
		if err != nil {
			return fail("postponement: %v", err)
		}
		var off int
		if err := s.rig.DB().SQL().GetContext(ctx, &off, `SELECT count(*) FROM reminders WHERE event_id = $1 AND kind = $2 AND due_at <> $3`,
			s.event.ID, string(spec.Kind()), want.UTC()); err != nil {
			return fail("postponement: %v", err)
		}
		if off == 0 {
			moved++
		} else {
			problems = append(problems, fmt.Sprintf("%d %s reminder(s) not at the new date", off, spec))
		}
	}
	r := fmt.Sprintf("event postponed from %s to %s: %d of %d structures told once, %d of %d reminders at the new date",
		before, after, told, len(s.fx.suppliers), moved, len(specs))
	if len(problems) > 0 {
		return fail("%s; but %s", r, strings.Join(problems, "; "))
	}
	return pass("%s", r)
}

// checkFirstReminderOnce: at the first date, each member read J-7 once in their direct
// messages, as they did again at the new one (checkReminders).
func (s *session) checkFirstReminderOnce() result {
	members, once := 0, 0
	var wrong []string
	for _, sup := range s.fx.suppliers {
		for _, m := range sup.Members {
			members++
			if n := s.newInPhase[s.second.firstReminderPhase][m]; n == 1 {
				once++
			} else {
				wrong = append(wrong, fmt.Sprintf("@%s: %d", m, n))
			}
		}
	}
	r := fmt.Sprintf("first reminder read once by %d of %d members at the first date, before the postponement", once, members)
	if once != members {
		return fail("%s %v", r, wrong)
	}
	return pass("%s", r)
}

// channelPosts counts the bot's posts in the structure's channel, offers left out, whose text
// holds every part.
func (s *session) channelPosts(ctx context.Context, sup *mmrig.Supplier, parts ...string) (int, error) {
	posts, err := s.botPostsIn(ctx, s.rig.User(sup.Members[0]), s.rig.Channel(sup.Channel).Id)
	if err != nil {
		return 0, err
	}
	n := 0
next:
	for _, p := range posts {
		if len(p.Attachments()) > 0 {
			continue // an offer, edited in place to the new terms
		}
		for _, part := range parts {
			if !strings.Contains(p.Message, part) {
				continue next
			}
		}
		n++
	}
	return n, nil
}

// rearmed is how many more times than once each reminder row of kind was queued: J-7 once at
// each date after the postponement.
func (s *session) rearmed(kind guichet.ReminderKind) int {
	if s.second == nil || s.second.after == nil || s.kindOf[phaseFirst] != kind {
		return 0
	}
	return 1
}
