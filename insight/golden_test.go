package insight

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenAnomalies runs the eight checks over realistic records: for each
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
	case proactive.HealthForecast:
		all := []proactive.ClientSeries{
			daily("maria@example.com", "Maria", "Garcia", "YELLOW", 74, 71, 69, 66, 63, 60, 57, 54),
			daily("john@example.com", "John", "Smith", "YELLOW", 90, 87.5, 85, 82.5, 80, 77.5, 75, 72.5, 70, 67.5, 65, 62.5, 60, 57.5),
			daily("li@example.com", "Li", "Wei", "GREEN", 68, 67, 65, 64, 62, 61, 59),
			daily("noname@example.com", "", "", "GREEN", 66, 64, 62, 60, 58),
			daily("ade@example.com", "Ade", "Okafor", "YELLOW", 62, 60, 58.5, 57, 55.5, 54),
			daily("sam@example.com", "Sam", "", "GREEN", 75, 72, 70, 67, 65, 63, 60),
			daily("eva@example.com", "Eva", "Novak", "YELLOW", 55, 54, 53, 52, 51),
			daily("tom@example.com", "Tom", "Berg", "GREEN", 64, 63, 62, 61, 60, 59, 58, 57),
		}
		return rules.Forecasts(all[:n], th, testNow)
	case proactive.HealthAnomaly:
		all := []proactive.ClientSeries{
			daily("john@example.com", "John", "Smith", "YELLOW", 72, 73, 72, 74, 73, 72, 73, 60),
			daily("maria@example.com", "Maria", "Garcia", "GREEN", 80, 80, 80, 80, 80, 80, 80, 72),
			daily("li@example.com", "Li", "Wei", "YELLOW", 65, 66, 65, 66, 65, 66, 65, 58),
			daily("noname@example.com", "", "", "GREEN", 70, 71, 70, 72, 70, 70, 64),
			daily("ade@example.com", "Ade", "Okafor", "GREEN", 88, 87, 88, 87, 88, 87, 88, 80),
			daily("sam@example.com", "Sam", "", "RED", 55, 56, 57, 58, 59, 60, 61, 52),
			daily("eva@example.com", "Eva", "Novak", "GREEN", 77, 75, 77, 75, 77, 75, 77, 65),
			daily("tom@example.com", "Tom", "Berg", "RED", 50, 51, 52, 50, 51, 52, 50, 41),
		}
		return rules.Anomalies(all[:n], nil, th, testNow)
	case proactive.RenewalRisk:
		var in []proactive.Anomaly
		health := func(t proactive.AnomalyType, email, entity string, urgency int) {
			in = append(in, proactive.Anomaly{Type: t, Key: email, Entity: entity, UrgencyScore: urgency})
		}
		stuck := func(t proactive.AnomalyType, key, contact string) {
			in = append(in, proactive.Anomaly{Type: t, Key: key, Entity: key, UrgencyScore: 60, Contact: contact})
		}
		health(proactive.HealthDrop, "john@example.com", "John Smith (john@example.com)", 100)
		health(proactive.HealthForecast, "john@example.com", "John Smith (john@example.com)", 90)
		stuck(proactive.DealStall, "deal-101", "john@example.com")
		stuck(proactive.DealStall, "deal-104", "john@example.com")
		stuck(proactive.ResponseDelay, "lead-L1", "john@example.com")
		health(proactive.HealthAnomaly, "maria@example.com", "Maria Garcia (maria@example.com)", 70)
		stuck(proactive.DealStall, "deal-102", "maria@example.com")
		stuck(proactive.ResponseDelay, "lead-L5", "maria@example.com")
		health(proactive.HealthForecast, "li@example.com", "Li Wei (li@example.com)", 80)
		stuck(proactive.DealStall, "deal-103", "li@example.com")
		health(proactive.HealthDrop, "noname@example.com", "noname@example.com", 75)
		stuck(proactive.ResponseDelay, "lead-L2", "noname@example.com")
		health(proactive.HealthDrop, "ade@example.com", "Ade Okafor (ade@example.com)", 61)
		stuck(proactive.DealStall, "deal-105", "ade@example.com")
		stuck(proactive.DealStall, "deal-106", "ade@example.com")
		health(proactive.HealthAnomaly, "sam@example.com", "Sam (sam@example.com)", 73)
		stuck(proactive.ResponseDelay, "lead-L6", "sam@example.com")
		health(proactive.HealthForecast, "eva@example.com", "Eva Novak (eva@example.com)", 76)
		stuck(proactive.DealStall, "deal-107", "eva@example.com")
		health(proactive.HealthDrop, "tom@example.com", "Tom Berg (tom@example.com)", 71)
		stuck(proactive.ResponseDelay, "lead-L8", "tom@example.com")
		return first(rules.RenewalRisks(in, testNow), n)
	case proactive.CoachWorkload:
		var owners []proactive.ClientOwner
		var cases []proactive.Case
		team := func(owner string, clients, atRisk int) {
			for i := range clients {
				email := fmt.Sprintf("%s-%d@example.com", strings.ToLower(strings.Fields(owner)[0]), i)
				owners = append(owners, proactive.ClientOwner{Email: email, Owner: owner, At: testNow})
				if i < atRisk {
					cases = append(cases, proactive.Case{Type: proactive.HealthDrop, Key: proactive.CaseKey(proactive.HealthDrop, email)})
				}
			}
		}
		team("Ann Lee", 10, 6)
		team("Bob Stone", 12, 4)
		team("Cara Diaz", 10, 3)
		team("Dan Wu", 15, 3)
		team("Ela Sen", 20, 5)
		team("Finn Ray", 8, 4)
		team("Gus Moe", 9, 3)
		team("Hal Ito", 14, 3)
		for _, o := range []string{"Ida", "Jo", "Kim", "Lu", "Max", "Ned", "Oli", "Pat", "Quinn"} {
			team(o, 10, 1) // the team median: 10%
		}
		return first(rules.Workloads(owners, cases, testNow), n)
	}
	return nil
}

// daily is a client's series of daily readings ending an hour before
// testNow.
func daily(email, first, last, zone string, scores ...float64) proactive.ClientSeries {
	s := proactive.ClientSeries{Email: email, Firstname: first, Lastname: last, Zone: zone}
	for i, v := range scores {
		at := testNow.Add(-time.Hour - time.Duration(len(scores)-1-i)*24*time.Hour)
		s.Readings = append(s.Readings, proactive.SeriesPoint{Score: v, At: at})
	}
	return s
}

// first returns the n most urgent of anomalies (they come most urgent
// first), all of them when fewer.
func first(as []proactive.Anomaly, n int) []proactive.Anomaly {
	return as[:min(n, len(as))]
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
