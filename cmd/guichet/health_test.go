package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// `guichet healthcheck` (also `guichet health`), the image's HEALTHCHECK, asks the operators' address: found in
// GUICHET_OPS_LISTEN (a wildcard host asked on loopback) or --addr; 200 is healthy, anything
// else or no answer is not.
func TestHealthAsksTheOperatorsAddress(t *testing.T) {
	ops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			io.WriteString(w, "ok\n")
		case "/readyz":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"database":"ok","mattermost":"unreachable"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ops.Close()
	_, port, err := net.SplitHostPort(ops.Listener.Addr().String())
	require.NoError(t, err)
	ctx := context.Background()

	t.Setenv("GUICHET_OPS_LISTEN", "0.0.0.0:"+port)
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"healthcheck"}, &out, io.Discard))
	require.Equal(t, "ok\n", out.String())
	out.Reset()
	require.NoError(t, run(ctx, []string{"health"}, &out, io.Discard), "the former name still works")
	require.Equal(t, "ok\n", out.String())

	err = run(ctx, []string{"healthcheck", "--ready"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "503")
	require.ErrorContains(t, err, `"mattermost":"unreachable"`)

	require.NoError(t, run(ctx, []string{"health", "--addr", ops.Listener.Addr().String()}, io.Discard, io.Discard))
	require.ErrorContains(t, run(ctx, []string{"health", "--addr", freeAddr(t)}, io.Discard, io.Discard), "connection refused")
	require.ErrorContains(t, run(ctx, []string{"health", "--addr", "nulle-part"}, io.Discard, io.Discard), "host:port")
}
