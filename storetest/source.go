package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/stretchr/testify/require"
)

// reading is one client_health_scores row without a name.
func reading(email, score, zone, at any) proactive.Row {
	return proactive.Row{"email": email, "health_score": score, "health_zone": zone, "calculated_at": at}
}

// named is reading with a first and last name.
func named(first, last string, r proactive.Row) proactive.Row {
	r["firstname"], r["lastname"] = first, last
	return r
}

// trendView is a HealthTrend in comparable form.
type trendView struct {
	Email, Firstname, Lastname, Zone string
	Current, Previous, WeekAvg       string
	CurrentAt, PreviousAt            string
	Readings                         int
}

func viewTrends(xs []proactive.HealthTrend) []trendView {
	out := []trendView{}
	for _, x := range sortedBy(xs, func(x proactive.HealthTrend) string { return x.Email }) {
		out = append(out, trendView{
			Email: x.Email, Firstname: x.Firstname, Lastname: x.Lastname, Zone: x.Zone,
			Current: num(x.Current), Previous: num(x.Previous), WeekAvg: nump(x.WeekAvg),
			CurrentAt: ts(x.CurrentAt), PreviousAt: ts(x.PreviousAt), Readings: x.Readings,
		})
	}
	return out
}

// trend builds an expected trend.
func trend(email string, current float64, currentAt time.Time, previous float64, previousAt time.Time, weekAvg *float64, readings int, zone string) trendView {
	return trendView{Email: email, Zone: zone, Current: num(current), Previous: num(previous), WeekAvg: nump(weekAvg),
		CurrentAt: ts(currentAt), PreviousAt: ts(previousAt), Readings: readings}
}

