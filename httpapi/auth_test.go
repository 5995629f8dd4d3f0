package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/scan"
)

// login signs in through the form and returns the session cookie.
func login(t *testing.T, e *testEnv, token string) *http.Cookie {
	t.Helper()
	resp := e.do(request{method: http.MethodPost, path: "/login",
		body:   strings.NewReader(url.Values{"token": {token}}.Encode()),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/", resp.Header.Get("Location"))
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func TestAuthBearer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{oldToken, " " + newToken + " ", ""}})

	for _, path := range []string{"/api/v1/alerts", "/api/v1/openapi.json", "/api/v1/scans/last", "/api/v1/nope", "/ui/alerts"} {
		t.Run("refused "+path, func(t *testing.T) {
			for name, hdr := range map[string]string{
				"no header":    "",
				"wrong token":  "Bearer not-the-token",
				"empty bearer": "Bearer ",
				"basic":        "Basic " + oldToken,
				"raw token":    oldToken,
				"token prefix": "Bearer " + oldToken[:10],
				"token longer": "Bearer " + oldToken + "x",
			} {
				h := map[string]string{}
				if hdr != "" {
					h["Authorization"] = hdr
				}
				resp := e.do(request{method: http.MethodGet, path: path, header: h})
				msg := requireError(t, resp, http.StatusUnauthorized)
				require.Contains(t, msg, "Authorization: Bearer <token>", name)
				require.Equal(t, `Bearer realm="ptd-proactive"`, resp.Header.Get("WWW-Authenticate"), name)
			}
		})
	}

	t.Run("refused scan runs nothing", func(t *testing.T) {
		for _, path := range []string{"/functions/v1/ptd-proactive", "/api/v1/scan"} {
			requireError(t, e.do(request{method: http.MethodPost, path: path, token: "wrong"}), http.StatusUnauthorized)
		}
		require.Empty(t, e.scanCalls())
	})

	t.Run("both tokens of a rotation are accepted", func(t *testing.T) {
		for _, tok := range []string{oldToken, newToken} {
			resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts", token: tok})
			require.Equal(t, http.StatusOK, resp.StatusCode)
			resp = e.do(request{method: http.MethodGet, path: "/api/v1/alerts", header: map[string]string{"Authorization": "bearer " + tok}})
			require.Equal(t, http.StatusOK, resp.StatusCode, "the scheme is case-insensitive")
		}
	})

	t.Run("public endpoints need no token", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/login", "/ui/static/app.css", "/ui/static/app.js"} {
			resp := e.do(request{method: http.MethodGet, path: path})
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
		}
	})

	t.Run("the dashboard sends strangers to the sign-in form", func(t *testing.T) {
		resp := e.do(request{method: http.MethodGet, path: "/"})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/login", resp.Header.Get("Location"))
		resp = e.do(request{method: http.MethodGet, path: "/", token: newToken})
		require.Equal(t, http.StatusOK, resp.StatusCode, "a bearer header is let in")
	})
}

func TestAuthOpenWithoutTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/", "/api/v1/alerts", "/ui/alerts", "/api/v1/openapi.json"} {
		resp := e.do(request{method: http.MethodGet, path: path})
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	resp := e.do(request{method: http.MethodPost, path: "/api/v1/scan"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp = e.do(request{method: http.MethodGet, path: "/login"})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "nothing to sign in to")
}

func TestAuthSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{oldToken, newToken}})

	t.Run("a wrong token is refused with the form again", func(t *testing.T) {
		resp := e.do(request{method: http.MethodPost, path: "/login",
			body:   strings.NewReader("token=wrong"),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Empty(t, resp.Cookies())
		body := readAll(t, resp)
		require.Contains(t, body, `role="alert"`)
		require.Contains(t, body, "not valid")
	})

	c := login(t, e, newToken)
	t.Run("the cookie is HttpOnly, SameSite=Strict and not the token", func(t *testing.T) {
		require.True(t, c.HttpOnly)
		require.Equal(t, http.SameSiteStrictMode, c.SameSite)
		require.Equal(t, "/", c.Path)
		require.Positive(t, c.MaxAge)
		require.NotContains(t, c.Value, newToken)
		require.NotContains(t, c.Value, oldToken)
	})

	t.Run("the cookie opens the dashboard and its API calls", func(t *testing.T) {
		for _, path := range []string{"/", "/ui/alerts", "/api/v1/alerts"} {
			resp := e.do(request{method: http.MethodGet, path: path, cookie: c})
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
		}
		resp := e.do(request{method: http.MethodPost, path: "/api/v1/scan", cookie: c,
			header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})

	t.Run("a cross-site request with the cookie is refused", func(t *testing.T) {
		before := len(e.scanCalls())
		resp := e.do(request{method: http.MethodPost, path: "/api/v1/scan", cookie: c,
			header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
		requireError(t, resp, http.StatusForbidden)
		require.Len(t, e.scanCalls(), before)
	})

	t.Run("a wrong bearer header is refused even with a good cookie", func(t *testing.T) {
		requireError(t, e.do(request{method: http.MethodGet, path: "/api/v1/alerts", cookie: c, token: "wrong"}), http.StatusUnauthorized)
	})

	t.Run("forged, tampered and expired sessions are refused", func(t *testing.T) {
		exp := time.Now().Add(time.Hour)
		for name, value := range map[string]string{
			"raw token":     newToken,
			"other key":     newSession("some-other-token", exp),
			"tampered time": strings.Replace(c.Value, c.Value[:3], "999", 1),
			"expired":       newSession(newToken, time.Now().Add(-time.Minute)),
			"garbage":       "x.y",
		} {
			resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts", cookie: &http.Cookie{Name: sessionCookie, Value: value}})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
		}
	})

	t.Run("a session dies with its token", func(t *testing.T) {
		rotated, err := New(Options{Store: e.store, Scans: scan.NewGuard(func(context.Context, string) (proactive.ScanResult, error) { return okResult(), nil }, scan.GuardOptions{}), Tokens: []string{oldToken}})
		require.NoError(t, err)
		defer rotated.Close()
		require.False(t, rotated.sessionValid(c.Value))
		require.True(t, e.srv.sessionValid(c.Value))
	})

	t.Run("sign-out clears the cookie", func(t *testing.T) {
		resp := e.do(request{method: http.MethodPost, path: "/logout", cookie: c})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/login", resp.Header.Get("Location"))
		var cleared bool
		for _, k := range resp.Cookies() {
			if k.Name == sessionCookie && k.MaxAge < 0 && k.Value == "" {
				cleared = true
			}
		}
		require.True(t, cleared)
	})

	t.Run("a cross-site sign-in is refused", func(t *testing.T) {
		resp := e.do(request{method: http.MethodPost, path: "/login",
			body: strings.NewReader("token=" + newToken),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded",
				"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
		requireError(t, resp, http.StatusForbidden)
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{newToken}})
	for _, path := range []string{"/functions/v1/ptd-proactive", "/api/v1/scan", "/api/v1/alerts", "/api/v1/alerts/x/dismiss"} {
		resp := e.do(request{method: http.MethodOptions, path: path, header: map[string]string{
			"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization, content-type",
		}})
		require.Contains(t, []int{http.StatusOK, http.StatusNoContent}, resp.StatusCode, path)
		require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"), path)
		require.Equal(t, "authorization, x-client-info, apikey, content-type", resp.Header.Get("Access-Control-Allow-Headers"), path)
		require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	}
	require.Empty(t, e.scanCalls(), "a preflight runs nothing")

	// Real answers carry the headers too, errors included, so that a
	// browser client can read them.
	for _, tok := range []string{"", newToken} {
		resp := e.do(request{method: http.MethodGet, path: "/api/v1/alerts", token: tok})
		require.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, "authorization, x-client-info, apikey, content-type", resp.Header.Get("Access-Control-Allow-Headers"))
	}
	// The dashboard is not an API: no CORS there.
	resp := e.do(request{method: http.MethodGet, path: "/healthz"})
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// TestNoClientDataWithoutTheToken calls every route, with every method,
// as a stranger (no credentials, a wrong token, a forged session) and
// checks that no answer holds anything of a stored alert: CONTRACT §7,
// "nothing of them is served to a caller without the token". A route added
// later is covered by the same sweep.
func TestNoClientDataWithoutTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tokens: []string{oldToken, newToken}})
	const name, email = "Zebediah Quarterfield", "zebediah.q@client.example"
	a := MustSaveAlert(t, e.store, e.now(), seedAlert{proactive.SeverityCritical, proactive.HealthDrop, 95, name + " " + email, time.Minute, 1})
	require.NoError(t, e.store.RecordScan(context.Background(), proactive.ScanRun{StartedAt: e.now(), Success: true, Trigger: "schedule", Message: name}))

	// With the token, the same data is there: the sweep looks for the right strings.
	for _, p := range []string{"/api/v1/alerts", "/api/v1/alerts/" + a.ID, "/alerts", "/ui/alerts"} {
		require.Contains(t, readAll(t, e.do(request{method: http.MethodGet, path: p, token: newToken})), email, p)
	}

	paths := []string{"/nope", "/api/v1/alerts/" + a.ID + "/undismiss", "/ui/alerts?priority=bad", "/?type=bad"}
	for _, rt := range e.srv.routes() {
		p := strings.ReplaceAll(rt.path, "{id}", a.ID)
		paths = append(paths, strings.ReplaceAll(p, "{$}", ""))
	}
	strangers := map[string]request{
		"anonymous":      {},
		"wrong token":    {token: "wrong-token-0123456789"},
		"forged session": {cookie: &http.Cookie{Name: sessionCookie, Value: newSession("wrong-token-0123456789", time.Now().Add(time.Hour))}},
	}
	for _, p := range paths {
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions, http.MethodDelete} {
			for who, r := range strangers {
				r.method, r.path = m, p
				resp := e.do(r)
				body := readAll(t, resp)
				for _, secret := range []string{name, email, a.ID} {
					require.NotContains(t, body, secret, "%s %s as %s answered %d", m, p, who, resp.StatusCode)
				}
				if path, _, _ := strings.Cut(p, "?"); corsPath(path) || accessFor(path) == accessAPI {
					require.Contains(t, []int{http.StatusOK, http.StatusUnauthorized}, resp.StatusCode, "%s %s as %s", m, p, who)
					if resp.StatusCode == http.StatusOK {
						require.Equal(t, http.MethodOptions, m, "only a preflight passes without the token: %s %s", m, p)
					}
				}
			}
		}
	}
	require.Empty(t, e.scanCalls(), "no scan ran for a stranger")
	stored, err := e.store.GetAlert(context.Background(), a.ID)
	require.NoError(t, err)
	require.False(t, stored.IsDismissed, "no stranger dismissed it")
}
