package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/desk"
)

// browser starts Debian's headless Chromium (/usr/bin/chromium) with a fresh profile and no
// network of its own, and returns a context to drive it with chromedp. Without Chromium the test
// fails: .ci/run installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed to open the client page as a person would (Debian package chromium): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	tctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return tctx
}

// pdfToText reads a PDF back as text with pdftotext, spaces of every kind made plain ones and
// runs of white space one.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	text, err := desk.PDFText(context.Background(), pdf, false)
	require.NoError(t, err)
	return plainSpaces(text)
}

func plainSpaces(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(s)), " ")
}

// httpGet fetches url as a client would, outside the browser.
func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// The client opens the link a coordinator got from /guichet lien-client in a real browser: the
// page of the 2011 Assises after the day reads the total and the 19 structures, the chart loads
// under the same link, the page prints to PDF and the PDF reads back; a tampered, expired or
// revoked link shows nothing of the event.
func TestClientPageInAHeadlessBrowser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bctx := browser(t)
	suffix := strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	coord := rig.Coordinator()
	coordCh, err := rig.NewChannel(ctx, "client-coord-"+suffix, coord.Username)
	require.NoError(t, err)
	slug := "client-" + suffix
	e, budgets := assisesReplayed(t, ctx, slug, coordCh.Id, "")
	require.Equal(t, guichet.Cents(1921000), budgets)

	resp, err := coord.Command(ctx, coordCh.Id, "/guichet lien-client "+slug+" durée=30j")
	require.NoError(t, err)
	require.NotEqual(t, "in_channel", resp.ResponseType, "the link is given privately")
	link := regexp.MustCompile(`https?://\S+/client/\S+/`).FindString(resp.Text)
	require.NotEmpty(t, link, resp.Text)
	require.True(t, strings.HasPrefix(link, rig.BotURL()+"/client/"), link)

	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitReady("footer")))
	text, err := chromedp.Run(bctx, chromedp.Text("body"))
	require.NoError(t, err)
	lang, err := chromedp.Run(bctx, chromedp.AttributeValue("html", "lang"))
	require.NoError(t, err)
	rows, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("main table")[0].tBodies[0].rows.length`))
	require.NoError(t, err)
	chartWidth, err := chromedp.Run(bctx, chromedp.Poll[int](`document.querySelector("figure img").complete && document.querySelector("figure img").naturalWidth`))
	require.NoError(t, err)
	read := plainSpaces(text)
	require.Equal(t, "fr", lang.Value)
	require.Contains(t, read, e.Name)
	require.Contains(t, read, "19 210,00 € pour l'économie sociale et solidaire, répartis entre 19 structures.")
	require.Equal(t, 19, rows, "one row per structure")
	for _, s := range rig.Suppliers() {
		require.Contains(t, read, s.Name)
	}
	require.Greater(t, chartWidth, 0, "the chart is served under the link")

	// Built for every reader: landmarks, one h1 and no heading level skipped, every table with
	// its caption and every header cell with its scope, no script.
	structure, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(() => {
		const problems = [];
		for (const sel of ["header", "nav", "main", "footer"]) if (!document.querySelector(sel)) problems.push("no " + sel);
		if (document.querySelectorAll("h1").length !== 1) problems.push("not one h1");
		let last = 0;
		for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
			const level = Number(h.tagName[1]);
			if (level > last + 1) problems.push("skips to " + h.tagName + ": " + h.textContent);
			last = level;
		}
		for (const table of document.querySelectorAll("table")) if (!table.caption || !table.caption.textContent.trim()) problems.push("a table without caption");
		for (const th of document.querySelectorAll("th")) if (!["col", "row"].includes(th.getAttribute("scope"))) problems.push("th without scope: " + th.textContent);
		if (document.querySelectorAll("script").length) problems.push("a script");
		if (!document.querySelector("figure img").alt) problems.push("the chart has no text alternative");
		return problems.join("; ");
	})()`))
	require.NoError(t, err)
	require.Empty(t, structure)

	printed, err := chromedp.Run(bctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	require.NoError(t, err)
	pdfText := pdfToText(t, printed)
	require.Contains(t, pdfText, "19 210,00 € pour l'économie sociale et solidaire, répartis entre 19 structures.")
	for _, s := range rig.Suppliers() {
		require.Contains(t, pdfText, plainSpaces(s.Name), "the printed page names %s", s.Name)
	}

	// The page's own PDF, built by the server, says the same.
	code, pdf := httpGet(t, link+"guichet-"+slug+".pdf")
	require.Equal(t, http.StatusOK, code)
	served := pdfToText(t, pdf)
	require.Contains(t, served, "19 210,00 € pour l'économie sociale et solidaire, répartis entre 19 structures.")
	for _, s := range rig.Suppliers() {
		require.Contains(t, served, plainSpaces(s.Name))
	}
	// The same page gives the same PDF; the page says the minute it was made, so two
	// fetches astride a minute differ once, never twice in a row.
	_, again := httpGet(t, link+"guichet-"+slug+".pdf")
	if !bytes.Equal(pdf, again) {
		pdf = again
		_, again = httpGet(t, link+"guichet-"+slug+".pdf")
	}
	require.Equal(t, pdf, again, "the same page gives the same PDF")

	// In English on demand.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(link+"?lang=en"), chromedp.WaitReady("footer")))
	text, err = chromedp.Run(bctx, chromedp.Text("body"))
	require.NoError(t, err)
	lang, err = chromedp.Run(bctx, chromedp.AttributeValue("html", "lang"))
	require.NoError(t, err)
	require.Equal(t, "en", lang.Value)
	require.Contains(t, plainSpaces(text), "€19,210.00 for the social and solidarity economy, shared among 19 structures.")

	shows := func(url string) (int, string) {
		t.Helper()
		require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(url), chromedp.WaitReady("body")))
		text, err := chromedp.Run(bctx, chromedp.Text("body"))
		require.NoError(t, err)
		code, body := httpGet(t, url)
		for _, s := range []string{text, string(body)} {
			require.NotContains(t, s, e.Name)
			require.NotContains(t, s, slug)
			require.NotContains(t, s, "19 210")
			require.NotContains(t, s, rig.Suppliers()[0].Name)
		}
		return code, plainSpaces(text)
	}

	// Tampered: one character of the signature changed.
	i := strings.LastIndexByte(link, '.') + 3
	c := byte('A')
	if link[i] == 'A' {
		c = 'B'
	}
	code, read = shows(link[:i] + string(c) + link[i+1:])
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, read, "Ce lien n'est pas valable.")

	// Expired: a link of this event whose day has passed.
	signer, err := bot.NewSigner([]byte(rig.SigningKey()))
	require.NoError(t, err)
	old, err := rig.DB().CreateClientLink(ctx, guichet.Actor{UserID: coord.ID, Username: coord.Username}, e.ID, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	code, read = shows(rig.BotURL() + "/client/" + signer.ClientLinkToken(old) + "/")
	require.Equal(t, http.StatusGone, code)
	require.Contains(t, read, "Ce lien a expiré ou a été révoqué.")

	// Revoked: the coordinator cuts every link of the event.
	resp, err = coord.Command(ctx, coordCh.Id, "/guichet lien-client "+slug+" révoquer")
	require.NoError(t, err)
	require.Contains(t, resp.Text, "révoqué")
	code, _ = shows(link)
	require.Equal(t, http.StatusGone, code)
	code, _ = shows(link + "guichet-" + slug + ".pdf")
	require.Equal(t, http.StatusGone, code)
}