func testHealthTrends(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	cur := now.Add(-h)
	cases := []struct {
		name    string
		rows    []proactive.Row
		want    []trendView
		skipped proactive.Skipped
	}{
		{
			name: "current, previous and week average",
			rows: []proactive.Row{
				named("Jane", "Doe", reading("jane@example.com", 80.0, "GREEN", now.Add(-3*day))),
				named("Jane", "Doe", reading("jane@example.com", 78.0, "YELLOW", now.Add(-2*day))),
				named("Jane", "Doe", reading("jane@example.com", 60.0, "RED", cur)),
			},
			want: []trendView{func() trendView {
				v := trend("jane@example.com", 60, cur, 78, now.Add(-2*day), ptr(79.0), 3, "RED")
				v.Firstname, v.Lastname = "Jane", "Doe"
				return v
			}()},
		},
		{
			name: "slow slide: previous close, week average far",
			rows: []proactive.Row{
				reading("slide@example.com", 96.0, "GREEN", cur.Add(-6*day)),
				reading("slide@example.com", 92.0, "GREEN", cur.Add(-5*day)),
				reading("slide@example.com", 88.0, "GREEN", cur.Add(-4*day)),
				reading("slide@example.com", 84.0, "GREEN", cur.Add(-3*day)),
				reading("slide@example.com", 80.0, "GREEN", cur.Add(-2*day)),
				reading("slide@example.com", 76.0, "YELLOW", cur.Add(-1*day)),
				reading("slide@example.com", 72.0, "YELLOW", cur),
			},
			want: []trendView{trend("slide@example.com", 72, cur, 76, cur.Add(-day), ptr(86.0), 7, "YELLOW")},
		},
		{
			name: "readings older than 14 days are ignored",
			rows: []proactive.Row{
				reading("old@example.com", 100.0, "GREEN", now.Add(-15*day)),
				reading("old@example.com", 70.0, "GREEN", now.Add(-2*day)),
				reading("old@example.com", 69.0, "GREEN", now.Add(-day)),
				reading("gone@example.com", 90.0, "GREEN", now.Add(-20*day)),
				reading("gone@example.com", 50.0, "RED", now.Add(-day)),
			},
			want: []trendView{trend("old@example.com", 69, now.Add(-day), 70, now.Add(-2*day), ptr(70.0), 2, "GREEN")},
		},
		{
			name: "window bounds are inclusive: now-14d and now",
			rows: []proactive.Row{
				reading("edge@example.com", 90.0, "GREEN", now.Add(-14*day)),
				reading("edge@example.com", 60.0, "RED", now),
				reading("edge2@example.com", 90.0, "GREEN", now.Add(-14*day-time.Second)),
				reading("edge2@example.com", 60.0, "RED", now),
			},
			want: []trendView{trend("edge@example.com", 60, now, 90, now.Add(-14*day), nil, 2, "RED")},
		},
		{
			name: "week average includes current-7d, excludes a second earlier",
			rows: []proactive.Row{
				reading("week@example.com", 10.0, "RED", cur.Add(-7*day-time.Second)),
				reading("week@example.com", 90.0, "GREEN", cur.Add(-7*day)),
				reading("week@example.com", 50.0, "RED", cur),
			},
			want: []trendView{trend("week@example.com", 50, cur, 90, cur.Add(-7*day), ptr(90.0), 3, "RED")},
		},
		{
			name: "no week average when only older readings",
			rows: []proactive.Row{
				reading("sparse@example.com", 90.0, "GREEN", now.Add(-10*day)),
				reading("sparse@example.com", 60.0, "RED", cur),
			},
			want: []trendView{trend("sparse@example.com", 60, cur, 90, now.Add(-10*day), nil, 2, "RED")},
		},
		{
			name: "one reading gives no trend",
			rows: []proactive.Row{reading("one@example.com", 40.0, "RED", cur)},
			want: []trendView{},
		},
		{
			name: "a tie on calculated_at makes the lower score the newer",
			rows: []proactive.Row{
				reading("tie@example.com", 80.0, "GREEN", now.Add(-2*day)),
				reading("tie@example.com", 70.0, "GREEN", cur),
				reading("tie@example.com", 50.0, "RED", cur),
			},
			want: []trendView{trend("tie@example.com", 50, cur, 70, cur, ptr(75.0), 3, "RED")},
		},
		{
			name: "future readings are skipped and counted",
			rows: []proactive.Row{
				reading("future@example.com", 80.0, "GREEN", now.Add(-2*day)),
				reading("future@example.com", 70.0, "GREEN", now.Add(-day)),
				reading("future@example.com", 10.0, "RED", now.Add(time.Second)),
			},
			want:    []trendView{trend("future@example.com", 70, now.Add(-day), 80, now.Add(-2*day), ptr(80.0), 2, "GREEN")},
			skipped: proactive.Skipped{proactive.SkipFutureTimestamp: 1},
		},
		{
			name: "nonsense rows are skipped and counted; 0 and 100 are scores",
			rows: []proactive.Row{
				reading(nil, 50.0, "RED", cur),
				reading("", 50.0, "RED", cur),
				reading("bad@example.com", 150.0, "RED", cur),
				reading("bad@example.com", -1.0, "RED", cur),
				reading("bad@example.com", nil, "RED", cur),
				reading("bad@example.com", 40.0, "RED", nil),
				reading("edge@example.com", 100.0, "GREEN", now.Add(-day)),
				reading("edge@example.com", 0.0, "RED", cur),
			},
			want: []trendView{trend("edge@example.com", 0, cur, 100, now.Add(-day), ptr(100.0), 2, "RED")},
			skipped: proactive.Skipped{
				proactive.SkipNullEmail:       2,
				proactive.SkipScoreOutOfRange: 3,
				proactive.SkipNullTimestamp:   1,
			},
		},
		{
			// An email of spaces names nobody: skipped and counted as a
			// null email on both stores (it would give an alert with an
			// empty entity and dedup key).
			name: "an email of spaces is a missing one",
			rows: []proactive.Row{
				reading(" ", 80.0, "GREEN", now.Add(-day)),
				reading("  ", 60.0, "RED", cur),
				reading("ok@example.com", 80.0, "GREEN", now.Add(-day)),
				reading("ok@example.com", 60.0, "RED", cur),
			},
			want:    []trendView{trend("ok@example.com", 60, cur, 80, now.Add(-day), ptr(80.0), 2, "RED")},
			skipped: proactive.Skipped{proactive.SkipNullEmail: 2},
		},
		{
			name: "zone in any case, from the newest reading",
			rows: []proactive.Row{
				reading("a@example.com", 80.0, "GREEN", now.Add(-day)), reading("a@example.com", 60.0, "red", cur),
				reading("b@example.com", 80.0, "RED", now.Add(-day)), reading("b@example.com", 60.0, "Yellow", cur),
				reading("c@example.com", 80.0, "RED", now.Add(-day)), reading("c@example.com", 60.0, "green", cur),
				reading("d@example.com", 80.0, "RED", now.Add(-day)), reading("d@example.com", 60.0, nil, cur),
				reading("e@example.com", 80.0, "RED", now.Add(-day)), reading("e@example.com", 60.0, "purple", cur),
			},
			want: []trendView{
				trend("a@example.com", 60, cur, 80, now.Add(-day), ptr(80.0), 2, "RED"),
				trend("b@example.com", 60, cur, 80, now.Add(-day), ptr(80.0), 2, "YELLOW"),
				trend("c@example.com", 60, cur, 80, now.Add(-day), ptr(80.0), 2, "GREEN"),
				trend("d@example.com", 60, cur, 80, now.Add(-day), ptr(80.0), 2, ""),
				trend("e@example.com", 60, cur, 80, now.Add(-day), ptr(80.0), 2, ""),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, proactive.TableHealthScores, tc.rows...)
			got, skipped, err := Trends(t.Context(), s, proactive.HealthQuery{
				Now: now, WindowDays: proactive.HealthWindowDays, TrendDays: 7,
			})
			require.NoError(t, err)
			require.Equal(t, tc.want, viewTrends(got))
			requireSkipped(t, tc.skipped, skipped)
		})
	}

	t.Run("MinDrop keeps drops against the week average", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			reading("slide@example.com", 90.0, "GREEN", cur.Add(-4*day)),
			reading("slide@example.com", 86.0, "GREEN", cur.Add(-2*day)),
			reading("slide@example.com", 78.0, "GREEN", cur.Add(-day)),
			reading("slide@example.com", 74.0, "YELLOW", cur), // previous−current 4, week_avg−current 10
			reading("fall@example.com", 80.0, "GREEN", cur.Add(-day)),
			reading("fall@example.com", 70.0, "GREEN", cur), // previous−current exactly 10
		)
		got, _, err := Trends(t.Context(), s, proactive.HealthQuery{
			Now: now, WindowDays: proactive.HealthWindowDays, TrendDays: 7, MinDrop: 10,
		})
		require.NoError(t, err)
		emails := []string{}
		for _, x := range got {
			emails = append(emails, x.Email)
		}
		require.ElementsMatch(t, []string{"slide@example.com", "fall@example.com"}, emails)
	})

	t.Run("MinDrop keeps a drop exactly on it despite floating point", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		// 65.1 − 55.1 is 9.999999999999993 in floating point; a week average
		// of 70.2, 65.1 and 60.3 less 55.2 is 10 in decimal too.
		MustInsert(t, s, proactive.TableHealthScores,
			reading("exact@example.com", 65.1, "GREEN", cur.Add(-day)),
			reading("exact@example.com", 55.1, "YELLOW", cur),
			reading("avg@example.com", 70.2, "GREEN", cur.Add(-3*day)),
			reading("avg@example.com", 65.1, "GREEN", cur.Add(-2*day)),
			reading("avg@example.com", 60.3, "GREEN", cur.Add(-day)),
			reading("avg@example.com", 55.2, "YELLOW", cur),
			reading("short@example.com", 65.1, "GREEN", cur.Add(-day)),
			reading("short@example.com", 55.2, "YELLOW", cur), // 9.9: below
		)
		got, _, err := Trends(t.Context(), s, proactive.HealthQuery{
			Now: now, WindowDays: proactive.HealthWindowDays, TrendDays: 7, MinDrop: 10,
		})
		require.NoError(t, err)
		emails := []string{}
		for _, x := range got {
			emails = append(emails, x.Email)
		}
		require.ElementsMatch(t, []string{"exact@example.com", "avg@example.com"}, emails)
	})
}

