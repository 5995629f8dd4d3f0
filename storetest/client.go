package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// historyReader returns the store as a ClientHistoryReader, failing the
// test when it is none.
func historyReader(t *testing.T, s proactive.Store) proactive.ClientHistoryReader {
	t.Helper()
	r, ok := s.(proactive.ClientHistoryReader)
	require.True(t, ok, "%T does not implement proactive.ClientHistoryReader (ClientHistory)", s)
	return r
}

// readingView, dealHistoryView and leadHistoryView are the parts of a
// client's history in comparable form.
type (
	readingView     struct{ Email, First, Last, Score, Zone, At string }
	dealHistoryView struct{ ID, Name, Stage, Amount, ContactID, ContactEmail, Created string }
	leadHistoryView struct{ ID, Name, Email, Status, Created, Contacted string }
)

// viewHistory renders a client's history for comparison.
func viewHistory(h proactive.ClientHistory) ([]readingView, []dealHistoryView, []leadHistoryView) {
	rs, ds, ls := []readingView{}, []dealHistoryView{}, []leadHistoryView{}
	for _, r := range h.Readings {
		rs = append(rs, readingView{r.Email, r.Firstname, r.Lastname, nump(r.Score), r.Zone, ts(r.CalculatedAt)})
	}
	for _, d := range h.Deals {
		ds = append(ds, dealHistoryView{d.ID, d.Name, d.Stage, nump(d.Amount), d.ContactID, d.ContactEmail, tsp(d.CreatedAt)})
	}
	for _, l := range h.Leads {
		ls = append(ls, leadHistoryView{l.ID, l.Name, l.Email, l.Status, tsp(l.CreatedAt), tsp(l.LastContactDate)})
	}
	return rs, ds, ls
}

