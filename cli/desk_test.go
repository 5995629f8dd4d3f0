package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/sqlite"
)

// caseJSON is a case as cases --json prints it.
type caseJSON struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	Key          string  `json:"key"`
	Label        string  `json:"label"`
	State        string  `json:"state"`
	Severity     string  `json:"severity"`
	Urgency      int     `json:"urgency"`
	Owner        *string `json:"owner"`
	AckBy        *string `json:"acknowledged_by"`
	SnoozedUntil *string `json:"snoozed_until"`
	ResolvedAt   *string `json:"resolved_at"`
	Reason       *string `json:"resolve_reason"`
	Note         *string `json:"note"`
	Silenced     bool    `json:"silenced"`
	Events       []struct {
		Seq   int    `json:"seq"`
		Kind  string `json:"kind"`
		Actor string `json:"actor"`
		Note  string `json:"note"`
	} `json:"events"`
}

// deskRun runs a command against the store at the fixture's now.
func deskRun(t *testing.T, s store, args ...string) result {
	t.Helper()
	return run(t, s.dir, nil, append(args, "--db", s.url, "--now", fixtureNow)...)
}

// mustDesk is deskRun that must exit 0.
func mustDesk(t *testing.T, s store, args ...string) string {
	t.Helper()
	r := deskRun(t, s, args...)
	require.Equal(t, 0, r.code, "%v\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r.stdout
}

// failDesk is deskRun that must exit 1 saying want.
func failDesk(t *testing.T, s store, want string, args ...string) {
	t.Helper()
	r := deskRun(t, s, args...)
	require.Equal(t, 1, r.code, "%v\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	require.Contains(t, r.stderr, want, args)
}

// decode decodes a command's JSON output.
func decode[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

// openStore opens the CLI test's store from the test process.
func openStore(t *testing.T, s store) proactive.Store {
	t.Helper()
	var (
		st  proactive.Store
		err error
	)
	if s.name == "sqlite" {
		st, err = sqlite.Open(context.Background(), s.url)
	} else {
		st, err = postgres.Open(context.Background(), s.url, postgres.Options{})
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestDeskCommands(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			loadFixture(t, s)
			scanJSON(t, s, "--now", fixtureNow)

			// cases: the unresolved ones, urgency, then opened_at, then key.
			cs := decode[[]caseJSON](t, mustDesk(t, s, "cases", "--json"))
			var keys []string
			for _, c := range cs {
				keys = append(keys, c.Key)
				require.Equal(t, "open", c.State)
				require.False(t, c.Silenced)
			}
			require.Equal(t, []string{
				"deal_stall:deal-1", "health_drop:john@example.com", "response_delay:lead-10", "sync_fail:hubspot_rate_limit",
				"health_drop:amy@example.com", "deal_stall:deal-2", "response_delay:lead-11",
			}, keys)
			byKey := map[string]caseJSON{}
			for _, c := range cs {
				byKey[c.Key] = c
			}
			john, deal2 := byKey["health_drop:john@example.com"], byKey["deal_stall:deal-2"]

			// --csv: RFC 4180, the JSON keys as header, every unresolved case.
			rows, err := csv.NewReader(strings.NewReader(mustDesk(t, s, "cases", "--csv"))).ReadAll()
			require.NoError(t, err)
			require.Equal(t, append(proactive.CaseColumns(), "silenced"), rows[0])
			require.Len(t, rows, len(cs)+1)
			for i, c := range cs {
				require.Equal(t, c.ID, rows[i+1][0])
				require.Equal(t, c.Label, rows[i+1][3])
			}
			r := deskRun(t, s, "cases", "--json", "--csv")
			require.Equal(t, 2, r.code, r.stderr)
			// --now takes import's forms, on every command.
			for _, now := range []string{"2025-12-10", "2025-12-10 12:00:00", "2025-12-10T12:00:00+01:00"} {
				require.Len(t, decode[[]caseJSON](t, mustRun(t, s.dir, nil, "cases", "--json", "--db", s.url, "--now", now).stdout), len(cs), now)
				mustRun(t, s.dir, nil, "alerts", "--db", s.url, "--now", now)
			}
			r = run(t, s.dir, nil, "cases", "--db", s.url, "--now", "yesterday")
			require.Equal(t, 2, r.code, r.stderr)
			require.Contains(t, r.stderr, `--now "yesterday" is not a time`)

			text := mustDesk(t, s, "cases")
			require.Contains(t, text, "ID        STATE  SEVERITY  URGENCY  TYPE")
			require.Contains(t, text, "John Smith (john@example.com)")
			require.Contains(t, text, "7 cases (7 open).")
			require.Contains(t, mustDesk(t, s, "cases", "--type", "health_drop", "--search", "AMY"), "1 case (1 open).")
			require.Equal(t, "No resolved cases.\n", mustDesk(t, s, "cases", "--state", "resolved"))
			require.Equal(t, "No unresolved cases match the filters.\n", mustDesk(t, s, "cases", "--owner", "nobody"))
			failDesk(t, s, "unknown state", "cases", "--state", "closed")

			// case: by key, id and prefix; history oldest first.
			one := decode[caseJSON](t, mustDesk(t, s, "case", "health_drop:john@example.com", "--json"))
			require.Equal(t, john.ID, one.ID)
			require.Len(t, one.Events, 1)
			require.Equal(t, "opened", one.Events[0].Kind)
			require.Equal(t, "ptd-proactive", one.Events[0].Actor)
			text = mustDesk(t, s, "case", john.ID[:8])
			require.Contains(t, text, "Key        health_drop:john@example.com")
			require.Contains(t, text, "History (1 event, oldest first):")
			failDesk(t, s, "case 00000000-0000-4000-8000-000000000000 not found", "case", "00000000-0000-4000-8000-000000000000")
			failDesk(t, s, "no case id starts with", "case", "ffffffffff")
			failDesk(t, s, "too short", "case", "abc")
			failDesk(t, s, "malformed case id", "case", "not-a-case")
			failDesk(t, s, "no case has the key", "case", "health_drop:nobody@example.com")

			// ack by email: the client's health cases; again: nothing to do.
			type actResult struct {
				Action string     `json:"action"`
				Cases  []caseJSON `json:"cases"`
				Events []struct {
					Kind, Actor, Note string
				} `json:"events"`
			}
			acked := decode[actResult](t, mustDesk(t, s, "ack", "John@Example.com", "--by", "ann", "--note", "called", "--json"))
			require.Equal(t, "ack", acked.Action)
			require.Len(t, acked.Cases, 1)
			require.Equal(t, "acknowledged", acked.Cases[0].State)
			require.Equal(t, "ann", *acked.Cases[0].AckBy)
			require.Len(t, acked.Events, 1)
			require.Equal(t, "called", acked.Events[0].Note)
			require.Contains(t, mustDesk(t, s, "ack", john.ID[:8]), "Nothing to do: case "+john.ID[:8]+" (health_drop:john@example.com) is already acknowledged.")

			// snooze: --for from now; in the past and without an end refused.
			sn := decode[actResult](t, mustDesk(t, s, "snooze", deal2.ID, "--for", "2d", "--reason", "waiting", "--json"))
			require.Equal(t, "2025-12-12T12:00:00Z", *sn.Cases[0].SnoozedUntil)
			require.Equal(t, "cli", sn.Events[0].Actor)
			require.Contains(t, mustDesk(t, s, "snooze", deal2.ID, "--until", "2025-12-11"), "Snoozed until 2025-12-11 00:00 UTC: case "+deal2.ID[:8])
			failDesk(t, s, "not after now", "snooze", deal2.ID, "--until", "2025-12-10 11:00:00")
			failDesk(t, s, "snooze needs an end", "snooze", deal2.ID)
			failDesk(t, s, "not both", "snooze", deal2.ID, "--until", "2025-12-11", "--for", "1d")
			r = deskRun(t, s, "snooze", deal2.ID, "--for", "soon")
			require.Equal(t, 2, r.code, r.stderr)
			// A well-formed duration of zero or less is an end at or before
			// now: refused (exit 1), not a malformed flag.
			for _, d := range []string{"0s", "0d", "-2h", "-1d"} {
				failDesk(t, s, "--for \""+d+"\" ends at or before its start: give a positive duration", "snooze", deal2.ID, "--for="+d)
			}

			// assign, comment: any state.
			require.Contains(t, mustDesk(t, s, "assign", "deal_stall:deal-1", "Ann Lee", "--by", "bob"), "Assigned to Ann Lee: case")
			require.Contains(t, mustDesk(t, s, "comment", "deal_stall:deal-1", "Called, no answer"), "Commented on case")
			d1 := decode[caseJSON](t, mustDesk(t, s, "case", "deal_stall:deal-1", "--json"))
			require.Equal(t, "Ann Lee", *d1.Owner)
			require.Equal(t, "Called, no answer", *d1.Note)
			require.Equal(t, []string{"opened", "assigned", "commented"}, kinds(d1))
			failDesk(t, s, "the owner is empty", "assign", "deal_stall:deal-1", " ")

			// resolve: the sync alert, whose only case it was, closes.
			require.Len(t, decode[[]map[string]any](t, mustDesk(t, s, "alerts", "--json")), 4)
			require.Contains(t, mustDesk(t, s, "resolve", "sync_fail:hubspot_rate_limit", "--note", "fixed"), "Resolved case")
			require.Len(t, decode[[]map[string]any](t, mustDesk(t, s, "alerts", "--json")), 3)
			failDesk(t, s, "is resolved: it cannot be resolved again", "resolve", "sync_fail:hubspot_rate_limit")
			failDesk(t, s, "is resolved: it cannot be acknowledged", "ack", "sync_fail:hubspot_rate_limit")
			res := decode[[]caseJSON](t, mustDesk(t, s, "cases", "--state", "resolved", "--json"))
			require.Len(t, res, 1)
			require.Equal(t, "manual", *res[0].Reason)
			require.Contains(t, mustDesk(t, s, "cases", "--state", "all"), "7 cases (4 open, 1 acknowledged, 1 snoozed, 1 resolved).")

			// silences.
			type silenceJSON struct {
				ID, Match, Reason string
				StartsAt          string `json:"starts_at"`
				EndsAt            string `json:"ends_at"`
				CreatedBy         string `json:"created_by"`
			}
			sil := decode[silenceJSON](t, mustDesk(t, s, "silence", "add", "--match", "lead-*", "--for", "1d", "--reason", "campaign", "--by", "ann", "--json"))
			require.Equal(t, "2025-12-11T12:00:00Z", sil.EndsAt)
			require.Equal(t, "ann", sil.CreatedBy)
			silenced := decode[[]caseJSON](t, mustDesk(t, s, "cases", "--state", "silenced", "--json"))
			require.Len(t, silenced, 2)
			require.True(t, silenced[0].Silenced)
			failDesk(t, s, "an end is required", "silence", "add", "--match", "x", "--reason", "r")
			failDesk(t, s, "not after now", "silence", "add", "--match", "x", "--reason", "r", "--until", "2025-12-10")
			failDesk(t, s, "not after its start", "silence", "add", "--match", "x", "--reason", "r", "--starts", "2025-12-20", "--until", "2025-12-15")
			failDesk(t, s, "the reason is empty", "silence", "add", "--match", "x", "--for", "1d")
			failDesk(t, s, "ends at or before its start", "silence", "add", "--match", "x", "--for=-1h", "--reason", "r")
			failDesk(t, s, "unknown", "silence", "add", "--match", "x", "--for", "1d", "--reason", "r", "--type", "nonsense")
			later := decode[silenceJSON](t, mustDesk(t, s, "silence", "add", "--match", "*acme*", "--type", "deal_stall",
				"--starts", "2025-12-20", "--for", "7d", "--reason", "holiday", "--json"))
			require.Equal(t, "2025-12-27T00:00:00Z", later.EndsAt)
			text = mustDesk(t, s, "silence", "list")
			require.Contains(t, text, "active")
			require.Contains(t, text, "pending")
			require.Contains(t, text, "2 silences.")
			require.Contains(t, mustDesk(t, s, "silence", "expire", sil.ID[:8]), "Expired silence "+sil.ID)
			require.Contains(t, mustDesk(t, s, "silence", "expire", sil.ID), "Nothing to do: silence "+sil.ID+" already ended")
			require.Len(t, decode[[]silenceJSON](t, mustDesk(t, s, "silence", "list", "--json")), 1)
			require.Len(t, decode[[]silenceJSON](t, mustDesk(t, s, "silence", "list", "--all", "--json")), 2)
			failDesk(t, s, "not found", "silence", "expire", "0123456789")
			require.Equal(t, 2, deskRun(t, s, "silence").code)

			// client: readings, cases with events, deals and leads.
			type clientJSON struct {
				Email    string `json:"email"`
				Readings []struct {
					Score float64 `json:"health_score"`
					At    string  `json:"calculated_at"`
				} `json:"readings"`
				Cases         []caseJSON `json:"cases"`
				Deals         []any      `json:"deals"`
				Leads         []any      `json:"leads"`
				DealsJoinable bool       `json:"deals_joinable"`
			}
			cl := decode[clientJSON](t, mustDesk(t, s, "client", " JOHN@example.com", "--json"))
			require.Equal(t, "john@example.com", cl.Email)
			require.Len(t, cl.Readings, 2)
			require.Equal(t, 70.0, cl.Readings[0].Score, "oldest first")
			require.Len(t, cl.Cases, 1)
			require.Equal(t, []string{"opened", "acknowledged"}, kinds(cl.Cases[0]))
			require.NotNil(t, cl.Deals)
			require.True(t, cl.DealsJoinable, "migrate creates contacts (CONTRACT §11.1): deals can be joined")
			text = mustDesk(t, s, "client", "sarah@example.com")
			require.Contains(t, text, "Client sarah@example.com")
			require.Contains(t, text, "Readings: none.")
			require.Contains(t, text, "Leads (1 lead):")
			require.Contains(t, text, "response_delay:lead-10")
			failDesk(t, s, "no reading, case, deal or lead has the email nobody@example.com", "client", "nobody@example.com")
			failDesk(t, s, "is not an email", "client", "nobody")

			// dismiss through the desk: the alert's open or snoozed cases are
			// acknowledged; again: succeeds, acknowledges nothing.
			var dealAlert string
			for _, a := range decode[[]map[string]any](t, mustDesk(t, s, "alerts", "--json")) {
				if a["affected_entities"].(map[string]any)["type"] == "deal_stall" {
					dealAlert = a["id"].(string)
				}
			}
			type dismissJSON struct {
				ID           string   `json:"id"`
				Dismissed    bool     `json:"dismissed"`
				Acknowledged []string `json:"acknowledged"`
			}
			dj := decode[dismissJSON](t, mustDesk(t, s, "dismiss", dealAlert, "--by", "bob", "--json"))
			require.True(t, dj.Dismissed)
			require.ElementsMatch(t, []string{byKey["deal_stall:deal-1"].ID, deal2.ID}, dj.Acknowledged)
			require.Equal(t, []string{}, decode[dismissJSON](t, mustDesk(t, s, "dismiss", dealAlert, "--json")).Acknowledged)
			require.Contains(t, mustDesk(t, s, "dismiss", dealAlert), "Dismissed alert "+dealAlert+".")
			d2 := decode[caseJSON](t, mustDesk(t, s, "case", deal2.ID, "--json"))
			require.Equal(t, "acknowledged", d2.State)
			require.Equal(t, "bob", *d2.AckBy)
			require.Nil(t, d2.SnoozedUntil)
			failDesk(t, s, "not found", "dismiss", "00000000-0000-4000-8000-000000000000")

			// alerts --csv: the JSON keys as header, one row per alert.
			alerts := decode[[]map[string]any](t, mustDesk(t, s, "alerts", "--json"))
			rows, err = csv.NewReader(strings.NewReader(mustDesk(t, s, "alerts", "--csv"))).ReadAll()
			require.NoError(t, err)
			require.Equal(t, []string{"id", "insight_type", "priority", "title", "content", "summary", "action_items", "affected_entities",
				"source_agent", "source_data", "dedup_key", "expires_at", "is_dismissed", "created_at", "resolved_at"}, rows[0])
			require.Len(t, rows, len(alerts)+1)
			for i, a := range alerts {
				require.Equal(t, a["id"], rows[i+1][0])
				require.Equal(t, a["content"], rows[i+1][4], "multi-line text survives")
				var ae map[string]any
				require.NoError(t, json.Unmarshal([]byte(rows[i+1][7]), &ae))
				require.Equal(t, a["affected_entities"], ae)
			}

			// An ambiguous prefix names the matches.
			st := openStore(t, s)
			now := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
			require.NoError(t, st.Update(context.Background(), func(tx proactive.DeskTx) error {
				var twins []proactive.Case
				for i, email := range []string{"p1@example.com", "p2@example.com"} {
					twins = append(twins, proactive.Case{
						ID: "abcdef01-0000-4000-8000-00000000000" + string(rune('1'+i)), Type: proactive.HealthDrop,
						Key: "health_drop:" + email, Label: email, State: proactive.CaseOpen, Severity: proactive.SeverityMedium,
						PeakSeverity: proactive.SeverityMedium, Urgency: 50, OpenedAt: now, LastSeenAt: now,
					})
				}
				return tx.InsertCases(context.Background(), twins)
			}))
			failDesk(t, s, "case id prefix abcdef01 is ambiguous: it matches abcdef01-0000-4000-8000-000000000001 (health_drop:p1@example.com), abcdef01-0000-4000-8000-000000000002 (health_drop:p2@example.com)",
				"ack", "abcdef01")
		})
	}
}

// kinds lists a case's event kinds.
func kinds(c caseJSON) []string {
	var out []string
	for _, e := range c.Events {
		out = append(out, e.Kind)
	}
	return out
}
