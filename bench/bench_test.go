package bench

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	require.Zero(t, median(nil))
	require.Equal(t, 5*time.Millisecond, median(ms(5)))
	require.Equal(t, 3*time.Millisecond, median(ms(9, 1, 3)))
	require.Equal(t, 4*time.Millisecond, median(ms(4, 1, 8, 2)), "the upper middle of an even count")
	in := ms(9, 1, 3)
	median(in)
	require.Equal(t, ms(9, 1, 3), in, "the input is not reordered")
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	got, err := withDatabase("postgres://u:p@db.example.com:5432/postgres?sslmode=disable", "ptd_bench_1000_7")
	require.NoError(t, err)
	require.Equal(t, "postgres://u:p@db.example.com:5432/ptd_bench_1000_7?sslmode=disable", got)
	_, err = withDatabase("postgres://u:secret@db.example.com:port/x", "y")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret")
	require.Equal(t, "postgres://u:xxxxx@h/db", redact("postgres://u:secret@h/db"))
}

func TestParseScale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Scale
	}{
		{"small", Scale{"small", 1000}},
		{"Medium", Scale{"medium", 10000}},
		{"large", Scale{"large", 100000}},
		{"xlarge", Scale{"xlarge", 1000000}},
		{"100000", Scale{"large", 100000}},
		{"2_500", Scale{Clients: 2500}},
	} {
		got, err := ParseScale(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"", "huge", "0", "-5", "10000001"} {
		_, err := ParseScale(bad)
		require.ErrorContains(t, err, "use small, medium, large, xlarge or a number of clients", bad)
	}
}

func TestSameResult(t *testing.T) {
	t.Parallel()
	a := `{"success":true,"duration_ms":5,"anomalies_detected":3,"breakdown":{"health_drops":3},"alert_groups":[{"type":"health_drop"}],"insights":[],"predictions":[],"errors":[],"skipped_rows":[]}`
	b := `{"success":true,"duration_ms":9,"anomalies_detected":3,"breakdown":{"health_drops":3},"alert_groups":[{"type":"health_drop"}],"insights":[],"predictions":[],"errors":[],"skipped_rows":[]}`
	c := `{"success":true,"duration_ms":9,"anomalies_detected":4,"breakdown":{"health_drops":4},"alert_groups":[{"type":"health_drop"}],"insights":[],"predictions":[],"errors":[],"skipped_rows":[]}`
	same, err := sameResult([]byte(a), []byte(b))
	require.NoError(t, err)
	require.True(t, same, "times differ, findings do not")
	same, err = sameResult([]byte(a), []byte(c))
	require.NoError(t, err)
	require.False(t, same)
	_, err = sameResult([]byte("not json"), []byte(a))
	require.Error(t, err)
}