// requireSkipped compares skip counts, nil and empty alike.
func requireSkipped(t *testing.T, want, got proactive.Skipped) {
	t.Helper()
	if want == nil {
		want = proactive.Skipped{}
	}
	norm := proactive.Skipped{}
	for k, v := range got {
		if v != 0 {
			norm[k] = v
		}
	}
	require.Equal(t, want, norm, "skipped rows by reason")
}

// deal is one deals row without an id.
func deal(name, stage, amount, created, updated, activity any) proactive.Row {
	return proactive.Row{"name": name, "stage": stage, "amount": amount,
		"created_at": created, "updated_at": updated, "last_activity_date": activity}
}

// dealView is a Deal in comparable form (its generated id left out).
type dealView struct {
	Name, Stage, Amount, LastActivity string
}

func viewDeals(ds []proactive.Deal) []dealView {
	out := []dealView{}
	for _, x := range sortedBy(ds, func(x proactive.Deal) string { return x.Name }) {
		out = append(out, dealView{Name: x.Name, Stage: x.Stage, Amount: nump(x.Amount), LastActivity: ts(x.LastActivity)})
	}
	return out
}

func testStalledDeals(t *testing.T, open opener) {
	now := Now()
	old := now.Add(-40 * day)
	cases := []struct {
		name    string
		minDays int
		rows    []proactive.Row
		want    []dealView
		skipped proactive.Skipped
	}{
		{
			name: "stall stages compared in any case, stage as written",
			rows: []proactive.Row{
				deal("A", "Proposal", 1000.0, old, nil, nil),
				deal("B", "negotiation", 1000.0, old, nil, nil),
				deal("C", "TRIAL", 1000.0, old, nil, nil),
				deal("D", "Assessment", 1000.0, old, nil, nil),
				deal("E", "Closed Won", 1000.0, old, nil, nil),
				deal("F", "Discovery", 1000.0, old, nil, nil),
				deal("G", nil, 1000.0, old, nil, nil),
			},
			want: []dealView{
				{"A", "Proposal", "1000.000000", ts(old)},
				{"B", "negotiation", "1000.000000", ts(old)},
				{"C", "TRIAL", "1000.000000", ts(old)},
				{"D", "Assessment", "1000.000000", ts(old)},
			},
		},
		{
			name: "last activity is coalesce(last_activity_date, updated_at, created_at)",
			rows: []proactive.Row{
				deal("all three", "Proposal", 5.0, old, now.Add(-10*day), now.Add(-20*day)),
				deal("no activity date", "Proposal", 5.0, old, now.Add(-10*day), nil),
				deal("created only", "Proposal", 5.0, old, nil, nil),
			},
			want: []dealView{
				{"all three", "Proposal", "5.000000", ts(now.Add(-20 * day))},
				{"created only", "Proposal", "5.000000", ts(old)},
				{"no activity date", "Proposal", "5.000000", ts(now.Add(-10 * day))},
			},
		},
		{
			name: "nonsense deals in stall stages are skipped and counted",
			rows: []proactive.Row{
				deal("no dates", "Trial", 5.0, nil, nil, nil),
				deal("future", "Trial", 5.0, old, nil, now.Add(time.Hour)),
				deal("negative", "Trial", -5.0, old, nil, nil),
				deal("negative elsewhere", "Closed Lost", -5.0, old, nil, nil),
				deal("no amount", "Trial", nil, old, nil, nil),
				deal("zero", "Trial", 0.0, old, nil, nil),
				deal("big", "Trial", 15000.5, old, nil, nil),
			},
			want: []dealView{
				{"big", "Trial", "15000.500000", ts(old)},
				{"no amount", "Trial", "nil", ts(old)},
				{"zero", "Trial", "0.000000", ts(old)},
			},
			skipped: proactive.Skipped{
				proactive.SkipNullTimestamp:   1,
				proactive.SkipFutureTimestamp: 1,
				proactive.SkipNegativeAmount:  1,
			},
		},
		{
			name:    "MinDays keeps deals idle at least that long",
			minDays: 14,
			rows: []proactive.Row{
				deal("exactly 14 days", "Proposal", 5.0, old, nil, now.Add(-14*day)),
				deal("a second short", "Proposal", 5.0, old, nil, now.Add(-14*day+time.Second)),
				deal("30 days", "Proposal", 5.0, old, nil, now.Add(-30*day)),
			},
			want: []dealView{
				{"30 days", "Proposal", "5.000000", ts(now.Add(-30 * day))},
				{"exactly 14 days", "Proposal", "5.000000", ts(now.Add(-14 * day))},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, proactive.TableDeals, tc.rows...)
			got, skipped, err := Deals(t.Context(), s, proactive.DealQuery{
				Now: now, Stages: proactive.DefaultStallStages(), MinDays: tc.minDays,
			})
			require.NoError(t, err)
			require.Equal(t, tc.want, viewDeals(got))
			for _, d := range got {
				require.NotEmpty(t, d.ID, "deal %q has no id", d.Name)
			}
			requireSkipped(t, tc.skipped, skipped)
		})
	}
}

