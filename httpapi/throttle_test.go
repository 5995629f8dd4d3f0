package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signIn posts the sign-in form with token from the client address addr.
func signIn(e *testEnv, addr, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// TestLoginThrottle: five wrong tokens a minute from one address, then the
// sign-in answers 429 with Retry-After — even to the right token, so that
// guessing on gives nothing away — until the minute is over; other
// addresses are not affected, and a sign-in clears the count.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, envOptions{tokens: []string{newToken}, now: clock.now})
	const guesser, colleague = "203.0.113.7:40001", "198.51.100.2:51000"

	for i := range DefaultLoginFailures {
		rec := signIn(e, guesser, fmt.Sprintf("guess-%d", i))
		require.Equal(t, http.StatusUnauthorized, rec.Code, "guess %d", i)
		clock.advance(5 * time.Second)
	}
	rec := signIn(e, "203.0.113.7:40002", "guess-again") // another port, same address
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "35", rec.Header().Get("Retry-After"), "the window opened 25 s ago")
	require.Contains(t, rec.Body.String(), "Too many wrong tokens from your address: try again in 35 seconds.")
	require.Empty(t, rec.Result().Cookies())
	rec = signIn(e, guesser, newToken)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "blocked is blocked, right token or not")
	require.Empty(t, rec.Result().Cookies())

	// Someone else signs in meanwhile.
	require.Equal(t, http.StatusSeeOther, signIn(e, colleague, newToken).Code)
	require.Equal(t, http.StatusUnauthorized, signIn(e, colleague, "typo").Code)

	// The minute is over: the guesser may try again, and a sign-in clears the count.
	clock.advance(35 * time.Second)
	require.Equal(t, http.StatusUnauthorized, signIn(e, guesser, "guess-late").Code)
	require.Equal(t, http.StatusSeeOther, signIn(e, guesser, newToken).Code)
	for range DefaultLoginFailures {
		require.Equal(t, http.StatusUnauthorized, signIn(e, guesser, "x").Code)
	}
	require.Equal(t, http.StatusTooManyRequests, signIn(e, guesser, "x").Code, "the count started again from zero")

	// IPv6: one /64 is one client.
	for i := range DefaultLoginFailures {
		require.Equal(t, http.StatusUnauthorized, signIn(e, fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), "x").Code)
	}
	require.Equal(t, http.StatusTooManyRequests, signIn(e, "[2001:db8:1:2::ff]:443", "x").Code)
	require.Equal(t, http.StatusUnauthorized, signIn(e, "[2001:db8:1:3::1]:443", "x").Code)

	// The bearer-token API and the sign-in page stay as they were.
	req := httptest.NewRequest(http.MethodGet, "/api/v1/alerts", nil)
	req.RemoteAddr, req.Header["Authorization"] = guesser, []string{"Bearer " + newToken}
	api := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(api, req)
	require.Equal(t, http.StatusOK, api.Code)
}

// TestLoginThrottleMemoryIsBounded: however many addresses guess, the
// throttle remembers at most its bound, dropping expired windows first and
// then the oldest.
func TestLoginThrottleMemoryIsBounded(t *testing.T) {
	t.Parallel()
	l := newLoginThrottle(2, time.Minute, 3)
	at := time.Date(2025, 12, 10, 12, 0, 0, 0, time.UTC)
	addr := func(i int) netip.Prefix { return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 32) }
	for i := range 10 {
		l.fail(addr(i), at.Add(time.Duration(i)*time.Second))
		require.LessOrEqual(t, l.size(), 3)
	}
	l.fail(addr(9), at.Add(10*time.Second))
	_, blocked := l.blocked(addr(9), at.Add(11*time.Second))
	require.True(t, blocked, "the newest address is kept")
	_, blocked = l.blocked(addr(9), at.Add(70*time.Second))
	require.False(t, blocked, "its window ended")
	require.Equal(t, 2, l.size(), "and was dropped when looked at")

	l.fail(addr(20), at.Add(5*time.Minute))
	require.Equal(t, 3, l.size())
	l.fail(addr(21), at.Add(5*time.Minute))
	require.Equal(t, 2, l.size(), "when full, the expired windows go first")
}
