package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// claimDialog is the callback id of the dialog that takes a lot or a share of it.
const claimDialog = "bot.claim"

// Fields of the claim dialog.
const (
	fieldQuantity = "quantity"
	fieldNote     = "note"
	fieldSupplier = "supplier"
)

// lotOf reads the lot id a button was issued for.
func lotOf(fields map[string]string) (int64, error) {
	id, err := strconv.ParseInt(fields["lot"], 10, 64)
	if err != nil || id <= 0 {
		return 0, errNoLot
	}
	return id, nil
}

// claimClicked handles "Je prends": the clicker's structure takes the whole lot (first-come) or
// applies for it (review). A member of several structures serving the lot's category gets a
// dialog to choose. The answer confirms privately (the outbox refreshes the offer); a refusal
// ("déjà attribué à …") is private and changes nothing.
func (b *Bot) claimClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	return b.takeClicked(ctx, req, false)
}

// shareClicked handles "Je prends une part": it opens the dialog asking the quantity and a
// note (and the structure, for a member of several).
func (b *Bot) shareClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	return b.takeClicked(ctx, req, true)
}

func (b *Bot) takeClicked(ctx context.Context, req ActionRequest, share bool) (ActionReply, error) {
	lotID, err := lotOf(req.Fields)
	if err != nil {
		return ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	if !share {
		// The common case, a member of one structure taking a lot, claims straight away: the
		// claim checks everything (membership, the lot still open, what is left), so nothing
		// needs reading first.
		if sups, err := b.access.SuppliersOf(ctx, req.Actor); err == nil && len(sups) == 1 {
			return b.claimNow(ctx, req, lotID, sups[0], nil, nil)
		}
	}
	st, ev, loc, err := b.lotView(ctx, lotID)
	if err != nil {
		return ActionReply{}, err
	}
	if share {
		if err := b.claimRefusal(st, ev); err != nil {
			b.metrics.claim("refused")
			return b.refusal(st, ev, req.ChannelID, loc, err), nil
		}
	}
	sups, err := b.access.SuppliersOf(ctx, req.Actor)
	if err != nil {
		b.metrics.claim("refused")
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	cands := candidates(sups, st.Lot)
	if share || len(cands) > 1 {
		// The trigger id lives 3 seconds: open the dialog before anything slow.
		if err := b.openClaimDialog(ctx, req, st, cands, share, loc); err != nil {
			return ActionReply{Ephemeral: b.personError(loc, err)}, nil
		}
		return ActionReply{}, nil
	}
	return b.claimNow(ctx, req, lotID, cands[0], st, ev)
}

// claimNow claims the lot for the structure and answers the click. A claim is confirmed
// privately and the offer left as it is: the claim queued the refresh of every copy of the
// offer, the clicked one included, which the outbox delivers a moment later, rendered from the
// database. A refusal says why privately and re-renders the clicked offer when its buttons no
// longer apply. st and ev, when the caller has read them, spare reading the event again on
// refusal (the lot is read again, fresh).
func (b *Bot) claimNow(ctx context.Context, req ActionRequest, lotID int64, sup *guichet.Supplier, st *guichet.LotState, ev *guichet.Event) (ActionReply, error) {
	res, err := b.store.Claim(ctx, guichet.ClaimRequest{Actor: req.Actor, LotID: lotID, SupplierID: sup.ID}, b.now())
	b.countClaim(res, err)
	if err == nil {
		loc := b.locale
		if res.Locale != "" {
			loc = l10n.Locale(res.Locale)
		}
		return ActionReply{Ephemeral: b.claimMessage(res, loc)}, nil
	}
	if ev == nil {
		st, ev, loc, ferr := b.lotView(ctx, lotID)
		if ferr != nil {
			return ActionReply{}, err
		}
		return b.refusal(st, ev, req.ChannelID, loc, err), nil
	}
	if fresh, ferr := b.store.LotState(ctx, lotID); ferr == nil {
		st = fresh
	}
	return b.refusal(st, ev, req.ChannelID, b.eventLocale(ev), err), nil
}

// lotView reads the lot with its claims, then its event, and returns them with the language of
// the event's messages; the first error stops it.
func (b *Bot) lotView(ctx context.Context, lotID int64) (*guichet.LotState, *guichet.Event, string, error) {
	st, err := b.store.LotState(ctx, lotID)
	if err != nil {
		return nil, nil, "", err
	}
	ev, err := b.store.Event(ctx, st.Lot.EventID)
	if err != nil {
		return nil, nil, "", err
	}
	return st, ev, b.eventLocale(ev), nil
}

// refusal answers a click that changed nothing: the reason privately, and the offer
// re-rendered when the clicker was looking at buttons that no longer apply. Mattermost applies
// that update to the post for every member of the channel, so a copy is re-rendered this way
// at most once per b.editGap: when hundreds click a lot just taken, the first refusal shows it
// taken and the rest only answer (the claim's own refresh of every copy follows anyway).
func (b *Bot) refusal(st *guichet.LotState, ev *guichet.Event, channelID, loc string, err error) ActionReply {
	r := ActionReply{Ephemeral: b.personError(loc, err)}
	if b.waitlistOpen(st, ev) {
		r.Ephemeral += " " + b.t(loc, "MsgWaitlistHint")
	}
	if !b.claimable(st, ev) && b.edits.allow(refusalKey(st.Lot.ID, channelID), b.outboxNow(), b.editGap) {
		r.Update = b.OfferPost(st, ev, channelID)
	}
	return r
}

// refusalKey names, in the edit gate, the re-rendering of lot lotID's copy in channelID for a
// refused click.
func refusalKey(lotID int64, channelID string) string {
	return "refusal:" + strconv.FormatInt(lotID, 10) + ":" + channelID
}

// offerClick is what a click on an offer's button reads (readOfferClick): the lot with its
// claims, its event, their language, and the clicker's structures serving the lot's category.
type offerClick struct {
	lotID int64
	st    *guichet.LotState
	ev    *guichet.Event
	loc   string
	cands []*guichet.Supplier
}

// readOfferClick reads what a click on an offer needs. A button whose lot cannot be read from
// its fields, or a clicker who is a member of no structure, gets a non-nil reply to answer
// with privately; an error reading the lot is returned with an empty reply.
func (b *Bot) readOfferClick(ctx context.Context, req ActionRequest) (*offerClick, *ActionReply, error) {
	lotID, err := lotOf(req.Fields)
	if err != nil {
		return nil, &ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	st, ev, loc, err := b.lotView(ctx, lotID)
	if err != nil {
		return nil, &ActionReply{}, err
	}
	sups, err := b.access.SuppliersOf(ctx, req.Actor)
	if err != nil {
		return nil, &ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	return &offerClick{lotID: lotID, st: st, ev: ev, loc: loc, cands: candidates(sups, st.Lot)}, nil, nil
}

// inChannel returns the structures among sups whose channel is channelID (the one a button
// was clicked in), none when no such structure.
func inChannel(sups []*guichet.Supplier, channelID string) []*guichet.Supplier {
	var out []*guichet.Supplier
	for _, s := range sups {
		if s.ChannelID != "" && s.ChannelID == channelID {
			out = append(out, s)
		}
	}
	return out
}

// candidates returns the clicker's structures that may take the lot: those serving its
// category, or all of them when none does (the coordination may have offered it more widely).
func candidates(sups []*guichet.Supplier, lot *guichet.Lot) []*guichet.Supplier {
	var serving []*guichet.Supplier
	for _, s := range sups {
		if s.Serves(lot.Category) {
			serving = append(serving, s)
		}
	}
	if len(serving) == 0 {
		return sups
	}
	return serving
}

// claimMessage is the private confirmation of a claim.
func (b *Bot) claimMessage(res *guichet.ClaimResult, loc string) string {
	return b.catalog.T(loc, res.MessageID(), res.MessageArgs())
}

func (b *Bot) countClaim(res *guichet.ClaimResult, err error) {
	switch {
	case err != nil:
		b.metrics.claim(guichet.ErrorCode(err))
	case res.Existing:
		b.metrics.claim("existing")
	case res.Claim.Status == guichet.ClaimPending:
		b.metrics.claim("candidacy")
	default:
		b.metrics.claim("awarded")
	}
}

// claimState is what the claim dialog carries (signed) from the click to the submission.
type claimState struct {
	LotID int64 `json:"lot"`
}

func (b *Bot) openClaimDialog(ctx context.Context, req ActionRequest, st *guichet.LotState, cands []*guichet.Supplier, share bool, loc string) error {
	lot := st.Lot
	state, _ := json.Marshal(claimState{LotID: lot.ID})
	d := guichet.Dialog{
		CallbackID:  claimDialog,
		Title:       b.t(loc, "DialogClaimTitle"),
		SubmitLabel: b.t(loc, "DialogSubmit"),
		State:       string(state),
		IntroductionText: b.t(loc, "DialogClaimIntro", "Code", lot.Code, "Title", lot.Title,
			"Quantity", lot.Quantity, "Unit", lot.Unit),
	}
	if share {
		left := st.Free()
		d.Title = b.t(loc, "DialogShareTitle")
		d.IntroductionText = b.t(loc, "DialogShareIntro", "Code", lot.Code, "Title", lot.Title,
			"Remaining", left, "Quantity", lot.Quantity, "Unit", lot.Unit)
		d.Elements = append(d.Elements,
			guichet.DialogElement{Name: fieldQuantity, DisplayName: b.t(loc, "DialogFieldQuantity"), Type: "text",
				SubType: "number", Default: strconv.FormatInt(left, 10), MaxLength: 7,
				HelpText: b.t(loc, "DialogHelpQuantity", "Remaining", left, "Unit", lot.Unit)},
			guichet.DialogElement{Name: fieldNote, DisplayName: b.t(loc, "DialogFieldNote"), Type: "textarea",
				Optional: true, MaxLength: guichet.MaxNoteLength, HelpText: b.t(loc, "DialogHelpNote")})
	}
	if len(cands) > 1 {
		sel := guichet.DialogElement{Name: fieldSupplier, DisplayName: b.t(loc, "DialogFieldSupplier"), Type: "select",
			HelpText: b.t(loc, "DialogHelpSupplier")}
		for _, s := range cands {
			sel.Options = append(sel.Options, guichet.DialogOption{Text: s.Name, Value: strconv.FormatInt(s.ID, 10)})
			// The structure whose channel the offer was clicked in is the likely one.
			if s.ChannelID == req.ChannelID && s.ChannelID != "" {
				sel.Default = strconv.FormatInt(s.ID, 10)
			}
		}
		d.Elements = append(d.Elements, sel)
	}
	return b.OpenDialog(ctx, req.TriggerID, req.Actor.UserID, d)
}

// claimSubmitted handles the claim dialog: it checks the quantity and the structure, claims,
// and confirms by direct message (a dialog has no private answer of its own). Errors keep the
// dialog open with the message under the field concerned.
func (b *Bot) claimSubmitted(ctx context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
	errField := fieldQuantity
	if _, ok := sub.Submission[fieldQuantity]; !ok {
		errField = fieldSupplier
	}
	fail := func(field, msg string) guichet.DialogReply {
		return guichet.DialogReply{Errors: map[string]string{field: msg}}
	}
	var state claimState
	if err := json.Unmarshal([]byte(sub.State), &state); err != nil || state.LotID <= 0 {
		return fail(errField, b.t(b.locale, "MsgDialogGone"))
	}
	st, ev, loc, err := b.lotView(ctx, state.LotID)
	if err != nil {
		return fail(errField, b.personError(b.locale, err))
	}

	var qty int64
	if raw, ok := sub.Submission[fieldQuantity]; ok {
		text := strings.TrimSpace(fmt.Sprint(raw))
		max := st.Free()
		if max < 1 {
			max = st.Lot.Quantity
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n < 1 || n > guichet.MaxQuantity {
			return fail(fieldQuantity, b.t(loc, "DialogBadQuantity", "Value", text, "Max", max))
		}
		qty = n
	}
	note, _ := sub.Submission[fieldNote].(string)
	if err := guichet.ClaimNote.Check(strings.TrimSpace(note)); err != nil {
		return fail(fieldNote, b.catalog.Error(loc, err))
	}

	var supplier *guichet.Supplier
	if raw, ok := sub.Submission[fieldSupplier]; ok {
		id, err := strconv.ParseInt(strings.TrimSpace(fmt.Sprint(raw)), 10, 64)
		if err == nil {
			supplier, err = b.access.SupplierFor(ctx, sub.Actor, id)
		}
		if err != nil {
			if guichet.ErrorCode(err) == guichet.EINTERNAL {
				return fail(fieldSupplier, b.personError(loc, err))
			}
			return fail(fieldSupplier, b.t(loc, "DialogBadSupplier"))
		}
	} else {
		sups, err := b.access.SuppliersOf(ctx, sub.Actor)
		if err != nil {
			return fail(errField, b.personError(loc, err))
		}
		cands := candidates(sups, st.Lot)
		if len(cands) != 1 {
			return fail(errField, b.t(loc, "MsgDialogGone"))
		}
		supplier = cands[0]
	}

	// A new claim's direct message is queued by the claim's own write (Confirm), so that
	// nothing between the two can leave the claim made and the member not told.
	res, err := b.store.Claim(ctx, guichet.ClaimRequest{Actor: sub.Actor, LotID: st.Lot.ID, SupplierID: supplier.ID,
		Quantity: qty, Note: note, Confirm: true}, b.now())
	b.countClaim(res, err)
	if err != nil {
		field := errField
		switch {
		case errors.Is(err, guichet.ErrNotMember), errors.Is(err, guichet.ErrNoSupplier):
			if _, ok := sub.Submission[fieldSupplier]; ok {
				field = fieldSupplier
			}
		case errors.Is(err, guichet.ErrClaimNoteTooLong):
			if _, ok := sub.Submission[fieldNote]; ok {
				field = fieldNote
			}
		}
		return fail(field, b.personError(loc, err))
	}
	if !res.Existing {
		return guichet.DialogReply{}
	}
	// Nothing changed, which the member is told as the claim was: by direct message, queued
	// even when the request's time ran out.
	qctx, cancel := guichet.AfterChange(ctx)
	defer cancel()
	if err := b.store.Enqueue(qctx, guichet.OutboxNotice, guichet.OutboxPayload{
		UserID: sub.Actor.UserID, EventID: ev.ID, Locale: loc, MessageID: res.MessageID(), Args: res.MessageArgs(),
	}); err != nil {
		b.logger.Error("queueing the answer to a claim already there", "user_id", sub.Actor.UserID, "error", err)
	}
	return guichet.DialogReply{}
}
