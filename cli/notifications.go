package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	proactive "github.com/ptd-agents/ptd-proactive"
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
		Args:  noArgs,
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
				fmt.Fprintln(a.io.Stdout, "No notifications.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tALERT\tCHANNEL\tPRIORITY\tSTATUS\tATTEMPTS\tCREATED\tLAST ERROR")
			for _, n := range ns {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", n.ID, n.AlertID, n.Channel, n.Priority, n.Status,
					n.Attempts, n.CreatedAt.UTC().Format(time.RFC3339), n.LastError)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only this status: pending, sending, delivered or failed (env PTD_STATUS)")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many, newest first; 0 for all (env PTD_LIMIT)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (env PTD_JSON)")
	return cmd
}
