package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Authentication (CONTRACT §7). With tokens configured:
//
//   - every /api/ and /functions/ call, and anything not listed as public,
//     needs "Authorization: Bearer <token>", one of the configured tokens
//     (several may be valid at once, for rotation), compared in constant
//     time; otherwise 401 with a JSON error;
//   - the dashboard takes the token once through a sign-in form (POST
//     /login) and then carries a session cookie (HttpOnly, SameSite=Strict);
//     the cookie's value is "<expiry>.<HMAC-SHA256 keyed by the token>",
//     never the token itself, so it is valid on every replica sharing the
//     tokens and dies with the token it was made from. The same cookie lets
//     the dashboard's own calls (events, dismiss, scan) through; an unsafe
//     request carrying only the cookie must come from the same origin
//     (http.CrossOriginProtection);
//   - /healthz, /readyz, /metrics, the sign-in page and the static assets
//     are public: they hold no client data.
//
// Without tokens everything is open (serve then listens on loopback).

// sessionCookie is the name of the dashboard's session cookie.
const sessionCookie = "ptd_session"

// sessionContext is the message the session MAC covers (with the expiry).
const sessionContext = "ptd-proactive dashboard session v1|"

// access says what a path needs.
type access int

const (
	// accessPublic: no token needed.
	accessPublic access = iota
	// accessPage: a dashboard page; without a token the browser is sent
	// to the sign-in form.
	accessPage
	// accessAPI: the bearer token or the session; 401 JSON otherwise.
	accessAPI
)

// accessFor is the one place that decides what a path needs. Anything not
// listed is API (deny by default).
func accessFor(path string) access {
	switch {
	case path == "/healthz", path == "/readyz", path == "/metrics", path == "/login", path == "/logout",
		path == "/favicon.ico", strings.HasPrefix(path, "/ui/static/"):
		return accessPublic
	case path == "/", path == "/alerts", path == "/silences", path == "/notifications", strings.HasPrefix(path, "/clients/"):
		return accessPage
	}
	return accessAPI
}

// authEnabled reports whether tokens are configured.
func (s *Server) authEnabled() bool { return len(s.tokens) > 0 }

// tokenValid compares a presented token with every configured token in
// constant time (over SHA-256 digests, so that lengths leak nothing
// either) and without stopping at the first match.
func (s *Server) tokenValid(presented string) bool {
	sum := sha256.Sum256([]byte(presented))
	ok := 0
	for _, d := range s.tokenDigests {
		ok |= subtle.ConstantTimeCompare(sum[:], d[:])
	}
	return ok == 1
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// sessionMAC is the MAC of a session expiring at exp, keyed by token.
func sessionMAC(token string, exp int64) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(sessionContext + strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// newSession returns a cookie value for token, valid until exp.
func newSession(token string, exp time.Time) string {
	e := exp.Unix()
	return strconv.FormatInt(e, 10) + "." + base64.RawURLEncoding.EncodeToString(sessionMAC(token, e))
}

// sessionValid checks a cookie value: not expired, and made from one of
// the configured tokens (every token is tried, in constant time each).
func (s *Server) sessionValid(value string) bool {
	expText, macText, ok := strings.Cut(value, ".")
	if !ok {
		return false
	}
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil {
		return false
	}
	valid := false
	for _, t := range s.tokens {
		if hmac.Equal(mac, sessionMAC(t, exp)) {
			valid = true
		}
	}
	return valid
}

// authenticate reports whether r may pass, and whether it passed on the
// session cookie alone. A wrong bearer header is refused even when a
// valid cookie comes with it.
func (s *Server) authenticate(r *http.Request) (ok, byCookie bool) {
	if !s.authEnabled() {
		return true, false
	}
	if tok, present := bearer(r); present || r.Header.Get("Authorization") != "" {
		return present && s.tokenValid(tok), false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false, false
	}
	return s.sessionValid(c.Value), true
}

// unsafeMethod reports whether a method may change state.
func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// requireAuth applies accessFor to every request.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need := accessFor(r.URL.Path)
		if need == accessPublic {
			next.ServeHTTP(w, r)
			return
		}
		ok, byCookie := s.authenticate(r)
		switch {
		case !ok && need == accessPage && r.Method == http.MethodGet:
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="ptd-proactive"`)
			errorf(w, r, http.StatusUnauthorized, "authentication required: send the header \"Authorization: Bearer <token>\" with a configured API token (PTD_API_TOKEN)")
			return
		case byCookie && unsafeMethod(r.Method):
			if err := s.csrf.Check(r); err != nil {
				errorf(w, r, http.StatusForbidden, "cross-origin request refused: the session cookie is only accepted from the dashboard itself; send the bearer token instead")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// loginData fills the sign-in page.
type loginData struct {
	Error string
}

// handleLoginPage serves the sign-in form (GET /login).
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if ok, _ := s.authenticate(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login.html", loginData{})
}

// handleLogin checks the token of the sign-in form (POST /login) and sets
// the session cookie. Wrong tokens are throttled per client address
// (Options.LoginFailures per LoginWindow, then 429 with Retry-After).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := s.csrf.Check(r); err != nil {
		errorf(w, r, http.StatusForbidden, "cross-origin sign-in refused")
		return
	}
	if !s.authEnabled() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	client := clientKey(r)
	if wait, blocked := s.logins.blocked(client, s.now()); blocked {
		secs := int(math.Ceil(wait.Seconds()))
		noteError(r, errors.New("sign-in refused: too many wrong tokens from this address"))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.render(w, r, http.StatusTooManyRequests, "login.html", loginData{Error: fmt.Sprintf(
			"Too many wrong tokens from your address: try again in %d seconds.", secs)})
		return
	}
	body, err := readBody(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "login.html", loginData{Error: "The form could not be read. Please try again."})
		return
	}
	token := strings.TrimSpace(form.Get("token"))
	if token == "" || !s.tokenValid(token) {
		s.logins.fail(client, s.now())
		noteError(r, errors.New("sign-in refused: wrong token"))
		s.render(w, r, http.StatusUnauthorized, "login.html", loginData{Error: "That token is not valid. Use one of the API tokens configured on the server (PTD_API_TOKEN)."})
		return
	}
	s.logins.succeed(client)
	exp := s.now().Add(s.opts.SessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    newSession(token, exp),
		Path:     "/",
		Expires:  exp,
		MaxAge:   int(s.opts.SessionTTL / time.Second),
		HttpOnly: true,
		Secure:   secureRequest(r),
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// handleLogout clears the session cookie (POST /logout).
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.csrf.Check(r); err != nil {
		errorf(w, r, http.StatusForbidden, "cross-origin sign-out refused")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   secureRequest(r),
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// secureRequest reports whether the browser reached us over HTTPS
// (directly or through a proxy that says so).
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