// syncErr is one sync_errors row.
func syncErr(source, errorType, objectType, message, created, resolved any) proactive.Row {
	return proactive.Row{"source": source, "error_type": errorType, "object_type": objectType,
		"error_message": message, "created_at": created, "retry_count": int64(1), "resolved_at": resolved}
}

// syncView is a SyncFailureGroup in comparable form.
type syncView struct {
	Source, ErrorType string
	Count             int
	LatestAt, Message string
	ObjectTypes       string
}

func viewSync(gs []proactive.SyncFailureGroup) []syncView {
	out := []syncView{}
	for _, g := range sortedBy(gs, func(g proactive.SyncFailureGroup) string { return g.Source + "\x00" + g.ErrorType }) {
		out = append(out, syncView{g.Source, g.ErrorType, g.Count, ts(g.LatestAt), g.LatestMessage, strings.Join(g.ObjectTypes, ",")})
	}
	return out
}

func testSyncFailures(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	cases := []struct {
		name    string
		rows    []proactive.Row
		want    []syncView
		skipped proactive.Skipped
	}{
		{
			name: "grouped by (source, error_type), both kept whole",
			rows: []proactive.Row{
				syncErr("hubspot", "rate_limit", "contact", "third", now.Add(-3*h), nil),
				syncErr("hubspot", "rate_limit", "deal", "newest", now.Add(-1*h), nil),
				syncErr("hubspot", "rate_limit", "contact", "second", now.Add(-2*h), nil),
				syncErr("hubspot", "timeout", nil, "slow", now.Add(-5*h), nil),
				syncErr("stripe", "rate_limit", "invoice", "s1", now.Add(-4*h), nil),
				syncErr("stripe", "rate_limit", "invoice", "s2", now.Add(-6*h), nil),
			},
			want: []syncView{
				{"hubspot", "rate_limit", 3, ts(now.Add(-h)), "newest", "contact,deal"},
				{"hubspot", "timeout", 1, ts(now.Add(-5 * h)), "slow", ""},
				{"stripe", "rate_limit", 2, ts(now.Add(-4 * h)), "s1", "invoice"},
			},
		},
		{
			name: "resolved rows and rows older than 24 h are left out; bounds inclusive",
			rows: []proactive.Row{
				syncErr("meta", "auth", "ad", "resolved", now.Add(-h), now.Add(-h/2)),
				syncErr("meta", "auth", "ad", "too old", now.Add(-24*h-time.Second), nil),
				syncErr("meta", "auth", "ad", "at since", now.Add(-24*h), nil),
				syncErr("meta", "auth", "ad", "at now", now, nil),
			},
			want: []syncView{{"meta", "auth", 2, ts(now), "at now", "ad"}},
		},
		{
			name: "nonsense rows are skipped and counted",
			rows: []proactive.Row{
				syncErr("hubspot", "timeout", "deal", "future", now.Add(h), nil),
				syncErr(nil, "timeout", "deal", "no source", now.Add(-h), nil),
				syncErr("hubspot", nil, "deal", "no type", now.Add(-h), nil),
				syncErr("hubspot", "timeout", "deal", "no time", nil, nil),
				syncErr("hubspot", "timeout", "deal", "fine", now.Add(-h), nil),
			},
			want: []syncView{{"hubspot", "timeout", 1, ts(now.Add(-h)), "fine", "deal"}},
			skipped: proactive.Skipped{
				proactive.SkipFutureTimestamp: 1,
				proactive.SkipNullKey:         2,
				proactive.SkipNullTimestamp:   1,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, proactive.TableSyncErrors, tc.rows...)
			got, skipped, err := SyncGroups(t.Context(), s, proactive.SyncQuery{Now: now, Since: now.Add(-24 * h)})
			require.NoError(t, err)
			require.Equal(t, tc.want, viewSync(got))
			requireSkipped(t, tc.skipped, skipped)
		})
	}
}

