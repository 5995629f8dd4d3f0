package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// The context of CONTRACT §11: the configured owner and value columns
// (§11.1, §11.6, §11.7), contacts and deals.contact_email (§11.4), each
// optional in a user's database.

// mustInsertCols inserts rows with the columns given (a key a row lacks is
// NULL), or fails the test.
func mustInsertCols(t *testing.T, s proactive.Store, table string, cols []string, rows ...proactive.Row) {
	t.Helper()
	require.NoError(t, s.InsertRows(t.Context(), table, cols, rows), "insert into %s", table)
}

// withContext adds the user's columns coach (text) and package_value
// (numeric) to client_health_scores and rep (text) to deals.
func withContext(t *testing.T, s proactive.Store) {
	t.Helper()
	MustExec(t, s, "ALTER TABLE client_health_scores ADD COLUMN coach text")
	MustExec(t, s, "ALTER TABLE client_health_scores ADD COLUMN package_value numeric")
	MustExec(t, s, "ALTER TABLE deals ADD COLUMN rep text")
}

// healthCols are the health columns with the configured ones.
func healthCols() []string {
	return append(proactive.SourceColumns(proactive.TableHealthScores), "coach", "package_value")
}

// dealCols are the deal columns with id, contact_email and rep.
func dealCols() []string {
	return append(proactive.SourceColumns(proactive.TableDeals), proactive.ColumnContactEmail, "rep")
}

// contextColumns are the configured columns of withContext.
func contextColumns() proactive.Columns {
	return proactive.Columns{ClientOwner: "coach", DealOwner: "rep", ClientValue: "package_value"}
}

// contextView is what the readers return of the context of an entity.
type contextView struct {
	Key, Owner string
	Value      float64
}

