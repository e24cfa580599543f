package mmrig

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// MattermostVersion is the server version the rig builds and runs.
const MattermostVersion = "6.7.2"

// CacheDir returns where built servers are kept: $GUICHET_CACHE, or ~/.cache/guichet.
func CacheDir() string {
	if d := os.Getenv("GUICHET_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "guichet-cache")
	}
	return filepath.Join(home, ".cache", "guichet")
}

// BuildMattermost returns the folder holding bin/mattermost, building it first with
// internal/mmrig/build-mattermost.sh (about 5 minutes on 2 cores, once per cache folder). Concurrent
// callers on one machine wait for each other's build instead of building twice. Progress goes
// to progress.
func BuildMattermost(ctx context.Context, moduleRoot string, progress io.Writer) (string, error) {
	cache := CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(cache, "mattermost-build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock the Mattermost build: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	script := filepath.Join(moduleRoot, "internal", "mmrig", "build-mattermost.sh")
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "GUICHET_CACHE="+cache)
	var out strings.Builder
	cmd.Stdout = &out
	var errOut tailBuffer
	cmd.Stderr = io.MultiWriter(progress, &errOut)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build Mattermost %s with %s: %w\n%s", MattermostVersion, script, err, errOut.String())
	}
	lines := strings.Fields(strings.TrimSpace(out.String()))
	if len(lines) == 0 {
		return "", fmt.Errorf("%s printed no folder", script)
	}
	dir := lines[len(lines)-1]
	if _, err := os.Stat(filepath.Join(dir, "bin", "mattermost")); err != nil {
		return "", fmt.Errorf("%s printed %s, which holds no bin/mattermost: %w", script, dir, err)
	}
	return dir, nil
}

// mattermost is a Mattermost server process run from its build folder, with its configuration,
// files and logs in a folder of its own.
type mattermost struct {
	dir     string // build folder, holding bin/mattermost, i18n/, templates/, fonts/
	work    string // this server's folder: config.json, data/, logs/
	port    int
	dsn     string
	logPath string
	proc    *process
	// extra adds to, or overrides, env's settings (Rig.SetMattermostEnv).
	extra map[string]string
}

func (m *mattermost) url() string { return fmt.Sprintf("http://127.0.0.1:%d", m.port) }

// env is the server's configuration, as MATTERMOST.md describes: loopback only, bots, tokens
// and commands on, integrations allowed to call the loopback bot, plugins, e-mail, telemetry
// and background jobs off.
func (m *mattermost) env() []string {
	set := map[string]string{
		"MM_CONFIG":                                              filepath.Join(m.work, "config.json"),
		"MM_SQLSETTINGS_DRIVERNAME":                              "postgres",
		"MM_SQLSETTINGS_DATASOURCE":                              m.dsn,
		"MM_SQLSETTINGS_MAXOPENCONNS":                            "40",
		"MM_SQLSETTINGS_MAXIDLECONNS":                            "10",
		"MM_SERVICESETTINGS_SITEURL":                             m.url(),
		"MM_SERVICESETTINGS_LISTENADDRESS":                       fmt.Sprintf("127.0.0.1:%d", m.port),
		"MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION":            "true",
		"MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS":              "true",
		"MM_SERVICESETTINGS_ENABLECOMMANDS":                      "true",
		"MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS": "127.0.0.1 localhost",
		"MM_SERVICESETTINGS_ENABLESECURITYFIXALERT":              "false",
		"MM_SERVICESETTINGS_ENABLELOCALMODE":                     "false",
		"MM_SERVICESETTINGS_WEBSERVERMODE":                       "disabled",
		"MM_SERVICESETTINGS_ENABLELINKPREVIEWS":                  "false",
		"MM_TEAMSETTINGS_MAXUSERSPERTEAM":                        "1000",
		"MM_TEAMSETTINGS_ENABLEOPENSERVER":                       "true",
		"MM_PLUGINSETTINGS_ENABLE":                               "false",
		"MM_PLUGINSETTINGS_ENABLEUPLOADS":                        "false",
		"MM_PLUGINSETTINGS_DIRECTORY":                            filepath.Join(m.work, "plugins"),
		"MM_PLUGINSETTINGS_CLIENTDIRECTORY":                      filepath.Join(m.work, "client-plugins"),
		"MM_FILESETTINGS_DIRECTORY":                              filepath.Join(m.work, "data") + "/",
		"MM_LOGSETTINGS_ENABLEFILE":                              "true",
		"MM_LOGSETTINGS_FILELOCATION":                            filepath.Join(m.work, "logs"),
		"MM_LOGSETTINGS_CONSOLELEVEL":                            "INFO",
		"MM_LOGSETTINGS_ENABLEDIAGNOSTICS":                       "false",
		"MM_NOTIFICATIONLOGSETTINGS_ENABLEFILE":                  "false",
		"MM_NOTIFICATIONLOGSETTINGS_FILELOCATION":                filepath.Join(m.work, "logs"),
		"MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS":                "false",
		"MM_EMAILSETTINGS_REQUIREEMAILVERIFICATION":              "false",
		"MM_ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED":            "false",
		"MM_ANNOUNCEMENTSETTINGS_USERNOTICESENABLED":             "false",
		"MM_JOBSETTINGS_RUNJOBS":                                 "false",
		"MM_JOBSETTINGS_RUNSCHEDULER":                            "false",
		"MM_RATELIMITSETTINGS_ENABLE":                            "false",
		"MM_METRICSSETTINGS_ENABLE":                              "false",
		"MM_IMAGEPROXYSETTINGS_ENABLE":                           "false",
	}
	for k, v := range m.extra {
		set[k] = v
	}
	env := cleanEnv("MM_")
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// start starts the server and waits until it answers /api/v4/system/ping.
func (m *mattermost) start(ctx context.Context, timeout time.Duration) error {
	for _, d := range []string{"data", "logs", "plugins", "client-plugins"} {
		if err := os.MkdirAll(filepath.Join(m.work, d), 0o755); err != nil {
			return err
		}
	}
	p, err := startProcess(filepath.Join(m.dir, "bin", "mattermost"), []string{"server"}, m.dir, m.env(), m.logPath)
	if err != nil {
		return fmt.Errorf("start Mattermost: %w", err)
	}
	m.proc = p
	if err := waitHTTP(ctx, p, m.url()+"/api/v4/system/ping", timeout); err != nil {
		_ = p.stop(syscall.SIGKILL, 10*time.Second)
		return fmt.Errorf("Mattermost on %s: %w\n--- last lines of %s ---\n%s", m.url(), err, m.logPath, tailFile(m.logPath, 40))
	}
	return nil
}

// stop stops the server: SIGTERM, then SIGKILL after 30 s.
func (m *mattermost) stop() error {
	if m.proc == nil {
		return nil
	}
	err := m.proc.stop(syscall.SIGTERM, 30*time.Second)
	m.proc = nil
	return err
}

// waitHTTP polls url until it answers 200, the process exits, or timeout passes.
func waitHTTP(ctx context.Context, p *process, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			return fmt.Errorf("the process exited (%v) before %s answered 200", p.err, url)
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %s (last: %s)", url, timeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// cleanEnv returns the process's environment without the variables starting with prefix, so
// that a developer's own settings do not leak into the servers the rig starts.
func cleanEnv(prefix string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}
