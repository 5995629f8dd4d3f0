package notify

import (
	"math/rand/v2"
	"time"
)

// Backoff bounds of DefaultBackoff.
const (
	BackoffBase = 5 * time.Second // the delay after the first failed attempt
	BackoffMax  = time.Hour       // no delay is longer
)

// DefaultBackoff is the delay before the next attempt after the given
// failed attempt (1 for the first): 5 s · 2^(attempt−1), capped at one hour,
// with ±20 % jitter so that notifications that failed together do not retry
// in lockstep. The result never exceeds BackoffMax.
func DefaultBackoff(attempt int) time.Duration {
	d := ExponentialBackoff(attempt)
	jitter := 0.8 + 0.4*rand.Float64() // [0.8, 1.2)
	return min(time.Duration(float64(d)*jitter), BackoffMax)
}

// ExponentialBackoff is DefaultBackoff without the jitter.
func ExponentialBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := BackoffBase
	for i := 1; i < attempt && d < BackoffMax; i++ {
		d *= 2
	}
	return min(d, BackoffMax)
}
