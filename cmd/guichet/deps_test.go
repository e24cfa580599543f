package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServerBinaryLinksNoTestCode checks that the server binary, which the Docker image ships,
// links none of the project's test machinery — the rig that starts Mattermost, the PostgreSQL
// launcher, the test database helpers, the demo built on them (cmd/guichet-demo) — and that no
// package of the project imports testing, testify or a WebSocket client.
//
// Mattermost's own model package (github.com/mattermost/mattermost/server/public/model, the
// API client the bot uses) imports testing, testify and gorilla/websocket, and its logger
// imports testing: those third-party importers, and only they, are allowed.
func TestServerBinaryLinksNoTestCode(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	forbidden := map[string]bool{
		"guichet.dev/guichet/internal/mmrig": true,
		"guichet.dev/guichet/pgserver":       true,
		"guichet.dev/guichet/db/dbtest":      true,
		"guichet.dev/guichet/demo":           true,
	}
	testCode := map[string]bool{
		"testing":                             true,
		"github.com/stretchr/testify/assert":  true,
		"github.com/stretchr/testify/require": true,
		"github.com/gorilla/websocket":        true,
	}
	thirdPartyImporters := map[string]bool{
		"github.com/mattermost/mattermost/server/public/model":       true,
		"github.com/mattermost/mattermost/server/public/shared/mlog": true,
		"github.com/mattermost/logr/v2/targets":                      true,
		"github.com/hashicorp/go-plugin":                             true,
	}
	var linked []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		if forbidden[pkg] {
			linked = append(linked, pkg)
		}
		if thirdPartyImporters[pkg] || testCode[pkg] || strings.HasPrefix(pkg, "github.com/stretchr/testify/") {
			continue
		}
		for _, imp := range imports {
			if testCode[imp] {
				linked = append(linked, pkg+" imports "+imp)
			}
		}
	}
	require.Empty(t, linked, "the guichet binary links test code")
}
