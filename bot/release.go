package bot

import (
	"context"
	"strconv"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// actionRelease is the « Libérer » button: a member gives back their structure's claim on a
// lot, from the notice of a claim taken for it or from `mylots`.
const actionRelease = "claimrelease"

// releaseAttachment returns the attachment carrying the « Libérer » button for the supplier's
// claim on the lot.
func (b *Bot) releaseAttachment(loc string, lotID, supplierID int64) *model.MessageAttachment {
	fields := map[string]string{"lot": strconv.FormatInt(lotID, 10), "supplier": strconv.FormatInt(supplierID, 10)}
	return &model.MessageAttachment{Actions: []*model.PostAction{
		b.ActionButton(b.t(loc, "BtnOnbehalfRelease"), actionRelease, "danger", fields, ""),
	}}
}

// fromReply marks the « Libérer » buttons of a command's private answer (mylots). Mattermost
// (6.7.2, app/post.go SendEphemeralPost) gives the buttons of such an ephemeral answer a
// cookie holding their integration, which the click sends back (DoPostActionWithCookie), so
// they reach the bot like any other; but the answer is not stored and cannot be edited (an
// Update would fail the click), so the click is answered privately and the answer stays.
const fromReply = "reply"

// releaseButtons renders a command answer's « Libérer » buttons, one attachment per share,
// each valid for userID only.
func (b *Bot) releaseButtons(buttons []guichet.ReleaseButton, userID string) []*model.MessageAttachment {
	var out []*model.MessageAttachment
	for _, r := range buttons {
		fields := map[string]string{"lot": strconv.FormatInt(r.LotID, 10), "supplier": strconv.FormatInt(r.SupplierID, 10), "from": fromReply}
		out = append(out, &model.MessageAttachment{Text: harmlessText(r.Text), Actions: []*model.PostAction{
			b.ActionButton(r.Label, actionRelease, "danger", fields, userID),
		}})
	}
	return out
}

// releaseClicked handles « Libérer »: the clicker, a member of the structure the button was
// issued for, gives back its claim on the lot (Store.Withdraw: the same rule and the same
// notices as `/guichet libérer`). The clicked post then says who released and loses its
// button (a command's private answer, which cannot be edited, stays as it is); a refusal (nothing held any more, the event over) is answered privately.
func (b *Bot) releaseClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	lotID, err := lotOf(req.Fields)
	supplierID, serr := strconv.ParseInt(req.Fields["supplier"], 10, 64)
	if err != nil || serr != nil || supplierID <= 0 {
		return ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	st, ev, loc, err := b.lotView(ctx, lotID)
	if err != nil {
		return ActionReply{}, err
	}
	s, err := b.access.SupplierFor(ctx, req.Actor, supplierID)
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	c, err := b.store.Withdraw(ctx, req.Actor, lotID, s.ID, "")
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	args := map[string]any{"Actor": req.Actor.Username, "Supplier": s.Name, "Code": st.Lot.Code, "Title": st.Lot.Title,
		"Quantity": c.Quantity, "Unit": st.Lot.Unit, "Event": ev.Name}
	if req.Fields["from"] == fromReply {
		return ActionReply{Ephemeral: b.catalog.T(loc, "MsgOnbehalfReleased", args)}, nil
	}
	update := &model.Post{Id: req.PostID, ChannelId: req.ChannelID, Message: b.catalog.T(loc, "MsgOnbehalfReleasedPost", args)}
	// Props left nil would keep the post's old ones, the button with them.
	update.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	return ActionReply{Update: update, Ephemeral: b.catalog.T(loc, "MsgOnbehalfReleased", args)}, nil
}

// withReleaseButton adds the « Libérer » button to a notice that asks for one.
func (b *Bot) withReleaseButton(post *model.Post, p guichet.OutboxPayload, loc string) {
	if p.ReleaseSupplierID == 0 || p.LotID == 0 {
		return
	}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{b.releaseAttachment(loc, p.LotID, p.ReleaseSupplierID)})
}
