package proactive

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRowSecurityWarning: the scan's warning names the user and the
// tables, and says what each kind of table costs.
func TestRowSecurityWarning(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tables []string
		want   []string
		not    []string
	}{
		{"source", []string{"deals", "leads"}, []string{`"ptd"`, "in deals, leads:", "miss the anomalies", "BYPASSRLS"}, []string{"store them again"}},
		{"alerts", []string{"proactive_insights"}, []string{"in proactive_insights:", "store them again"}, []string{"miss the anomalies"}},
		{"both", []string{"deals", "proactive_insights"}, []string{"in deals, proactive_insights:", "miss the anomalies", "store them again"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := RowSecurity{User: "ptd", Tables: tc.tables}.Warning()
			for _, s := range tc.want {
				require.Contains(t, w, s)
			}
			for _, s := range tc.not {
				require.NotContains(t, w, s)
			}
		})
	}
}
