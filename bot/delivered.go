package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// The buttons and the dialog of « Livré comme prévu ? », asked on J+1 of each structure
// holding an awarded share (db: askDeliveries).
const (
	actionDeliveredYes = "deliveredyes"
	actionDeliveredGap = "deliveredgap"
	// deliveredDialog is the callback id of the « Un écart » dialog.
	deliveredDialog = "bot.delivered"

	fieldDelivered        = "delivered"
	fieldDeliveredComment = "comment"
)

// withDeliveryButtons adds « Oui » and « Un écart » to a notice that asks for them.
func (b *Bot) withDeliveryButtons(post *model.Post, p guichet.OutboxPayload, loc string) {
	if p.DeliverySupplierID == 0 || p.LotID == 0 {
		return
	}
	fields := map[string]string{"lot": strconv.FormatInt(p.LotID, 10), "supplier": strconv.FormatInt(p.DeliverySupplierID, 10)}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{Actions: []*model.PostAction{
		b.ActionButton(b.t(loc, "BtnDeliveredYes"), actionDeliveredYes, "primary", fields, ""),
		b.ActionButton(b.t(loc, "BtnDeliveredGap"), actionDeliveredGap, "default", fields, ""),
	}}})
}

// deliveryTarget reads the lot and the structure a delivery button was issued for, and checks
// that the clicker is one of the structure's members.
func (b *Bot) deliveryTarget(ctx context.Context, req ActionRequest) (*guichet.LotState, *guichet.Supplier, string, string, error) {
	lotID, err := lotOf(req.Fields)
	supplierID, serr := strconv.ParseInt(req.Fields["supplier"], 10, 64)
	if err != nil || serr != nil || supplierID <= 0 {
		return nil, nil, "", b.t(b.locale, "MsgButtonGone"), nil
	}
	st, _, loc, err := b.lotView(ctx, lotID)
	if err != nil {
		return nil, nil, "", "", err
	}
	s, err := b.access.SupplierFor(ctx, req.Actor, supplierID)
	if err != nil {
		return nil, nil, "", b.personError(loc, err), nil
	}
	return st, s, loc, "", nil
}

// deliveredYesClicked records « Oui »: the whole share was delivered. The question's post then
// says so, without its buttons; a refusal is answered privately.
func (b *Bot) deliveredYesClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	st, s, loc, refusal, err := b.deliveryTarget(ctx, req)
	if err != nil || refusal != "" {
		return ActionReply{Ephemeral: refusal}, err
	}
	_, c, err := b.store.ReportDelivery(ctx, req.Actor, st.Lot.ID, s.ID, guichet.DeliveryReport{AsPlanned: true}, b.now())
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	update := b.deliveredPost(req.ChannelID, req.PostID, b.catalog.T(loc, "MsgDeliveredAsPlannedPost", map[string]any{
		"Actor": req.Actor.Username, "Supplier": s.Name, "Code": st.Lot.Code, "Title": st.Lot.Title,
		"Quantity": c.Quantity, "Unit": st.Lot.Unit}))
	return ActionReply{Update: update, Ephemeral: b.t(loc, "MsgDeliveredThanks")}, nil
}

// deliveredPost is the question's post once answered: text only, its buttons gone.
func (b *Bot) deliveredPost(channelID, postID, text string) *model.Post {
	post := &model.Post{Id: postID, ChannelId: channelID, Message: text}
	// Props left nil would keep the post's old ones, the buttons with them.
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	return post
}

// deliveredState is what the « Un écart » dialog carries (signed) from the click to the
// submission.
type deliveredState struct {
	LotID      int64  `json:"lot"`
	SupplierID int64  `json:"supplier"`
	ChannelID  string `json:"channel"`
	PostID     string `json:"post"`
}

