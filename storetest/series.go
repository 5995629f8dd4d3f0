package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// seriesReader returns the store as a HealthSeriesReader, failing the test
// when it is none.
func seriesReader(t *testing.T, s proactive.Store) proactive.HealthSeriesReader {
	t.Helper()
	r, ok := s.(proactive.HealthSeriesReader)
	require.True(t, ok, "%T does not implement proactive.HealthSeriesReader (HealthSeries)", s)
	return r
}

// seriesView is a ClientSeries in comparable form: each reading
// "score@time".
type seriesView struct {
	Email, Firstname, Lastname, Zone string
	Readings                         []string
}

// series builds an expected series; each point is a score and a time.
func series(email, first, last, zone string, pts ...any) seriesView {
	v := seriesView{Email: email, Firstname: first, Lastname: last, Zone: zone, Readings: []string{}}
	for i := 0; i+1 < len(pts); i += 2 {
		v.Readings = append(v.Readings, point(pts[i].(float64), pts[i+1].(time.Time)))
	}
	return v
}

func point(score float64, at time.Time) string { return num(score) + "@" + ts(at) }

// mustSeries reads every series of q, copying each (the store may reuse
// its memory), sorted by email.
func mustSeries(t *testing.T, s proactive.Store, q proactive.SeriesQuery) ([]seriesView, proactive.Skipped) {
	t.Helper()
	var out []seriesView
	skipped, err := seriesReader(t, s).HealthSeries(t.Context(), q, func(c *proactive.ClientSeries) error {
		v := seriesView{Email: c.Email, Firstname: c.Firstname, Lastname: c.Lastname, Zone: c.Zone, Readings: []string{}}
		for _, p := range c.Readings {
			v.Readings = append(v.Readings, point(p.Score, p.At))
		}
		out = append(out, v)
		return nil
	})
	require.NoError(t, err)
	return sortedBy(out, func(v seriesView) string { return v.Email }), skipped
}

