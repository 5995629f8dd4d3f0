package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/importer"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

// What the risk desk's commands (cases, case, ack, snooze, assign,
// comment, resolve, silence, client, dismiss) share: the desk service on
// the opened store, time and duration flags, and their human-readable
// forms.

// deskSession opens the store (it must exist: these commands never create
// a SQLite file) and returns the desk service on it. The caller closes the
// store.
func (a *app) deskSession(ctx context.Context) (*desk.Service, proactive.Store, error) {
	_, st, err := a.session(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	svc := &desk.Service{Desk: st, Registry: a.reg}
	if r, ok := st.(proactive.ClientHistoryReader); ok {
		svc.Source = r
	}
	return svc, st, nil
}

// withDesk runs fn on the desk service of a session opened for it, at
// the time of a --now flag (parseNow: empty is the current time), and
// closes the session after.
func (a *app) withDesk(ctx context.Context, nowFlag string, fn func(ctx context.Context, svc *desk.Service, now time.Time) error) error {
	now, err := parseNow(nowFlag)
	if err != nil {
		return err
	}
	return a.withDeskAt(ctx, now, fn)
}

// withDeskAt is withDesk at a time already read.
func (a *app) withDeskAt(ctx context.Context, now time.Time, fn func(ctx context.Context, svc *desk.Service, now time.Time) error) error {
	svc, st, err := a.deskSession(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, svc, now)
}

// timeForms names the timestamp forms the time flags accept.
const timeForms = "RFC 3339 (2025-12-10T09:30:00Z), 2025-12-10 09:30:00 or 2025-12-10 (UTC)"

// parseTimeFlag reads a time flag in import's forms (CONTRACT §9: RFC
// 3339, or YYYY-MM-DD HH:MM:SS / YYYY-MM-DD as UTC); a malformed value is a
// usage error naming the flag.
func parseTimeFlag(flag, s string) (time.Time, error) {
	t, ok := importer.ParseTime(strings.TrimSpace(s))
	if !ok {
		return time.Time{}, usageError{fmt.Errorf("--%s %q is not a time: write it as %s", flag, s, timeForms)}
	}
	return t.UTC(), nil
}

// parseDurationFlag reads a duration flag (a Go duration or <n>d); a
// malformed value is a usage error naming the flag.
func parseDurationFlag(flag, s string) (time.Duration, error) {
	d, err := desk.ParseDuration(s)
	if err != nil {
		return 0, usageError{fmt.Errorf("--%s: %s", flag, proactive.ErrorMessage(err))}
	}
	return d, nil
}

// endFlags reads --until and --for: the end they give (nil when neither
// is set) or the duration. Both set is refused (exit 1, like a missing
// end).
func endFlags(until, forDur string) (*time.Time, time.Duration, error) {
	if until != "" && forDur != "" {
		return nil, 0, proactive.Errorf(proactive.EINVALID, "give the end once: --until TIME or --for DURATION, not both")
	}
	if until != "" {
		t, err := parseTimeFlag("until", until)
		if err != nil {
			return nil, 0, err
		}
		return &t, 0, nil
	}
	if forDur != "" {
		if desk.NotPositive(forDur) {
			// Well formed, but the end it gives is at or before its start:
			// refused as an end at or before now is (CONTRACT §10.11: exit 1),
			// not as a malformed flag.
			return nil, 0, proactive.Errorf(proactive.EINVALID, "--for %q ends at or before its start: give a positive duration such as 14d, or a Go duration such as 36h or 90m", forDur)
		}
		d, err := parseDurationFlag("for", forDur)
		return nil, d, err
	}
	return nil, 0, nil
}

// exactlyArgs is a cobra argument check: n arguments, named in the
// message (a usage error otherwise).
func exactlyArgs(command, what string, n int) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %s, got %s", command, what, termtext.Count(len(args), "argument"))}
		}
		return nil
	}
}

// clock renders a time for people: UTC to the minute.
func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// clockPtr renders an optional time, "-" for none.
func clockPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return clock(*t)
}

// orDash is s, or "-" when empty.
func orDash[T ~string](s T) string {
	if s == "" {
		return "-"
	}
	return string(s)
}

// shortID is the first 8 characters of an id (any unique prefix of 6 or
// more is accepted back).
func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// jsonCSV refuses --json with --csv.
func jsonCSV(asJSON, asCSV bool) error {
	if asJSON && asCSV {
		return usageError{errors.New("--json and --csv: choose one")}
	}
	return nil
}
