package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/cli"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// The fixture below is small enough to work out by hand from CONTRACT §3–4,
// at now = 2025-12-10T12:00:00Z:
//
//   - john@example.com 70 → 45 (RED): drop 25, critical, urgency 90+10+15 → 100.
//   - amy@example.com slides 3 points a day, 90 … 72 then 69 (YELLOW): previous−current
//     is 3, but week_avg 81 − 69 = 12: medium, urgency 50+6+5 = 61.
//   - bob@example.com steady; glitch@example.com scores 150: skipped and counted.
//   - Deal 1 (Proposal, 15,000) idle 35 days: critical, 90+7+10 → 100. Deal 2 (no name,
//     "negotiation", 5,000) idle 18 days: medium, 50+3.6 = 53.6 → 54. Deal 3 is Closed Won.
//   - hubspot rate_limit × 5 unresolved in 24 h: critical, 90+15 → 100 (a sixth is
//     resolved, a seventh is 2 days old); stripe webhook_timeout × 1: nothing.
//   - Lead 10 (new) waiting 26 h: critical, 90+10 = 100. Lead 11 (NEW, no name) 8 h:
//     medium, 50+4 = 54. Lead 12 contacted.
//
// Groups: health critical, urgency round((100+61)/2 + 4) = round(84.5) = 85 (half up);
// deals critical 81; sync critical min(100+2, 100) = 100; leads critical 81.
const fixtureNow = "2025-12-10T12:00:00Z"

var fixture = map[string]string{
	"client_health_scores.csv": `email,firstname,lastname,health_score,health_zone,calculated_at
john@example.com,John,Smith,70,GREEN,2025-12-07 06:00:00
john@example.com,John,Smith,45,red,2025-12-10T06:00:00Z
amy@example.com,Amy,Lee,90,GREEN,2025-12-03 06:00:00
amy@example.com,Amy,Lee,87,GREEN,2025-12-04 06:00:00
amy@example.com,Amy,Lee,84,GREEN,2025-12-05 06:00:00
amy@example.com,Amy,Lee,81,GREEN,2025-12-06 06:00:00
amy@example.com,Amy,Lee,78,GREEN,2025-12-07 06:00:00
amy@example.com,Amy,Lee,75,GREEN,2025-12-08 06:00:00
amy@example.com,Amy,Lee,72,GREEN,2025-12-09 06:00:00
amy@example.com,Amy,Lee,69,YELLOW,2025-12-10 06:00:00
bob@example.com,Bob,Stone,85,GREEN,2025-12-09 06:00:00
bob@example.com,Bob,Stone,84,GREEN,2025-12-10 06:00:00
glitch@example.com,Data,Glitch,150,GREEN,2025-12-10 06:00:00
`,
	"deals.csv": `id,name,stage,amount,contact_id,created_at,updated_at,last_activity_date,hs_pipeline
1,Enterprise Package - ACME Corp,Proposal,15000,c1,2025-10-01,2025-11-05 12:00:00,2025-11-05 12:00:00,default
2,,negotiation,5000,c2,2025-10-01,2025-11-22 12:00:00,,default
3,Gym Membership,Closed Won,900,c3,2025-09-01,2025-09-02,2025-09-02,default
`,
	"sync_errors.ndjson": `{"id":1,"error_type":"rate_limit","source":"hubspot","object_type":"contact","error_message":"429","created_at":"2025-12-10T11:00:00Z","retry_count":1,"resolved_at":null}
{"id":2,"error_type":"rate_limit","source":"hubspot","object_type":"contact","error_message":"429","created_at":"2025-12-10T10:00:00Z","retry_count":1,"resolved_at":null}
{"id":3,"error_type":"rate_limit","source":"hubspot","object_type":"deal","error_message":"429","created_at":"2025-12-10T09:00:00Z","retry_count":2,"resolved_at":null}
{"id":4,"error_type":"rate_limit","source":"hubspot","object_type":"deal","error_message":"429","created_at":"2025-12-09T20:00:00Z","retry_count":0,"resolved_at":null}
{"id":5,"error_type":"rate_limit","source":"hubspot","object_type":"contact","error_message":"429","created_at":"2025-12-09T13:00:00Z","retry_count":3,"resolved_at":null}
{"id":6,"error_type":"rate_limit","source":"hubspot","object_type":"contact","error_message":"429","created_at":"2025-12-10T08:00:00Z","retry_count":1,"resolved_at":"2025-12-10T08:30:00Z"}
{"id":7,"error_type":"rate_limit","source":"hubspot","object_type":"contact","error_message":"429","created_at":"2025-12-08T08:00:00Z","retry_count":1,"resolved_at":null}
{"id":8,"error_type":"webhook_timeout","source":"stripe","object_type":"invoice","error_message":"timeout","created_at":"2025-12-10T07:00:00Z","retry_count":0,"resolved_at":null}
`,
	"leads.csv": `id,name,email,created_at,status,source,last_contact_date
10,Sarah Johnson,sarah@example.com,2025-12-09 10:00:00,new,Facebook Ads,
11,,lead11@example.com,2025-12-10 04:00:00,NEW,Website,
12,Tom Ray,tom@example.com,2025-12-08 10:00:00,new,Referral,2025-12-08 11:00:00
`,
}

