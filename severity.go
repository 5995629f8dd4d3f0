package proactive

import "fmt"

// Severity is the severity of an anomaly or the combined severity (priority)
// of an alert group.
type Severity string

// The four severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
)

// Severities lists every severity, most severe first.
func Severities() []Severity {
	return []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}
}

// Rank orders severities: critical 4, high 3, medium 2, low 1, anything else 0.
// Sorting by Rank (never by the text) gives critical > high > medium > low.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// BaseUrgency is the urgency an anomaly of this severity starts from
// (critical 90, high 70, medium 50, low 30).
func (s Severity) BaseUrgency() float64 {
	switch s {
	case SeverityCritical:
		return 90
	case SeverityHigh:
		return 70
	case SeverityMedium:
		return 50
	}
	return 30
}

// ParseSeverity parses a severity name (exact, lower case).
func ParseSeverity(s string) (Severity, error) {
	if v := Severity(s); v.Valid() {
		return v, nil
	}
	return "", Errorf(EINVALID, "unknown priority %q: use critical, high, medium or low", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s), nil }

// String returns the severity name.
func (s Severity) String() string { return string(s) }

// GoString helps test failure output.
func (s Severity) GoString() string { return fmt.Sprintf("Severity(%q)", string(s)) }
