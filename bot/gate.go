package bot

import (
	"sync"
	"time"
)

// editGate remembers when this process last edited each offer and board (by coalesceKey), so
// that a burst of claims edits each at most about once per gap (see claimed), and each copy of
// an offer is re-rendered for a refused click at most once per gap (see refusal): every edit
// of an offer is pushed to every member of its channel, and hundreds of members clicking at
// once would otherwise each receive an edit per lot per batch of claims, or per refused click.
// Replicas each keep their own; at worst each edits once per gap.
type editGate struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// editGateSize bounds the memory kept: beyond it, edits older than a minute are forgotten.
const editGateSize = 4096

// edited records that key was edited at at.
func (g *editGate) edited(key string, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.record(key, at)
}

// record is edited with g.mu held.
func (g *editGate) record(key string, at time.Time) {
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	if len(g.last) >= editGateSize {
		for k, t := range g.last {
			if at.Sub(t) > time.Minute {
				delete(g.last, k)
			}
		}
	}
	if at.After(g.last[key]) {
		g.last[key] = at
	}
}

// allow reports whether key may be edited at now, gap after its last edit, and if so records
// the edit, in one step: of callers at once, one is allowed. A gap of zero or less always
// allows.
func (g *editGate) allow(key string, now time.Time, gap time.Duration) bool {
	if gap <= 0 {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if last, ok := g.last[key]; ok && last.Add(gap).After(now) {
		return false
	}
	g.record(key, now)
	return true
}

// wait returns when key may be edited again, gap after its last edit, and whether that is
// after now. A gap of zero or less never waits.
func (g *editGate) wait(key string, now time.Time, gap time.Duration) (time.Time, bool) {
	if gap <= 0 {
		return now, false
	}
	g.mu.Lock()
	last, ok := g.last[key]
	g.mu.Unlock()
	if !ok {
		return now, false
	}
	next := last.Add(gap)
	return next, next.After(now)
}