// loadFixture imports the fixture into the store.
func loadFixture(t *testing.T, s store) {
	t.Helper()
	tables := map[string]string{
		"client_health_scores.csv": "client_health_scores", "deals.csv": "deals",
		"sync_errors.ndjson": "sync_errors", "leads.csv": "leads",
	}
	for file, table := range tables {
		path := filepath.Join(s.dir, file)
		require.NoError(t, os.WriteFile(path, []byte(fixture[file]), 0o600))
		mustRun(t, s.dir, nil, "import", table, path, "--db", s.url)
	}
}

// scanResponse is CONTRACT §6's object.
type scanResponse struct {
	Success           bool           `json:"success"`
	DurationMS        *int64         `json:"duration_ms"`
	AnomaliesDetected int            `json:"anomalies_detected"`
	AlertGroupsCount  int            `json:"alert_groups_created"`
	AlertsSaved       int            `json:"alerts_saved"`
	Breakdown         map[string]int `json:"breakdown"`
	Insights          []string       `json:"insights"`
	Predictions       []string       `json:"predictions"`
	AlertGroups       []struct {
		Type          string `json:"type"`
		Severity      string `json:"severity"`
		Urgency       int    `json:"urgency"`
		AffectedCount int    `json:"affected_count"`
		Saved         string `json:"saved"`
		AlertID       string `json:"alert_id"`
	} `json:"alert_groups"`
	AlertsUpdated int `json:"alerts_updated"`
	Suppressed    struct {
		Silenced, Snoozed, Acknowledged, Inhibited int
	} `json:"suppressed"`
	Cases struct {
		Opened, Escalated, Resolved, Open int
	} `json:"cases"`
	Errors []struct {
		Monitor string `json:"monitor"`
		Error   string `json:"error"`
	} `json:"errors"`
	SkippedRows []struct {
		Monitor string `json:"monitor"`
		Table   string `json:"table"`
		Reason  string `json:"reason"`
		Count   int    `json:"count"`
	} `json:"skipped_rows"`
}

func scanJSON(t *testing.T, s store, args ...string) scanResponse {
	t.Helper()
	r := mustRun(t, s.dir, nil, append([]string{"scan", "--json", "--db", s.url}, args...)...)
	var resp scanResponse
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
	return resp
}

