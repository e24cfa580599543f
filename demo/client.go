package demo

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

// phaseClient is the title of the client page's phase.
const phaseClient = "CmdClientDemoPhase"

// clientLinkRe finds the client page's address in the coordinator's answer.
var clientLinkRe = regexp.MustCompile(`https?://\S+/client/\S+/`)

// clientPage: after the recap, the coordinator asks for a link for the client
// (/guichet lien-client) and the client opens it: the demo fetches the page over HTTP, as a
// browser would, and checks that it reads the total of the lots' budgets and the name of every
// structure, then that the page's PDF comes with it.
func (s *session) clientPage(ctx context.Context) error {
	s.progress.step("the client's page")
	s.tr.beginPhase(phaseClient, s.clock.now())
	reply, err := s.command(ctx, s.coordinator(), s.rig.CoordChannel().Id, "/guichet lien-client")
	if err != nil {
		return err
	}
	link := clientLinkRe.FindString(reply)
	if link == "" {
		return fmt.Errorf("client page: no link in the answer %q", reply)
	}
	at := time.Now()
	page, err := fetch(ctx, link)
	if err != nil {
		return fmt.Errorf("client page: %w", err)
	}
	read := strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(html.UnescapeString(page))
	total := strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(l10n.Money(s.fx.budget(), s.locale))
	if !strings.Contains(read, total) {
		return fmt.Errorf("client page: the total %s is not on the page", total)
	}
	for _, sup := range s.fx.suppliers {
		if !strings.Contains(read, sup.Name) {
			return fmt.Errorf("client page: %s is not on the page", sup.Name)
		}
	}
	pdf, err := fetch(ctx, link+"guichet-"+slug+".pdf")
	if err != nil {
		return fmt.Errorf("client page's PDF: %w", err)
	}
	// The PDF read back as text says the same total, to the cent.
	text, err := desk.PDFText(ctx, []byte(pdf), false)
	if err != nil {
		return fmt.Errorf("client page's PDF read back: %w", err)
	}
	if !strings.Contains(text, total) {
		return fmt.Errorf("client page's PDF: the total %s is not in it", total)
	}
	s.tr.action(at, "client", link, s.t("CmdClientDemoOpened", "Total", l10n.Money(s.fx.budget(), s.locale),
		"Structures", len(s.fx.suppliers), "PDF", link+"guichet-"+slug+".pdf"))
	return s.endPhase(ctx)
}

// fetch GETs url and returns its body; anything but 200 is an error.
func fetch(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), nil
}
