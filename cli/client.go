package cli

import (
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ptd-agents/ptd-proactive/desk"
	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

func (a *app) clientCommand() *cobra.Command {
	var (
		asJSON bool
		nowAt  string
	)
	cmd := &cobra.Command{
		Use:   "client EMAIL",
		Short: "Show one client: readings, cases with their history, deals and leads",
		Long: `Show what the data and the desk hold about one client (the email compared trimmed
and lower-cased): its health readings, oldest first; its cases of every state with
their events (those keyed by its email, and those of its deals and leads); its deals
(joined through contacts.email of deals.contact_id, or deals.contact_email, where
those exist) and its leads.`,
		Args: exactlyArgs("client", "one client email", 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			now, err := parseNow(nowAt)
			if err != nil {
				return err
			}
			svc, st, err := a.deskSession(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := svc.Client(ctx, args[0], now)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.io.Stdout, v)
			}
			return writeClient(a.io.Stdout, v)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {email, readings, cases, deals, leads, deals_joinable} (env PTD_JSON)")
	cmd.Flags().StringVar(&nowAt, "now", "", "judge silences at this time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

// writeClient prints a client's view for people.
func writeClient(w io.Writer, v desk.ClientView) error {
	termtext.Fprintf(w, "Client %s\n", v.Email)

	heading(w, "Readings", len(v.Readings), "reading", ", oldest first")
	if len(v.Readings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		termtext.Fprintln(tw, "  AT\tSCORE\tZONE\tNAME")
		for _, r := range v.Readings {
			score := "-"
			if r.Score != nil {
				score = strconv.FormatFloat(*r.Score, 'f', -1, 64)
			}
			termtext.Fprintf(tw, "  %s\t%s\t%s\t%s\n", clock(r.CalculatedAt), score, termtext.Line(orDash(r.Zone)),
				termtext.Line(orDash(r.Firstname+joinSpace(r.Firstname, r.Lastname)+r.Lastname)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	heading(w, "Cases", len(v.Cases), "case", ", oldest first")
	for _, c := range v.Cases {
		state := string(c.State)
		if c.Silenced {
			state += ", silenced"
		}
		termtext.Fprintf(w, "  %s  %s  %s  %s  opened %s\n", shortID(c.ID), termtext.Line(c.Key), state, termtext.Line(string(c.Severity)), clock(c.OpenedAt))
		if err := writeEvents(w, c.Events, "    "); err != nil {
			return err
		}
	}

	switch {
	case !v.DealsJoinable:
		termtext.Fprintln(w, "\nDeals: cannot be joined to clients (no contacts(id, email) table and no deals.contact_email column).")
	default:
		heading(w, "Deals", len(v.Deals), "deal", "")
		if len(v.Deals) > 0 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			termtext.Fprintln(tw, "  ID\tNAME\tSTAGE\tAMOUNT\tCREATED\tLAST ACTIVITY")
			for _, d := range v.Deals {
				amount := "-"
				if d.Amount != nil {
					amount = strconv.FormatFloat(*d.Amount, 'f', 2, 64)
				}
				termtext.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", termtext.Line(d.ID), termtext.Line(orDash(d.Name)), termtext.Line(orDash(d.Stage)),
					amount, clockPtr(d.CreatedAt), clockPtr(d.LastActivityDate))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}

	heading(w, "Leads", len(v.Leads), "lead", "")
	if len(v.Leads) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		termtext.Fprintln(tw, "  ID\tNAME\tSTATUS\tSOURCE\tCREATED\tLAST CONTACT")
		for _, l := range v.Leads {
			termtext.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", termtext.Line(l.ID), termtext.Line(orDash(l.Name)), termtext.Line(orDash(l.Status)),
				termtext.Line(orDash(l.Source)), clockPtr(l.CreatedAt), clockPtr(l.LastContactDate))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// heading starts a section: "Readings (3 readings, oldest first):", or
// "Readings: none." when there are none.
func heading(w io.Writer, title string, n int, noun, order string) {
	if n == 0 {
		termtext.Fprintf(w, "\n%s: none.\n", title)
		return
	}
	termtext.Fprintf(w, "\n%s (%s%s):\n", title, count(n, noun), order)
}

// joinSpace is " " between two non-empty names, "" otherwise.
func joinSpace(a, b string) string {
	if a != "" && b != "" {
		return " "
	}
	return ""
}