func TestScanFollowsTheContract(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			loadFixture(t, s)
			resp := scanJSON(t, s, "--now", fixtureNow)

			require.True(t, resp.Success)
			require.NotNil(t, resp.DurationMS)
			require.Equal(t, map[string]int{"health_drops": 2, "deal_stalls": 2, "sync_failures": 1, "response_delays": 2}, resp.Breakdown)
			require.Equal(t, 7, resp.AnomaliesDetected)
			require.Equal(t, 4, resp.AlertGroupsCount)
			require.Equal(t, 4, resp.AlertsSaved)
			type group struct {
				typ, sev string
				urg, aff int
			}
			var got []group
			for _, g := range resp.AlertGroups {
				got = append(got, group{g.Type, g.Severity, g.Urgency, g.AffectedCount})
			}
			require.Equal(t, []group{
				{"health_drop", "critical", 85, 2},
				{"deal_stall", "critical", 81, 2},
				{"sync_fail", "critical", 100, 1},
				{"response_delay", "critical", 81, 2},
			}, got)
			require.Equal(t, []string{
				"Sync failures detected across 1 source(s): hubspot",
				"2 leads waiting for response. Average wait time: 17 hours",
			}, resp.Insights)
			require.Equal(t, []string{
				"Critical sync failures may cause data inconsistencies. Immediate attention required.",
				"Slow lead response times directly impact conversion rates. Consider automation or staffing adjustments.",
			}, resp.Predictions)
			require.Empty(t, resp.Errors)
			require.Len(t, resp.SkippedRows, 1)
			require.Equal(t, "checkHealthScoreDrops", resp.SkippedRows[0].Monitor)
			require.Equal(t, "client_health_scores", resp.SkippedRows[0].Table)
			require.Equal(t, 1, resp.SkippedRows[0].Count)

			// The stored alerts: titles, keys, entities, most urgent first.
			r := mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", fixtureNow)
			var alerts []map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts), r.stdout)
			require.Len(t, alerts, 4)
			byType := map[string]map[string]any{}
			for _, a := range alerts {
				for _, col := range []string{"id", "insight_type", "priority", "title", "content", "summary", "action_items",
					"affected_entities", "source_agent", "source_data", "dedup_key", "expires_at", "is_dismissed", "created_at"} {
					require.Contains(t, a, col)
				}
				require.Equal(t, "alert", a["insight_type"])
				require.Equal(t, "ptd-proactive", a["source_agent"])
				require.Equal(t, false, a["is_dismissed"])
				ae := a["affected_entities"].(map[string]any)
				byType[ae["type"].(string)] = a
			}
			health := byType["health_drop"]
			require.Equal(t, "2 Clients: Health Scores Dropping", health["title"])
			require.Equal(t, "health_drop_john@example.com_2025-12-10", health["dedup_key"])
			ae := health["affected_entities"].(map[string]any)
			require.Equal(t, []any{"John Smith (john@example.com)", "Amy Lee (amy@example.com)"}, ae["entities"])
			require.EqualValues(t, 85, ae["urgency_score"])
			require.EqualValues(t, 2, ae["count"])
			items := health["action_items"].([]any)
			require.Len(t, items, 2)
			first := items[0].(map[string]any)
			require.Equal(t, "critical", first["priority"])
			require.EqualValues(t, 100, first["urgency_score"])

			require.Equal(t, "2 Deals Stalled in Pipeline", byType["deal_stall"]["title"])
			require.Equal(t, "deal_stall_Enterprise_Package_-_ACME_Corp_2025-12-10", byType["deal_stall"]["dedup_key"])
			require.Equal(t, []any{"Enterprise Package - ACME Corp", "Deal #2"}, byType["deal_stall"]["affected_entities"].(map[string]any)["entities"])
			require.Equal(t, "HubSpot - rate_limit: 5 Sync Failures", byType["sync_fail"]["title"])
			require.Equal(t, "sync_fail_hubspot_rate_limit_2025-12-10", byType["sync_fail"]["dedup_key"])
			require.Equal(t, "2 Leads Waiting for Response", byType["response_delay"]["title"])
			require.Equal(t, "response_delay_sarah@example.com_2025-12-10", byType["response_delay"]["dedup_key"])
			require.Equal(t, "2025-12-12T12:00:00Z", byType["response_delay"]["expires_at"])
			require.Equal(t, "2025-12-10T12:00:00Z", byType["response_delay"]["created_at"])

			// Same day: nothing new. Next day: the keys change, alerts are stored again.
			again := scanJSON(t, s, "--now", "2025-12-10T13:00:00Z")
			require.Equal(t, 0, again.AlertsSaved)
			require.Equal(t, 4, again.AlertGroupsCount)
			next := scanJSON(t, s, "--now", "2025-12-11T12:30:00Z")
			require.Positive(t, next.AlertsSaved)

			// Dismiss: gone from the list; unknown and malformed ids fail with exit 1.
			id := byType["sync_fail"]["id"].(string)
			mustRun(t, s.dir, nil, "dismiss", id, "--db", s.url)
			r = mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", fixtureNow, "--type", "sync_fail")
			require.Equal(t, "[]", strings.TrimSpace(r.stdout))
			bad := run(t, s.dir, nil, "dismiss", "00000000-0000-4000-8000-000000000000", "--db", s.url)
			require.Equal(t, 1, bad.code, bad.stderr)
			require.Contains(t, bad.stderr, "not found")
			bad = run(t, s.dir, nil, "dismiss", "not-an-id", "--db", s.url)
			require.Equal(t, 1, bad.code, bad.stderr)
		})
	}
}

