package bot

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEditGate(t *testing.T) {
	t.Parallel()
	var g editGate
	t0 := time.Date(2011, 4, 1, 10, 0, 0, 0, time.UTC)
	const gap = 3 * time.Second

	_, later := g.wait("offer:1", t0, gap)
	require.False(t, later, "never edited: at once")
	g.edited("offer:1", t0)
	at, later := g.wait("offer:1", t0.Add(time.Second), gap)
	require.True(t, later)
	require.Equal(t, t0.Add(gap), at)
	_, later = g.wait("offer:1", t0.Add(gap), gap)
	require.False(t, later, "the gap is over")
	_, later = g.wait("offer:2", t0.Add(time.Second), gap)
	require.False(t, later, "another key")
	_, later = g.wait("offer:1", t0.Add(time.Second), -1)
	require.False(t, later, "no gap")

	// Of many callers at once, one is allowed; the next after the gap.
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g.allow("refusal:1:ch", t0, gap) {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int32(1), allowed.Load())
	require.False(t, g.allow("refusal:1:ch", t0.Add(gap-time.Millisecond), gap))
	require.True(t, g.allow("refusal:1:ch", t0.Add(gap), gap))
	require.True(t, g.allow("refusal:1:ch", t0.Add(gap), 0), "no gap: always")

	// Old edits are forgotten once the gate is full; recent ones are kept.
	for i := 0; i < editGateSize; i++ {
		g.edited(string(rune('a'+i%26))+time.Duration(i).String(), t0)
	}
	g.edited("fresh", t0.Add(2*time.Minute))
	require.LessOrEqual(t, len(g.last), 4)
	_, later = g.wait("fresh", t0.Add(2*time.Minute+time.Second), gap)
	require.True(t, later)
}