func testClientHistory(t *testing.T, open opener) {
	now := Now()
	at := func(d time.Duration) time.Time { return now.Add(-d).Truncate(time.Second) }

	t.Run("readings and leads of the email, trimmed and lower-cased, oldest first", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withoutContacts(t, s)
		MustInsert(t, s, proactive.TableHealthScores,
			named("Jane", "Doe", reading("jane@example.com", 70.0, "GREEN", at(2*day))),
			named("Jane", "Doe", reading(" Jane@Example.com ", 55.0, "yellow", at(day))),
			reading("JANE@EXAMPLE.COM", 40.0, "RED", at(day)), // a tie: the higher score first
			reading("jane@example.com", 150.0, "GREEN", at(3*day)),
			reading("jane@example.com", 60.0, "GREEN", nil), // no time: left out
			reading("john@example.com", 10.0, "RED", at(day)),
		)
		MustInsert(t, s, proactive.TableLeads,
			proactive.Row{"id": "l2", "name": "Jane again", "email": "JANE@example.com ", "created_at": at(day), "status": "new"},
			proactive.Row{"id": "l1", "name": "Jane", "email": "jane@example.com", "created_at": at(5 * day), "status": "contacted", "last_contact_date": at(4 * day)},
			proactive.Row{"id": "l3", "name": "John", "email": "john@example.com", "created_at": at(day), "status": "new"},
		)
		h, err := historyReader(t, s).ClientHistory(t.Context(), "  JANE@example.COM")
		require.NoError(t, err)
		rs, ds, ls := viewHistory(h)
		require.Equal(t, []readingView{
			{"jane@example.com", "", "", num(150), "GREEN", ts(at(3 * day))},
			{"jane@example.com", "Jane", "Doe", num(70), "GREEN", ts(at(2 * day))},
			{" Jane@Example.com ", "Jane", "Doe", num(55), "yellow", ts(at(day))},
			{"JANE@EXAMPLE.COM", "", "", num(40), "RED", ts(at(day))},
		}, rs)
		require.Equal(t, []leadHistoryView{
			{"l1", "Jane", "jane@example.com", "contacted", ts(at(5 * day)), ts(at(4 * day))},
			{"l2", "Jane again", "JANE@example.com ", "new", ts(at(day)), "nil"},
		}, ls)
		require.Empty(t, ds)
		require.False(t, h.DealsJoinable, "no contacts table, no deals.contact_email")

		h, err = historyReader(t, s).ClientHistory(t.Context(), "nobody@example.com")
		require.NoError(t, err)
		require.NotNil(t, h.Readings)
		require.NotNil(t, h.Deals)
		require.NotNil(t, h.Leads)
		require.Empty(t, h.Readings)
		require.Empty(t, h.Leads)
	})

	t.Run("deals by contacts.email, else deals.contact_email", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withContacts(t, s)
		MustExec(t, s, "INSERT INTO contacts (id, email) VALUES ('c1', ' Jane@Example.com '), ('c2', 'other@example.com'), ('c3', ''), ('c4', NULL)")
		d := func(id, contact any, created time.Time) proactive.Row {
			r := deal("Deal "+id.(string), "Proposal", 1000.0, created, nil, nil)
			r["id"], r["contact_id"] = id, contact
			return r
		}
		MustInsert(t, s, proactive.TableDeals,
			d("d1", "c1", at(9*day)),  // the contact's email
			d("d2", "c2", at(8*day)),  // the contact has another email: contact_email does not count
			d("d3", "c3", at(7*day)),  // the contact's email is empty: contact_email counts
			d("d4", nil, at(6*day)),   // no contact: contact_email counts
			d("d5", "c9", at(5*day)),  // an unknown contact: contact_email counts
			d("d6", "c4", at(10*day)), // the contact's email is null: contact_email counts
			d("d7", "c2", at(4*day)),  // another client's
		)
		for _, id := range []string{"d2", "d3", "d4", "d5", "d6"} {
			MustExec(t, s, "UPDATE deals SET contact_email = ' JANE@example.com' WHERE id = '"+id+"'")
		}
		MustExec(t, s, "UPDATE deals SET contact_email = 'jane@example.com' WHERE id = 'd7'")
		h, err := historyReader(t, s).ClientHistory(t.Context(), "jane@example.com")
		require.NoError(t, err)
		require.True(t, h.DealsJoinable)
		_, ds, _ := viewHistory(h)
		require.Equal(t, []dealHistoryView{
			{"d6", "Deal d6", "Proposal", num(1000), "c4", "JANE@example.com", ts(at(10 * day))},
			{"d1", "Deal d1", "Proposal", num(1000), "c1", "Jane@Example.com", ts(at(9 * day))},
			{"d3", "Deal d3", "Proposal", num(1000), "c3", "JANE@example.com", ts(at(7 * day))},
			{"d4", "Deal d4", "Proposal", num(1000), "", "JANE@example.com", ts(at(6 * day))},
			{"d5", "Deal d5", "Proposal", num(1000), "c9", "JANE@example.com", ts(at(5 * day))},
		}, ds)

		// Only the column: every deal with the email.
		MustExec(t, s, "DROP TABLE contacts")
		h, err = historyReader(t, s).ClientHistory(t.Context(), "jane@example.com")
		require.NoError(t, err)
		_, ds, _ = viewHistory(h)
		var ids []string
		for _, x := range ds {
			ids = append(ids, x.ID)
		}
		require.Equal(t, []string{"d6", "d2", "d3", "d4", "d5", "d7"}, ids)
	})

	t.Run("deals by contacts only", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		withContacts(t, s)
		MustExec(t, s, "INSERT INTO contacts (id, email) VALUES ('c1', 'jane@example.com')")
		r := deal("Only", "Trial", nil, at(day), nil, nil)
		r["id"], r["contact_id"] = "d1", "c1"
		MustInsert(t, s, proactive.TableDeals, r)
		h, err := historyReader(t, s).ClientHistory(t.Context(), "jane@example.com")
		require.NoError(t, err)
		require.True(t, h.DealsJoinable)
		_, ds, _ := viewHistory(h)
		require.Equal(t, []dealHistoryView{{"d1", "Only", "Trial", "nil", "c1", "jane@example.com", ts(at(day))}}, ds)
	})

	t.Run("a missing source table leaves its part empty", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		MustInsert(t, s, proactive.TableHealthScores, reading("jane@example.com", 70.0, "GREEN", at(day)))
		for _, table := range []string{proactive.TableLeads, proactive.TableDeals} {
			MustExec(t, s, "DROP TABLE "+table)
		}
		h, err := historyReader(t, s).ClientHistory(t.Context(), "jane@example.com")
		require.NoError(t, err)
		require.Len(t, h.Readings, 1)
		require.Empty(t, h.Deals)
		require.Empty(t, h.Leads)
		require.False(t, h.DealsJoinable)
	})
}
