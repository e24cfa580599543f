package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// healthTimeout bounds `guichet healthcheck`: a container health check must not hang.
const healthTimeout = 4 * time.Second

func init() {
	register("healthcheck", "ask the running bot, on its operators' address, whether it is alive (or ready)", runHealth)
	register("health", "the former name of healthcheck, kept for existing deployments", runHealth)
}

// runHealth is `guichet healthcheck [--ready] [--addr HOST:PORT]` (also `guichet health`), the
// image's HEALTHCHECK and compose's. It asks
// GET /healthz (with --ready, /readyz: the database and Mattermost answer) of the bot's
// operators' address: --addr, else GUICHET_OPS_LISTEN, else 127.0.0.1:9090; a wildcard host
// (0.0.0.0, ::, none) is asked on loopback. It returns nil on a 200 and an error naming the
// status and the answer otherwise. It reads no configuration file and no secret, and needs no
// shell or curl, which the distroless image does not have.
func runHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", stderr)
	ready := fs.Bool("ready", false, "ask /readyz (database and Mattermost answer) instead of /healthz (the process runs)")
	addr := fs.String("addr", "", "the operators' address, host:port (default: GUICHET_OPS_LISTEN, else 127.0.0.1:9090)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" {
		*addr = os.Getenv("GUICHET_OPS_LISTEN")
	}
	if *addr == "" {
		*addr = "127.0.0.1:9090"
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("healthcheck: address %q: write host:port, e.g. 127.0.0.1:9090", *addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	answer := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d %s", url, resp.StatusCode, answer)
	}
	fmt.Fprintln(stdout, answer)
	return nil
}
