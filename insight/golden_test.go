package insight

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenAnomalies runs the four checks over realistic records: for each
// type, one anomaly ("single") or eight ("group", more than 5 related).
func goldenAnomalies(typ proactive.AnomalyType, n int) []proactive.Anomaly {
	th := proactive.DefaultThresholds()
	ago := func(d time.Duration) time.Time { return testNow.Add(-d) }
	switch typ {
	case proactive.HealthDrop:
		all := []proactive.HealthTrend{
			{Email: "john@example.com", Firstname: "John", Lastname: "Smith", Previous: 82, Current: 55, Zone: "RED", Readings: 5},
			{Email: "maria@example.com", Firstname: "Maria", Lastname: "Garcia", Previous: 62, Current: 60, WeekAvg: ptr(76.5), Zone: "YELLOW", Readings: 6},
			{Email: "li@example.com", Firstname: "Li", Lastname: "Wei", Previous: 71.2, Current: 58.7, Zone: "YELLOW", Readings: 3},
			{Email: "noname@example.com", Previous: 90, Current: 72, Zone: "GREEN", Readings: 2},
			{Email: "ade@example.com", Firstname: "Ade", Lastname: "Okafor", Previous: 75, Current: 64, Zone: "GREEN", Readings: 4},
			{Email: "sam@example.com", Firstname: "Sam", Previous: 68, Current: 57.5, Zone: "YELLOW", Readings: 3},
			{Email: "eva@example.com", Firstname: "Eva", Lastname: "Novak", Previous: 88, Current: 61, Readings: 2},
			{Email: "tom@example.com", Firstname: "Tom", Lastname: "Berg", Previous: 70, Current: 59, Zone: "RED", Readings: 4},
		}
		return rules.Health(all[:n], th, testNow)
	case proactive.DealStall:
		amt := func(f float64) *float64 { return &f }
		all := []proactive.Deal{
			{ID: "101", Name: "Enterprise Package - ACME Corp", Stage: "Negotiation", Amount: amt(48000), LastActivity: ago(45*24*time.Hour + 3*time.Hour)},
			{ID: "102", Name: "Starter Plan - Bloom Yoga", Stage: "Proposal", Amount: amt(1200), LastActivity: ago(22 * 24 * time.Hour)},
			{ID: "103", Stage: "Trial", LastActivity: ago(15 * 24 * time.Hour)},
			{ID: "104", Name: "Team Coaching - Northwind", Stage: "Proposal", Amount: amt(15000), LastActivity: ago(31 * 24 * time.Hour)},
			{ID: "105", Name: "Annual Renewal - Contoso", Stage: "Assessment", Amount: amt(9000), LastActivity: ago(18 * 24 * time.Hour)},
			{ID: "106", Name: "Pilot - Fabrikam", Stage: "Trial", LastActivity: ago(27 * 24 * time.Hour)},
			{ID: "107", Name: "Gym Chain Rollout", Stage: "Proposal", Amount: amt(120000), LastActivity: ago(14 * 24 * time.Hour)},
			{ID: "108", Name: "Wellness Add-on - Initech", Stage: "Negotiation", Amount: amt(4000), LastActivity: ago(21 * 24 * time.Hour)},
		}
		return rules.Deals(all[:n], th, testNow)
	case proactive.SyncFail:
		all := []proactive.SyncFailureGroup{
			{Source: "hubspot", ErrorType: "rate_limit", Count: 7, LatestMessage: "429 Too Many Requests"},
			{Source: "stripe", ErrorType: "timeout", Count: 3},
			{Source: "meta", ErrorType: "auth_error", Count: 2},
			{Source: "hubspot", ErrorType: "validation_error", Count: 4},
			{Source: "calendly", ErrorType: "timeout", Count: 2},
			{Source: "stripe", ErrorType: "webhook_signature", Count: 5},
			{Source: "zapier", ErrorType: "network", Count: 3},
			{Source: "meta", ErrorType: "rate_limit", Count: 2},
		}
		return rules.Sync(all[:n], th, testNow)
	case proactive.ResponseDelay:
		all := []proactive.Lead{
			{ID: "L1", Name: "Sarah Johnson", Email: "sarah@example.com", Source: "facebook", CreatedAt: ago(30*time.Hour + 20*time.Minute)},
			{ID: "L2", Email: "k.brown@example.com", Source: "website", CreatedAt: ago(13 * time.Hour)},
			{ID: "L3", CreatedAt: ago(7*time.Hour + 40*time.Minute)},
			{ID: "L4", Name: "Omar Haddad", Source: "referral", CreatedAt: ago(18 * time.Hour)},
			{ID: "L5", Name: "Nina Petrova", Email: "nina@example.com", CreatedAt: ago(6 * time.Hour)},
			{ID: "L6", Name: "Chris Lee", Email: "chris@example.com", Source: "instagram", CreatedAt: ago(25 * time.Hour)},
			{ID: "L7", Name: "Priya Shah", Email: "priya@example.com", Source: "webinar", CreatedAt: ago(12 * time.Hour)},
			{ID: "L8", Name: "Ben Carter", Email: "ben@example.com", CreatedAt: ago(9*time.Hour + 30*time.Minute)},
		}
		return rules.Leads(all[:n], th, testNow)
	}
	return nil
}

func ptr(f float64) *float64 { return &f }

// TestGolden pins the title, summary and content of each type, single and
// grouped. Regenerate with: go test ./insight -update
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, typ := range testReg.Types() {
		for _, tc := range []struct {
			kind string
			n    int
		}{{"single", 1}, {"group", 8}} {
			name := fmt.Sprintf("%s_%s", typ, tc.kind)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				as := goldenAnomalies(typ, tc.n)
				require.Len(t, as, tc.n, "every golden record must be an anomaly")
				g := groupOf(as...)
				got := fmt.Sprintf("== title ==\n%s\n== summary ==\n%s\n== content ==\n%s\n", Title(chk(g), g), Summary(chk(g), g), Content(chk(g), g, Analyze(testReg, proactive.DefaultSettings(), as)))
				path := filepath.Join("testdata", name+".golden")
				if *update {
					require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test ./insight -update to create it")
				require.Equal(t, string(want), got)
			})
		}
	}
}
