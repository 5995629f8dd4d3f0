package cli

import (
	"context"
	"io"
	"strconv"
	"time"

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
			return a.withDesk(cmd.Context(), nowAt, func(ctx context.Context, svc *desk.Service, now time.Time) error {
				v, err := svc.Client(ctx, args[0], now)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.io.Stdout, v)
				}
				return writeClient(a.io.Stdout, a.style, v)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {email, readings, cases, deals, leads, deals_joinable} (env PTD_JSON)")
	cmd.Flags().StringVar(&nowAt, "now", "", "judge silences at this time: "+timeForms+" (env PTD_NOW)")
	return cmd
}

// writeClient prints a client's view for people.
func writeClient(w io.Writer, st termtext.Style, v desk.ClientView) error {
	termtext.Fprintf(w, "%s %s\n", st.Bold("Client"), st.Bold(v.Email))

	heading(w, st, "Readings", len(v.Readings), "reading", ", oldest first")
	if len(v.Readings) > 0 {
		t := newTable(w, st, "  ")
		t.header("AT", "SCORE", "ZONE", "NAME")
		for _, r := range v.Readings {
			score := "-"
			if r.Score != nil {
				score = strconv.FormatFloat(*r.Score, 'f', -1, 64)
			}
			t.row(clock(r.CalculatedAt), score, orDash(r.Zone), orDash(r.Firstname+joinSpace(r.Firstname, r.Lastname)+r.Lastname))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}

	heading(w, st, "Cases", len(v.Cases), "case", ", oldest first")
	for _, c := range v.Cases {
		state := string(c.State)
		if c.Silenced {
			state += ", silenced"
		}
		termtext.Fprintf(w, "  %s  %s  %s  %s  opened %s\n", shortID(c.ID), termtext.Line(c.Key), state,
			st.Severity(string(c.Severity), string(c.Severity)), clock(c.OpenedAt))
		if err := writeEvents(w, st, c.Events, "    "); err != nil {
			return err
		}
	}

	switch {
	case !v.DealsJoinable:
		termtext.Fprintf(w, "\n%s: cannot be joined to clients (no contacts(id, email) table and no deals.contact_email column).\n", st.Bold("Deals"))
	default:
		heading(w, st, "Deals", len(v.Deals), "deal", "")
		if len(v.Deals) > 0 {
			t := newTable(w, st, "  ")
			t.header("ID", "NAME", "STAGE", "AMOUNT", "CREATED", "LAST ACTIVITY")
			for _, d := range v.Deals {
				amount := "-"
				if d.Amount != nil {
					amount = strconv.FormatFloat(*d.Amount, 'f', 2, 64)
				}
				t.row(d.ID, orDash(d.Name), orDash(d.Stage), amount, clockPtr(d.CreatedAt), clockPtr(d.LastActivityDate))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
	}

	heading(w, st, "Leads", len(v.Leads), "lead", "")
	if len(v.Leads) > 0 {
		t := newTable(w, st, "  ")
		t.header("ID", "NAME", "STATUS", "SOURCE", "CREATED", "LAST CONTACT")
		for _, l := range v.Leads {
			t.row(l.ID, orDash(l.Name), orDash(l.Status), orDash(l.Source), clockPtr(l.CreatedAt), clockPtr(l.LastContactDate))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// heading starts a section: "Readings (3 readings, oldest first):", or
// "Readings: none." when there are none; the title in bold.
func heading(w io.Writer, st termtext.Style, title string, n int, noun, order string) {
	if n == 0 {
		termtext.Fprintf(w, "\n%s: none.\n", st.Bold(title))
		return
	}
	termtext.Fprintf(w, "\n%s (%s%s):\n", st.Bold(title), termtext.Count(n, noun), order)
}

// joinSpace is " " between two non-empty names, "" otherwise.
func joinSpace(a, b string) string {
	if a != "" && b != "" {
		return " "
	}
	return ""
}