func TestSeverityRiseEscalatesTheStoredAlert(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join(s.dir, "leads.csv")
			require.NoError(t, os.WriteFile(path, []byte("id,name,email,created_at,status\n11,,lead11@example.com,2025-12-10 04:00:00,new\n"), 0o600))
			mustRun(t, s.dir, nil, "import", "leads", path, "--db", s.url)

			first := scanJSON(t, s, "--now", "2025-12-10T12:00:00Z") // 8 h: medium
			require.Equal(t, "medium", first.AlertGroups[0].Severity)
			require.Equal(t, 1, first.AlertsSaved)
			same := scanJSON(t, s, "--now", "2025-12-10T13:00:00Z") // 9 h: still medium
			require.Equal(t, 0, same.AlertsSaved)
			rose := scanJSON(t, s, "--now", "2025-12-10T17:00:00Z") // 13 h: high
			require.Equal(t, "high", rose.AlertGroups[0].Severity)
			require.Equal(t, 1, rose.AlertsSaved)

			r := mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", "2025-12-10T17:00:00Z")
			var alerts []map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &alerts))
			require.Len(t, alerts, 1, "the escalation updates the stored alert, it adds none")
			require.Equal(t, "high", alerts[0]["priority"])
			require.Equal(t, "2025-12-10T12:00:00Z", alerts[0]["created_at"])
			require.Equal(t, "2025-12-12T17:00:00Z", alerts[0]["expires_at"])
		})
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			loadFixture(t, s)
			resp := scanJSON(t, s, "--now", fixtureNow, "--dry-run")
			require.True(t, resp.Success)
			require.Equal(t, 4, resp.AlertGroupsCount)
			require.Equal(t, 4, resp.AlertsSaved, "what a real scan would have done (CONTRACT §10.12)")
			r := mustRun(t, s.dir, nil, "alerts", "--json", "--db", s.url, "--now", fixtureNow)
			require.Equal(t, "[]", strings.TrimSpace(r.stdout))
		})
	}
}

func TestExitStatusAndMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	badConfig := filepath.Join(dir, "bad.yml")
	require.NoError(t, os.WriteFile(badConfig, []byte("thresholds:\n  health_drop_critical: 10\n"), 0o600))
	unknownKey := filepath.Join(dir, "unknown.yml")
	require.NoError(t, os.WriteFile(unknownKey, []byte("thresholds:\n  health_drop_critcal: 30\n"), 0o600))
	tests := []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"unknown flag", []string{"scan", "--bogus"}, nil, 2, "unknown flag"},
		{"unknown command", []string{"scna"}, nil, 2, "unknown command"},
		{"bad --now", []string{"scan", "--db", db, "--now", "yesterday"}, nil, 2, "RFC 3339"},
		{"without cases, not a dry run", []string{"scan", "--db", db, "--without-cases"}, nil, 2, "needs --dry-run"},
		{"CPU profile in a missing directory", []string{"scan", "--db", db, "--cpu-profile", filepath.Join(dir, "no", "cpu.prof")}, nil, 2, "--cpu-profile"},
		{"dismiss without id", []string{"dismiss", "--db", db}, nil, 2, "exactly one alert id"},
		{"critical below high", []string{"scan", "--db", db, "--config", badConfig}, nil, 1, "health_drop_critical"},
		{"unknown config key", []string{"scan", "--db", db, "--config", unknownKey}, nil, 1, "health_drop_critcal"},
		{"config from env", []string{"scan", "--db", db}, []string{"PTD_CONFIG=" + badConfig}, 1, "health_drop_critical"},
		{"database down", []string{"scan", "--db", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}, nil, 1, "127.0.0.1"},
		{"bad env value", []string{"scan", "--db", db}, []string{"PTD_DRY_RUN=maybe"}, 2, "PTD_DRY_RUN"},
		{"bad priority", []string{"alerts", "--db", db, "--priority", "urgent"}, nil, 2, "critical, high, medium or low"},
		{"unknown import table", []string{"import", "users", "x.csv", "--db", db}, nil, 2, "client_health_scores"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, dir, tc.env, tc.args...)
			require.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.NotContains(t, r.stderr, "panic")
		})
	}
}

func TestEnvironmentVariablesSetFlags(t *testing.T) {
	t.Parallel()
	s := stores(t)[0]
	loadFixture(t, s)
	env := []string{"PTD_DATABASE_URL=" + s.url, "PTD_JSON=true", "PTD_NOW=" + fixtureNow}
	r := mustRun(t, s.dir, env, "scan")
	var resp scanResponse
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &resp), r.stdout)
	require.Equal(t, 4, resp.AlertsSaved)
	require.Contains(t, r.stderr, "[PTD Proactive] Starting comprehensive monitoring scan...")
	require.Contains(t, r.stderr, "[checkHealthScoreDrops] Found 2 health score anomalies")
	require.Contains(t, r.stderr, "Complete. Saved 4 new alerts in")
}

func TestImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join(s.dir, "deals.csv")
			body := "id,name,stage,amount,updated_at\n1,Good,Proposal,100,2025-11-01\n2,Bad,Proposal,12k,2025-11-01\n3,Also good,Trial,5,2025-11-02\n"
			require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
			r := run(t, s.dir, nil, "import", "deals", path, "--db", s.url)
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, "line 3")
			require.Contains(t, r.stderr, "amount")
			require.Contains(t, r.stderr, "12k")
			require.Equal(t, 0, tableRows(t, s, "deals"), "a bad row writes nothing")

			r = mustRun(t, s.dir, nil, "import", "deals", path, "--db", s.url, "--skip-invalid")
			require.Contains(t, r.stdout, "Imported 2 rows")
			require.Contains(t, r.stdout, "line 3")
			require.Equal(t, 2, tableRows(t, s, "deals"))
		})
	}
}

// A user's own table stricter than the product's (CONTRACT §9): a row it
// refuses is a bad row, named by line, column and value, exit 1 and
// nothing written; --skip-invalid imports the rest and lists it.
func TestImportIntoAStricterTable(t *testing.T) {
	t.Parallel()
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			mustRun(t, s.dir, nil, "migrate", "--db", s.url)
			execSQL(t, s, "DROP TABLE deals")
			execSQL(t, s, `CREATE TABLE deals (id text PRIMARY KEY, name text NOT NULL, stage text, amount numeric,
				contact_id text, created_at timestamp, updated_at timestamp, last_activity_date timestamp)`)
			path := filepath.Join(s.dir, "deals.csv")
			body := "id,name,stage,updated_at\n1,Good,Proposal,2025-11-01\n2,,Proposal,2025-11-01\n3,Also good,Trial,2025-11-02\n"
			require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
			r := run(t, s.dir, nil, "import", "deals", path, "--db", s.url)
			require.Equal(t, 1, r.code, r.stderr)
			require.Contains(t, r.stderr, `line 3, column name, value "": `)
			require.Contains(t, r.stderr, "nothing was imported")
			require.Equal(t, 0, tableRows(t, s, "deals"), "a refused row writes nothing")

			r = mustRun(t, s.dir, nil, "import", "deals", path, "--db", s.url, "--skip-invalid", "--json")
			res := decodeImport(t, r.stdout)
			require.Equal(t, 2, res.Imported)
			require.Len(t, res.Skipped, 1)
			require.Equal(t, 3, res.Skipped[0].Line)
			require.Equal(t, "name", res.Skipped[0].Column)
			require.Equal(t, 2, tableRows(t, s, "deals"))
		})
	}
}

// importResult is what `import --json` prints, as far as the tests read it.
type importResult struct {
	Imported int `json:"imported"`
	Skipped  []struct {
		Line   int    `json:"line"`
		Column string `json:"column"`
		Reason string `json:"reason"`
	} `json:"skipped"`
}

// decodeImport reads the output of `import --json`.
func decodeImport(t *testing.T, stdout string) importResult {
	t.Helper()
	var res importResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	return res
}

