package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/scheduler"
)

// The bot's schedule settings the demo runs with (GUICHET_UNCONFIRMED_ALERT, GUICHET_RECAP_AT):
// the defaults, written down so that the demo knows when to move the clock.
const (
	unconfirmedAlert = "J-1@18:00"
	recapAt          = "J+1@09:00"
)

// slug is the replayed event's short name.
const slug = "assises-2011"

// prepareDaysBefore is how long before the event the coordinator prepares it, at 10:00.
const prepareDaysBefore = 18

// Phases of the replay, as the transcript titles them.
const (
	phasePrepare = "CmdDemoPhasePrepare"
	phaseClaims  = "CmdDemoPhaseClaims"
	phaseFirst   = "CmdDemoPhaseFirstReminder"
	phaseLast    = "CmdDemoPhaseLastReminder"
	phaseAlert   = "CmdDemoPhaseAlert"
	phaseDay     = "CmdDemoPhaseDay"
	phaseRecap   = "CmdDemoPhaseRecap"
)

// prepareAt returns when the coordinator prepares the event: the bot's clock when it starts.
func (f *fixture) prepareAt() (time.Time, error) {
	e := guichet.Event{Day: f.event.Day, TimeZone: f.event.TimeZone}
	return e.LocalTime(-prepareDaysBefore, 10, 0)
}