// lead is one leads row without an id.
func lead(name, email, created, status, contacted any) proactive.Row {
	return proactive.Row{"name": name, "email": email, "created_at": created, "status": status,
		"source": "website", "last_contact_date": contacted}
}

// leadView is a Lead in comparable form (its generated id left out).
type leadView struct {
	Name, Email, Source, CreatedAt string
}

func viewLeads(ls []proactive.Lead) []leadView {
	out := []leadView{}
	for _, l := range sortedBy(ls, func(l proactive.Lead) string { return l.Name + "\x00" + l.Email }) {
		out = append(out, leadView{l.Name, l.Email, l.Source, ts(l.CreatedAt)})
	}
	return out
}

func testWaitingLeads(t *testing.T, open opener) {
	now := Now()
	h := time.Hour
	cases := []struct {
		name     string
		minHours float64
		rows     []proactive.Row
		want     []leadView
		skipped  proactive.Skipped
	}{
		{
			name: "status new in any case, never contacted",
			rows: []proactive.Row{
				lead("lower", "l@example.com", now.Add(-10*h), "new", nil),
				lead("title", "t@example.com", now.Add(-10*h), "New", nil),
				lead("upper", "u@example.com", now.Add(-10*h), "NEW", nil),
				lead("contacted", "c@example.com", now.Add(-10*h), "new", now.Add(-9*h)),
				lead("qualified", "q@example.com", now.Add(-10*h), "qualified", nil),
				lead("no status", "n@example.com", now.Add(-10*h), nil, nil),
				lead(nil, nil, now.Add(-10*h), "new", nil),
			},
			want: []leadView{
				{"", "", "website", ts(now.Add(-10 * h))},
				{"lower", "l@example.com", "website", ts(now.Add(-10 * h))},
				{"title", "t@example.com", "website", ts(now.Add(-10 * h))},
				{"upper", "u@example.com", "website", ts(now.Add(-10 * h))},
			},
		},
		{
			name: "nonsense leads are skipped and counted",
			rows: []proactive.Row{
				lead("no time", "x@example.com", nil, "new", nil),
				lead("future", "f@example.com", now.Add(h), "new", nil),
				lead("fine", "ok@example.com", now.Add(-h), "new", nil),
			},
			want: []leadView{{"fine", "ok@example.com", "website", ts(now.Add(-h))}},
			skipped: proactive.Skipped{
				proactive.SkipNullTimestamp:   1,
				proactive.SkipFutureTimestamp: 1,
			},
		},
		{
			name:     "MinHours keeps leads waiting at least that long",
			minHours: 6,
			rows: []proactive.Row{
				lead("exactly 6h", "a@example.com", now.Add(-6*h), "new", nil),
				lead("a minute short", "b@example.com", now.Add(-6*h+time.Minute), "new", nil),
				lead("a day", "c@example.com", now.Add(-24*h), "new", nil),
			},
			want: []leadView{
				{"a day", "c@example.com", "website", ts(now.Add(-24 * h))},
				{"exactly 6h", "a@example.com", "website", ts(now.Add(-6 * h))},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustInsert(t, s, proactive.TableLeads, tc.rows...)
			got, skipped, err := Leads(t.Context(), s, proactive.LeadQuery{Now: now, MinHours: tc.minHours})
			require.NoError(t, err)
			require.Equal(t, tc.want, viewLeads(got))
			for _, l := range got {
				require.NotEmpty(t, l.ID, "lead %q has no id", l.Name)
			}
			requireSkipped(t, tc.skipped, skipped)
		})
	}
}

