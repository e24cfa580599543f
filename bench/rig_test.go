package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
)

// The rig is started by the first benchmark that needs it and stopped by TestMain.
var (
	rigOnce sync.Once
	rig     *mmrig.Rig
	rigErr  error
	botBin  string
	botProc *serveProcess
)

func TestMain(m *testing.M) {
	code := m.Run()
	if botProc != nil {
		_ = botProc.stop(syscall.SIGTERM)
	}
	if rig != nil {
		if err := rig.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: stopping the rig:", err)
		}
	}
	os.Exit(code)
}

// benchRig returns the shared rig with `guichet serve` running, starting both on first use:
// Mattermost with the Assises 2011 structures (members and channels, written into the bot's
// directory) and the bot logging at info level, as in production.
func benchRig(b *testing.B) *mmrig.Rig {
	b.Helper()
	rigOnce.Do(func() {
		suppliers, err := mmrig.ParseSuppliers(assises.SuppliersFile, assises.Read(assises.SuppliersFile))
		if err != nil {
			rigErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		rig, rigErr = mmrig.Start(ctx, mmrig.Options{
			Suppliers: suppliers,
			SkipBot:   true,
			BotEnv:    map[string]string{"GUICHET_LOG_LEVEL": "info", "GUICHET_LOG_FORMAT": "json", "GUICHET_SCHEDULER_TICK": "30s"},
		})
		if rigErr != nil {
			return
		}
		if _, rigErr = rig.ImportSuppliers(ctx); rigErr != nil {
			return
		}
		botBin = filepath.Join(rig.Dir(), "guichet")
		root, err := mmrig.FindModuleRoot()
		if err != nil {
			rigErr = err
			return
		}
		if rigErr = mmrig.BuildGuichet(ctx, root, botBin); rigErr != nil {
			return
		}
		botProc, rigErr = startServe(ctx, rig.BotEnv())
	})
	if rigErr != nil {
		b.Fatalf("bench rig: %v", rigErr)
	}
	return rig
}

// serveProcess is a `guichet serve` run by the benchmarks.
type serveProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	// ready is how long it took from exec to the first 200 from /readyz.
	ready time.Duration
}

// startServe starts `guichet serve` with env (the rig's BotEnv, possibly changed) and waits
// for /readyz on its operators' address (GUICHET_OPS_LISTEN), polling every 5 ms.
func startServe(ctx context.Context, env map[string]string) (*serveProcess, error) {
	logFile, err := os.OpenFile(filepath.Join(rig.Dir(), "guichet.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(botBin, "serve")
	cmd.Dir = rig.Dir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUICHET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &serveProcess{cmd: cmd, url: env["GUICHET_PUBLIC_URL"], done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get("http://" + env["GUICHET_OPS_LISTEN"] + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Since(began)
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("guichet serve exited before it was ready; see %s", filepath.Join(rig.Dir(), "guichet.log"))
		case <-ctx.Done():
			_ = p.stop(syscall.SIGKILL)
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.stop(syscall.SIGKILL)
			return nil, fmt.Errorf("guichet serve not ready within a minute")
		}
	}
}

// stop signals the process and waits for it (killed after 30 s).
func (p *serveProcess) stop(sig syscall.Signal) error {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("guichet serve did not stop within 30 s of %v", sig)
	}
}

// rss returns the process's resident memory in bytes (VmRSS) and its peak (VmHWM).
func (p *serveProcess) rss() (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

// envInt reads a positive integer from the environment, def when unset.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// percentile returns the p-th percentile (0 < p ≤ 100) of samples by the nearest-rank method.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s)) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
