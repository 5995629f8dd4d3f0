package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/internal/testdb"
	"github.com/ptd-agents/ptd-proactive/postgres"
	"github.com/ptd-agents/ptd-proactive/scan"
	"github.com/ptd-agents/ptd-proactive/storetest"
)

// deskNow is the moment the desk tests' data is relative to and their
// server's clock.
var deskNow = time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)

// deskStore is one store the desk tests run on.
type deskStore struct {
	name string
	open func(t *testing.T) proactive.Store
}

// deskStores are a fresh SQLite store and a fresh PostgreSQL schema (when
// PTD_TEST_DATABASE_URL is set; required with PTD_REQUIRE_POSTGRES=1).
func deskStores() []deskStore {
	return []deskStore{
		{"sqlite", func(t *testing.T) proactive.Store { return MustStore(t) }},
		{"postgres", func(t *testing.T) proactive.Store {
			st, err := postgres.Open(t.Context(), testdb.MustSchema(t), postgres.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			_, err = st.Migrate(t.Context())
			require.NoError(t, err)
			return st
		}},
	}
}

// newDeskEnv starts a server at deskNow on st after a scan of: Jane's
// health 70 → 40 (critical), Bob's 80 → 65 (high), deal 1 in Proposal for
// 35 days (critical), lead 10 waiting 26 hours (critical). Four cases,
// three alerts.
func newDeskEnv(t *testing.T, st proactive.Store) *testEnv {
	t.Helper()
	day := 24 * time.Hour
	reading := func(email string, score float64, at time.Time) proactive.Row {
		return proactive.Row{"email": email, "firstname": strings.Split(email, "@")[0], "lastname": "Doe", "health_score": score, "health_zone": "GREEN", "calculated_at": at}
	}
	storetest.MustInsert(t, st, proactive.TableHealthScores,
		reading("jane@example.com", 70, deskNow.Add(-2*day)), reading("jane@example.com", 40, deskNow.Add(-time.Hour)),
		reading("bob@example.com", 80, deskNow.Add(-2*day)), reading("bob@example.com", 65, deskNow.Add(-time.Hour)))
	storetest.MustInsert(t, st, proactive.TableDeals, proactive.Row{"id": "1", "name": "Acme renewal", "stage": "Proposal", "amount": 5000.0,
		"created_at": deskNow.Add(-60 * day), "updated_at": deskNow.Add(-35 * day), "last_activity_date": deskNow.Add(-35 * day)})
	storetest.MustInsert(t, st, proactive.TableLeads, proactive.Row{"id": "10", "name": "Sarah", "email": "sarah@example.com",
		"created_at": deskNow.Add(-26 * time.Hour), "status": "new", "source": "web"})
	sc, err := scan.New(scan.Options{Store: st})
	require.NoError(t, err)
	res, err := sc.Run(t.Context(), scan.Params{Now: deskNow, Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, 4, res.Cases.Opened)
	return newEnv(t, envOptions{tokens: []string{newToken}, store: st, now: func() time.Time { return deskNow }})
}

// call sends a request with the token and a JSON body (none when "").
func (e *testEnv) call(method, path, body string) *http.Response {
	e.t.Helper()
	r := request{method: method, path: path, token: newToken}
	if body != "" {
		r.body = strings.NewReader(body)
	}
	return e.do(r)
}

// jsonOf decodes a 200 (or want) JSON answer into T.
func jsonOf[T any](t *testing.T, resp *http.Response, want int) T {
	t.Helper()
	var v T
	require.Equal(t, want, resp.StatusCode)
	decodeJSON(t, resp, &v)
	return v
}

// apiCase is a case as the API answers it.
type apiCase struct {
	ID           string  `json:"id"`
	Key          string  `json:"key"`
	State        string  `json:"state"`
	Owner        *string `json:"owner"`
	Note         *string `json:"note"`
	AckBy        *string `json:"acknowledged_by"`
	SnoozedUntil *string `json:"snoozed_until"`
	Silenced     bool    `json:"silenced"`
	Events       []struct {
		Kind  string `json:"kind"`
		Actor string `json:"actor"`
		Note  string `json:"note"`
	} `json:"events"`
}

// apiAction is an action's answer.
type apiAction struct {
	Action string    `json:"action"`
	Cases  []apiCase `json:"cases"`
	Events []struct {
		Kind, Actor, Note string
	} `json:"events"`
}

// casesByKey lists the cases and maps them by key.
func casesByKey(t *testing.T, e *testEnv, query string) ([]apiCase, map[string]apiCase) {
	t.Helper()
	cs := jsonOf[[]apiCase](t, e.call(http.MethodGet, "/api/v1/cases"+query, ""), http.StatusOK)
	m := map[string]apiCase{}
	for _, c := range cs {
		m[c.Key] = c
	}
	return cs, m
}

func TestListAndGetCases(t *testing.T) {
	t.Parallel()
	for _, ds := range deskStores() {
		t.Run(ds.name, func(t *testing.T) {
			t.Parallel()
			st := ds.open(t)
			e := newDeskEnv(t, st)
			all, byKey := casesByKey(t, e, "")
			var keys []string
			for _, c := range all {
				keys = append(keys, c.Key)
			}
			require.Equal(t, []string{"health_drop:jane@example.com", "response_delay:lead-10", "deal_stall:deal-1", "health_drop:bob@example.com"}, keys, "by urgency, then opened_at, then key")
			jane := byKey["health_drop:jane@example.com"]

			for _, c := range []struct {
				query string
				want  int
			}{
				{"?state=open", 4}, {"?state=resolved", 0}, {"?state=all", 4}, {"?state=silenced", 0},
				{"?type=health_drop", 2}, {"?search=JANE", 1}, {"?search=deal-", 1}, {"?owner=nobody", 0}, {"?limit=1", 1},
				{"?type=health_drop&search=bob", 1},
			} {
				cs, _ := casesByKey(t, e, c.query)
				require.Len(t, cs, c.want, c.query)
			}
			for _, c := range []struct{ query, want string }{
				{"?state=closed", "unknown state"}, {"?type=nope", "nope"}, {"?limit=0", "limit"}, {"?limit=x", "limit"},
				{"?state=open&state=all", "give it once"}, {"?format=xml", "use json or csv"},
			} {
				require.Contains(t, requireError(t, e.call(http.MethodGet, "/api/v1/cases"+c.query, ""), http.StatusBadRequest), c.want, c.query)
			}
			require.Equal(t, "[]\n", readAll(t, e.call(http.MethodGet, "/api/v1/cases?state=resolved", "")))

			// format=csv: every unresolved case, the JSON keys as header.
			resp := e.call(http.MethodGet, "/api/v1/cases?format=csv", "")
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
			rows, err := csv.NewReader(strings.NewReader(readAll(t, resp))).ReadAll()
			require.NoError(t, err)
			require.Equal(t, append(proactive.CaseColumns(), "silenced"), rows[0])
			require.Len(t, rows, len(all)+1)
			for i, c := range all {
				require.Equal(t, c.ID, rows[i+1][0])
				require.Equal(t, c.Key, rows[i+1][2])
			}

			// One case by id, prefix or key (escaped or not), events oldest first.
			for _, ref := range []string{jane.ID, jane.ID[:8], strings.ToUpper(jane.ID[:6]), url.PathEscape("health_drop:jane@example.com"), "health_drop:jane%40example.com", "health_drop:jane@example.com"} {
				got := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/"+ref, ""), http.StatusOK)
				require.Equal(t, jane.ID, got.ID, ref)
				require.Len(t, got.Events, 1, ref)
				require.Equal(t, "opened", got.Events[0].Kind)
			}
			for _, c := range []struct {
				ref    string
				status int
				want   string
			}{
				{"00000000-0000-4000-8000-000000000000", http.StatusNotFound, "not found"},
				{"ffffffff", http.StatusNotFound, "no case id starts with"},
				{"health_drop:nobody@example.com", http.StatusNotFound, "no case has the key"},
				{"abc", http.StatusBadRequest, "too short"},
				{"not-a-case", http.StatusBadRequest, "malformed case id"},
				{"%20", http.StatusBadRequest, "malformed case id in the path"},
			} {
				require.Contains(t, requireError(t, e.call(http.MethodGet, "/api/v1/cases/"+c.ref, ""), c.status), c.want, c.ref)
			}

			// An ambiguous prefix names the matches.
			require.NoError(t, st.Update(t.Context(), func(tx proactive.DeskTx) error {
				var twins []proactive.Case
				for i, email := range []string{"p1@example.com", "p2@example.com"} {
					twins = append(twins, proactive.Case{
						ID: "abcdef01-0000-4000-8000-00000000000" + string(rune('1'+i)), Type: proactive.HealthDrop, Key: "health_drop:" + email,
						Label: email, State: proactive.CaseOpen, Severity: proactive.SeverityMedium, PeakSeverity: proactive.SeverityMedium,
						Urgency: 50, OpenedAt: deskNow, LastSeenAt: deskNow,
					})
				}
				return tx.InsertCases(t.Context(), twins)
			}))
			msg := requireError(t, e.call(http.MethodGet, "/api/v1/cases/abcdef01", ""), http.StatusBadRequest)
			require.Contains(t, msg, "ambiguous")
			require.Contains(t, msg, "abcdef01-0000-4000-8000-000000000001 (health_drop:p1@example.com)")
			require.Contains(t, msg, "abcdef01-0000-4000-8000-000000000002 (health_drop:p2@example.com)")
			requireError(t, e.call(http.MethodPost, "/api/v1/cases/abcdef01/ack", ""), http.StatusBadRequest)
		})
	}
}

func TestCaseActions(t *testing.T) {
	t.Parallel()
	for _, ds := range deskStores() {
		t.Run(ds.name, func(t *testing.T) {
			t.Parallel()
			e := newDeskEnv(t, ds.open(t))
			_, byKey := casesByKey(t, e, "")
			jane, bob, deal, lead := byKey["health_drop:jane@example.com"], byKey["health_drop:bob@example.com"], byKey["deal_stall:deal-1"], byKey["response_delay:lead-10"]
			events := openStream(t, e, newToken)
			nextEvent(t, events, eventReady)

			act := func(ref, action, body string) *http.Response {
				t.Helper()
				return e.call(http.MethodPost, "/api/v1/cases/"+ref+"/"+action, body)
			}
			// ack with a note and an actor; again: nothing changes.
			a := jsonOf[apiAction](t, act(jane.ID, "ack", `{"by": "ann", "note": "called"}`), http.StatusOK)
			require.Equal(t, "ack", a.Action)
			require.Equal(t, "acknowledged", a.Cases[0].State)
			require.Equal(t, "ann", *a.Cases[0].AckBy)
			require.Len(t, a.Events, 1)
			require.Equal(t, "ann", a.Events[0].Actor)
			ev := nextEvent(t, events, eventCases)
			require.Equal(t, "acknowledged", ev.data["reason"])
			require.Equal(t, []any{jane.ID}, ev.data["case_ids"])
			a = jsonOf[apiAction](t, act(url.PathEscape(jane.Key), "ack", ""), http.StatusOK)
			require.Empty(t, a.Events)
			require.Equal(t, "acknowledged", a.Cases[0].State)

			// ack by email: the client's health cases; the actor defaults to api.
			a = jsonOf[apiAction](t, act("Bob%40Example.com", "ack", "{}"), http.StatusOK)
			require.Len(t, a.Cases, 1)
			require.Equal(t, bob.ID, a.Cases[0].ID)
			require.Equal(t, "api", a.Events[0].Actor)

			// snooze: for from now, until a time; refused without an end or in the past.
			a = jsonOf[apiAction](t, act(deal.ID, "snooze", `{"for": "2d", "note": "waiting"}`), http.StatusOK)
			require.Equal(t, "2025-12-12T12:00:00Z", *a.Cases[0].SnoozedUntil)
			a = jsonOf[apiAction](t, act(deal.ID, "snooze", `{"until": "2025-12-11 09:00:00"}`), http.StatusOK)
			require.Equal(t, "2025-12-11T09:00:00Z", *a.Cases[0].SnoozedUntil)
			for body, want := range map[string]string{
				`{"until": "2025-12-10T12:00:00Z"}`:    "not after now",
				`{}`:                                   "snooze needs an end",
				``:                                     "snooze needs an end",
				`{"until": "soon"}`:                    "until \"soon\" is not a time",
				`{"for": "soon"}`:                      "for: duration",
				`{"for": "-1d"}`:                       "for: duration",
				`{"until": "2025-12-11", "for": "1d"}`: "not both",
				`{"until": 5}`:                         "until must be a string",
				`{"reason": "x", "for": "1d"}`:         `unknown field "reason"`,
				`[1]`:                                  "send a JSON object",
				`{"for": "1d"} {}`:                     "nothing after it",
				`not json`:                             "not a JSON object",
			} {
				require.Contains(t, requireError(t, act(deal.ID, "snooze", body), http.StatusBadRequest), want, body)
			}

			// assign and comment.
			a = jsonOf[apiAction](t, act(deal.ID[:8], "assign", `{"owner": "Ann Lee", "by": "bob"}`), http.StatusOK)
			require.Equal(t, "Ann Lee", *a.Cases[0].Owner)
			require.Equal(t, "Ann Lee", a.Events[0].Note)
			a = jsonOf[apiAction](t, act(deal.ID, "comment", `{"note": "left a voicemail"}`), http.StatusOK)
			require.Equal(t, "left a voicemail", *a.Cases[0].Note)
			require.Contains(t, requireError(t, act(deal.ID, "assign", `{}`), http.StatusBadRequest), "the owner is empty")
			require.Contains(t, requireError(t, act(deal.ID, "comment", `{"note": " "}`), http.StatusBadRequest), "the note is empty")
			got := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/"+deal.ID, ""), http.StatusOK)
			var kinds []string
			for _, ev := range got.Events {
				kinds = append(kinds, ev.Kind)
			}
			require.Equal(t, []string{"opened", "snoozed", "snoozed", "assigned", "commented"}, kinds)

			// resolve: the lead's alert closes; the state then refuses ack,
			// snooze and resolve (409), not assign or comment.
			alertsBefore := jsonOf[[]proactive.Alert](t, e.call(http.MethodGet, "/api/v1/alerts", ""), http.StatusOK)
			a = jsonOf[apiAction](t, act(lead.Key, "resolve", `{"note": "replied"}`), http.StatusOK)
			require.Equal(t, "resolved", a.Cases[0].State)
			nextEvent(t, events, eventAlerts)
			alertsAfter := jsonOf[[]proactive.Alert](t, e.call(http.MethodGet, "/api/v1/alerts", ""), http.StatusOK)
			require.Len(t, alertsAfter, len(alertsBefore)-1)
			for action, body := range map[string]string{"resolve": "", "ack": "", "snooze": `{"for": "1d"}`} {
				require.Contains(t, requireError(t, act(lead.ID, action, body), http.StatusConflict), "is resolved", action)
			}
			jsonOf[apiAction](t, act(lead.ID, "comment", `{"note": "after the fact"}`), http.StatusOK)

			requireError(t, act("00000000-0000-4000-8000-000000000000", "ack", ""), http.StatusNotFound)
			requireError(t, act(jane.ID, "undo", ""), http.StatusNotFound)
			requireError(t, e.call(http.MethodGet, "/api/v1/cases/"+jane.ID+"/ack", ""), http.StatusMethodNotAllowed)
			requireError(t, e.do(request{method: http.MethodPost, path: "/api/v1/cases/" + jane.ID + "/ack"}), http.StatusUnauthorized)

			// The transitions the API recorded are counted.
			metrics := readAll(t, e.do(request{method: http.MethodGet, path: "/metrics"}))
			for kind, n := range map[string]string{"acknowledged": "2", "snoozed": "2", "assigned": "1", "commented": "2", "resolved": "1"} {
				require.Contains(t, metrics, `ptd_proactive_case_transitions_total{kind="`+kind+`"} `+n, kind)
			}
		})
	}
}

func TestSilencesAndClients(t *testing.T) {
	t.Parallel()
	for _, ds := range deskStores() {
		t.Run(ds.name, func(t *testing.T) {
			t.Parallel()
			e := newDeskEnv(t, ds.open(t))
			events := openStream(t, e, newToken)
			nextEvent(t, events, eventReady)

			type apiSilence struct {
				ID        string `json:"id"`
				Match     string `json:"match"`
				Type      string `json:"type"`
				StartsAt  string `json:"starts_at"`
				EndsAt    string `json:"ends_at"`
				CreatedBy string `json:"created_by"`
			}
			sil := jsonOf[apiSilence](t, e.call(http.MethodPost, "/api/v1/silences", `{"match": "deal-*", "for": "1d", "reason": "renegotiating"}`), http.StatusCreated)
			require.Equal(t, "api", sil.CreatedBy)
			require.Equal(t, "2025-12-11T12:00:00Z", sil.EndsAt)
			require.Equal(t, "silence", nextEvent(t, events, eventCases).data["reason"])
			cs, _ := casesByKey(t, e, "?state=silenced")
			require.Len(t, cs, 1)
			require.Equal(t, "deal_stall:deal-1", cs[0].Key)
			require.True(t, cs[0].Silenced)

			later := jsonOf[apiSilence](t, e.call(http.MethodPost, "/api/v1/silences",
				`{"match": "*@example.com", "type": "health_drop", "owner": "Ann", "starts_at": "2025-12-20", "until": "2025-12-27 00:00:00", "by": "carol", "reason": "holiday"}`), http.StatusCreated)
			require.Equal(t, "2025-12-20T00:00:00Z", later.StartsAt)
			require.Equal(t, "carol", later.CreatedBy)
			require.Equal(t, "health_drop", later.Type)

			for body, want := range map[string]string{
				`{"match": "x", "reason": "r"}`:                                                   "an end is required",
				`{"match": "x", "reason": "r", "until": "2025-12-10"}`:                            "not after now",
				`{"match": "x", "reason": "r", "starts_at": "2025-12-20", "until": "2025-12-15"}`: "not after its start",
				`{"match": "x", "for": "1d"}`:                                                     "the reason is empty",
				`{"reason": "r", "for": "1d"}`:                                                    "the match is empty",
				`{"match": "x", "reason": "r", "for": "1d", "type": "nope"}`:                      "nope",
				`{"match": "x", "reason": "r", "for": "1d", "starts_at": "x"}`:                    "starts_at",
				`{"match": "x", "reason": "r", "for": "1d", "until": "2026-01-01"}`:               "not both",
				``: "the match is empty",
			} {
				msg := requireError(t, e.call(http.MethodPost, "/api/v1/silences", body), http.StatusBadRequest)
				require.Contains(t, msg, want, body)
				require.NotContains(t, msg, "--", "a JSON caller has no flags: %s", body)
			}

			list := jsonOf[[]apiSilence](t, e.call(http.MethodGet, "/api/v1/silences", ""), http.StatusOK)
			require.Len(t, list, 2, "active and pending")
			ended := jsonOf[apiSilence](t, e.call(http.MethodDelete, "/api/v1/silences/"+sil.ID[:8], ""), http.StatusOK)
			require.Equal(t, "2025-12-10T12:00:00Z", ended.EndsAt)
			require.Equal(t, "silence", nextEvent(t, events, eventCases).data["reason"])
			jsonOf[apiSilence](t, e.call(http.MethodDelete, "/api/v1/silences/"+sil.ID, ""), http.StatusOK)
			require.Len(t, jsonOf[[]apiSilence](t, e.call(http.MethodGet, "/api/v1/silences", ""), http.StatusOK), 1)
			require.Len(t, jsonOf[[]apiSilence](t, e.call(http.MethodGet, "/api/v1/silences?all=true", ""), http.StatusOK), 2)
			requireError(t, e.call(http.MethodGet, "/api/v1/silences?all=maybe", ""), http.StatusBadRequest)
			requireError(t, e.call(http.MethodDelete, "/api/v1/silences/0123456789", ""), http.StatusNotFound)
			requireError(t, e.call(http.MethodDelete, "/api/v1/silences/xyz", ""), http.StatusBadRequest)
			cs, _ = casesByKey(t, e, "?state=silenced")
			require.Empty(t, cs)

			// A client: readings oldest first, cases with events, deals and leads.
			type apiClient struct {
				Email    string `json:"email"`
				Readings []struct {
					Score float64 `json:"health_score"`
				} `json:"readings"`
				Cases         []apiCase `json:"cases"`
				Deals         []any     `json:"deals"`
				Leads         []any     `json:"leads"`
				DealsJoinable bool      `json:"deals_joinable"`
			}
			c := jsonOf[apiClient](t, e.call(http.MethodGet, "/api/v1/clients/Jane%40Example.com", ""), http.StatusOK)
			require.Equal(t, "jane@example.com", c.Email)
			require.Len(t, c.Readings, 2)
			require.Equal(t, 70.0, c.Readings[0].Score)
			require.Len(t, c.Cases, 1)
			require.Equal(t, "opened", c.Cases[0].Events[0].Kind)
			require.Equal(t, []any{}, c.Deals)
			c = jsonOf[apiClient](t, e.call(http.MethodGet, "/api/v1/clients/sarah@example.com", ""), http.StatusOK)
			require.Len(t, c.Leads, 1)
			require.Equal(t, "response_delay:lead-10", c.Cases[0].Key)
			requireError(t, e.call(http.MethodGet, "/api/v1/clients/nobody%40example.com", ""), http.StatusNotFound)
			requireError(t, e.call(http.MethodGet, "/api/v1/clients/nobody", ""), http.StatusBadRequest)
			requireError(t, e.do(request{method: http.MethodGet, path: "/api/v1/clients/jane%40example.com"}), http.StatusUnauthorized)
		})
	}
}

func TestDismissAcknowledgesAndAlertsCSV(t *testing.T) {
	t.Parallel()
	for _, ds := range deskStores() {
		t.Run(ds.name, func(t *testing.T) {
			t.Parallel()
			e := newDeskEnv(t, ds.open(t))
			_, byKey := casesByKey(t, e, "")
			alerts := jsonOf[[]proactive.Alert](t, e.call(http.MethodGet, "/api/v1/alerts", ""), http.StatusOK)
			require.Len(t, alerts, 3)

			// format=csv: the JSON keys as header, one row per alert.
			resp := e.call(http.MethodGet, "/api/v1/alerts?format=csv", "")
			require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
			rows, err := csv.NewReader(strings.NewReader(readAll(t, resp))).ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, 4)
			require.Equal(t, "id", rows[0][0])
			for i, a := range alerts {
				require.Equal(t, a.ID, rows[i+1][0])
				require.Equal(t, a.Content, rows[i+1][4])
			}
			requireError(t, e.call(http.MethodGet, "/api/v1/alerts?format=pdf", ""), http.StatusBadRequest)

			var health proactive.Alert
			for _, a := range alerts {
				if a.AffectedEntities.Type == proactive.HealthDrop {
					health = a
				}
			}
			// Snoozed and open cases are acknowledged; an acknowledged one is
			// left as it is.
			jsonOf[apiAction](t, e.call(http.MethodPost, "/api/v1/cases/health_drop:bob@example.com/ack", `{"by": "ann"}`), http.StatusOK)
			events := openStream(t, e, newToken)
			nextEvent(t, events, eventReady)
			dr := jsonOf[map[string]any](t, e.call(http.MethodPost, "/api/v1/alerts/"+health.ID+"/dismiss", `{"by": "carol"}`), http.StatusOK)
			require.Equal(t, map[string]any{"id": health.ID, "dismissed": true, "acknowledged": []any{byKey["health_drop:jane@example.com"].ID}}, dr)
			ev := nextEvent(t, events, eventCases)
			require.Equal(t, "acknowledged", ev.data["reason"])
			jane := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/health_drop:jane@example.com", ""), http.StatusOK)
			require.Equal(t, "carol", *jane.AckBy)
			require.Equal(t, "alert dismissed", jane.Events[1].Note)
			bob := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/health_drop:bob@example.com", ""), http.StatusOK)
			require.Equal(t, "ann", *bob.AckBy)

			// Again: succeeds, acknowledges nothing; the actor defaults to api.
			dr = jsonOf[map[string]any](t, e.call(http.MethodPost, "/api/v1/alerts/"+health.ID+"/dismiss", ""), http.StatusOK)
			require.Equal(t, []any{}, dr["acknowledged"])
			var deal proactive.Alert
			for _, a := range alerts {
				if a.AffectedEntities.Type == proactive.DealStall {
					deal = a
				}
			}
			jsonOf[map[string]any](t, e.call(http.MethodPost, "/api/v1/alerts/"+deal.ID+"/dismiss", ""), http.StatusOK)
			d := jsonOf[apiCase](t, e.call(http.MethodGet, "/api/v1/cases/deal_stall:deal-1", ""), http.StatusOK)
			require.Equal(t, "api", *d.AckBy)

			requireError(t, e.call(http.MethodPost, "/api/v1/alerts/"+deal.ID+"/dismiss", `[]`), http.StatusBadRequest)
			requireError(t, e.call(http.MethodPost, "/api/v1/alerts/00000000-0000-4000-8000-000000000000/dismiss", ""), http.StatusNotFound)
			var raw json.RawMessage = []byte(`{"by": "x", "extra": true}`)
			jsonOf[map[string]any](t, e.call(http.MethodPost, "/api/v1/alerts/"+deal.ID+"/dismiss", string(raw)), http.StatusOK)
		})
	}
}