// readers calls each of the four readers by the table it reads.
func readers(s proactive.Store, t *testing.T) map[string]func() error {
	now := Now()
	ctx := t.Context()
	return map[string]func() error{
		proactive.TableHealthScores: func() error {
			_, _, err := Trends(ctx, s, proactive.HealthQuery{Now: now, WindowDays: 14, TrendDays: 7})
			return err
		},
		proactive.TableDeals: func() error {
			_, _, err := Deals(ctx, s, proactive.DealQuery{Now: now, Stages: proactive.DefaultStallStages()})
			return err
		},
		proactive.TableSyncErrors: func() error {
			_, _, err := SyncGroups(ctx, s, proactive.SyncQuery{Now: now, Since: now.Add(-day)})
			return err
		},
		proactive.TableLeads: func() error {
			_, _, err := Leads(ctx, s, proactive.LeadQuery{Now: now})
			return err
		},
	}
}

func testMissingTable(t *testing.T, open opener) {
	for _, table := range proactive.SourceTables() {
		t.Run(table, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			MustExec(t, s, "DROP TABLE "+table)
			for name, read := range readers(s, t) {
				err := read()
				if name != table {
					require.NoError(t, err, "reading %s while %s is missing", name, table)
					continue
				}
				requireCode(t, proactive.ENOTFOUND, err, "reading the dropped %s", table)
				msg := proactive.ErrorMessage(err)
				require.Contains(t, msg, table, "the message names the table")
				require.Contains(t, msg, "ptd-proactive migrate", "the message says what to do")
			}
		})
	}
}

// testHasRows: a scan tells an empty source table (being reloaded) from an
// all-clear by asking whether it holds any row at all.
func testHasRows(t *testing.T, open opener) {
	t.Parallel()
	s := open(t)
	hr, ok := s.(interface {
		HasRows(ctx context.Context, table string) (bool, error)
	})
	require.True(t, ok, "the store tells whether a source table has rows")
	for _, table := range proactive.SourceTables() {
		has, err := hr.HasRows(t.Context(), table)
		require.NoError(t, err)
		require.False(t, has, table)
	}
	MustInsert(t, s, proactive.TableLeads, proactive.Row{"name": "Old", "status": "contacted", "created_at": Now().Add(-400 * day)})
	has, err := hr.HasRows(t.Context(), proactive.TableLeads)
	require.NoError(t, err)
	require.True(t, has, "any row counts, in the window or not")
	_, err = hr.HasRows(t.Context(), "pg_user; --")
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "only source tables")
}
