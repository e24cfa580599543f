package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

// The client's quote in the replay: after the claims, the coordinator sets the network's fee
// and runs devis; the bot attaches the quote's PDF and CSV in the coordination channel, and the
// checks read the PDF back with pdftotext.

// phaseQuote titles the quote's phase in the transcript.
const phaseQuote = "CmdDemoPhaseQuote"

// quoteFeeBP is the network's coordination fee the demo sets: 5 % of the structures' net.
const quoteFeeBP = 500

// withIssuer adds to the bot's environment the network that issues the documents (a
// fictitious SIRET, generated to pass the Luhn check).
func withIssuer(env map[string]string) map[string]string {
	env["GUICHET_ISSUER_NAME"] = "Réseau des acteurs de l'ESS de la métropole"
	env["GUICHET_ISSUER_SIRET"] = "99900024300017"
	env["GUICHET_ISSUER_LEGAL_FORM"] = "Association loi 1901"
	env["GUICHET_ISSUER_VAT_REGIME"] = "liable"
	env["GUICHET_ISSUER_VAT_RATE_BP"] = "2000"
	env["GUICHET_ISSUER_ADDRESS"] = "8 avenue des Thébaudières\n44800 Saint-Herblain"
	return env
}

// quote: the coordinator sets the fee and makes the quote; the bot posts it with its files.
func (s *session) quote(ctx context.Context) error {
	s.progress.step("the client's quote: the fee set, devis made and attached as PDF and CSV")
	s.tr.beginPhase(phaseQuote, s.clock.now())
	coord, coordCh := s.coordinator(), s.rig.CoordChannel().Id
	edit, quote := "/guichet événement modifier frais=5%", "/guichet devis"
	if s.locale == "en" {
		edit, quote = "/guichet event edit fee=5%", "/guichet quote"
	}
	if _, err := s.command(ctx, coord, coordCh, edit); err != nil {
		return err
	}
	if _, err := s.command(ctx, coord, coordCh, quote); err != nil {
		return err
	}
	if _, err := s.waitPost(ctx, coord, coordCh, "the quote's files in the coordination channel", s.isQuotePost); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// isQuotePost reports whether p is the bot's post of the quote, with its PDF and CSV.
func (s *session) isQuotePost(p *model.Post) bool {
	return p.UserId == s.rig.BotUserID() && len(p.FileIds) == 2 && strings.Contains(p.Message, guichet.QuotePrefix+"-")
}

// checkQuote verifies the quote against the shares the database holds: one quote, its net the
// shares plus the fee, its VAT each share's by its structure's regime plus the fee's at the
// issuer's rate, to the cent; and the PDF, read back with pdftotext, says those totals and
// names the 19 structures. The PDF and CSV are saved into out.
func (s *session) checkQuote(ctx context.Context, out string) result {
	if s.event == nil {
		return fail("quote: the event was not created")
	}
	var shares []struct {
		Supplier string `db:"name"`
		Amount   int64  `db:"amount_cents"`
		Regime   string `db:"vat_regime"`
		Rate     int    `db:"vat_rate_bp"`
	}
	if err := s.rig.DB().SQL().SelectContext(ctx, &shares, `SELECT s.name, c.amount_cents, s.vat_regime, s.vat_rate_bp
		FROM claims c JOIN lots l ON l.id = c.lot_id JOIN suppliers s ON s.id = c.supplier_id
		WHERE l.event_id = $1 AND c.status = 'awarded'`, s.event.ID); err != nil {
		return fail("quote: %v", err)
	}
	var net, vat guichet.Cents
	names := map[string]bool{}
	for _, sh := range shares {
		net += guichet.Cents(sh.Amount)
		if sh.Regime == string(guichet.VATLiable) {
			vat += guichet.VATOn(guichet.Cents(sh.Amount), sh.Rate)
		}
		names[sh.Supplier] = true
	}
	fee := guichet.VATOn(net, quoteFeeBP)
	wantNet, wantVAT := net+fee, vat+guichet.VATOn(fee, 2000)
	wantGross := wantNet + wantVAT

	var docs []struct {
		Number string `db:"number"`
		Net    int64  `db:"net_cents"`
		VAT    int64  `db:"vat_cents"`
		Gross  int64  `db:"gross_cents"`
	}
	if err := s.rig.DB().SQL().SelectContext(ctx, &docs, `SELECT number, net_cents, vat_cents, gross_cents FROM documents
		WHERE kind = 'quote' AND event_id = $1`, s.event.ID); err != nil {
		return fail("quote: %v", err)
	}
	if len(docs) != 1 {
		return fail("quote: %d quotes recorded, want 1", len(docs))
	}
	var problems []string
	d := docs[0]
	if guichet.Cents(d.Net) != wantNet || guichet.Cents(d.VAT) != wantVAT || guichet.Cents(d.Gross) != wantGross {
		problems = append(problems, fmt.Sprintf("recorded %d/%d/%d cents, the shares give %d/%d/%d", d.Net, d.VAT, d.Gross, wantNet, wantVAT, wantGross))
	}
	coord := s.coordinator()
	posts, err := s.botPostsIn(ctx, coord, s.rig.CoordChannel().Id)
	if err != nil {
		return fail("quote: %v", err)
	}
	var post *model.Post
	for _, p := range posts {
		if s.isQuotePost(p) {
			post = p
		}
	}
	if post == nil {
		return fail("quote: no post with its PDF and CSV in the coordination channel")
	}
	var pdf []byte
	var saved []string
	for _, id := range post.FileIds {
		info, _, err := coord.Client.GetFileInfo(ctx, id)
		if err != nil {
			return fail("quote: file %s: %v", id, err)
		}
		data, _, err := coord.Client.GetFile(ctx, id)
		if err != nil {
			return fail("quote: file %s: %v", info.Name, err)
		}
		path := filepath.Join(out, filepath.Base(info.Name))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fail("quote: %v", err)
		}
		saved = append(saved, path)
		if strings.HasSuffix(info.Name, ".pdf") {
			pdf = data
		}
	}
	text, err := desk.PDFText(ctx, pdf, true)
	if err != nil {
		return fail("quote: reading the PDF back: %v", err)
	}
	for _, v := range []guichet.Cents{wantNet, wantVAT, wantGross, fee} {
		if m := plainSpaces(l10n.Money(v, s.locale)); !strings.Contains(text, m) {
			problems = append(problems, "the PDF does not say "+m)
		}
	}
	for name := range names {
		if !strings.Contains(text, name) {
			problems = append(problems, "the PDF does not name "+name)
		}
	}
	r := fmt.Sprintf("quote %s: %s net + %s VAT = %s, equal to the %d shares, their VAT per structure and the 5 %% fee, to the cent; the PDF (read back with pdftotext) says so and names the %d structures; saved: %s",
		d.Number, l10n.Money(wantNet, s.locale), l10n.Money(wantVAT, s.locale), l10n.Money(wantGross, s.locale), len(shares), len(names), strings.Join(saved, ", "))
	if len(problems) > 0 {
		return fail("%s; but %s", r, strings.Join(problems, "; "))
	}
	return pass("%s", r)
}

// plainSpaces turns narrow and non-breaking spaces into plain ones.
func plainSpaces(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\u202f", " "), "\u00a0", " ")
}
