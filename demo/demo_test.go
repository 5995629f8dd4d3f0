package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a := Generate(Options{Now: now, Seed: 7})
	b := Generate(Options{Now: now, Seed: 7})
	require.Equal(t, a, b, "the same seed and now give the same rows")
	c := Generate(Options{Now: now, Seed: 8})
	require.NotEqual(t, a, c, "another seed gives other rows")

	// Another now moves the data with it: the same rows, shifted.
	later := Generate(Options{Now: now.Add(48 * time.Hour), Seed: 7})
	require.Equal(t, a.Counts(), later.Counts())
	require.Equal(t, a.Tables[0].Rows[0]["calculated_at"].(time.Time).Add(48*time.Hour), later.Tables[0].Rows[0]["calculated_at"])
}

func TestGenerateShape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		clients, want int
	}{{0, DefaultClients}, {1, MinClients}, {MinClients, MinClients}, {1000, 1000}} {
		ds := Generate(Options{Now: now, Clients: tc.clients, Seed: 1})
		require.Len(t, ds.Tables, 5)
		for i, name := range proactive.ImportTables() {
			tb := ds.Tables[i]
			require.Equal(t, name, tb.Name)
			if name != proactive.TableContacts {
				require.Equal(t, proactive.SourceColumns(name), tb.Columns, "no configured columns unless asked")
			}
			for _, row := range tb.Rows {
				require.Len(t, row, len(tb.Columns), "%s: every row has every column: %v", name, row)
				for _, c := range tb.Columns {
					require.Contains(t, row, c)
				}
			}
		}
		counts := ds.Counts()
		// Daily readings for a fortnight, plus three that make no sense.
		require.Equal(t, tc.want*14+3, counts[proactive.TableHealthScores], "clients %d", tc.clients)
		require.Equal(t, tc.want, counts[proactive.TableContacts], "a contact per client")
		renewals := 0
		for i := range tc.want {
			if kindOf(i) == renewal {
				renewals++
			}
		}
		require.Equal(t, max(tc.want*2/5, 19)+renewals+1, counts[proactive.TableDeals])
		require.Equal(t, max(tc.want/4, 8), counts[proactive.TableLeads])
		require.Equal(t, 21, counts[proactive.TableSyncErrors])
	}
}

func TestGenerateIsRealistic(t *testing.T) {
	t.Parallel()
	ds := Generate(Options{Now: now, Seed: 1})
	tables := map[string][]proactive.Row{}
	for _, tb := range ds.Tables {
		tables[tb.Name] = tb.Rows
	}

	// Deals: every stage, and names a person tells apart.
	stages := map[string]bool{}
	names := map[string]bool{}
	for _, d := range tables[proactive.TableDeals] {
		stages[d["stage"].(string)] = true
		if n, ok := d["name"].(string); ok {
			require.False(t, names[n], "deal name %q is used twice", n)
			names[n] = true
		}
	}
	for _, s := range []string{"Lead", "Assessment", "Proposal", "Negotiation", "Trial", "Closed Won", "Closed Lost"} {
		require.True(t, stages[s], "no deal in stage %s", s)
	}

	// Sync errors from several sources.
	sources := map[string]bool{}
	for _, e := range tables[proactive.TableSyncErrors] {
		sources[e["source"].(string)] = true
	}
	require.Equal(t, map[string]bool{"hubspot": true, "stripe": true, "meta": true}, sources)

	// Nothing is dated after now but the one reading that is meant to be.
	future := 0
	for _, tb := range ds.Tables {
		for _, row := range tb.Rows {
			for _, v := range row {
				if ts, ok := v.(time.Time); ok && ts.After(now) {
					future++
				}
			}
		}
	}
	require.Equal(t, 1, future)

	// Mostly healthy: the clients whose newest reading is GREEN are the majority.
	newest := map[string]string{}
	for _, h := range tables[proactive.TableHealthScores] {
		if email, ok := h["email"].(string); ok && h["calculated_at"].(time.Time).Equal(now.Truncate(24*time.Hour).Add(6*time.Hour)) {
			newest[email] = h["health_zone"].(string)
		}
	}
	green := 0
	for _, z := range newest {
		if z == "GREEN" || z == "green" {
			green++
		}
	}
	require.Greater(t, green, len(newest)/2, "most clients are healthy")
}