// Before the day, the client reads what is covered and by which structures (names and
// kinds), what is still open, who confirmed, and the current quote with its PDF.
func TestClientPageBeforeTheDayShowsCoverageAndTheQuote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bctx := browser(t)
	w := newWorld(t, "clipre", "Coop d'avant", "Asso d'avant")
	store := rig.DB()
	_, err := store.SQL().ExecContext(ctx, `UPDATE suppliers SET kind = 'scop' WHERE id = $1`, w.suppliers[0].ID)
	require.NoError(t, err)
	_, err = store.SQL().ExecContext(ctx, `UPDATE suppliers SET kind = 'association' WHERE id = $1`, w.suppliers[1].ID)
	require.NoError(t, err)
	lunch := w.addLot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner assis", Quantity: 100, Unit: "repas", Budget: 150001,
		Mode: guichet.Shared, MaxSuppliers: 2})
	w.addLot(t, &guichet.Lot{Code: "LIB", Title: "Petite librairie", Quantity: 1, Unit: "stand", Budget: 30000, Mode: guichet.Exclusive})
	_, err = store.SQL().ExecContext(ctx, `UPDATE events SET status = 'published' WHERE id = $1`, w.event.ID)
	require.NoError(t, err)
	for i, qty := range []int64{60, 40} {
		s := w.suppliers[i]
		_, err := store.Claim(ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: w.members[i].ID, Username: w.members[i].Username},
			LotID: lunch.ID, SupplierID: s.ID, Quantity: qty}, time.Now())
		require.NoError(t, err)
	}

	resp, err := w.coord.Command(ctx, w.coordChannel.Id, "/guichet lien-client")
	require.NoError(t, err)
	link := regexp.MustCompile(`https?://\S+/client/\S+/`).FindString(resp.Text)
	require.NotEmpty(t, link, resp.Text)

	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitReady("footer")))
	text, err := chromedp.Run(bctx, chromedp.Text("body"))
	require.NoError(t, err)
	read := plainSpaces(text)
	for _, want := range []string{"Avant l'événement", "1 sur 2 lots est couvert, par 2 structures.",
		"Déjeuner assis", "Coop d'avant", "Asso d'avant", "SCOP", "association", "Petite librairie", "pas encore couvert",
		"900,01 €", "600,00 €", "1 500,01 €", "Pas encore de devis pour cet événement."} {
		require.Contains(t, read, want)
	}
	require.NotContains(t, read, "Bilan")

	// The quote, once made, is shown and downloaded under the same link.
	_, err = store.SQL().ExecContext(ctx, `
		INSERT INTO documents (kind, number, revision, event_id, content, net_cents, vat_cents, gross_cents, pdf)
		VALUES ('quote', 'DEV-2031-0417', 1, $1, 'e2e', 150001, 9000, 159001, '%PDF-1.4 quote')`, w.event.ID)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitReady("footer")))
	text, err = chromedp.Run(bctx, chromedp.Text("body"))
	require.NoError(t, err)
	require.Contains(t, plainSpaces(text), "Devis DEV-2031-0417")
	require.Contains(t, plainSpaces(text), "1 590,01 € TTC.")
	href, err := chromedp.Run(bctx, chromedp.AttributeValue(`a[href$=".pdf"][download]:not([href^="guichet-"])`, "href"))
	require.NoError(t, err)
	require.Equal(t, "DEV-2031-0417.pdf", href.Value)
	code, body := httpGet(t, link+href.Value)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "%PDF-1.4 quote", string(body))
}
