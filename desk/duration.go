package desk

import (
	"strconv"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// ParseDuration reads a duration as the desk takes it (CONTRACT §10.11):
// a Go duration ("90m", "1h30m") or a whole number of days ("14d"). It
// must be positive; anything else is EINVALID naming the forms.
func ParseDuration(s string) (time.Duration, error) {
	d, ok := readDuration(s)
	if !ok || d <= 0 {
		return 0, proactive.Errorf(proactive.EINVALID, "duration %q: use a positive number of days such as 14d, or a Go duration such as 36h or 90m", strings.TrimSpace(s))
	}
	return d, nil
}

// NotPositive reports whether s is a well-formed duration (a Go duration
// or <n>d) of zero or less: an end at or before its start rather than a
// malformed value.
func NotPositive(s string) bool {
	d, ok := readDuration(s)
	return ok && d <= 0
}

// readDuration reads a Go duration or a whole number of days (at most a
// century) of either sign.
func readDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > 100*365 {
			return 0, false
		}
		return time.Duration(days) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}
