package notify

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// SourceRevenueAtRisk is the source_data key of an alert's revenue at risk
// (CONTRACT §11.7): the sum over the group's members, rounded to cents.
const SourceRevenueAtRisk = "revenue_at_risk"

// RevenueAtRisk returns the alert's source_data.revenue_at_risk and true
// when it is present, a finite number and above zero; messages show it
// only then. It reads the number as a store returns it (a float64 from
// JSON, a json.Number, an integer) or as text.
func RevenueAtRisk(a proactive.Alert) (float64, bool) {
	var v float64
	switch x := a.SourceData[SourceRevenueAtRisk].(type) {
	case float64:
		v = x
	case float32:
		v = float64(x)
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		v = f
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		v = f
	default:
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, false
	}
	return v, true
}

// FormatAmount writes an amount of money as messages show it: rounded to
// cents, thousands separated by commas, no currency (the data names none):
// 12500 → "12,500.00".
func FormatAmount(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteByte('.')
	b.WriteString(cents)
	return b.String()
}

// ListEntities joins labels with ", ", the first limit of them, then "…
// and N more".
func ListEntities(labels []string, limit int) string {
	if limit > 0 && len(labels) > limit {
		return strings.Join(labels[:limit], ", ") + fmt.Sprintf(" … and %d more", len(labels)-limit)
	}
	return strings.Join(labels, ", ")
}

// ResolveReason says why a case resolved, for people: "cleared" (the
// problem went away) or "resolved manually"; any other reason as written.
func ResolveReason(reason string) string {
	switch reason {
	case proactive.ResolveCleared:
		return "cleared"
	case proactive.ResolveManual:
		return "resolved manually"
	}
	return reason
}

// OwnerKey is how owners are matched: trimmed, ignoring case.
func OwnerKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