// tableRows reads a table's row count through doctor --json.
func tableRows(t *testing.T, s store, table string) int {
	t.Helper()
	r := run(t, s.dir, nil, "doctor", "--json", "--db", s.url)
	var d struct {
		Tables []struct {
			Table string `json:"table"`
			Rows  int    `json:"rows"`
		} `json:"tables"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &d), r.stdout+r.stderr)
	for _, tb := range d.Tables {
		if tb.Table == table {
			return tb.Rows
		}
	}
	t.Fatalf("doctor does not report %s", table)
	return 0
}

var timing = regexp.MustCompile(` in \d+ ms`)

func TestDemoReportGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := "2026-11-27T10:00:00Z"
	first := mustRun(t, dir, nil, "demo", "--now", now, "--log-level", "error")
	got := timing.ReplaceAllString(first.stdout, " in N ms")
	golden := filepath.Join("testdata", "demo.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./cli -update to create it")
	require.Equal(t, string(want), got)
	require.FileExists(t, filepath.Join(dir, "ptd-proactive.db"))

	// The outcomes: what became of the clients and deals, by date.
	outcomes, err := os.ReadFile(filepath.Join(dir, "demo-outcomes.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(outcomes)), "\n")
	require.Equal(t, "key,at", lines[0])
	require.Regexp(t, `^([a-z.0-9]+@example\.com|deal-\d+),\d{4}-\d\d-\d\d$`, lines[1])

	second := mustRun(t, dir, nil, "demo", "--now", now, "--log-level", "error")
	require.Contains(t, second.stdout, "No duplicates stored: all 8 alert groups")
	require.Contains(t, second.stdout, "0 alerts saved")
	require.Contains(t, second.stdout, "Settings: ptd-proactive.yaml, with 8 checks.")

	// scan in the same directory reads the demo's settings: the same eight
	// checks, the same anomalies.
	r := mustRun(t, dir, nil, "scan", "--now", now, "--json")
	var res struct {
		Anomalies int            `json:"anomalies_detected"`
		Breakdown map[string]int `json:"breakdown"`
		Errors    []any          `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res), r.stdout)
	require.Empty(t, res.Errors)
	require.Len(t, res.Breakdown, 8)
	require.Contains(t, first.stdout, fmt.Sprintf("\n  %d anomalies: ", res.Anomalies))
}

// TestScanSetsASoftMemoryLimit: scan runs under ScanMemoryLimit, plus the
// largest working set of the checks it runs (those that stream every
// client's series: one read when both run), and puts the previous limit
// back, unless GOMEMLIMIT is set.
func TestScanSetsASoftMemoryLimit(t *testing.T) {
	t.Parallel()
	series := rules.Registry().WorkingSet([]proactive.AnomalyType{proactive.HealthForecast})
	require.Positive(t, series, "the series checks declare a working set")
	for _, tc := range []struct {
		name, env, checks string
		want              int64 // 0: no limit set
	}{
		{"the default checks", "", "", cli.ScanMemoryLimit},
		{"with the forecast", "", "[health_drop, deal_stall, health_forecast]", cli.ScanMemoryLimit + series},
		{"with both series checks: one read, one working set", "", "[health_drop, health_forecast, health_anomaly]", cli.ScanMemoryLimit + series},
		{"GOMEMLIMIT set: the user's", "100MiB", "[health_forecast]", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := []string{"scan", "--json", "--db", filepath.Join(dir, "ptd.db")}
			if tc.checks != "" {
				cfg := filepath.Join(dir, "ptd.yaml")
				require.NoError(t, os.WriteFile(cfg, []byte("checks: "+tc.checks+"\n"), 0o600))
				args = append(args, "--config", cfg)
			}
			var calls []int64
			limit := int64(math.MaxInt64)
			var stdout, stderr bytes.Buffer
			code := cli.Main(t.Context(), cli.IO{
				Args:   args,
				Stdout: &stdout, Stderr: &stderr,
				Getenv: func(k string) string {
					if k == "GOMEMLIMIT" {
						return tc.env
					}
					return ""
				},
				SetMemoryLimit: func(n int64) int64 {
					calls = append(calls, n)
					prev := limit
					limit = n
					return prev
				},
			})
			require.Equal(t, 0, code, stderr.String())
			if tc.want == 0 {
				require.Empty(t, calls, "GOMEMLIMIT set: the limit is the user's")
				return
			}
			require.Equal(t, []int64{tc.want, math.MaxInt64}, calls, "set for the scan, then put back")
		})
	}
}

// --cpu-profile writes a CPU profile of the scan, for go tool pprof (a
// gzipped protocol buffer); --without-cases with --dry-run reports every
// anomaly actionable and writes nothing.
func TestScanProfileAndWithoutCases(t *testing.T) {
	t.Parallel()
	s := stores(t)[0]
	loadFixture(t, s)
	prof := filepath.Join(s.dir, "cpu.prof")
	resp := scanJSON(t, s, "--now", fixtureNow, "--dry-run", "--without-cases", "--cpu-profile", prof)
	require.True(t, resp.Success)
	require.Equal(t, 4, resp.AlertGroupsCount)
	b, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.Greater(t, len(b), 2)
	require.Equal(t, []byte{0x1f, 0x8b}, b[:2], "gzip, as pprof writes it")
	r := mustRun(t, s.dir, nil, "cases", "--json", "--db", s.url)
	require.Equal(t, "[]", strings.TrimSpace(r.stdout))
}
