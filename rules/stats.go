package rules

import (
	"math"
	"slices"
	"strconv"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// The statistics of the early-warning checks (CONTRACT §11.2, §11.3, §11.5).
// Each takes a scratch slice it may reorder, so that a check scanning many
// clients allocates once.

// Median is the median of xs: the middle value, or the mean of the two
// middle values for an even count; NaN for none. It reorders xs (a
// selection, not a sort: linear time).
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	hi := nthSmallest(xs, n/2)
	if n%2 == 1 {
		return hi
	}
	// After the selection every value left of n/2 is at most hi: the
	// other middle value is the largest of them.
	return (slices.Max(xs[:n/2]) + hi) / 2
}

// nthSmallest reorders xs so that xs[k] is the value a sort would put
// there, every value before it no larger and every value after it no
// smaller, and returns it (Hoare's selection with a median-of-three
// pivot; insertion sort for short ranges).
func nthSmallest(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for hi-lo > 12 {
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k] // between j and i: equal to the pivot
		}
	}
	for i := lo + 1; i <= hi; i++ {
		for j := i; j > lo && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs[k]
}

// dayNanos is one day in nanoseconds: x in days = Unix seconds ÷ 86400.
const dayNanos = float64(24 * time.Hour)

// TheilSenSlope is the Theil–Sen slope of readings, in points a day: the
// median of the slopes of every pair of readings with different times
// (x = Unix seconds ÷ 86400; the difference of two x is taken from the
// exact time difference). ok is false when no pair has different times.
// scratch is reused for the pairwise slopes and returned grown.
func TheilSenSlope(pts []proactive.SeriesPoint, scratch []float64) (slope float64, ok bool, buf []float64) {
	slopes, buf := PairSlopes(pts, scratch)
	slope, ok = TheilSenOf(slopes)
	return slope, ok, buf
}

// TheilSenOf is the Theil–Sen slope of pairwise slopes (PairSlopes): their
// median, denoised; ok is false for none. It reorders slopes.
func TheilSenOf(slopes []float64) (slope float64, ok bool) {
	if len(slopes) == 0 {
		return 0, false
	}
	return Denoise(Median(slopes)), true
}

// PairSlopes are the slopes of every pair of readings with different
// times, in points a day, whose median is TheilSenSlope; they lie in buf,
// scratch reused and grown.
func PairSlopes(pts []proactive.SeriesPoint, scratch []float64) (slopes, buf []float64) {
	n := len(pts)
	if n < 2 {
		return nil, scratch[:0]
	}
	// The first n entries hold each reading's time after the first in
	// nanoseconds: whole numbers below 2⁵³ (104 days) are exact in a
	// float64, and so are their differences; the slopes follow.
	buf = scratch[:0]
	t0 := pts[0].At
	for _, p := range pts {
		buf = append(buf, float64(p.At.Sub(t0)))
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			dt := buf[j] - buf[i]
			if dt == 0 {
				continue
			}
			buf = append(buf, (pts[j].Score-pts[i].Score)/(dt/dayNanos))
		}
	}
	return buf[n:], buf
}

// MedianMayBeAtMost reports whether the median of xs may be at most x: it
// is false only when fewer than half of xs (rounded up) are, and then the
// median is above x — of an odd count the middle value, of an even one the
// mean of two middle values, the lower of which is above x. Of an odd
// count it is exact. A count, no selection: it lets a check that wants
// small medians skip the selection for the many whose median is not.
func MedianMayBeAtMost(xs []float64, x float64) bool {
	n := 0
	for _, v := range xs {
		if v <= x {
			n++
		}
	}
	return n >= (len(xs)+1)/2
}

// Robust is a reading-to-reading change judged against a client's own
// history (CONTRACT §11.3).
type Robust struct {
	// Change is the newest change c; Median (m) and MAD are those of the
	// other changes.
	Change, Median, MAD float64
	// Z is the robust z of the newest change, rounded to 9 decimals;
	// −∞ when the other changes have no spread at all and c < 0.
	Z float64
}

// Robust z constants: 0.6745 scales a MAD to a standard deviation of a
// normal distribution, 1.2533 (√(π/2)) a mean absolute deviation.
const (
	madScale      = 0.6745
	meanDevFactor = 1.2533
)

// RobustChange judges the newest change of scores (oldest first; at least
// three, so that there is a newest change and at least one other):
// changes cᵢ = scoreᵢ − scoreᵢ₋₁ (denoised), c the newest, m and MAD the
// median and median absolute deviation of the others; z = 0.6745 (c − m) ÷
// MAD, or, when MAD is 0, (c − m) ÷ (1.2533 × mean |cᵢ − m|), or, when that
// is 0 too, −∞ for c < 0 and 0 otherwise; z rounded to 9 decimals. ok is
// false for fewer than three scores. scratch is reused and returned grown.
func RobustChange(scores []float64, scratch []float64) (r Robust, ok bool, buf []float64) {
	buf = scratch[:0]
	if len(scores) < 3 {
		return Robust{}, false, buf
	}
	n := len(scores) - 1 // changes
	for i := 1; i < n; i++ {
		buf = append(buf, Denoise(scores[i]-scores[i-1]))
	}
	c := Denoise(scores[n] - scores[n-1])
	others := buf[:n-1]
	// The deviations follow the others in the same buffer: Median reorders
	// only the slice it is given.
	m := Denoise(Median(others))
	sum := 0.0
	for _, x := range others {
		d := Denoise(math.Abs(x - m))
		buf = append(buf, d)
		sum += d
	}
	devs := buf[n-1:]
	mad := Denoise(Median(devs))
	meanDev := Denoise(sum / float64(len(devs)))
	var z float64
	switch {
	case mad != 0:
		z = madScale * (c - m) / mad
	case meanDev != 0:
		z = (c - m) / (meanDevFactor * meanDev)
	case c < 0:
		z = math.Inf(-1)
	}
	return Robust{Change: c, Median: m, MAD: mad, Z: Denoise(z)}, true, buf
}

// OneDecimal writes x rounded half away from zero to one decimal, always
// with the decimal ("2.0", "-8.2"), as the early-warning actions print
// slopes, days, drops and z (CONTRACT §11.10); "-∞" and "∞" for infinities.
func OneDecimal(x float64) string {
	switch {
	case math.IsInf(x, -1):
		return "-∞"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsNaN(x):
		return "NaN"
	}
	r := math.Round(Denoise(Denoise(x)*10)) / 10
	if r == 0 {
		r = 0 // no "-0.0"
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

// Percent writes a share (0.25) as a whole percentage ("25"), rounded half
// up.
func Percent(share float64) string { return strconv.Itoa(RoundHalfUp(share * 100)) }

// severityAction prefixes an action as CONTRACT §11.10 writes high and
// critical ones: "URGENT: " and "High Priority: ".
func severityAction(sev proactive.Severity, action string) string {
	switch sev {
	case proactive.SeverityCritical:
		return "URGENT: " + action
	case proactive.SeverityHigh:
		return "High Priority: " + action
	}
	return action
}