func TestPrint(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	Print(&b, []Result{{
		Scale: Scale{"small", 1000}, Variant: Typical, WindowRows: 14674, ScanMedian: 26 * time.Millisecond,
		WallMedian: 40 * time.Millisecond, PeakRSS: 22_800_000, RowsPerSec: 564_384, Floor: 6 * time.Millisecond, Anomalies: 117,
		Cases:        CaseCost{Without: 16 * time.Millisecond, Dry: 20 * time.Millisecond, Steady: 26 * time.Millisecond, First: 50 * time.Millisecond, Open: 117},
		EarlyWarning: 32 * time.Millisecond,
	}, {
		Scale: Scale{Clients: 2500}, Variant: High, WindowRows: 1, ScanMedian: 10 * time.Millisecond,
		SQLite: &Comparison{Postgres: 10 * time.Millisecond, SQLite: 15 * time.Millisecond, PostgresWall: 20 * time.Millisecond,
			SQLiteWall: 30 * time.Millisecond, SQLiteRSS: 50_000_000, Same: true,
			Cases: CaseCost{Without: 12 * time.Millisecond, Dry: 15 * time.Millisecond, Steady: 18 * time.Millisecond, First: 30 * time.Millisecond, Open: 1}},
	}}, 5)
	require.Equal(t, "| scale | data | rows in windows | scan (median of 5) | wall | peak RSS | rows read/s | count(*) floor | scan ÷ floor | anomalies |\n"+
		"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"+
		"| small (1000) | typical | 14674 | 26 ms | 40 ms | 22.8 MB | 0.56 M | 6 ms | 4.3× | 117 |\n"+
		"| 2500 | high | 1 | 10 ms | 0 ms | 0.0 MB | 0.00 M | 0 ms | 0.0× | 0 |\n"+
		"\nCase state: the same scan without cases (dry run, scan --without-cases), as a dry run with them, steady (every case already open) and first (every case opened in that scan):\n\n"+
		"| scale | data | store | open cases | without cases | dry run | steady scan | steady ÷ without | first scan | first ÷ without |\n"+
		"|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n"+
		"| small (1000) | typical | PostgreSQL | 117 | 16 ms | 20 ms | 26 ms | 1.62× | 50 ms | 3.12× |\n"+
		"| 2500 | high | PostgreSQL | 0 | 0 ms | 0 ms | 0 ms | 0.00× | 0 ms | 0.00× |\n"+
		"| 2500 | high | SQLite | 1 | 12 ms | 15 ms | 18 ms | 1.50× | 30 ms | 2.50× |\n"+
		"\nEarly warning on PostgreSQL: dry runs of the four checks, then with health_forecast and health_anomaly besides, their cases open (a scan with the six opened them first):\n\n"+
		"| scale | data | four checks | six checks | added |\n"+
		"|---|---|---:|---:|---:|\n"+
		"| small (1000) | typical | 20 ms | 32 ms | +12 ms |\n"+
		"| 2500 | high | 0 ms | 0 ms | +0 ms |\n"+
		"\nDry runs on the same data (median of 5; wall in brackets):\n\n"+
		"| scale | data | PostgreSQL | SQLite | SQLite ÷ PostgreSQL | SQLite peak RSS | same result |\n"+
		"|---|---|---:|---:|---:|---:|---|\n"+
		"| 2500 | high | 10 ms (20 ms) | 15 ms (30 ms) | 1.5× | 50.0 MB | yes |\n", b.String())
	require.Zero(t, Result{}.Ratio(), "no floor, no ratio")
	require.Zero(t, Comparison{}.Ratio(), "no PostgreSQL time, no ratio")
	require.Zero(t, CaseCost{Steady: time.Second, Dry: time.Second}.SteadyRatio(), "no scan without cases, no ratio")
}

// The peak RSS of a scan is its own: a small child of a process that has
// used far more memory reports its own few megabytes, not its parent's
// peak (which ru_maxrss would).
func TestWatchPeakRSSIsTheChildsOwn(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here: the bench reads peak RSS from /proc/PID/status")
	}
	big := make([]byte, 200<<20)
	for i := range big {
		big[i] = 1 // touch every page: this process's peak RSS is over 200 MB
	}
	cmd := exec.Command("sleep", "0.3")
	require.NoError(t, cmd.Start())
	peak := watchPeakRSS(cmd.Process.Pid)
	require.NoError(t, cmd.Wait())
	rss := peak()
	require.Positive(t, rss)
	require.Less(t, rss, int64(50<<20), "sleep's own peak, not this process's 200 MB")
	runtime.KeepAlive(big)
}

// The scan without cases and the steady scan take turns going first, so
// that neither always runs in the other's wake.
func TestPairOrderAlternates(t *testing.T) {
	for i, want := range [][2]mode{
		{dryWithoutCases, wet}, {wet, dryWithoutCases}, {dryWithoutCases, wet}, {wet, dryWithoutCases},
	} {
		require.Equal(t, want, pairOrder(i), "run %d", i)
	}
}
