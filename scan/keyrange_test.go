package scan

import "testing"

// keyRange is the range a batch is read as: the least and greatest of
// the anomaly keys and the sightings' keys, each list in the order it
// came; a list out of byte order (or no key at all) is no range.
func TestKeyRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		anomalies  []string
		sightings  []string
		lo, hi     string
		wantRanged bool
	}{
		{"anomalies only", []string{"t:a", "t:c"}, nil, "t:a", "t:c", true},
		{"sightings only", nil, []string{"t:b", "t:d"}, "t:b", "t:d", true},
		{"a sighting before every anomaly", []string{"t:b", "t:c"}, []string{"t:a"}, "t:a", "t:c", true},
		{"a sighting after every anomaly", []string{"t:a", "t:b"}, []string{"t:z"}, "t:a", "t:z", true},
		{"the two lists interleaved, each in order", []string{"t:a", "t:c"}, []string{"t:b", "t:d"}, "t:a", "t:d", true},
		{"one key", []string{"t:a"}, nil, "t:a", "t:a", true},
		{"equal neighbours are in order", []string{"t:a", "t:a", "t:b"}, nil, "t:a", "t:b", true},
		{"byte order: upper case first", []string{"t:Z", "t:a"}, nil, "t:Z", "t:a", true},
		{"anomalies out of order", []string{"t:b", "t:a"}, nil, "", "", false},
		{"sightings out of order", []string{"t:a"}, []string{"t:d", "t:c"}, "", "", false},
		{"no key", nil, nil, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, ok := keyRange(tc.anomalies, tc.sightings)
			if ok != tc.wantRanged || lo != tc.lo || hi != tc.hi {
				t.Errorf("keyRange(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.anomalies, tc.sightings, lo, hi, ok, tc.lo, tc.hi, tc.wantRanged)
			}
		})
	}
}
