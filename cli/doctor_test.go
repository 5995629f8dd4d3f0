package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/sqlite"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// dropTable removes a table behind the CLI's back.
func dropTable(t *testing.T, s store, table string) {
	t.Helper()
	execSQL(t, s, "DROP TABLE "+table)
}

// execSQL runs a statement on the store behind the CLI's back.
func execSQL(t *testing.T, s store, query string) {
	t.Helper()
	ctx := context.Background()
	var st proactive.Store
	var err error
	if s.name == "postgres" {
		st, err = postgres.Open(ctx, s.url, postgres.Options{})
	} else {
		st, err = sqlite.Open(ctx, s.url)
	}
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.(storetest.Execer).ExecForTest(ctx, query))
}

func TestDoctorNamesWhatIsWrongAndTheFix(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			mustRun(t, s.dir, nil, "migrate", "--db", s.url)
			r := mustRun(t, s.dir, nil, "doctor", "--db", s.url, "--now", fixtureNow)
			require.Contains(t, r.stdout, "client_health_scores: 0 rows")
			require.Contains(t, r.stdout, "the table is empty")

			loadFixture(t, s)
			dropTable(t, s, "leads")
			r = run(t, s.dir, nil, "doctor", "--db", s.url, "--now", fixtureNow)
			require.Equal(t, 1, r.code, "a missing source table is a problem: %s", r.stdout)
			require.Contains(t, r.stdout, "leads: table is missing")
			require.Contains(t, r.stdout, "ptd-proactive migrate")
			require.Contains(t, r.stdout, "client_health_scores: 13 rows; readings in the last 14 days: 13; newest 6 hours old")

			r = run(t, s.dir, nil, "doctor", "--json", "--db", s.url, "--now", "2026-01-10T12:00:00Z")
			var d struct {
				Findings []struct {
					Level, Table, Message, Fix string
				} `json:"findings"`
				Problems int `json:"problems"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &d), r.stdout)
			require.Equal(t, 1, d.Problems)
			var stale bool
			for _, f := range d.Findings {
				if f.Table == "client_health_scores" && f.Level == "warning" {
					stale = true
					require.Contains(t, f.Fix, "is running")
				}
			}
			require.True(t, stale, "a month without readings is reported: %+v", d.Findings)

			// The scan still runs the other checks and lists the missing one.
			resp := scanJSON(t, s, "--now", fixtureNow, "--no-migrate")
			require.True(t, resp.Success)
			require.Len(t, resp.Errors, 1)
			require.Equal(t, "checkLeadResponseTimes", resp.Errors[0].Monitor)
			require.Equal(t, 2, resp.Breakdown["health_drops"])
		})
	}
}

func TestDoctorNamesMissingColumns(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			mustRun(t, s.dir, nil, "migrate", "--db", s.url)
			ctx := context.Background()
			var st proactive.Store
			var err error
			if s.name == "postgres" {
				st, err = postgres.Open(ctx, s.url, postgres.Options{})
			} else {
				st, err = sqlite.Open(ctx, s.url)
			}
			require.NoError(t, err)
			require.NoError(t, st.(storetest.Execer).ExecForTest(ctx, "ALTER TABLE deals DROP COLUMN last_activity_date"))
			st.Close()

			r := run(t, s.dir, nil, "doctor", "--db", s.url, "--now", fixtureNow)
			require.Equal(t, 1, r.code, r.stdout)
			require.Contains(t, r.stdout, "✗ deals: missing columns: last_activity_date")
			require.Contains(t, r.stdout, "\n1 problem and 2 warnings found (above): fix the problem first.\n")

			// migrate never touches a user's table: it says what is missing instead.
			r = mustRun(t, s.dir, nil, "migrate", "--db", s.url)
			require.Contains(t, r.stdout, "deals has no column last_activity_date")

			// The scan runs the other checks and names the missing column.
			resp := scanJSON(t, s, "--now", fixtureNow, "--no-migrate")
			require.Len(t, resp.Errors, 1)
			require.Equal(t, "checkDealPipelineStalls", resp.Errors[0].Monitor)
			require.Contains(t, resp.Errors[0].Error, "last_activity_date")
		})
	}
}

// A writer whose clock or time zone runs ahead dates rows in the future:
// the checks skip them, so doctor says so and judges recency on the rows
// dated before now. As of a past --now such rows had not been written:
// counted on the table's line, no warning.
func TestDoctorWarnsOfRowsDatedInTheFuture(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			mustRun(t, s.dir, nil, "migrate", "--db", s.url)
			now := time.Now().UTC()
			insert := func(email string, at time.Time) {
				execSQL(t, s, fmt.Sprintf(`INSERT INTO client_health_scores (email, health_score, health_zone, calculated_at)
					VALUES ('%s', 80, 'GREEN', '%s')`, email, at.Format(time.RFC3339)))
			}
			insert("past@example.com", now.Add(-90*time.Minute))
			insert("ahead@example.com", now.Add(210*time.Minute))
			insert("ahead2@example.com", now.Add(30*time.Minute))

			r := run(t, s.dir, nil, "doctor", "--db", s.url)
			require.Contains(t, r.stdout, "client_health_scores: 3 rows; readings in the last 14 days: 1; newest 1 hour old\n")
			require.Contains(t, r.stdout, "client_health_scores: 2 rows are dated in the future, up to 3 hours ahead: the checks skip them until then")
			require.Contains(t, r.stdout, "fix: check the clock and time zone of whatever writes client_health_scores")

			r = run(t, s.dir, nil, "doctor", "--json", "--db", s.url)
			var d struct {
				Findings []struct{ Level, Table, Message, Fix string } `json:"findings"`
				Tables   []struct {
					Table  string `json:"table"`
					Future int64  `json:"future_rows"`
				} `json:"tables"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &d), r.stdout)
			var warned bool
			for _, f := range d.Findings {
				warned = warned || (f.Level == "warning" && f.Table == "client_health_scores" && strings.Contains(f.Message, "dated in the future"))
			}
			require.True(t, warned, "%+v", d.Findings)
			require.Equal(t, "client_health_scores", d.Tables[0].Table)
			require.EqualValues(t, 2, d.Tables[0].Future)

			r = run(t, s.dir, nil, "doctor", "--db", s.url, "--now", now.Add(-time.Hour).Format(time.RFC3339))
			require.Contains(t, r.stdout, "newest 30 minutes old; 2 rows dated after --now\n")
			require.NotContains(t, r.stdout, "dated in the future")
		})
	}
}
