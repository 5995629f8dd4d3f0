package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

func (a *app) notificationsCommand() *cobra.Command {
	var (
		status string
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "List queued, delivered and failed notifications with their last error",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unexpected argument %q: notifications takes flags only, or the command retry", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			f := proactive.NotificationFilter{Limit: limit}
			switch s := proactive.NotificationStatus(status); s {
			case "", proactive.NotificationPending, proactive.NotificationSending, proactive.NotificationDelivered, proactive.NotificationFailed:
				f.Status = s
			default:
				return usageError{fmt.Errorf("--status %q: use pending, sending, delivered or failed", status)}
			}
			if limit < 0 {
				return usageError{fmt.Errorf("--limit %d: use 0 (all) or a positive number", limit)}
			}
			_, st, err := a.session(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			ns, err := st.ListNotifications(ctx, f)
			if err != nil {
				return fmt.Errorf("list notifications: %w", err)
			}
			if asJSON {
				if ns == nil {
					ns = []proactive.Notification{}
				}
				return writeJSON(a.io.Stdout, ns)
			}
			if len(ns) == 0 {
				termtext.Fprintln(a.io.Stdout, "No notifications.")
				return nil
			}
			t := newTable(a.io.Stdout, a.style, "")
			t.header("ID", "ALERT", "CHANNEL", "PRIORITY", "STATUS", "ATTEMPTS", "CREATED", "LAST ERROR")
			for _, n := range ns {
				status := a.style.Paint(termtext.Plain, string(n.Status))
				if n.Status == proactive.NotificationFailed {
					status = a.style.Paint(termtext.Red, string(n.Status))
				}
				t.row(n.ID, n.AlertID, n.Channel, a.style.Severity(string(n.Priority), string(n.Priority)), status, n.Attempts,
					n.CreatedAt.UTC().Format(time.RFC3339), n.LastError)
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only this status: pending, sending, delivered or failed (env PTD_STATUS)")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many, newest first; 0 for all (env PTD_LIMIT)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	cmd.AddCommand(a.notificationsRetryCommand())
	return cmd
}

// retryResult is what `notifications retry --json` prints.
type retryResult struct {
	Retried int    `json:"retried"`
	ID      string `json:"id,omitempty"`
	Channel string `json:"channel,omitempty"`
}

func (a *app) notificationsRetryCommand() *cobra.Command {
	var (
		all     bool
		channel string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "retry [ID] [--all] [--channel C]",
		Short: "Queue failed notifications again (once the cause, say a revoked Slack URL, is fixed)",
		Long: `Queue notifications that failed for good again: pending, due now, with a fresh set of
attempts (their last error stays until the next attempt). Give the id of one failed
notification ('ptd-proactive notifications --status failed' lists them), or --all for every
failed one, optionally only those of one --channel. The next scan, or a running serve,
delivers them.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("notifications retry takes at most one notification id, got %s", termtext.Count(len(args), "argument"))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// Checked here, not in Args: the flags' environment variables
			// are applied after Args runs.
			switch {
			case len(args) == 0 && !all:
				return usageError{errors.New("notifications retry: give the id of a failed notification ('ptd-proactive notifications --status failed' lists them) or --all")}
			case len(args) == 1 && all:
				return usageError{fmt.Errorf("notifications retry: give either an id (%s) or --all, not both", args[0])}
			case len(args) == 1 && channel != "":
				return usageError{errors.New("notifications retry: --channel selects among all failed notifications: use it with --all, not with an id")}
			}
			switch channel {
			case "", proactive.ChannelSlack, proactive.ChannelEmail, proactive.ChannelWebhook:
			default:
				return usageError{fmt.Errorf("--channel %q: use slack, email or webhook", channel)}
			}
			ctx := cmd.Context()
			p := proactive.RetryParams{Now: time.Now(), Channel: channel}
			if len(args) == 1 {
				p.ID = args[0]
			}
			_, st, err := a.session(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.RetryNotifications(ctx, p)
			if err != nil {
				if p.ID != "" {
					return err // the store's message names the notification
				}
				return fmt.Errorf("notifications retry: %w", err)
			}
			if asJSON {
				return writeJSON(a.io.Stdout, retryResult{Retried: n, ID: p.ID, Channel: p.Channel})
			}
			switch {
			case p.ID != "":
				termtext.Fprintf(a.io.Stdout, "Queued notification %s again: the next scan, or a running serve, delivers it.\n", p.ID)
			case n == 0 && channel != "":
				termtext.Fprintf(a.io.Stdout, "No failed %s notifications to retry.\n", channel)
			case n == 0:
				termtext.Fprintln(a.io.Stdout, "No failed notifications to retry.")
			default:
				what := "failed notification"
				if channel != "" {
					what = "failed " + channel + " notification"
				}
				termtext.Fprintf(a.io.Stdout, "Queued %s again: the next scan, or a running serve, delivers %s.\n", termtext.Count(n, what), termtext.Noun(n, "it", "them"))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&all, "all", false, "retry every failed notification (env PTD_ALL)")
	fl.StringVar(&channel, "channel", "", "with --all, only this channel's: slack, email or webhook (env PTD_CHANNEL)")
	fl.BoolVar(&asJSON, "json", false, "print JSON: {\"retried\": N} (env PTD_JSON)")
	return cmd
}
