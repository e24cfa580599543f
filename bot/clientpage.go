package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// clientRoutes adds the client pages to mux, every one behind openClientLink (clientgate.go):
//
//	GET /client/<token>/            the page, in the event's language or ?lang=fr|en
//	GET /client/<token>/chart.png   the recap's chart (after the event)
//	GET /client/<token>/<page>.pdf  the page as PDF (desk.ClientPage.PDFName)
//	GET /client/<token>/<quote>.pdf the current quote's PDF (desk.QuoteFileName)
//
// Any other file name is 404, after the gate.
func (b *Bot) clientRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+ClientPathPrefix+"{token}", b.endpoint("client", b.serveClient))
	mux.Handle("GET "+ClientPathPrefix+"{token}/{file...}", b.endpoint("client", b.serveClient))
}

// clientHeaders are sent with every answer under /client/: the token is in the address, so no
// page may pass it on (Referrer-Policy), be kept by a cache, or be indexed; the page needs no
// script and loads nothing from elsewhere.
func clientHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
}

func (b *Bot) serveClient(w http.ResponseWriter, r *http.Request) string {
	clientHeaders(w)
	ctx, cancel := context.WithTimeout(r.Context(), b.handlerTimeout)
	defer cancel()
	now := b.now()
	_, e, err := b.openClientLink(ctx, r.PathValue("token"), now)
	if err != nil {
		return b.refuseClient(w, r, err)
	}
	file, hasSlash := r.PathValue("file"), strings.HasSuffix(r.URL.Path, "/")
	if !hasSlash && file == "" {
		// The address without its last slash: the page's relative links need it.
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return "redirect"
	}
	locale := l10n.Locale(e.Locale)
	if lang := r.URL.Query().Get("lang"); lang == "fr" || lang == "en" {
		locale = lang
	}
	page, recap, quotePDF, err := b.clientPage(ctx, e, locale, now)
	if err != nil {
		b.logger.Error("client page", "event_id", e.ID, "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return "error"
	}
	var body []byte
	var contentType string
	switch {
	case file == "":
		body, err = desk.RenderClientHTML(page, b.catalog)
		contentType = "text/html; charset=utf-8"
	case file == "chart.png" && page.Chart:
		body, err = report.Chart(b.catalog, recap, locale)
		contentType = "image/png"
	case file == page.PDFName:
		var chart []byte
		if page.Chart {
			if chart, err = report.Chart(b.catalog, recap, locale); err != nil {
				break
			}
		}
		body, err = desk.RenderClientPDF(page, b.catalog, chart)
		contentType = "application/pdf"
		w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", file))
	case page.Quote != nil && file == page.QuoteName:
		body, contentType = quotePDF, "application/pdf"
		w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", file))
	default:
		http.NotFound(w, r)
		return "not_found"
	}
	if err != nil {
		b.logger.Error("client page", "event_id", e.ID, "file", file, "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return "error"
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(body)
	return "ok"
}

// refuseClient answers a client link that does not open: 403 or 410 with a short page in the
// default language that says nothing of any event. Other errors are logged and answered 500.
func (b *Bot) refuseClient(w http.ResponseWriter, r *http.Request, err error) string {
	var ref *Refusal
	if !errors.As(err, &ref) {
		b.logger.Error("client link", "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return "error"
	}
	b.logger.Warn("client link refused", "reason", ref.Reason, "remote", r.RemoteAddr)
	id := "MsgClientRefused"
	if ref.Status == http.StatusGone {
		id = "MsgClientGone"
	}
	text := b.catalog.T(b.locale, id, nil)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(ref.Status)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=%q><head><meta charset=\"utf-8\"><title>%d</title></head><body><main><h1>%d</h1><p>%s</p></main></body></html>\n",
		b.locale, ref.Status, ref.Status, htmlEscape(text))
	return "refused"
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// clientPage reads event e's recap, its structures' kinds and its current quote, and returns
// the client page in locale at now, the recap it comes from (for the chart) and the quote's
// PDF (nil when none). The figures are the recap's: each structure's agreed amount, their sum
// by kind, and the recap's total.
func (b *Bot) clientPage(ctx context.Context, e *guichet.Event, locale string, now time.Time) (*desk.ClientPage, *report.Recap, []byte, error) {
	data, err := b.store.RecapData(ctx, e.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	r := report.FromData(data)
	kinds, err := b.store.StructureKinds(ctx, e.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	quote, quotePDF, err := b.store.CurrentQuote(ctx, e.ID)
	if err != nil && guichet.ErrorCode(err) != guichet.ENOTFOUND {
		return nil, nil, nil, err
	}
	loc, err := e.Location()
	if err != nil {
		loc = time.UTC
	}
	t := func(id string, args map[string]any) string { return b.catalog.T(locale, id, args) }
	other := "en"
	if locale == "en" {
		other = "fr"
	}
	p := &desk.ClientPage{
		Locale: locale, Event: e.Name,
		When:   t("MsgClientWhen", map[string]any{"Day": l10n.EventDay(e, locale), "Venue": e.Venue, "Client": e.Client}),
		AsOf:   l10n.DateTime(now, loc, locale),
		Issued: e.Day, After: e.Over(now), Total: r.Agreed,
		PDFName: "guichet-" + e.Slug + ".pdf", OtherLocale: other,
	}
	if quote != nil {
		p.Quote, p.QuoteDate, p.QuoteName = quote, l10n.Date(quote.CreatedAt, loc, locale), desk.QuoteFileName(quote)
	}

	holders := map[int64][]string{}
	byKind := map[string]*desk.ClientKind{}
	for _, s := range r.Suppliers {
		if len(s.Items) == 0 {
			continue
		}
		var lots []string
		for _, it := range s.Items {
			holders[it.LotID] = append(holders[it.LotID], s.Name)
			lots = append(lots, it.LotTitle)
		}
		kind := t("MsgClientKindUnknown", nil)
		if k := kinds[s.SupplierID]; k != "" {
			kind = t(k.MessageID(), nil)
		}
		p.Structures = append(p.Structures, desk.ClientStructure{
			Name: s.Name, Kind: kind, Lots: strings.Join(lots, ", "),
			Confirmation: t(confirmationMessage(s.J1), nil), Amount: s.Agreed,
		})
		if byKind[kind] == nil {
			byKind[kind] = &desk.ClientKind{Kind: kind}
		}
		byKind[kind].Structures++
		byKind[kind].Amount += s.Agreed
	}
	p.Chart = p.After && r.Agreed > 0
	for _, k := range byKind {
		p.Kinds = append(p.Kinds, *k)
	}
	sort.Slice(p.Kinds, func(i, j int) bool {
		if p.Kinds[i].Amount != p.Kinds[j].Amount {
			return p.Kinds[i].Amount > p.Kinds[j].Amount
		}
		return p.Kinds[i].Kind < p.Kinds[j].Kind
	})
	for _, ll := range r.Lots {
		state := "MsgClientStateOpen"
		switch {
		case ll.Outcome == report.LotCancelled:
			state = "MsgClientStateCancelled"
		case ll.Outcome == report.LotFilled:
			state = "MsgClientStateCovered"
			p.Covered++
		case ll.AwardedQty > 0:
			state = "MsgClientStatePartly"
		}
		p.Lots = append(p.Lots, desk.ClientLot{
			Code: ll.Lot.Code, Title: ll.Lot.Title, State: t(state, nil),
			Quantity:   fmt.Sprintf("%d %s", ll.Lot.Quantity, ll.Lot.Unit),
			Structures: holders[ll.Lot.ID],
		})
	}
	return p, r, quotePDF, nil
}

// confirmationMessage is the catalogue id of where a structure stands on the last reminder.
func confirmationMessage(c report.Confirmation) string {
	switch c {
	case report.J1Confirmed:
		return "MsgClientConfirmed"
	case report.J1Problem:
		return "MsgClientProblem"
	case report.J1Waiting:
		return "MsgClientWaiting"
	case report.J1Unanswered:
		return "MsgClientUnanswered"
	}
	return "MsgClientNotAsked"
}
