// Package rules is the rule engine of ptd-proactive: the four checks of
// CONTRACT §3 (health drops, deal stalls, sync failures, response delays),
// the four early-warning checks of §11 (health forecasts, unusual health
// drops, renewal risks, coach workloads) and the urgency scores of §4.
//
// Every detection function is pure: it takes the records a store reduced
// (or, for renewal risks and coach workloads, the scan's anomalies and
// cases), the thresholds and the scan's now, and returns anomalies. Nothing
// here reads a clock, a database or a file but through the CheckEnv a check
// is given. Each check returns its anomalies most urgent first (see
// CompareAnomalies).
package rules

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// CompareAnomalies orders anomalies most urgent first: urgency descending,
// then entity alphabetically (CompareText), then entity key, then the more
// severe first, then by case key. It is the order of every anomaly list
// this product shows, so the primary of a group is the first anomaly in
// this order.
func CompareAnomalies(a, b proactive.Anomaly) int { return compareAnomalies(&a, &b) }

func compareAnomalies(a, b *proactive.Anomaly) int {
	if a.UrgencyScore != b.UrgencyScore {
		if a.UrgencyScore > b.UrgencyScore {
			return -1
		}
		return 1
	}
	if c := CompareText(a.Entity, b.Entity); c != 0 {
		return c
	}
	if c := CompareText(a.EntityKey, b.EntityKey); c != 0 {
		return c
	}
	if c := b.Severity.Rank() - a.Severity.Rank(); c != 0 {
		return c
	}
	// Two deals of one name: the order does not depend on the order the
	// store delivered them in.
	return strings.Compare(a.Key, b.Key)
}

// SortAnomalies sorts as in place by CompareAnomalies, most urgent first.
func SortAnomalies(as []proactive.Anomaly) {
	if len(as) > 1 {
		copy(as, sorted(as))
	}
}

// sorted returns a new slice, exactly as long as as, holding as sorted by
// CompareAnomalies; nil when as is empty. It sorts indexes and moves each
// anomaly once, several times faster on large lists than sorting the
// structs themselves.
func sorted(as []proactive.Anomaly) []proactive.Anomaly {
	if len(as) == 0 {
		return nil
	}
	idx := make([]int, len(as))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return compareAnomalies(&as[i], &as[j]) })
	out := make([]proactive.Anomaly, len(as))
	for k, i := range idx {
		out[k] = as[i]
	}
	return out
}

// CompareText compares two strings alphabetically: letters compared without
// regard to case first ("apple" < "Banana"), byte order breaking the ties
// that leaves, so the order is total and deterministic. It allocates nothing.
func CompareText(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf { // ASCII fast path
			if ca != cb {
				if 'A' <= ca && ca <= 'Z' {
					ca += 'a' - 'A'
				}
				if 'A' <= cb && cb <= 'Z' {
					cb += 'a' - 'A'
				}
				if ca != cb {
					if ca < cb {
						return -1
					}
					return 1
				}
			}
			i++
			j++
			continue
		}
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if la, lb := unicode.ToLower(ra), unicode.ToLower(rb); la != lb {
			if la < lb {
				return -1
			}
			return 1
		}
		i += na
		j += nb
	}
	switch {
	case len(a)-i < len(b)-j:
		return -1
	case len(a)-i > len(b)-j:
		return 1
	}
	return strings.Compare(a, b)
}

// Revenue is a value as revenue at risk (CONTRACT §11.7): a value read
// from the data, or 0 when it is negative or not a finite number (a
// value column may hold anything).
func Revenue(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// Denoise rounds x to 9 decimal places, removing the noise of binary
// floating point (80.3 − 55.3 = 25.000000000000004 becomes 25) while keeping
// every fraction a score can carry. Severities and urgencies are judged on
// denoised figures so that a value on a threshold belongs to it.
func Denoise(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
		return x
	}
	return math.Round(x*1e9) / 1e9
}

// RoundHalfUp rounds x to the nearest integer, halves upwards (72.5 → 73),
// after Denoise. NaN rounds to 0.
func RoundHalfUp(x float64) int {
	if math.IsNaN(x) {
		return 0
	}
	return int(math.Floor(Denoise(x) + 0.5))
}

// FormatNumber writes a figure for text: rounded half up to at most one
// decimal, without trailing zeros or float noise (27, 12.5, 12.3).
func FormatNumber(x float64) string {
	r := math.Floor(Denoise(x)*10+0.5) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// Quantity returns "<x> <word>" with x written by FormatNumber and the word
// in the plural unless x reads as 1: "1 day", "3 failures", "12.5 points".
func Quantity(x float64, word string) string {
	n := FormatNumber(x)
	if n == "1" {
		return n + " " + word
	}
	return n + " " + word + "s"
}

// orNil returns s, or nil when s is blank, so that an absent text is a JSON
// null in the details.
func orNil(s string) *string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return &s
}

// firstNonBlank returns the first of ss that is not blank, trimmed, or "".
func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
