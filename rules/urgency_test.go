package rules

import (
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

const (
	crit = proactive.SeverityCritical
	high = proactive.SeverityHigh
	med  = proactive.SeverityMedium
	low  = proactive.SeverityLow
)

func TestHealthUrgency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sev  proactive.Severity
		drop float64
		zone string
		want int
	}{
		{"base medium, bonus drop×0.5", med, 10, "", 55},
		{"base high", high, 15, "GREEN", 78},                         // 70 + 7.5 = 77.5 → 78 (half up)
		{"base critical, bonus capped at 10", crit, 25, "", 100 - 0}, // 90 + 10
		{"base low", low, 4, "", 32},
		{"half up", med, 13, "", 57},               // 56.5
		{"below half", med, 12.9, "", 56},          // 56.45
		{"fraction above half", med, 13.2, "", 57}, // 56.6
		{"drop bonus cap", med, 40, "", 60},
		{"RED +15", med, 10, "RED", 70},
		{"YELLOW +5", med, 10, "YELLOW", 60},
		{"zone upper-cased", med, 10, " red ", 70},
		{"yellow lower case", high, 16, "yellow", 83},
		{"GREEN no bonus", med, 10, "GREEN", 55},
		{"cap at 100", crit, 30, "RED", 100}, // 115
		{"high RED", high, 24, "RED", 95},    // 70 + 10 + 15
		{"critical YELLOW", crit, 26, "YELLOW", 100},
		{"negative drop earns nothing", med, -4, "", 50},
	} {
		require.Equal(t, tc.want, HealthUrgency(tc.sev, tc.drop, tc.zone), tc.name)
	}
}

func TestDealUrgency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		sev    proactive.Severity
		days   int
		amount float64
		want   int
	}{
		{"medium 14 days: 50 + 2.8", med, 14, 0, 53},
		{"medium 17 days: 50 + 3.4", med, 17, 0, 53},
		{"high 21 days: 70 + 4.2", high, 21, 0, 74},
		{"high 23 days: 70 + 4.6", high, 23, 0, 75},
		{"critical 30 days: 90 + 6", crit, 30, 0, 96},
		{"days bonus capped at 10", med, 80, 0, 60},
		{"amount 10000 earns nothing", med, 14, 10000, 53},
		{"amount over 10000 +10", med, 14, 10000.01, 63},
		{"cap at 100", crit, 60, 50000, 100},
		{"critical 45 days big deal", crit, 45, 20000, 100},
		{"high 25 days big deal", high, 25, 12000, 85},
	} {
		require.Equal(t, tc.want, DealUrgency(tc.sev, tc.days, tc.amount), tc.name)
	}
}

func TestSyncUrgency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		sev   proactive.Severity
		count int
		want  int
	}{
		{"medium 2: 50 + 6", med, 2, 56},
		{"high 3: 70 + 9", high, 3, 79},
		{"high 4: 70 + 12", high, 4, 82},
		{"critical 5: 90 + 15 capped at 100", crit, 5, 100},
		{"bonus capped at 15", med, 9, 65},
		{"low 1", low, 1, 33},
	} {
		require.Equal(t, tc.want, SyncUrgency(tc.sev, tc.count), tc.name)
	}
}

func TestLeadUrgency(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		sev   proactive.Severity
		hours float64
		want  int
	}{
		{"medium 6 h: 50 + 3", med, 6, 53},
		{"half up 7 h: 53.5", med, 7, 54},
		{"below half 6.9 h: 53.45", med, 6.9, 53},
		{"high 12 h: 70 + 6", high, 12, 76},
		{"bonus capped at 10", high, 23, 80},
		{"critical 24 h capped at 100", crit, 24, 100},
		{"low", low, 1, 31},
	} {
		require.Equal(t, tc.want, LeadUrgency(tc.sev, tc.hours), tc.name)
	}
}
