package bot

import (
	"math/rand/v2"
	"time"
)

func randFloat() float64 { return rand.Float64() }

// backoff returns how long to wait before attempt number attempts+1 of a delivery: 2 s doubled
// at each attempt up to 10 minutes, of which a random part (up to half) is taken off so that
// replicas retrying together spread out.
func backoff(attempts int, jitter float64) time.Duration {
	const base, ceiling = 2 * time.Second, 10 * time.Minute
	d := base
	for i := 1; i < attempts && d < ceiling; i++ {
		d *= 2
	}
	if d > ceiling {
		d = ceiling
	}
	return d - time.Duration(jitter*float64(d)/2)
}