// deliveredGapClicked opens the « Un écart » dialog at once (its trigger lives 3 seconds):
// the quantity delivered, the awarded one by default, and a comment.
func (b *Bot) deliveredGapClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	st, s, loc, refusal, err := b.deliveryTarget(ctx, req)
	if err != nil || refusal != "" {
		return ActionReply{Ephemeral: refusal}, err
	}
	c := st.ActiveClaim(s.ID)
	if c == nil || c.Status != guichet.ClaimAwarded {
		return ActionReply{Ephemeral: b.personError(loc, guichet.Errorf(guichet.ECONFLICT, "ErrDeliveredNoShare",
			"Supplier", s.Name, "Code", st.Lot.Code))}, nil
	}
	state, _ := json.Marshal(deliveredState{LotID: st.Lot.ID, SupplierID: s.ID, ChannelID: req.ChannelID, PostID: req.PostID})
	err = b.OpenDialog(ctx, req.TriggerID, req.Actor.UserID, guichet.Dialog{
		CallbackID:  deliveredDialog,
		Title:       b.t(loc, "DialogDeliveredTitle"),
		SubmitLabel: b.t(loc, "DialogDeliveredSubmit"),
		State:       string(state),
		IntroductionText: b.t(loc, "DialogDeliveredIntro", "Supplier", s.Name, "Code", st.Lot.Code, "Title", st.Lot.Title,
			"Quantity", c.Quantity, "Unit", st.Lot.Unit),
		Elements: []guichet.DialogElement{
			{Name: fieldDelivered, DisplayName: b.t(loc, "DialogDeliveredQuantity"), Type: "text", SubType: "number",
				Default: strconv.FormatInt(c.Quantity, 10), MaxLength: 7, HelpText: b.t(loc, "DialogDeliveredQuantityHelp")},
			{Name: fieldDeliveredComment, DisplayName: b.t(loc, "DialogDeliveredComment"), Type: "textarea", Optional: true,
				MaxLength: guichet.MaxNoteLength, HelpText: b.t(loc, "DialogDeliveredCommentHelp")},
		},
	})
	return ActionReply{}, err
}

// deliveredSubmitted records the quantity and comment typed in the « Un écart » dialog (a gap
// is told to the coordination channel) and redraws the question's post with the answer.
// A quantity that does not parse, or a comment too long, keeps the dialog open with the reason
// under the field.
func (b *Bot) deliveredSubmitted(ctx context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
	if sub.Cancelled {
		return guichet.DialogReply{}
	}
	fail := func(field, msg string) guichet.DialogReply {
		return guichet.DialogReply{Errors: map[string]string{field: msg}}
	}
	var state deliveredState
	if err := json.Unmarshal([]byte(sub.State), &state); err != nil || state.LotID <= 0 || state.SupplierID <= 0 {
		return fail(fieldDelivered, b.t(b.locale, "MsgDialogGone"))
	}
	st, _, loc, err := b.lotView(ctx, state.LotID)
	if err != nil {
		return fail(fieldDelivered, b.personError(b.locale, err))
	}
	s, err := b.access.SupplierFor(ctx, sub.Actor, state.SupplierID)
	if err != nil {
		return fail(fieldDelivered, b.personError(loc, err))
	}
	text := strings.TrimSpace(fmt.Sprint(sub.Submission[fieldDelivered]))
	qty, err := strconv.ParseInt(text, 10, 64)
	if err != nil || qty < 0 || qty > guichet.MaxQuantity {
		return fail(fieldDelivered, b.t(loc, "ErrDeliveredQuantity", "Value", text))
	}
	comment, _ := sub.Submission[fieldDeliveredComment].(string)
	if err := guichet.DeliveryComment.Check(strings.TrimSpace(comment)); err != nil {
		return fail(fieldDeliveredComment, b.catalog.Error(loc, err))
	}
	dl, c, err := b.store.ReportDelivery(ctx, sub.Actor, st.Lot.ID, s.ID, guichet.DeliveryReport{Quantity: qty, Comment: comment}, b.now())
	if err != nil {
		return fail(fieldDelivered, b.personError(loc, err))
	}
	if state.PostID != "" {
		post := b.deliveredPost(state.ChannelID, state.PostID, b.catalog.T(loc, "MsgDeliveredGapPost", map[string]any{
			"Actor": sub.Actor.Username, "Supplier": s.Name, "Code": st.Lot.Code, "Title": st.Lot.Title,
			"Quantity": c.Quantity, "Delivered": *dl.Quantity, "Unit": st.Lot.Unit, "Comment": dl.Comment}))
		if _, err := b.client.UpdatePost(ctx, post); err != nil {
			// The delivery is recorded and the coordination told; only the redraw failed.
			b.logger.Warn("redrawing a delivery question", "lot_id", st.Lot.ID, "error", err)
		}
	}
	return guichet.DialogReply{}
}
