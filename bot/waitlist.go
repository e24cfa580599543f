package bot

import (
	"context"
	"errors"
	"strconv"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// Actions of the waitlist's buttons.
const (
	// actionWaitJoin is « Me mettre en liste d'attente » on a full first-come offer.
	actionWaitJoin = "waitjoin"
	// actionWaitAccept is « J'accepte » on the direct message offering a freed place.
	actionWaitAccept = "waitaccept"
)

// waitlistOpen reports whether the offer shows « Me mettre en liste d'attente »: the lot is
// first-come, its event and the lot itself still take claims, and nothing is left to take
// (LotState.Claimable refuses with ErrLotFull or ErrLotTaken), or what is free is held for
// structures already in line (ErrLotHeld).
func (b *Bot) waitlistOpen(st *guichet.LotState, ev *guichet.Event) bool {
	if st == nil || st.Lot.Award != guichet.FirstCome {
		return false
	}
	err := b.claimRefusal(st, ev)
	return errors.Is(err, guichet.ErrLotFull) || errors.Is(err, guichet.ErrLotTaken) || errors.Is(err, guichet.ErrLotHeld)
}

// waitJoinClicked handles « Me mettre en liste d'attente »: the clicker's structure (the one
// whose channel the offer is in, else the one serving the lot's category; a member of several
// such is asked to use the channel of the one concerned) joins the lot's line, and is told its
// place privately.
func (b *Bot) waitJoinClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	click, reply, err := b.readOfferClick(ctx, req)
	if reply != nil || err != nil {
		return *reply, err
	}
	lotID, st, loc, cands := click.lotID, click.st, click.loc, click.cands
	if len(cands) == 0 {
		return ActionReply{Ephemeral: b.personError(loc, guichet.Errorf(guichet.EFORBIDDEN, "ErrNoSupplier"))}, nil
	}
	sup := cands[0]
	if here := inChannel(cands, req.ChannelID); len(here) > 0 {
		sup = here[len(here)-1]
	}
	place, err := b.store.JoinWaitlist(ctx, req.Actor, lotID, sup.ID, b.now())
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	return ActionReply{Ephemeral: b.t(loc, "MsgWaitlistJoined", "Supplier", sup.Name, "Code", st.Lot.Code, "Place", place)}, nil
}

// waitAcceptClicked handles « J'accepte »: a member of the structure the offer was made to
// takes the lot (Store.AcceptWaitlistOffer, decided by the claim's one rule). The direct
// message then says who accepted and loses its button; a lot full again, an offer expired or
// gone, are answered privately.
func (b *Bot) waitAcceptClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	lotID, err := lotOf(req.Fields)
	supplierID, serr := strconv.ParseInt(req.Fields["supplier"], 10, 64)
	if err != nil || serr != nil || supplierID <= 0 {
		return ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	st, _, loc, err := b.lotView(ctx, lotID)
	if err != nil {
		return ActionReply{}, err
	}
	s, err := b.access.SupplierFor(ctx, req.Actor, supplierID)
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	ans, err := b.store.AcceptWaitlistOffer(ctx, req.Actor, lotID, s.ID, b.now())
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	if ans.Full {
		return ActionReply{Ephemeral: b.t(loc, "MsgWaitlistFullAgain", "Code", st.Lot.Code, "Supplier", s.Name)}, nil
	}
	msg := b.t(loc, "MsgWaitlistAcceptedPost", "Actor", req.Actor.Username, "Supplier", s.Name, "Code", st.Lot.Code,
		"Title", st.Lot.Title, "Quantity", ans.Claim.Quantity, "Unit", st.Lot.Unit, "Amount", ans.Claim.Amount)
	update := &model.Post{Id: req.PostID, ChannelId: req.ChannelID, Message: msg}
	// Props left nil would keep the post's old ones, the button with them.
	update.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	return ActionReply{Update: update, Ephemeral: msg}, nil
}

// withWaitlistButton adds « J'accepte » to a notice offering a lot from its line.
func (b *Bot) withWaitlistButton(post *model.Post, p guichet.OutboxPayload, loc string) {
	if p.WaitlistSupplierID == 0 || p.LotID == 0 {
		return
	}
	fields := map[string]string{"lot": strconv.FormatInt(p.LotID, 10), "supplier": strconv.FormatInt(p.WaitlistSupplierID, 10)}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{Actions: []*model.PostAction{
		b.ActionButton(b.t(loc, "BtnWaitlistAccept"), actionWaitAccept, "primary", fields, ""),
	}}})
}
