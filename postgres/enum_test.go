package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

func TestEnumIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		labels []string
		want   []string
		sql    string
	}{
		{"one label", []string{"new", "contacted"}, []string{"new"}, `status IN ('new')`},
		{"every case of it", []string{"New", "contacted", "NEW"}, []string{"new"}, `status IN ('New', 'NEW')`},
		{"several wanted", []string{"Proposal", "Trial", "Won"}, []string{"proposal", "trial"}, `status IN ('Proposal', 'Trial')`},
		{"a quote in a label", []string{"new's"}, []string{"new's"}, `status IN ('new''s')`},
		{"none matches", []string{"open", "closed"}, []string{"new"}, `false`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.sql, enumIn("status", tc.labels, tc.want))
		})
	}
	// The text forms are the constants the indexes of a text column hold.
	require.Equal(t, leadWaiting, leadWaitingWith(statusNewText))
	require.Equal(t, leadNewContacted, leadNewContactedWith(statusNewText))
}

// A Supabase schema may type leads.status and deals.stage as enums, whose
// text form PostgreSQL refuses in an index (not immutable). migrate then
// indexes the enum condition instead, without a warning; the checks read
// through those indexes and still compare ignoring case.
func TestEnumStatusAndStage(t *testing.T) {
	t.Parallel()
	db, _ := mustOpen(t)
	ctx := context.Background()
	mustExec(t, db, `CREATE TYPE lead_status AS ENUM ('New', 'new', 'contacted', 'lost')`)
	mustExec(t, db, `CREATE TYPE deal_stage AS ENUM ('Assessment', 'proposal', 'Closed Won')`)
	mustExec(t, db, `CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, email text,
		created_at timestamptz, status lead_status, source text, last_contact_date timestamptz)`)
	mustExec(t, db, `CREATE TABLE deals (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, stage deal_stage,
		amount numeric, contact_id text, created_at timestamptz, updated_at timestamptz, last_activity_date timestamptz)`)
	rep, err := db.Migrate(ctx)
	require.NoError(t, err)
	for _, w := range rep.Warnings {
		require.NotContains(t, w, "ptd_leads_", "no lead index fails: %s", w)
		require.NotContains(t, w, "ptd_deals_stage_idx", "the stage index does not fail: %s", w)
	}
	require.Subset(t, rep.Created, []string{"index ptd_leads_new_idx", "index ptd_leads_new_contacted_idx", "index ptd_deals_stage_idx"})

	at := func(h int) time.Time { return testNow.Add(-time.Duration(h) * time.Hour) }
	mustExec(t, db, `INSERT INTO leads (name, status, created_at, last_contact_date) VALUES
		('upper', 'New', $1, NULL), ('lower', 'new', $1, NULL), ('contacted', 'contacted', $1, NULL),
		('answered', 'new', $1, $2), ('answered later', 'New', $1, $3)`, at(30), at(20), testNow.Add(time.Hour))
	mustExec(t, db, `INSERT INTO deals (name, stage, created_at) VALUES
		('assessed', 'Assessment', $1), ('proposed', 'proposal', $1), ('won', 'Closed Won', $1)`, at(40*24))

	var leads []string
	skipped, err := db.WaitingLeads(ctx, proactive.LeadQuery{Now: testNow}, func(l proactive.Lead) error {
		leads = append(leads, l.Name)
		return nil
	})
	require.NoError(t, err)
	slices.Sort(leads)
	require.Equal(t, []string{"lower", "upper"}, leads, "new in any case, never contacted")
	require.Equal(t, proactive.Skipped{proactive.SkipFutureTimestamp: 1}, skipped, "new, contacted in the future")

	// A label added while the store is open counts from the next read on.
	mustExec(t, db, `ALTER TYPE lead_status ADD VALUE 'NEW'`)
	mustExec(t, db, `INSERT INTO leads (name, status, created_at) VALUES ('shouting', 'NEW', $1)`, at(30))
	leads = nil
	_, err = db.WaitingLeads(ctx, proactive.LeadQuery{Now: testNow}, func(l proactive.Lead) error {
		leads = append(leads, l.Name)
		return nil
	})
	require.NoError(t, err)
	slices.Sort(leads)
	require.Equal(t, []string{"lower", "shouting", "upper"}, leads)
	// The next migrate builds the lead indexes again for the new label
	// (the planner takes them below); a migrate with nothing changed
	// leaves them.
	rep, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Warnings)
	require.Equal(t, []string{"index ptd_leads_new_idx", "index ptd_leads_new_contacted_idx"}, rep.Created)
	rep, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, rep.Created)

	var deals []string
	_, err = db.StalledDeals(ctx, proactive.DealQuery{Now: testNow, Stages: []string{"assessment", "Proposal"}}, func(d proactive.Deal) error {
		deals = append(deals, d.Name+" "+d.Stage)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"assessed Assessment", "proposed proposal"}, deals)

	// The planner takes the partial indexes: their conditions are the
	// checks' own.
	statusNew, err := db.leadStatusNew(ctx)
	require.NoError(t, err)
	require.Equal(t, `status IN ('New', 'new', 'NEW')`, statusNew)
	conn, err := db.pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET enable_seqscan = off")
	require.NoError(t, err)
	defer conn.Exec(context.Background(), "RESET enable_seqscan") //nolint:errcheck // the pool's session is reset either way
	for _, q := range []struct {
		index, sql string
		args       []any
	}{
		{"ptd_leads_new_idx", fmt.Sprintf(waitingLeadsSQL, leadWaitingWith(statusNew)), []any{testNow, testNow}},
		{"ptd_leads_new_contacted_idx", futureContactSQL(statusNew), []any{testNow}},
		{"ptd_deals_stage_idx", fmt.Sprintf(stalledDealsSQL, "", "", "", dealsLive, "", "stage = ANY($1::text[]::deal_stage[])"),
			[]any{[]string{"proposal"}, testNow, testNow}},
	} {
		rows, err := conn.Query(ctx, "EXPLAIN "+q.sql, q.args...)
		require.NoError(t, err)
		plan, err := collectStrings(rows)
		require.NoError(t, err)
		require.Contains(t, strings.Join(plan, "\n"), q.index)
	}
}