func testContext(t *testing.T, open opener) {
	now := Now()
	cur := now.Add(-time.Hour)
	cols := contextColumns()
	withCoach := func(r proactive.Row, coach, value any) proactive.Row {
		r["coach"], r["package_value"] = coach, value
		return r
	}
	trends := func(t *testing.T, s proactive.Store, c proactive.Columns) []contextView {
		t.Helper()
		ts, _, err := Trends(t.Context(), s, proactive.HealthQuery{Now: now, WindowDays: proactive.HealthWindowDays, TrendDays: 7,
			OwnerColumn: c.ClientOwner, ValueColumn: c.ClientValue})
		require.NoError(t, err)
		out := []contextView{}
		for _, x := range sortedBy(ts, func(x proactive.HealthTrend) string { return x.Email }) {
			out = append(out, contextView{x.Email, x.Owner, x.Value})
		}
		return out
	}
	series := func(t *testing.T, s proactive.Store, c proactive.Columns, noNames bool) []contextView {
		t.Helper()
		out := []contextView{}
		_, err := seriesReader(t, s).HealthSeries(t.Context(), proactive.SeriesQuery{Now: now, MinReadings: 2, NoNames: noNames,
			OwnerColumn: c.ClientOwner, ValueColumn: c.ClientValue}, func(x *proactive.ClientSeries) error {
			out = append(out, contextView{x.Email, x.Owner, x.Value})
			return nil
		})
		require.NoError(t, err)
		return sortedBy(out, func(v contextView) string { return v.Key })
	}
	owners := func(t *testing.T, s proactive.Store, c proactive.Columns) ([]contextView, error) {
		t.Helper()
		out := []contextView{}
		_, err := ownerReader(t, s).ClientOwners(t.Context(), proactive.OwnerQuery{Now: now, Column: c.ClientOwner, ValueColumn: c.ClientValue},
			func(x proactive.ClientOwner) error {
				out = append(out, contextView{x.Email, x.Owner, x.Value})
				return nil
			})
		return sortedBy(out, func(v contextView) string { return v.Key }), err
	}
	deals := func(t *testing.T, s proactive.Store, owner string) []dealContext {
		t.Helper()
		ds, _, err := Deals(t.Context(), s, proactive.DealQuery{Now: now, Stages: proactive.DefaultStallStages(), OwnerColumn: owner})
		require.NoError(t, err)
		out := []dealContext{}
		for _, d := range sortedBy(ds, func(x proactive.Deal) string { return x.Name }) {
			out = append(out, dealContext{d.Name, d.ContactEmail, d.Owner})
		}
		return out
	}
	seedHealth := func(t *testing.T, s proactive.Store) {
		t.Helper()
		withContext(t, s)
		mustInsertCols(t, s, proactive.TableHealthScores, healthCols(),
			withCoach(reading("ann@example.com", 90.0, "GREEN", now.Add(-3*day)), "Old Coach", 500.0),
			withCoach(reading("ann@example.com", 70.0, "YELLOW", cur), "  Kim  ", 1200.5),
			withCoach(reading("ann@example.com", 150.0, "GREEN", now.Add(-30*time.Minute)), "Nobody", 9.0), // newer, not valid
			withCoach(reading("bo@example.com", 80.0, "GREEN", now.Add(-2*day)), "Lee", 300.0),
			withCoach(reading("bo@example.com", 60.0, "RED", cur), nil, nil),
			withCoach(reading("cy@example.com", 80.0, "GREEN", now.Add(-2*day)), "Old", 1.0),
			withCoach(reading("cy@example.com", 70.0, "GREEN", cur), "High", 2.0),
			withCoach(reading("cy@example.com", 60.0, "GREEN", cur), "Low", 3.0), // a tie: the lower score is the newer
		)
	}

	t.Run("owner and value of the newest valid reading, in every health reader", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		seedHealth(t, s)
		want := []contextView{{"ann@example.com", "Kim", 1200.5}, {"bo@example.com", "", 0}, {"cy@example.com", "Low", 3}}
		require.Equal(t, want, trends(t, s, cols))
		require.Equal(t, want, series(t, s, cols, false))
		got, err := owners(t, s, cols)
		require.NoError(t, err)
		require.Equal(t, want, got)

		none := []contextView{{"ann@example.com", "", 0}, {"bo@example.com", "", 0}, {"cy@example.com", "", 0}}
		require.Equal(t, none, trends(t, s, proactive.Columns{}), "no column configured: none read")
		require.Equal(t, none, series(t, s, proactive.Columns{}, false))
		require.Equal(t, none, series(t, s, cols, true), "a first pass (NoNames) needs neither")
	})

	t.Run("a value column of text: numbers read, the rest 0", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustExec(t, s, "ALTER TABLE client_health_scores ADD COLUMN package_value text")
		mustInsertCols(t, s, proactive.TableHealthScores, append(proactive.SourceColumns(proactive.TableHealthScores), "package_value"),
			withCoach(reading("a@example.com", 90.0, "GREEN", now.Add(-day)), nil, " 1500.25 "),
			withCoach(reading("a@example.com", 70.0, "GREEN", cur), nil, " 1500.25 "),
			withCoach(reading("b@example.com", 90.0, "GREEN", now.Add(-day)), nil, "n/a"),
			withCoach(reading("b@example.com", 70.0, "GREEN", cur), nil, "n/a"),
		)
		c := proactive.Columns{ClientValue: "package_value"}
		require.Equal(t, []contextView{{"a@example.com", "", 1500.25}, {"b@example.com", "", 0}}, trends(t, s, c))
	})

	t.Run("configured columns that do not exist read as unset, and are reported", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores,
			reading("ann@example.com", 90.0, "GREEN", now.Add(-day)), reading("ann@example.com", 70.0, "GREEN", cur))
		MustInsert(t, s, proactive.TableDeals, deal("Acme", "Proposal", 10.0, now.Add(-20*day), nil, nil))
		none := []contextView{{"ann@example.com", "", 0}}
		require.Equal(t, none, trends(t, s, cols))
		require.Equal(t, none, series(t, s, cols, false))
		require.Equal(t, []dealContext{{Name: "Acme"}}, deals(t, s, "rep"))
		_, err := owners(t, s, cols)
		requireCode(t, proactive.ENOTFOUND, err, "coach_workload needs its owner column")
		got, err := owners(t, s, proactive.Columns{ClientOwner: "firstname", ClientValue: "package_value"})
		require.NoError(t, err, "a missing value column reads as 0")
		require.Equal(t, none, got)

		missing := mustMissing(t, s, cols)
		require.Equal(t, []proactive.ConfiguredColumn{
			{Key: "columns.client_owner", Table: proactive.TableHealthScores, Column: "coach"},
			{Key: "columns.deal_owner", Table: proactive.TableDeals, Column: "rep"},
			{Key: "columns.client_value", Table: proactive.TableHealthScores, Column: "package_value"},
		}, missing)
		require.Empty(t, mustMissing(t, s, proactive.Columns{}), "nothing configured, nothing missing")

		// Added later: read from then on, reported no more.
		withContext(t, s)
		require.Empty(t, mustMissing(t, s, cols))
		MustExec(t, s, "UPDATE client_health_scores SET coach = 'Kim', package_value = 80")
		require.Equal(t, []contextView{{"ann@example.com", "Kim", 80}}, trends(t, s, cols))
		// A table that is missing altogether is its check's failure, not a
		// missing column.
		MustExec(t, s, "DROP TABLE deals")
		require.Empty(t, mustMissing(t, s, cols))
	})

	t.Run("a deal's owner and contact email: contacts first, then contact_email", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withContext(t, s)
		old := now.Add(-20 * day)
		mustInsertCols(t, s, proactive.TableContacts, []string{"id", "email"},
			proactive.Row{"id": "c1", "email": "  Ann@Example.COM "},
			proactive.Row{"id": "c2", "email": "   "},
			proactive.Row{"id": "c3", "email": nil},
		)
		withDeal := func(name, contactID, contactEmail, rep any) proactive.Row {
			r := deal(name, "Proposal", 100.0, old, nil, nil)
			r["contact_id"], r[proactive.ColumnContactEmail], r["rep"] = contactID, contactEmail, rep
			return r
		}
		mustInsertCols(t, s, proactive.TableDeals, dealCols(),
			withDeal("A contact", "c1", "other@example.com", " Lee "),
			withDeal("B blank contact", "c2", " Bo@Example.com ", nil),
			withDeal("C null contact email", "c3", "cy@example.com", nil),
			withDeal("D unknown contact", "c9", "dee@example.com", nil),
			withDeal("E no contact id", nil, "eve@example.com", nil),
			withDeal("F nothing", nil, "  ", nil),
		)
		want := []dealContext{
			{"A contact", "ann@example.com", "Lee"},
			{"B blank contact", "bo@example.com", ""},
			{"C null contact email", "cy@example.com", ""},
			{"D unknown contact", "dee@example.com", ""},
			{"E no contact id", "eve@example.com", ""},
			{"F nothing", "", ""},
		}
		require.Equal(t, want, deals(t, s, "rep"))
		for i := range want {
			want[i].Owner = ""
		}
		require.Equal(t, want, deals(t, s, ""), "no owner column configured")

		// Either source may be missing: the other still serves.
		MustExec(t, s, "ALTER TABLE deals DROP COLUMN "+proactive.ColumnContactEmail)
		require.Equal(t, []dealContext{
			{Name: "A contact", Contact: "ann@example.com"}, {Name: "B blank contact"}, {Name: "C null contact email"},
			{Name: "D unknown contact"}, {Name: "E no contact id"}, {Name: "F nothing"},
		}, deals(t, s, ""))
		MustExec(t, s, "DROP TABLE contacts")
		require.Equal(t, []dealContext{
			{Name: "A contact", Owner: "Lee"}, {Name: "B blank contact"}, {Name: "C null contact email"},
			{Name: "D unknown contact"}, {Name: "E no contact id"}, {Name: "F nothing"},
		}, deals(t, s, "rep"), "neither: no contact email, never a failure")
	})

	t.Run("contacts alone, without deals.contact_email", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustExec(t, s, "ALTER TABLE deals DROP COLUMN "+proactive.ColumnContactEmail)
		mustInsertCols(t, s, proactive.TableContacts, []string{"id", "email"}, proactive.Row{"id": "c1", "email": "ann@example.com"})
		r := deal("Acme", "Trial", 100.0, now.Add(-20*day), nil, nil)
		r["contact_id"] = "c1"
		MustInsert(t, s, proactive.TableDeals, r)
		require.Equal(t, []dealContext{{Name: "Acme", Contact: "ann@example.com"}}, deals(t, s, ""))
	})

	t.Run("a user's contacts with ids of another type than deals.contact_id", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustExec(t, s, "DROP TABLE contacts")
		MustExec(t, s, "CREATE TABLE contacts (id bigint PRIMARY KEY, email text, phone text)")
		MustExec(t, s, "INSERT INTO contacts (id, email) VALUES (42, 'Ann@Example.com'), (43, '')")
		for _, id := range []string{"42", "43", "x"} {
			r := deal("Deal "+id, "Trial", 100.0, now.Add(-20*day), nil, nil)
			r["contact_id"] = id
			MustInsert(t, s, proactive.TableDeals, r)
		}
		require.Equal(t, []dealContext{{Name: "Deal 42", Contact: "ann@example.com"}, {Name: "Deal 43"}, {Name: "Deal x"}}, deals(t, s, ""))
	})

	t.Run("import: contacts and the configured columns; one the table lacks is ENOTFOUND", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		err := s.InsertRows(t.Context(), proactive.TableHealthScores, append(proactive.SourceColumns(proactive.TableHealthScores), "coach"),
			[]proactive.Row{withCoach(reading("a@example.com", 70.0, "GREEN", cur), "Kim", nil)})
		requireCode(t, proactive.ENOTFOUND, err)
		require.Contains(t, proactive.ErrorMessage(err), "coach")
		err = s.InsertRows(t.Context(), proactive.TableHealthScores, []string{"email", "coach; DROP TABLE leads"}, []proactive.Row{{"email": "a@example.com"}})
		requireCode(t, proactive.EINVALID, err, "only plain column names")
		err = s.InsertRows(t.Context(), "users", []string{"id"}, []proactive.Row{{"id": "1"}})
		requireCode(t, proactive.EINVALID, err)
		mustInsertCols(t, s, proactive.TableContacts, []string{"email"}, proactive.Row{"email": "x@example.com"})
	})

	t.Run("a dropping client with a stalled deal of hers is a renewal risk, with owner and revenue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		seedHealth(t, s)
		mustInsertCols(t, s, proactive.TableContacts, []string{"id", "email"}, proactive.Row{"id": "c1", "email": "ANN@example.com"})
		r := deal("Renewal - Ann", "Negotiation", 4000.0, now.Add(-20*day), nil, nil)
		r["contact_id"], r["rep"] = "c1", "Lee"
		mustInsertCols(t, s, proactive.TableDeals, dealCols(), r)
		settings := proactive.DefaultSettings()
		settings.Columns = cols
		sc, err := scan.New(scan.Options{Store: s, Settings: settings, Checks: []proactive.AnomalyType{
			proactive.HealthDrop, proactive.DealStall, proactive.RenewalRisk}})
		require.NoError(t, err)
		res, err := sc.Run(t.Context(), scan.Params{Now: now, Trigger: "test"})
		require.NoError(t, err)
		require.Empty(t, res.Errors)

		var risk, stall proactive.Case
		require.NoError(t, s.View(t.Context(), func(tx proactive.DeskTx) error {
			cs, err := tx.FindCases(t.Context(), proactive.CaseQuery{Unresolved: true})
			for _, c := range cs {
				switch c.Type {
				case proactive.RenewalRisk:
					risk = c
				case proactive.DealStall:
					stall = c
				}
			}
			return err
		}))
		require.Equal(t, "renewal_risk:ann@example.com", risk.Key)
		require.Equal(t, "Kim", risk.Owner, "the client's owner")
		require.Equal(t, "Lee", stall.Owner, "the deal's owner")
		var details struct {
			Revenue float64  `json:"revenue_at_risk"`
			Signals []string `json:"signals"`
		}
		require.NoError(t, json.Unmarshal(risk.Details, &details))
		require.Equal(t, []string{"deal_stall:deal-" + mustDeals(t, s)[0].ID, "health_drop:ann@example.com"}, details.Signals)
		require.Equal(t, 1200.5+4000, details.Revenue, "the client's value and her stalled deal's amount")
		found := false
		for _, a := range res.Alerts {
			if a.AffectedEntities.Type == proactive.RenewalRisk {
				found = true
				require.Equal(t, 5200.5, a.SourceData["revenue_at_risk"])
			}
		}
		require.True(t, found, "the renewal risk's alert")
	})
}

// dealContext is a deal's name with the context the store read.
type dealContext struct{ Name, Contact, Owner string }

// mustMissing returns the configured columns the store reports missing.
func mustMissing(t *testing.T, s proactive.Store, c proactive.Columns) []proactive.ConfiguredColumn {
	t.Helper()
	ci, ok := s.(proactive.ColumnInspector)
	require.True(t, ok, "%T does not implement proactive.ColumnInspector (MissingColumns)", s)
	got, err := ci.MissingColumns(t.Context(), c)
	require.NoError(t, err)
	return got
}