func testHealthSeries(t *testing.T, open opener) {
	now := Now()
	cur := now.Add(-time.Hour)
	cases := []struct {
		name    string
		min     int
		rows    []proactive.Row
		want    []seriesView
		skipped proactive.Skipped
	}{
		{
			name: "oldest first, names and zone of the newest",
			min:  1,
			rows: []proactive.Row{
				named("Jane", "Doe", reading("jane@example.com", 60.0, "red", cur)),
				named("Janet", "Doe", reading("jane@example.com", 80.0, "GREEN", now.Add(-3*day))),
				named("Jane", "D", reading("jane@example.com", 78.0, "YELLOW", now.Add(-2*day))),
				reading("solo@example.com", 70.0, nil, now.Add(-day)),
			},
			want: []seriesView{
				series("jane@example.com", "Jane", "Doe", "RED", 80.0, now.Add(-3*day), 78.0, now.Add(-2*day), 60.0, cur),
				series("solo@example.com", "", "", "", 70.0, now.Add(-day)),
			},
		},
		{
			name: "clients with fewer readings than asked are left out, their bad rows still counted",
			min:  3,
			rows: []proactive.Row{
				reading("three@example.com", 90.0, "GREEN", now.Add(-3*day)),
				reading("three@example.com", 85.0, "GREEN", now.Add(-2*day)),
				reading("three@example.com", 80.0, "GREEN", now.Add(-day)),
				reading("two@example.com", 90.0, "GREEN", now.Add(-2*day)),
				reading("two@example.com", 80.0, "GREEN", now.Add(-day)),
				reading("two@example.com", 180.0, "GREEN", cur), // out of range: not a third reading
			},
			want:    []seriesView{series("three@example.com", "", "", "GREEN", 90.0, now.Add(-3*day), 85.0, now.Add(-2*day), 80.0, now.Add(-day))},
			skipped: proactive.Skipped{proactive.SkipScoreOutOfRange: 1},
		},
		{
			name: "equal timestamps: the higher score first, the lower one the newest",
			min:  1,
			rows: []proactive.Row{
				reading("tie@example.com", 70.0, "GREEN", cur),
				reading("tie@example.com", 80.0, "GREEN", now.Add(-2*day)),
				reading("tie@example.com", 50.0, "RED", cur),
				reading("tie@example.com", 90.0, "GREEN", cur),
			},
			want: []seriesView{series("tie@example.com", "", "", "RED",
				80.0, now.Add(-2*day), 90.0, cur, 70.0, cur, 50.0, cur)},
		},
		{
			name: "window bounds inclusive; older and future readings out",
			min:  1,
			rows: []proactive.Row{
				reading("edge@example.com", 90.0, "GREEN", now.Add(-14*day)),
				reading("edge@example.com", 91.0, "GREEN", now.Add(-14*day-time.Second)),
				reading("edge@example.com", 60.0, "YELLOW", now),
				reading("edge@example.com", 10.0, "RED", now.Add(time.Second)),
			},
			want:    []seriesView{series("edge@example.com", "", "", "YELLOW", 90.0, now.Add(-14*day), 60.0, now)},
			skipped: proactive.Skipped{proactive.SkipFutureTimestamp: 1},
		},
		{
			name: "nonsense rows are skipped and counted as the health check counts them",
			min:  1,
			rows: []proactive.Row{
				reading(nil, 50.0, "RED", cur),
				reading("", 50.0, "RED", cur),
				reading("  ", 50.0, "RED", cur),
				reading("bad@example.com", 150.0, "RED", cur),
				reading("bad@example.com", -1.0, "RED", cur),
				reading("bad@example.com", nil, "RED", cur),
				reading("bad@example.com", 40.0, "RED", nil),
				reading("ok@example.com", 100.0, "GREEN", now.Add(-day)),
				reading("ok@example.com", 0.0, "RED", cur),
			},
			want: []seriesView{series("ok@example.com", "", "", "RED", 100.0, now.Add(-day), 0.0, cur)},
			skipped: proactive.Skipped{
				proactive.SkipNullEmail:       3,
				proactive.SkipScoreOutOfRange: 3,
				proactive.SkipNullTimestamp:   1,
			},
		},
		{
			// The series groups by email as written, as the health check
			// does; the checks normalise the case key.
			name: "emails differing in case are separate series",
			min:  1,
			rows: []proactive.Row{
				reading("Mixed@Example.com", 80.0, "GREEN", now.Add(-2*day)),
				reading("mixed@example.com", 70.0, "GREEN", now.Add(-day)),
				reading("mixed@example.com", 60.0, "YELLOW", cur),
			},
			want: []seriesView{
				series("Mixed@Example.com", "", "", "GREEN", 80.0, now.Add(-2*day)),
				series("mixed@example.com", "", "", "YELLOW", 70.0, now.Add(-day), 60.0, cur),
			},
		},
		{
			name: "fractional scores are kept",
			min:  2,
			rows: []proactive.Row{
				reading("frac@example.com", 65.1, "GREEN", now.Add(-day)),
				reading("frac@example.com", 55.1, "YELLOW", cur),
			},
			want: []seriesView{series("frac@example.com", "", "", "YELLOW", 65.1, now.Add(-day), 55.1, cur)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, proactive.TableHealthScores, tc.rows...)
			got, skipped := mustSeries(t, s, proactive.SeriesQuery{Now: now, WindowDays: proactive.HealthWindowDays, MinReadings: tc.min})
			if tc.want == nil {
				tc.want = []seriesView{}
			}
			if got == nil {
				got = []seriesView{}
			}
			require.Equal(t, tc.want, got)
			requireSkipped(t, tc.skipped, skipped)
			// Skipped rows are the health check's, whatever the reader.
			_, trendSkipped, err := Trends(t.Context(), s, proactive.HealthQuery{Now: now, WindowDays: proactive.HealthWindowDays, TrendDays: 7})
			require.NoError(t, err)
			requireSkipped(t, trendSkipped, skipped)
		})
	}

	t.Run("many clients stream one at a time, each whole", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var rows []proactive.Row
		for c := range 50 {
			for d := range 14 {
				rows = append(rows, reading(fmt.Sprintf("c%02d@example.com", c), float64(50+c%7+d), "GREEN", now.Add(-time.Duration(13-d)*day)))
			}
		}
		MustInsert(t, s, proactive.TableHealthScores, rows...)
		got, _ := mustSeries(t, s, proactive.SeriesQuery{Now: now, MinReadings: 7})
		require.Len(t, got, 50)
		for c, v := range got {
			require.Equal(t, fmt.Sprintf("c%02d@example.com", c), v.Email)
			require.Len(t, v.Readings, 14)
			require.Equal(t, point(float64(50+c%7), now.Add(-13*day)), v.Readings[0])
			require.Equal(t, point(float64(50+c%7+13), now), v.Readings[13])
		}
	})

	t.Run("Emails restricts to those emails as written, without skip counts", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			named("Mia", "Li", reading("Mixed@Example.com", 80.0, "GREEN", now.Add(-2*day))),
			reading("mixed@example.com", 70.0, "GREEN", now.Add(-day)),
			reading("other@example.com", 70.0, "GREEN", now.Add(-day)),
			reading("other@example.com", 170.0, "GREEN", cur),
		)
		got, skipped := mustSeries(t, s, proactive.SeriesQuery{Now: now, MinReadings: 1, Emails: []string{"Mixed@Example.com", "nobody@example.com"}})
		require.Equal(t, []seriesView{series("Mixed@Example.com", "Mia", "Li", "GREEN", 80.0, now.Add(-2*day))}, got)
		requireSkipped(t, nil, skipped)
		got, _ = mustSeries(t, s, proactive.SeriesQuery{Now: now, MinReadings: 1, Emails: []string{}})
		require.Empty(t, got, "no email: no series")
	})

	t.Run("NoNames keeps the readings", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			named("Jane", "Doe", reading("jane@example.com", 80.0, "GREEN", now.Add(-2*day))),
			named("Jane", "Doe", reading("jane@example.com", 70.0, "YELLOW", cur)),
		)
		got, skipped := mustSeries(t, s, proactive.SeriesQuery{Now: now, MinReadings: 1, NoNames: true})
		require.Len(t, got, 1)
		require.Equal(t, []string{point(80, now.Add(-2*day)), point(70, cur)}, got[0].Readings)
		requireSkipped(t, nil, skipped)
	})

	t.Run("the newest-drop prefilter keeps every series that meets it, on the boundary too", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			// newest change −5 in decimal (−4.999999999999993 in floating point)
			reading("drop@example.com", 65.1, "GREEN", cur.Add(-day)),
			reading("drop@example.com", 60.1, "GREEN", cur),
			// a tie at the newest time: the lower score is the newest
			reading("tie@example.com", 90.0, "GREEN", cur.Add(-day)),
			reading("tie@example.com", 60.0, "GREEN", cur),
			reading("tie@example.com", 55.0, "GREEN", cur),
			reading("big@example.com", 90.0, "GREEN", cur.Add(-day)),
			reading("big@example.com", 60.0, "GREEN", cur),
		)
		got, _ := mustSeries(t, s, proactive.SeriesQuery{Now: now, MinReadings: 2, NoNames: true, MinNewestDrop: 5})
		emails := []string{}
		for _, v := range got {
			emails = append(emails, v.Email)
		}
		require.Subset(t, emails, []string{"drop@example.com", "tie@example.com", "big@example.com"})
	})

	t.Run("an fn error stops the stream and is returned", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			reading("a@example.com", 80.0, "GREEN", cur), reading("b@example.com", 80.0, "GREEN", cur))
		stop := errors.New("stop")
		calls := 0
		_, err := seriesReader(t, s).HealthSeries(t.Context(), proactive.SeriesQuery{Now: now, MinReadings: 1},
			func(*proactive.ClientSeries) error { calls++; return stop })
		require.ErrorIs(t, err, stop)
		require.Equal(t, 1, calls)
	})

	t.Run("a missing table is ENOTFOUND naming it", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustExec(t, s, "DROP TABLE "+proactive.TableHealthScores)
		_, err := seriesReader(t, s).HealthSeries(t.Context(), proactive.SeriesQuery{Now: now, MinReadings: 1},
			func(*proactive.ClientSeries) error { return nil })
		requireCode(t, proactive.ENOTFOUND, err)
		require.Contains(t, proactive.ErrorMessage(err), proactive.TableHealthScores)
	})
}
