package rules

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{4}, 4},
		{"odd: the middle one", []float64{9, 1, 5}, 5},
		{"even: the mean of the middle two", []float64{9, 1, 5, 2}, 3.5},
		{"negative values", []float64{-3, -1, -2}, -2},
		{"ties", []float64{1, 1, 1, 7}, 1},
	} {
		require.Equal(t, tc.want, Median(append([]float64(nil), tc.in...)), tc.name)
	}
	require.True(t, math.IsNaN(Median(nil)), "no value: NaN")

	// The selection agrees with a sort, whatever the count, ties and order.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		xs := make([]float64, 1+r.IntN(120))
		for i := range xs {
			xs[i] = float64(r.IntN(15)) - 7 + float64(r.IntN(3))/4
		}
		sorted := slices.Sorted(slices.Values(xs))
		n := len(sorted)
		want := sorted[n/2]
		if n%2 == 0 {
			want = (sorted[n/2-1] + sorted[n/2]) / 2
		}
		require.Equal(t, want, Median(xs), "%v", sorted)
	}
}

// pts makes readings one day apart ending an hour before testNow.
func pts(scores ...float64) []proactive.SeriesPoint {
	out := make([]proactive.SeriesPoint, len(scores))
	for i, s := range scores {
		out[i] = proactive.SeriesPoint{Score: s, At: testNow.Add(-time.Hour - time.Duration(len(scores)-1-i)*24*time.Hour)}
	}
	return out
}

// pt is one reading.
func pt(score float64, at time.Time) proactive.SeriesPoint {
	return proactive.SeriesPoint{Score: score, At: at}
}

func TestTheilSenSlope(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }
	for _, tc := range []struct {
		name string
		in   []proactive.SeriesPoint
		want float64
		ok   bool
	}{
		{"a straight line: its slope", pts(80, 77, 74, 71, 68), -3, true},
		{"an outlier does not move the median", pts(80, 77, 74, 20, 68), -3, true},
		// slopes over 12 h: (70−80)/0.5 = −20, (60−80)/1 = −20, (60−70)/0.5 = −20
		{"x in days from the exact times", []proactive.SeriesPoint{pt(80, at(0)), pt(70, at(12)), pt(60, at(24))}, -20, true},
		// pairs: (a,b) 0 h apart left out; (a,c) −10, (b,c) −20: even count, mean of the two
		{"equal times leave the pair out; even count: mean of the middle two",
			[]proactive.SeriesPoint{pt(80, at(0)), pt(90, at(0)), pt(70, at(24))}, -15, true},
		{"all at one time: no slope", []proactive.SeriesPoint{pt(80, at(0)), pt(60, at(0))}, 0, false},
		{"one reading: no slope", pts(80), 0, false},
		{"rising", pts(50, 52, 54), 2, true},
		{"float noise removed", pts(65.1, 55.1), -10, true},
	} {
		got, ok, _ := TheilSenSlope(tc.in, nil)
		require.Equal(t, tc.ok, ok, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}

func TestRobustChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		scores []float64
		want   Robust
	}{
		// others 1, −1, 2, −2, 0: m 0, deviations 1, 1, 2, 2, 0: MAD 1;
		// z = 0.6745 × −10 ÷ 1
		{"MAD", []float64{50, 51, 50, 52, 50, 50, 40}, Robust{Change: -10, Median: 0, MAD: 1, Z: -6.745}},
		// others 1, 1, 3, 3 (even): m 2, deviations all 1: MAD 1; c −8: z = 0.6745 × −10
		{"even count of others: mean of the middle two", []float64{50, 51, 52, 55, 58, 50}, Robust{Change: -8, Median: 2, MAD: 1, Z: -6.745}},
		// others 0, 0, 0, 1, −1: m 0, deviations 0, 0, 0, 1, 1: MAD 0; mean
		// deviation 0.4: z = −6 ÷ (1.2533 × 0.4)
		{"MAD 0: the mean deviation", []float64{50, 50, 50, 50, 51, 50, 44}, Robust{Change: -6, Median: 0, MAD: 0, Z: Denoise(-6 / (1.2533 * 0.4))}},
		{"MAD and mean deviation 0, a drop: −∞", []float64{60, 60, 60, 60, 60, 60, 55}, Robust{Change: -5, Median: 0, MAD: 0, Z: math.Inf(-1)}},
		{"MAD and mean deviation 0, a rise: 0", []float64{60, 60, 60, 60, 60, 60, 65}, Robust{Change: 5, Median: 0, MAD: 0, Z: 0}},
		{"MAD and mean deviation 0, no change: 0", []float64{60, 60, 60, 60, 60, 60, 60}, Robust{}},
		// others ±3.3725 and 0 (float noise removed): m 0, MAD 3.3725;
		// z = 0.6745 × −17.5 ÷ 3.3725 = −3.5 once rounded to 9 decimals
		{"z rounded to 9 decimals", []float64{50, 53.3725, 50, 50, 53.3725, 50, 32.5}, Robust{Change: -17.5, Median: 0, MAD: 3.3725, Z: -3.5}},
		{"three scores: one other change", []float64{50, 52, 40}, Robust{Change: -12, Median: 2, MAD: 0, Z: math.Inf(-1)}},
	} {
		got, ok, _ := RobustChange(tc.scores, nil)
		require.True(t, ok, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
	for _, short := range [][]float64{nil, {50}, {50, 40}} {
		_, ok, _ := RobustChange(short, nil)
		require.False(t, ok, "%v: fewer than three scores", short)
	}
	// Unrounded, that z falls a hair short of −3.5.
	mad, c := 3.3725, -17.5
	require.Equal(t, -3.4999999999999996, 0.6745*c/mad)
}

func TestOneDecimal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{2, "2.0"}, {0, "0.0"}, {3.14, "3.1"}, {1.45, "1.5"}, {1.25, "1.3"}, {0.05, "0.1"},
		{-8.15, "-8.2"}, {-8.14, "-8.1"}, {-0.04, "0.0"}, {-6.745, "-6.7"}, {12.96, "13.0"},
		{65.1 - 55.1, "10.0"}, {math.Inf(-1), "-∞"}, {math.Inf(1), "∞"},
	} {
		require.Equal(t, tc.want, OneDecimal(tc.in), "OneDecimal(%v)", tc.in)
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	require.Equal(t, "50", Percent(0.5))
	require.Equal(t, "33", Percent(1.0/3))
	require.Equal(t, "13", Percent(0.125), "half up")
	require.Equal(t, "0", Percent(0))
	require.Equal(t, "100", Percent(1))
}