// replay plays the event from chat, phase by phase, on the bot's simulated clock.
func (s *session) replay(ctx context.Context) error {
	for _, step := range []func(context.Context) error{
		s.prepare, s.claims, s.firstReminder, s.secondAct, s.quote, s.orders, s.reminders, s.alert, s.eventDay, s.invoices, s.recap,
		s.clientPage,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// prepare: the coordinator creates the event in the coordination channel, drops the
// structures' file and the lots' file there and imports each from its preview, and publishes
// the offers.
func (s *session) prepare(ctx context.Context) error {
	s.progress.step("preparing: the event, %d structures and %d lots dropped as files and imported, the offers published", len(s.fx.suppliers), len(s.fx.lots))
	before, err := s.views(ctx)
	if err != nil {
		return err
	}
	s.tr.skip(before)
	s.tr.beginPhase(phasePrepare, s.clock.now())
	coord, coordCh := s.coordinator(), s.rig.CoordChannel().Id
	ev := s.fx.event
	create := fmt.Sprintf(`/guichet event create %s %s "%s" venue="%s" client="%s"`, slug, ev.Day.Format(time.DateOnly), ev.Name, ev.Venue, ev.Client)
	if ev.TimeZone != "" && ev.TimeZone != guichet.DefaultTimeZone {
		create += " tz=" + ev.TimeZone
	}
	if _, err := s.command(ctx, coord, coordCh, create); err != nil {
		return err
	}
	e, err := s.rig.DB().EventBySlug(ctx, slug)
	if err != nil {
		return fmt.Errorf("the event was not created: %w", err)
	}
	s.event = e

	if err := s.dropSheet(ctx, coord, coordCh, "suppliers.csv", []byte(s.fx.suppliersCSV), len(s.fx.suppliers)); err != nil {
		return err
	}
	if err := s.dropSheet(ctx, coord, coordCh, "lots.csv", []byte(s.fx.lotsCSV), len(s.fx.lots)); err != nil {
		return err
	}
	if err := s.until(ctx, waitMessages, "the lots imported", func(ctx context.Context) error {
		lots, err := s.rig.DB().Lots(ctx, e.ID)
		if err != nil {
			return err
		}
		if len(lots) != len(s.fx.lots) {
			return fmt.Errorf("%d lot(s) in the event", len(lots))
		}
		for _, l := range lots {
			s.lots[l.Code] = l.ID
		}
		return nil
	}); err != nil {
		return err
	}
	if _, err := s.command(ctx, coord, coordCh, "/guichet publish"); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// claims: in each structure's channel, one of its members takes what it took in 2011: "Je
// prends" on an exclusive lot, "Je prends une part" and the quantity in the dialog on a shared
// one.
func (s *session) claims(ctx context.Context) error {
	s.progress.step("the structures take their lots: %d clicks in their channels", len(s.fx.takes))
	s.tr.beginPhase(phaseClaims, s.clock.now())
	for _, tk := range s.fx.takes {
		if err := s.take(ctx, tk); err != nil {
			return err
		}
	}
	// The offers are refreshed by the outbox a moment after each claim.
	if err := s.delivered(ctx); err != nil {
		return err
	}
	if _, err := s.command(ctx, s.coordinator(), s.rig.CoordChannel().Id, "/guichet status"); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

func (s *session) take(ctx context.Context, tk take) error {
	sup := s.fx.supplier(tk.Supplier)
	l := s.fx.lot(tk.Lot)
	u := s.rig.User(sup.Members[0])
	ch := s.rig.Channel(sup.Channel)
	label := s.cat.T(s.locale, "BtnClaim", nil)
	if l.Shared {
		label = s.cat.T(s.locale, "BtnShare", nil)
	}
	offer, err := s.waitPost(ctx, u, ch.Id, fmt.Sprintf("the offer of %s in ~%s", l.Code, ch.Name), func(p *model.Post) bool {
		return s.isOffer(p, l) && mmrig.Button(p, label) != nil
	})
	if err != nil {
		return err
	}
	what := s.t("CmdDemoOffer", "Title", s.offerTitle(l))
	if l.Shared {
		d, err := s.clickDialog(ctx, u, offer, label, what, claimDialog)
		if err != nil {
			return err
		}
		// The web app sends a number field as a number.
		err = s.submit(ctx, u, ch.Id, d, map[string]any{"quantity": tk.Quantity},
			s.t("CmdDemoQuantity", "Quantity", tk.Quantity))
		if err != nil {
			return err
		}
	} else if err := s.click(ctx, u, offer, label, what); err != nil {
		return err
	}
	return s.until(ctx, waitDialog, fmt.Sprintf("%s to hold %s", tk.Supplier, tk.Lot), func(ctx context.Context) error {
		st, err := s.rig.DB().LotState(ctx, s.lots[tk.Lot])
		if err != nil {
			return err
		}
		for _, c := range st.Awarded() {
			if c.SupplierName == tk.Supplier && c.Quantity == tk.Quantity {
				return nil
			}
		}
		return fmt.Errorf("lot %s has %d awarded claim(s), none of %s for %d", tk.Lot, len(st.Awarded()), tk.Supplier, tk.Quantity)
	})
}

// reminders: the clock moves to each reminder's time (J-7, then J-1, at 09:00 by default); the
// scheduler sends them, each member reads theirs; at the last one, one member of each
// structure clicks "Je confirme".
func (s *session) reminders(ctx context.Context) error {
	specs, err := guichet.ParseReminders(s.event.Reminders)
	if err != nil {
		return err
	}
	for i, spec := range specs {
		if err := s.reminder(ctx, spec, i == len(specs)-1); err != nil {
			return err
		}
	}
	return nil
}

// reminder plays one reminder of the schedule at the event's current date: the clock moves to
// it, every member reads it, and at the last one each structure confirms.
func (s *session) reminder(ctx context.Context, spec guichet.ReminderSpec, last bool) error {
	due, err := s.event.LocalTime(-spec.DaysBefore, spec.Hour, spec.Minute)
	if err != nil {
		return err
	}
	title := phaseFirst
	if last {
		title = phaseLast
	}
	s.progress.step("%s reminder", spec)
	if err := s.travel(ctx, due); err != nil {
		return err
	}
	s.tr.beginPhase(title, due)
	s.phaseOf[title], s.kindOf[title] = s.tr.phase, spec.Kind()
	if err := s.awaitReminder(ctx, spec.Kind()); err != nil {
		return err
	}
	if last {
		if err := s.confirmAll(ctx); err != nil {
			return err
		}
	}
	return s.endPhase(ctx)
}

// awaitReminder waits until the scheduler has taken every reminder of that kind and every
// member of every structure has a new direct message from the bot.
func (s *session) awaitReminder(ctx context.Context, kind guichet.ReminderKind) error {
	return s.until(ctx, waitMessages, "the "+string(kind)+" reminders in every member's direct messages", func(ctx context.Context) error {
		tally, err := s.rig.DB().ReminderTally(ctx, s.event.ID, kind)
		if err != nil {
			return err
		}
		if tally.Due > 0 {
			return fmt.Errorf("%d reminder(s) not taken yet", tally.Due)
		}
		for _, sup := range s.fx.suppliers {
			for _, m := range sup.Members {
				posts, err := s.newBotPosts(ctx, s.rig.User(m))
				if err != nil {
					return err
				}
				if len(posts) == 0 {
					return fmt.Errorf("@%s has no new direct message yet", m)
				}
			}
		}
		return nil
	})
}

// confirmAll has the first member of each structure click "Je confirme" on the last
// reminder in their direct messages.
func (s *session) confirmAll(ctx context.Context) error {
	label := s.cat.T(s.locale, "BtnReminderConfirm", nil)
	for _, sup := range s.fx.suppliers {
		u := s.rig.User(sup.Members[0])
		posts, err := s.newBotPosts(ctx, u)
		if err != nil {
			return err
		}
		var reminder *model.Post
		for _, p := range posts {
			if mmrig.Button(p, label) != nil {
				reminder = p
			}
		}
		if reminder == nil {
			return fmt.Errorf("@%s's reminder has no %q button", u.Username, label)
		}
		if err := s.click(ctx, u, reminder, label, s.t("CmdDemoReminder")); err != nil {
			return err
		}
	}
	return s.until(ctx, waitMessages, "every structure's confirmation recorded", func(ctx context.Context) error {
		rs, err := s.rig.DB().Confirmations(ctx, s.event.ID)
		if err != nil {
			return err
		}
		n := 0
		for _, r := range rs {
			if r.ConfirmedAt != nil {
				n++
			}
		}
		if n != len(s.fx.suppliers) {
			return fmt.Errorf("%d confirmation(s) of %d", n, len(s.fx.suppliers))
		}
		return nil
	})
}

// alert: the evening before, the coordinator is told whether every structure confirmed.
func (s *session) alert(ctx context.Context) error {
	spec, err := scheduler.ParseOffset(unconfirmedAlert)
	if err != nil {
		return err
	}
	at, err := s.event.LocalTime(-spec.DaysBefore, spec.Hour, spec.Minute)
	if err != nil {
		return err
	}
	s.progress.step("the evening before (%s): who has not confirmed?", unconfirmedAlert)
	if err := s.travel(ctx, at); err != nil {
		return err
	}
	s.tr.beginPhase(phaseAlert, at)
	if err := s.unconfirmedAlertDone(ctx); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// eventDay: on the morning of the event, the coordinator looks at the board and a member at
// their lots.
func (s *session) eventDay(ctx context.Context) error {
	at, err := s.event.LocalTime(0, 8, 0)
	if err != nil {
		return err
	}
	s.progress.step("the event's day")
	if err := s.travel(ctx, at); err != nil {
		return err
	}
	s.tr.beginPhase(phaseDay, at)
	if _, err := s.command(ctx, s.coordinator(), s.rig.CoordChannel().Id, "/guichet status"); err != nil {
		return err
	}
	first := s.fx.suppliers[0]
	if _, err := s.command(ctx, s.rig.User(first.Members[0]), s.rig.Channel(first.Channel).Id, "/guichet meslots"); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// recap: the day after, the bot shows the coordinators a draft of the recap; the coordinator
// clicks « Publier le bilan » and the bot posts the recap with its chart and CSV.
func (s *session) recap(ctx context.Context) error {
	spec, err := scheduler.ParseOffset(recapAt)
	if err != nil {
		return err
	}
	at, err := s.event.LocalTime(-spec.DaysBefore, spec.Hour, spec.Minute)
	if err != nil {
		return err
	}
	s.progress.step("the day after (%s): the recap", recapAt)
	if err := s.travel(ctx, at); err != nil {
		return err
	}
	s.tr.beginPhase(phaseRecap, at)
	// The bot shows the coordinators a draft; the coordinator reads it and publishes it.
	label := s.cat.T(s.locale, "BtnDraftrecapPublish", nil)
	coord := s.coordinator()
	draft, err := s.waitPost(ctx, coord, s.rig.CoordChannel().Id, "the recap's draft", func(p *model.Post) bool {
		return mmrig.Button(p, label) != nil
	})
	if err != nil {
		return err
	}
	if err := s.click(ctx, coord, draft, label, s.t("CmdDraftrecapDemoDraft")); err != nil {
		return err
	}
	if err := s.until(ctx, waitMessages, "the recap posted", func(ctx context.Context) error {
		e, err := s.rig.DB().Event(ctx, s.event.ID)
		if err != nil {
			return err
		}
		if e.Status != guichet.EventRecapped {
			return fmt.Errorf("the event is %s", e.Status)
		}
		return nil
	}); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// unconfirmedAlertDone waits until the scheduler has passed the event's unconfirmed alert.
func (s *session) unconfirmedAlertDone(ctx context.Context) error {
	return s.until(ctx, waitMessages, "the unconfirmed alert", func(ctx context.Context) error {
		done, err := s.rig.DB().UnconfirmedAlertDone(ctx, s.event.ID)
		if err != nil {
			return err
		}
		if !done {
			return fmt.Errorf("not yet")
		}
		return nil
	})
}

// dayLabel writes the event's day as people of the locale write it.
func (s *session) dayLabel() string {
	e := guichet.Event{Day: s.fx.event.Day, TimeZone: s.fx.event.TimeZone}
	return l10n.EventDay(&e, s.locale)
}
