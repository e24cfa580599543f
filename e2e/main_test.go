// Package e2e tests Guichet against a real Mattermost 6.7.2 server, driven as people would:
// slash commands through ExecuteCommand, clicks through DoPostAction, dialogs through
// SubmitInteractiveDialog, private replies read from the users' WebSockets. One rig
// (package mmrig) is started for the whole package by TestMain and shared by every test file.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
)

// rig is the package's Mattermost, PostgreSQL and `guichet serve`, started by TestMain: the
// team "assises", the coordinator "coordination" and channel ~coordination, the 19 structures
// of the Assises fixture (members and channels, also written into the bot's directory), and
// the users "intrus" and "observateur" (team members only).
var rig *mmrig.Rig

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	suppliers, err := mmrig.ParseSuppliers(assises.SuppliersFile, assises.Read(assises.SuppliersFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	rig, err = mmrig.Start(ctx, mmrig.Options{
		Suppliers:  suppliers,
		ExtraUsers: []string{"intrus", "observateur"},
		BotEnv:     e2eIssuer,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: the Mattermost rig did not start:", err)
		return 1
	}
	defer func() {
		if err := rig.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping the rig:", err)
		}
	}()
	if _, err := rig.ImportSuppliers(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}
