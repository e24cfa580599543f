package bot

import (
	"sync"
	"time"
)

// editGate remembers when this process last edited each offer and board (by coalesceKey), so
// that a burst of claims edits each at most about once per gap (see claimed): every edit of
// an offer is pushed to every member of its channel, and hundreds of members clicking at once
// would otherwise each receive an edit per lot per batch of claims. Replicas each keep their
// own; at worst each edits once per gap.
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
