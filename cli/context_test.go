package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/postgres"
)

// contextConfig configures the owner and value columns and the HubSpot
// inhibit rule (CONTRACT §11.1, §11.8).
const contextConfig = `checks: [health_drop, deal_stall, sync_fail, response_delay, renewal_risk]
columns: {client_owner: coach, deal_owner: rep, client_value: package_value}
inhibit:
  - {source_type: sync_fail, source_match: "hubspot_*", target_type: deal_stall}
`

// contextFiles are a client whose health drops, her stalled deal (her
// contact by contact_id), and failing HubSpot syncs.
var contextFiles = map[string]string{
	"contacts.csv": "id,email\nc1,Ann@Example.com\n",
	"client_health_scores.csv": `email,firstname,lastname,health_score,health_zone,calculated_at,coach,package_value
ann@example.com,Ann,Lee,80,GREEN,2025-12-07 06:00:00,Kim,1200.50
ann@example.com,Ann,Lee,55,YELLOW,2025-12-10 06:00:00, Kim ,1200.50
`,
	"deals.csv": "id,name,stage,amount,contact_id,created_at,rep\nd1,Renewal - Ann,Negotiation,4000,c1,2025-11-15,Lee\n",
	"sync_errors.csv": `id,error_type,source,created_at
s1,rate_limit,hubspot,2025-12-10 08:00:00
s2,rate_limit,hubspot,2025-12-10 09:00:00
s3,rate_limit,hubspot,2025-12-10 10:00:00
`,
}

// The context end to end: doctor names configured columns the database
// lacks; once they exist, import takes them and contacts, and a scan fills
// owners, revenue at risk, renewal risks and the inhibition.
func TestContextColumnsImportDoctorAndScan(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			cfg := filepath.Join(s.dir, "ptd.yml")
			require.NoError(t, os.WriteFile(cfg, []byte(contextConfig), 0o600))
			mustRun(t, s.dir, nil, "migrate", "--db", s.url) // without the configuration: no configured column

			r := mustRun(t, s.dir, nil, "doctor", "--db", s.url, "--config", cfg, "--now", fixtureNow)
			require.Contains(t, r.stdout, "! client_health_scores: columns.client_owner names the column coach, which table client_health_scores lacks")
			require.Contains(t, r.stdout, "! deals: columns.deal_owner names the column rep")
			if s.name == "sqlite" {
				require.Contains(t, r.stdout, "run 'ptd-proactive migrate' with this configuration")
				r = mustRun(t, s.dir, nil, "migrate", "--db", s.url, "--config", cfg)
				require.Contains(t, r.stdout, "created column client_health_scores.coach")
				require.Contains(t, r.stdout, "created column deals.rep")
			} else {
				require.Contains(t, r.stdout, "ALTER TABLE client_health_scores ADD COLUMN coach")
				st, err := postgres.Open(context.Background(), s.url, postgres.Options{})
				require.NoError(t, err)
				require.NoError(t, st.ExecForTest(context.Background(), `ALTER TABLE client_health_scores ADD COLUMN coach text, ADD COLUMN package_value numeric;
					ALTER TABLE deals ADD COLUMN rep text`))
				st.Close()
			}
			r = mustRun(t, s.dir, nil, "doctor", "--db", s.url, "--config", cfg, "--now", fixtureNow)
			require.Contains(t, r.stdout, "configured columns found: columns.client_owner: client_health_scores.coach, columns.deal_owner: deals.rep, columns.client_value: client_health_scores.package_value")
			require.NotContains(t, r.stdout, "lacks")

			for _, table := range []string{"contacts", "client_health_scores", "deals", "sync_errors"} {
				p := filepath.Join(s.dir, table+".csv")
				require.NoError(t, os.WriteFile(p, []byte(contextFiles[table+".csv"]), 0o600))
				mustRun(t, s.dir, nil, "import", table, p, "--db", s.url, "--config", cfg)
			}

			r = mustRun(t, s.dir, nil, "scan", "--json", "--db", s.url, "--config", cfg, "--now", fixtureNow)
			var resp struct {
				Breakdown  map[string]int `json:"breakdown"`
				Errors     []any          `json:"errors"`
				Suppressed struct {
					Inhibited int `json:"inhibited"`
				} `json:"suppressed"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
			require.Empty(t, resp.Errors)
			require.Equal(t, 1, resp.Breakdown["renewal_risks"], "her health and her stalled deal")
			require.Equal(t, 1, resp.Suppressed.Inhibited, "the stalled deal, under the failing HubSpot sync")

			r = mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", fixtureNow)
			var alerts []struct {
				AffectedEntities struct {
					Type string `json:"type"`
				} `json:"affected_entities"`
				SourceData map[string]any `json:"source_data"`
			}
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts), r.stdout)
			revenue := map[string]any{}
			for _, a := range alerts {
				revenue[a.AffectedEntities.Type] = a.SourceData["revenue_at_risk"]
			}
			require.Equal(t, map[string]any{"health_drop": 1200.5, "deal_stall": 4000.0, "sync_fail": 0.0, "renewal_risk": 5200.5}, revenue)

			st := openStore(t, s)
			cases := map[string]proactive.Case{}
			require.NoError(t, st.View(context.Background(), func(tx proactive.DeskTx) error {
				cs, err := tx.FindCases(context.Background(), proactive.CaseQuery{Unresolved: true})
				for _, c := range cs {
					cases[string(c.Type)] = c
				}
				return err
			}))
			require.Equal(t, "Kim", cases["health_drop"].Owner)
			require.Equal(t, "Kim", cases["renewal_risk"].Owner)
			require.Equal(t, "Lee", cases["deal_stall"].Owner)
			require.Equal(t, "sync_fail:hubspot_rate_limit", cases["deal_stall"].InhibitedBy)
			require.Empty(t, cases["sync_fail"].Owner)
		})
	}
}
