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
	s = strings.TrimSpace(s)
	bad := func() (time.Duration, error) {
		return 0, proactive.Errorf(proactive.EINVALID, "duration %q: use a positive number of days such as 14d, or a Go duration such as 36h or 90m", s)
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > 100*365 {
			return bad()
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return bad()
		}
	}
	if d <= 0 {
		return bad()
	}
	return d, nil
}
