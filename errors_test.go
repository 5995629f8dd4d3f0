package proactive

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorfKeepsTheCauseOnce(t *testing.T) {
	cause := errors.New("connection refused")
	err := Errorf(EUNAVAILABLE, "reach the database at db:5432: %w", cause)
	if got, want := err.Error(), "reach the database at db:5432: connection refused"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Fatal("the cause is not in the chain")
	}
	wrapped := fmt.Errorf("scan: %w", err)
	if ErrorCode(wrapped) != EUNAVAILABLE || ErrorMessage(wrapped) != err.Message {
		t.Fatalf("code %q message %q", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	if ErrorCode(errors.New("x")) != EINTERNAL || ErrorCode(nil) != "" {
		t.Fatal("codes of plain and nil errors")
	}
	plain := &Error{Code: EINVALID, Message: "bad id", Err: cause}
	if got := plain.Error(); got != "bad id: connection refused" {
		t.Fatalf("Error() = %q", got)
	}
}

// Sorting by the text, descending, would give medium > low > high > critical.
func TestSeverityRankOrdersBySeverityNotText(t *testing.T) {
	tests := []struct {
		a, b Severity
	}{
		{SeverityCritical, SeverityHigh},
		{SeverityHigh, SeverityMedium},
		{SeverityMedium, SeverityLow},
		{SeverityLow, Severity("bogus")},
	}
	for _, tc := range tests {
		if tc.a.Rank() <= tc.b.Rank() {
			t.Errorf("%s.Rank() = %d, want more than %s.Rank() = %d", tc.a, tc.a.Rank(), tc.b, tc.b.Rank())
		}
	}
	if _, err := ParseSeverity("urgent"); ErrorCode(err) != EINVALID {
		t.Fatalf("ParseSeverity(urgent) = %v", err)
	}
}
