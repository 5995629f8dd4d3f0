package bench

import (
	"bytes"
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
}

func TestPrint(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	Print(&b, []Result{{
		Clients: 1000, WindowRows: 14674, ScanMedian: 26 * time.Millisecond, PeakRSS: 22_800_000,
		RowsPerSec: 564_384, Floor: 6 * time.Millisecond, Anomalies: 117,
	}}, 5)
	require.Equal(t, "| clients | rows in windows | scan (median of 5) | peak RSS | rows read/s | count(*) floor | scan ÷ floor | anomalies |\n"+
		"|---:|---:|---:|---:|---:|---:|---:|---:|\n"+
		"| 1000 | 14674 | 26 ms | 22.8 MB | 0.56 M | 6 ms | 4.3× | 117 |\n", b.String())
	require.Zero(t, Result{}.Ratio(), "no floor, no ratio")
}
