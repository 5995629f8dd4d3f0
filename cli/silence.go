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
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

func (a *app) silenceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence",
		Short: "Add, list and expire silences (mute matching cases for a while)",
		Long: `A silence mutes the cases it matches while it is active: they stay tracked, but
join no alert and notify nobody. Its glob (* any run of characters, ? one character,
case ignored) matches a case's full key, its key without the type, or its label;
--type and --owner narrow it further.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown silence command %q: use add, list or expire", args[0])}
			}
			return usageError{errors.New("silence needs a command: add, list or expire")}
		},
		RunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(a.silenceAddCommand(), a.silenceListCommand(), a.silenceExpireCommand())
	return cmd
}

func (a *app) silenceAddCommand() *cobra.Command {
	var (
		in                                proactive.Silence
		typ, starts, until, forDur, nowAt string
		asJSON                            bool
	)
	cmd := &cobra.Command{
		Use:   "add --match GLOB [--type T] [--owner O] [--starts T] --until T|--for D --reason R",
		Short: "Mute the cases a glob matches until a time",
		Long: `Add a silence from --starts (default now) until --until, or for --for counted from
its start (a Go duration such as 36h, or days such as 14d). An end is required and
must be after both now and the start.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now, err := parseNow(nowAt)
			if err != nil {
				return err
			}
			end, d, err := endFlags(until, forDur)
			if err != nil {
				return err
			}
			if starts != "" {
				if in.StartsAt, err = parseTimeFlag("starts", starts); err != nil {
					return err
				}
			}
			in.Type = proactive.AnomalyType(strings.ToLower(strings.TrimSpace(typ)))
			if strings.TrimSpace(in.CreatedBy) == "" {
				in.CreatedBy = proactive.ActorCLI
			}
			return a.withDeskAt(ctx, now, func(ctx context.Context, svc *desk.Service, now time.Time) error {
				sil, err := svc.AddSilence(ctx, in, end, d, now)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.io.Stdout, sil)
				}
				termtext.Fprintf(a.io.Stdout, "Added silence %s: cases matching %q%s are muted from %s until %s.\n",
					sil.ID, sil.Match, silenceScope(sil), clock(sil.StartsAt), clock(sil.EndsAt))
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Match, "match", "", "glob matched against the case key, the key without its type, or the label (env PTD_MATCH)")
	fl.StringVar(&typ, "type", "", "only cases of this check, e.g. deal_stall (env PTD_TYPE)")
	fl.StringVar(&in.Owner, "owner", "", "only cases of this owner, ignoring case (env PTD_OWNER)")
	fl.StringVar(&starts, "starts", "", "start at this time instead of now: "+timeForms+" (env PTD_STARTS)")
	fl.StringVar(&until, "until", "", "end at this time: "+timeForms+" (env PTD_UNTIL)")
	fl.StringVar(&forDur, "for", "", "end this long after the start: 14d, 36h, 90m (env PTD_FOR)")
	fl.StringVar(&in.Reason, "reason", "", "why (required; env PTD_REASON)")
	fl.StringVar(&in.CreatedBy, "by", "", "who adds it; default cli (env PTD_BY)")
	fl.StringVar(&nowAt, "now", "", "act at this time instead of the current time: "+timeForms+" (env PTD_NOW)")
	fl.BoolVar(&asJSON, "json", false, "print the silence as JSON (env PTD_JSON)")
	return cmd
}

// silenceScope is " (type T, owner O)" for a silence narrowed so, "" for none.
func silenceScope(s proactive.Silence) string {
	var parts []string
	if s.Type != "" {
		parts = append(parts, "type "+string(s.Type))
	}
	if s.Owner != "" {
		parts = append(parts, "owner "+s.Owner)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// silenceStatus says whether a silence is active, pending or ended at now.
func silenceStatus(s proactive.Silence, now time.Time) string {
	switch {
	case !now.Before(s.EndsAt):
		return "ended"
	case now.Before(s.StartsAt):
		return "pending"
	}
	return "active"
}

func (a *app) silenceListCommand() *cobra.Command {
	var (
		all, asJSON bool
		nowAt       string
	)
	cmd := &cobra.Command{
		Use:   "list [--all]",
		Short: "List the silences not yet ended (--all: every silence)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withDesk(cmd.Context(), nowAt, func(ctx context.Context, svc *desk.Service, now time.Time) error {
				ss, err := svc.ListSilences(ctx, all, now)
				if err != nil {
					return fmt.Errorf("list silences: %w", err)
				}
				if asJSON {
					return writeJSON(a.io.Stdout, ss)
				}
				if len(ss) == 0 {
					if all {
						termtext.Fprintln(a.io.Stdout, "No silences.")
					} else {
						termtext.Fprintln(a.io.Stdout, "No active or pending silences (--all lists the ended ones too).")
					}
					return nil
				}
				t := newTable(a.io.Stdout, a.style, "")
				t.header("ID", "STATUS", "MATCH", "TYPE", "OWNER", "STARTS", "ENDS", "BY", "REASON")
				for _, s := range ss {
					t.row(shortID(s.ID), silenceStatus(s, now), s.Match, orDash(s.Type), orDash(s.Owner), clock(s.StartsAt), clock(s.EndsAt),
						orDash(s.CreatedBy), s.Reason)
				}
				if err := t.flush(); err != nil {
					return err
				}
				termtext.Fprintf(a.io.Stdout, "\n%s.\n", termtext.Count(len(ss), "silence"))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list ended silences too (env PTD_ALL)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	cmd.Flags().StringVar(&nowAt, "now", "", "list as at this time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

func (a *app) silenceExpireCommand() *cobra.Command {
	var (
		asJSON bool
		nowAt  string
	)
	cmd := &cobra.Command{
		Use:   "expire ID",
		Short: "End a silence now (an ended one is left as it is)",
		Args:  exactlyArgs("silence expire", "one silence id or id prefix", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withDesk(cmd.Context(), nowAt, func(ctx context.Context, svc *desk.Service, now time.Time) error {
				sil, changed, err := svc.ExpireSilence(ctx, args[0], now)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.io.Stdout, sil)
				}
				if !changed {
					termtext.Fprintf(a.io.Stdout, "Nothing to do: silence %s already ended at %s.\n", sil.ID, clock(sil.EndsAt))
					return nil
				}
				termtext.Fprintf(a.io.Stdout, "Expired silence %s (%q) at %s.\n", sil.ID, sil.Match, clock(sil.EndsAt))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the silence as JSON (env PTD_JSON)")
	cmd.Flags().StringVar(&nowAt, "now", "", "expire at this time instead of the current time: "+timeForms+" (env PTD_NOW)")
	return cmd
}