// recorder is a proactive.Importer that records the tables it is given.
type recorder struct{ tables []string }

// InsertRows records the table.
func (r *recorder) InsertRows(_ context.Context, table string, _ []string, _ []proactive.Row) error {
	r.tables = append(r.tables, table)
	return nil
}

func TestLoad(t *testing.T) {
	t.Parallel()
	var rec recorder
	require.NoError(t, Load(context.Background(), &rec, Generate(Options{Now: now})))
	require.Equal(t, proactive.ImportTables(), rec.tables)
}

// BenchmarkGenerate times the backtest's data: 10,000 clients, 90 days.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(Options{Now: now, Clients: 10_000, Days: 90, Seed: 1, Columns: Columns()})
	}
}

// TestOutcomes: the ground truth names generated clients and deals in the
// form a backtest compares (a lower-cased email, deal-<id>), by date, and
// tells a realistic story: some flagged clients churn, not all, and some
// churn unflagged.
func TestOutcomes(t *testing.T) {
	t.Parallel()
	for _, tc := range []Options{
		{Now: now, Seed: 1},
		{Now: now, Seed: 2, Clients: MinClients},
		{Now: now, Seed: 3, Clients: 2000, Days: 90},
	} {
		ds := Generate(tc)
		clients, deals := map[string]bool{}, map[string]bool{}
		for _, row := range ds.Tables[0].Rows {
			if e, ok := row["email"].(string); ok {
				clients[e] = true
			}
		}
		for _, row := range ds.Tables[1].Rows {
			deals["deal-"+row["id"].(string)] = true
		}
		require.NotEmpty(t, ds.Outcomes)
		churned, lost := 0, 0
		for i, o := range ds.Outcomes {
			require.Equal(t, strings.ToLower(o.Key), o.Key)
			require.True(t, clients[o.Key] || deals[o.Key], "%s names a generated client or deal", o.Key)
			require.Equal(t, o.At.Truncate(24*time.Hour), o.At, "a date")
			require.True(t, o.At.Before(now.AddDate(0, 0, 31)), "within a month of now: %s", o.At)
			if i > 0 {
				require.False(t, o.At.Before(ds.Outcomes[i-1].At), "by date")
			}
			if deals[o.Key] {
				lost++
			} else {
				churned++
			}
		}
		require.Positive(t, lost)
		require.Positive(t, churned)
		require.Less(t, churned, len(clients)/4, "most clients stay")
		// A churned client is not measured after it churned.
		last := map[string]time.Time{}
		for _, row := range ds.Tables[0].Rows {
			if e, ok := row["email"].(string); ok {
				if at := row["calculated_at"].(time.Time); at.After(last[e]) {
					last[e] = at
				}
			}
		}
		for _, o := range ds.Outcomes {
			if clients[o.Key] {
				require.False(t, last[o.Key].After(o.At.Add(24*time.Hour)), "%s measured after it churned", o.Key)
			}
		}
	}
}

func TestWriteOutcomes(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	require.NoError(t, WriteOutcomes(&b, []Outcome{
		{Key: "ava.smith1@example.com", At: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)},
		{Key: "deal-1004", At: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
	}))
	require.Equal(t, "key,at\nava.smith1@example.com,2026-11-03\ndeal-1004,2026-11-30\n", b.String())
	b.Reset()
	require.NoError(t, WriteOutcomes(&b, nil))
	require.Equal(t, "key,at\n", b.String(), "no outcomes: the header alone")
}
