package mmrig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// FindModuleRoot walks up from the working directory to the folder whose go.mod declares
// module guichet.dev/guichet.
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && moduleLine(string(data)) == "guichet.dev/guichet" {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod declaring module guichet.dev/guichet above the working directory")
		}
		dir = parent
	}
}

func moduleLine(gomod string) string {
	var mod string
	_, _ = fmt.Sscanf(gomod, "module %s", &mod)
	return mod
}

// BuildGuichet builds ./cmd/guichet of the module at moduleRoot into out.
func BuildGuichet(ctx context.Context, moduleRoot, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/guichet")
	cmd.Dir = moduleRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/guichet: %w\n%s", err, b)
	}
	return nil
}

// botProcess is `guichet serve`, configured by environment only.
type botProcess struct {
	bin  string
	work string
	// envMu guards env, which tests may read while another changes it for the next start.
	envMu   sync.Mutex
	env     map[string]string
	url     string // http://127.0.0.1:port
	logPath string
	proc    *process
}

func (b *botProcess) environ() []string {
	b.envMu.Lock()
	defer b.envMu.Unlock()
	env := cleanEnv("GUICHET_")
	keys := make([]string, 0, len(b.env))
	for k := range b.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+b.env[k])
	}
	return env
}

// opsURL is the base URL of the bot's health and metrics (GUICHET_OPS_LISTEN).
func (b *botProcess) opsURL() string {
	b.envMu.Lock()
	defer b.envMu.Unlock()
	return "http://" + b.env["GUICHET_OPS_LISTEN"]
}

// start starts `guichet serve` and waits until /readyz, on its operators' address, answers 200.
func (b *botProcess) start(ctx context.Context, timeout time.Duration) error {
	if b.proc != nil && !b.proc.exited() {
		return fmt.Errorf("the bot is already running (pid %d)", b.proc.cmd.Process.Pid)
	}
	p, err := startProcess(b.bin, []string{"serve"}, b.work, b.environ(), b.logPath)
	if err != nil {
		return fmt.Errorf("start guichet serve: %w", err)
	}
	b.proc = p
	if err := waitHTTP(ctx, p, b.opsURL()+"/readyz", timeout); err != nil {
		_ = p.stop(syscall.SIGKILL, 5*time.Second)
		return fmt.Errorf("guichet serve on %s: %w\n--- last lines of %s ---\n%s", b.url, err, b.logPath, tailFile(b.logPath, 40))
	}
	return nil
}

// stop sends sig (SIGTERM: graceful, SIGKILL: a crash) and waits for the process to exit;
// after SIGTERM it is killed if still running after 30 s.
func (b *botProcess) stop(sig syscall.Signal) error {
	if b.proc == nil {
		return nil
	}
	err := b.proc.stop(sig, 30*time.Second)
	b.proc = nil
	return err
}
