package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

// actionOrderAccept is « J'accepte le bon de commande » under a purchase order's PDF.
const actionOrderAccept = "orderaccept"

// SyncOrders makes every structure's purchase order for the event agree with its shares
// (Store.SyncOrder), before the board is rendered: the board is refreshed after every change of
// an event's lots and claims (an award, a release, a lot edit, a cancellation), so this is the
// one place where orders follow them. An order that cannot be made for want of the issuer's or
// the structure's legal details is not made: the coordinators are told once what is missing
// (Store.BlockOrder), and the order is made at the next refresh of the board after the details
// are completed (any change on the event, or `status`). A network that issues no documents
// (no [issuer] name nor SIRET in the configuration) gets no orders, and no notice.
func (b *Bot) SyncOrders(ctx context.Context, eventID int64) error {
	if !b.issuesDocuments() {
		return nil
	}
	bases, err := b.store.OrderBases(ctx, eventID)
	if err != nil || len(bases) == 0 {
		return err
	}
	ev := bases[0].Event
	loc := b.eventLocale(ev)
	if missing := issuerMissing(b.issuer); len(missing) > 0 {
		return b.store.BlockOrder(ctx, ev.ID, 0, strings.Join(missing, ","), guichet.OutboxPayload{
			ChannelID: ev.CoordChannelID, EventID: ev.ID, MessageID: "NoticeOrderIssuerMissing",
			Args: map[string]any{"Missing": b.fieldNames(loc, missing)}})
	}
	// One structure's failure does not keep the others' orders from being made.
	var errs []error
	for _, basis := range bases {
		s := basis.Supplier
		if missing := s.Missing(); len(missing) > 0 {
			if err := b.store.BlockOrder(ctx, ev.ID, s.ID, strings.Join(missing, ","), guichet.OutboxPayload{
				ChannelID: ev.CoordChannelID, EventID: ev.ID, MessageID: "NoticeOrderMissing",
				Args: map[string]any{"Supplier": s.Name, "Slug": s.Slug, "Missing": b.fieldNames(loc, missing)}}); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if _, _, err := b.store.SyncOrder(ctx, ev.ID, s.ID, b.orderDraft); err != nil {
			errs = append(errs, fmt.Errorf("order of %s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// issuesDocuments reports whether the configuration names an issuer (its name or SIRET): only
// then does the bot make purchase orders.
func (b *Bot) issuesDocuments() bool {
	return strings.TrimSpace(b.issuer.Name) != "" || b.issuer.SIRET != ""
}

// issuerMissing lists what the issuer lacks for a purchase order, by configuration key.
func issuerMissing(is guichet.Issuer) []string {
	var out []string
	if strings.TrimSpace(is.Name) == "" {
		out = append(out, "name")
	}
	for _, m := range is.Missing() {
		if m != "kind" { // the issuer's kind is not printed
			out = append(out, m)
		}
	}
	return out
}

// orderFieldIDs are the messages naming the legal details an order needs, by key
// (guichet.LegalProfile.Missing, issuerMissing).
var orderFieldIDs = map[string]string{
	"name": "MsgOrderFieldname", "siret": "MsgOrderFieldsiret", "legal_form": "MsgOrderFieldlegalform",
	"kind": "MsgOrderFieldkind", "vat_regime": "MsgOrderFieldvatregime", "address": "MsgOrderFieldaddress",
}

// fieldNames writes the keys of missing legal details as people read them.
func (b *Bot) fieldNames(loc string, keys []string) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		if id, ok := orderFieldIDs[k]; ok {
			names[i] = b.t(loc, id)
		} else {
			names[i] = k
		}
	}
	return strings.Join(names, ", ")
}

// OrderDocument returns the purchase order the basis makes, without its number: a line per
// share (VAT under the structure's profile), the day, slot and place of each share, the issuer
// and the mentions (the VAT mention of the structure's regime, the late payment mention).
func (b *Bot) OrderDocument(basis *guichet.OrderBasis) *desk.Document {
	ev, s := basis.Event, basis.Supplier
	loc := b.eventLocale(ev)
	zone, err := ev.Location()
	if err != nil {
		zone = time.UTC
	}
	d := &desk.Document{Kind: desk.Order, Locale: loc, Location: zone, Issuer: b.issuer,
		Recipient: desk.Party{Name: s.Name, LegalProfile: s.LegalProfile}, Event: ev, Legal: b.legal}
	for _, sh := range basis.Shares {
		lot := sh.Lot
		unit := guichet.Cents(0)
		if sh.Quantity > 0 && int64(sh.Amount)%sh.Quantity == 0 {
			unit = guichet.Cents(int64(sh.Amount) / sh.Quantity)
		}
		d.Lines = append(d.Lines, desk.NewLine(lot.Code, lot.Title, s.Name, int(sh.Quantity), lot.Unit, unit, sh.Amount, s.LegalProfile))
		d.Details = append(d.Details, b.t(loc, "MsgOrderDetail", "Code", lot.Code, "When", b.when(lot, ev, loc), "Place", lot.Place))
	}
	if len(basis.Shares) == 0 {
		d.Details = append(d.Details, b.t(loc, "MsgOrderEmpty"))
	}
	if b.legal.LatePayment != "" {
		d.Mentions = append(d.Mentions, b.legal.LatePayment)
	}
	return d
}

// orderDraft is SyncOrder's build: nil for a structure that holds nothing and never had an
// order; else the draft with its content digest (what the document says, its date aside) and
// its renderer.
func (b *Bot) orderDraft(basis *guichet.OrderBasis) (*guichet.OrderDraft, guichet.OrderRender, error) {
	if len(basis.Shares) == 0 && basis.Current == nil {
		return nil, nil, nil
	}
	if len(basis.Supplier.Missing()) > 0 {
		return nil, nil, nil
	}
	doc := b.OrderDocument(basis)
	if err := checkLines(doc); err != nil {
		return nil, nil, err
	}
	digest, err := json.Marshal(struct {
		Issuer    guichet.Issuer
		Recipient desk.Party
		Event     [3]string
		Details   []string
		Lines     []desk.Line
		Mentions  []string
		Legal     guichet.LegalMentions
	}{doc.Issuer, doc.Recipient, [3]string{doc.Event.Name, doc.Event.Day.Format("2006-01-02"), doc.Event.Venue},
		doc.Details, doc.Lines, doc.Mentions, doc.Legal})
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(digest)
	t := doc.Totals()
	now := b.now().In(doc.Location)
	draft := &guichet.OrderDraft{EventID: basis.Event.ID, SupplierID: basis.Supplier.ID, Content: hex.EncodeToString(sum[:]),
		Net: t.Net, VAT: t.VAT, Gross: t.Gross, Year: now.Year()}
	render := func(number string, revision int, replaces *guichet.Order) ([]byte, error) {
		doc.Number, doc.Revision, doc.Issued = number, revision, now
		if replaces != nil {
			doc.Replaces = b.t(doc.Locale, "MsgOrderRevisionName", "Number", replaces.Number, "Revision", replaces.Revision)
		}
		return desk.RenderPDF(doc, b.catalog)
	}
	return draft, render, nil
}

// checkLines refuses a document whose lines do not add up (desk.Document.Check without the
// number, which the document does not have yet).
func checkLines(d *desk.Document) error {
	c := *d
	c.Number, c.Revision = "-", 1
	return c.Check()
}

// deliverOrder posts a purchase order's PDF in its structure's channel, with « J'accepte le bon
// de commande » while the revision is current and not accepted.
func (b *Bot) deliverOrder(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.OrderID == 0 {
		return "", fmt.Errorf("%w: order needs order_id", errBadMessage)
	}
	o, pdf, err := b.store.OrderFile(ctx, p.OrderID)
	if err != nil {
		return "", err
	}
	s, err := b.store.Supplier(ctx, o.SupplierID)
	if err != nil {
		return "", err
	}
	ev, err := b.store.Event(ctx, o.EventID)
	if err != nil {
		return "", err
	}
	if s.ChannelID == "" {
		return "", nil
	}
	doc := &desk.Document{Kind: desk.Order, Number: o.Number, Revision: o.Revision}
	created, err := b.client.CreatePostWithFiles(ctx, b.orderPost(o, ev, s.ChannelID), dedupeKey(m, s.ChannelID),
		[]File{{Name: doc.FileName("pdf"), Data: pdf}})
	if err != nil {
		return "", err
	}
	return created.Id, nil
}

// orderPost is the message that carries an order's PDF: what it is, its gross total, and
// « J'accepte le bon de commande » while it is current and not accepted.
func (b *Bot) orderPost(o *guichet.Order, ev *guichet.Event, channelID string) *model.Post {
	loc := b.eventLocale(ev)
	msg := b.t(loc, "MsgOrderPost", "Number", o.Number, "Revision", o.Revision, "Event", ev.Name,
		"Supplier", o.SupplierName, "Net", l10n.Money(o.Net, loc), "VAT", l10n.Money(o.VAT, loc), "Gross", l10n.Money(o.Gross, loc))
	post := &model.Post{ChannelId: channelID, Message: msg}
	if o.ReplacedBy == nil && !o.Accepted() {
		fields := map[string]string{"order": strconv.FormatInt(o.ID, 10), "supplier": strconv.FormatInt(o.SupplierID, 10)}
		post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{Actions: []*model.PostAction{
			b.ActionButton(b.t(loc, "BtnOrderAccept"), actionOrderAccept, "primary", fields, ""),
		}}})
	}
	return post
}

// orderAcceptClicked handles « J'accepte le bon de commande »: a member of the order's
// structure accepts that revision (Store.AcceptOrder, audited); the post then says who accepted
// and loses its button. A second click is told it is already accepted; a revision replaced
// since, that the newer one is to be accepted.
func (b *Bot) orderAcceptClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	orderID, oerr := strconv.ParseInt(req.Fields["order"], 10, 64)
	supplierID, serr := strconv.ParseInt(req.Fields["supplier"], 10, 64)
	if oerr != nil || serr != nil || orderID <= 0 || supplierID <= 0 {
		return ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	o, _, err := b.store.OrderFile(ctx, orderID)
	if err != nil {
		return ActionReply{Ephemeral: b.personError(b.locale, err)}, nil
	}
	ev, err := b.store.Event(ctx, o.EventID)
	if err != nil {
		return ActionReply{}, err
	}
	loc := b.eventLocale(ev)
	s, err := b.access.SupplierFor(ctx, req.Actor, supplierID)
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	o, already, err := b.store.AcceptOrder(ctx, req.Actor, orderID, s.ID)
	if err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	if already {
		return ActionReply{Ephemeral: b.t(loc, "MsgOrderAlreadyAccepted", "Number", o.Number, "Revision", o.Revision)}, nil
	}
	update := b.orderPost(o, ev, req.ChannelID)
	update.Id = req.PostID
	update.Message += "\n\n" + b.t(loc, "MsgOrderAccepted", "Actor", req.Actor.Username, "Supplier", s.Name)
	// Props left nil would keep the post's old ones, the button with them.
	update.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	return ActionReply{Update: update, Ephemeral: b.t(loc, "MsgOrderAcceptedYou", "Number", o.Number, "Revision", o.Revision)}, nil
}

// boardOrders is the board's section on purchase orders: per structure, its current order and
// whether it is accepted; "" when the event has none.
func (b *Bot) boardOrders(board *guichet.Board, loc string) string {
	if len(board.Orders) == 0 {
		return ""
	}
	accepted := 0
	var lines []string
	for _, o := range board.Orders {
		id := "BoardOrderWaiting"
		if o.Accepted() {
			accepted++
			id = "BoardOrderAccepted"
		}
		lines = append(lines, b.t(loc, id, "Supplier", o.SupplierName, "Number", o.Number, "Revision", o.Revision,
			"Gross", l10n.Money(o.Gross, loc)))
	}
	return b.t(loc, "BoardOrders", "Accepted", accepted, "Orders", len(board.Orders)) + "\n" + strings.Join(lines, "\n")
}
