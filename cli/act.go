package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
	"github.com/ptd-agents/ptd-proactive/lifecycle"
)

// The manual actions on a case (CONTRACT §10.9): ack, snooze, assign,
// comment and resolve. Each names its case by id, unique id prefix (6+
// characters) or key; ack takes a client's email too.

// actFlags are the flags every action has.
type actFlags struct {
	by, now string
	json    bool
}

// addActFlags registers --by, --now and --json.
func addActFlags(cmd *cobra.Command, f *actFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.by, "by", "", "who acts, recorded with the event; default cli (env PTD_BY)")
	fl.StringVar(&f.now, "now", "", "act at this time instead of the current time: "+timeForms+" (env PTD_NOW)")
	fl.BoolVar(&f.json, "json", false, "print JSON: {action, cases, events} (env PTD_JSON)")
}

// runAction applies act at now (f.now) to the case ref names and prints
// what happened; done says it for one case that changed ("Acknowledged").
func (a *app) runAction(ctx context.Context, ref string, act lifecycle.Action, f actFlags, done func(c proactive.Case) string) error {
	now, err := parseNow(f.now)
	if err != nil {
		return err
	}
	return a.runActionAt(ctx, ref, act, f, now, done)
}

// runActionAt is runAction at a now already read.
func (a *app) runActionAt(ctx context.Context, ref string, act lifecycle.Action, f actFlags, now time.Time, done func(c proactive.Case) string) error {
	act.By = strings.TrimSpace(f.by)
	if act.By == "" {
		act.By = proactive.ActorCLI
	}
	return a.withDeskAt(ctx, now, func(ctx context.Context, svc *desk.Service, now time.Time) error {
		cs, evs, err := svc.ActEvents(ctx, ref, act, now)
		if err != nil {
			return err
		}
		if f.json {
			return writeJSON(a.io.Stdout, desk.NewActionResult(act.Kind, cs, evs))
		}
		changed := map[string]bool{}
		for _, e := range evs {
			changed[e.CaseID] = true
		}
		if len(cs) > 1 {
			termtext.Fprintf(a.io.Stdout, "%s of %s:\n", termtext.Count(len(cs), "case"), strings.TrimSpace(ref))
		}
		for _, c := range cs {
			name := "case " + shortID(c.ID) + " (" + termtext.Line(c.Key) + ")"
			if !changed[c.ID] {
				termtext.Fprintf(a.io.Stdout, "Nothing to do: %s is already %s.\n", name, c.State)
				continue
			}
			termtext.Fprintf(a.io.Stdout, "%s %s.\n", done(c), name)
		}
		return nil
	})
}

func (a *app) ackCommand() *cobra.Command {
	var (
		f    actFlags
		note string
	)
	cmd := &cobra.Command{
		Use:   "ack ID|KEY|EMAIL",
		Short: "Acknowledge a case (or every health and renewal case of a client)",
		Long: `Acknowledge a case: it stays tracked but joins no alert and notifies nobody
until its severity rises above the one acknowledged. An acknowledged case is left as
it is; a snooze is replaced. With a client's email, every unresolved health and
renewal case of that client is acknowledged.`,
		Args: exactlyArgs("ack", "one case id, id prefix, key or client email", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAction(cmd.Context(), args[0], lifecycle.Action{Kind: lifecycle.ActAck, Note: note}, f,
				func(proactive.Case) string { return "Acknowledged" })
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "a note recorded with the acknowledgement (env PTD_NOTE)")
	addActFlags(cmd, &f)
	return cmd
}

func (a *app) snoozeCommand() *cobra.Command {
	var (
		f                    actFlags
		until, forDur, notes string
	)
	cmd := &cobra.Command{
		Use:   "snooze ID|KEY --until TIME | --for DURATION",
		Short: "Snooze a case until a time",
		Long: `Snooze a case until a time after now (--until, or --for counted from now: a Go
duration such as 36h, or days such as 3d). A snoozed case joins no alert; it wakes
at that time, or earlier when its severity rises. An acknowledgement is replaced.`,
		Args: exactlyArgs("snooze", "one case id, id prefix or key", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			end, d, err := endFlags(until, forDur)
			if err != nil {
				return err
			}
			now, err := parseNow(f.now)
			if err != nil {
				return err
			}
			act := lifecycle.Action{Kind: lifecycle.ActSnooze, Note: notes}
			switch {
			case end != nil:
				act.Until = *end
			case d > 0:
				act.Until = now.Add(d)
			default:
				return proactive.Errorf(proactive.EINVALID, "snooze needs an end: give --until TIME or --for DURATION (such as 3d)")
			}
			return a.runActionAt(cmd.Context(), args[0], act, f, now, func(c proactive.Case) string {
				return "Snoozed until " + clockPtr(c.SnoozedUntil) + ":"
			})
		},
	}
	cmd.Flags().StringVar(&until, "until", "", "snooze until this time: "+timeForms+" (env PTD_UNTIL)")
	cmd.Flags().StringVar(&forDur, "for", "", "snooze for this long from now: 3d, 36h, 90m (env PTD_FOR)")
	cmd.Flags().StringVar(&notes, "reason", "", "why (env PTD_REASON)")
	addActFlags(cmd, &f)
	return cmd
}

func (a *app) assignCommand() *cobra.Command {
	var f actFlags
	cmd := &cobra.Command{
		Use:   "assign ID|KEY OWNER",
		Short: "Assign a case to an owner",
		Long: `Assign a case to an owner: from then on scans no longer refresh its owner from the
data. Works in any state.`,
		Args: exactlyArgs("assign", "a case id, id prefix or key and an owner", 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAction(cmd.Context(), args[0], lifecycle.Action{Kind: lifecycle.ActAssign, Owner: args[1]}, f,
				func(c proactive.Case) string { return "Assigned to " + termtext.Line(c.Owner) + ":" })
		},
	}
	addActFlags(cmd, &f)
	return cmd
}

func (a *app) commentCommand() *cobra.Command {
	var f actFlags
	cmd := &cobra.Command{
		Use:   "comment ID|KEY NOTE",
		Short: "Record a comment on a case",
		Args:  exactlyArgs("comment", "a case id, id prefix or key and a note", 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAction(cmd.Context(), args[0], lifecycle.Action{Kind: lifecycle.ActComment, Note: args[1]}, f,
				func(proactive.Case) string { return "Commented on" })
		},
	}
	addActFlags(cmd, &f)
	return cmd
}

func (a *app) resolveCommand() *cobra.Command {
	var (
		f    actFlags
		note string
	)
	cmd := &cobra.Command{
		Use:   "resolve ID|KEY",
		Short: "Resolve a case by hand",
		Long: `Resolve a case (resolve_reason manual). Alerts whose cases are then all resolved
close. If the problem is still there, the next scan opens a new case.`,
		Args: exactlyArgs("resolve", "one case id, id prefix or key", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAction(cmd.Context(), args[0], lifecycle.Action{Kind: lifecycle.ActResolve, Note: note}, f,
				func(proactive.Case) string { return "Resolved" })
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "a note recorded with the resolve (env PTD_NOTE)")
	addActFlags(cmd, &f)
	return cmd
}
