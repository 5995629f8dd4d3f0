package proactive

import "testing"

func TestMinDropBound(t *testing.T) {
	tests := []struct {
		minDrop, want float64
	}{
		{0, 0}, {-1, 0}, {10, 10 - DropTolerance},
	}
	for _, tc := range tests {
		if got := (HealthQuery{MinDrop: tc.minDrop}).MinDropBound(); got != tc.want {
			t.Errorf("MinDropBound(%v) = %v, want %v", tc.minDrop, got, tc.want)
		}
	}
	a, b := 65.1, 55.1 // variables: no constant folding into exact decimals
	if drop := a - b; drop >= 10 || drop < (HealthQuery{MinDrop: 10}).MinDropBound() {
		t.Fatalf("65.1 − 55.1 = %v: expected just below 10 and within the tolerance", drop)
	}
}
