package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/notifytest"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	raw := "https://hooks.slack.com/services/T0/B0/tok3n?x=q%20s"
	r := notify.NewRedactor(append(notify.URLSecrets(raw), "p@ss word")...)
	for _, in := range []string{
		raw,
		fmt.Sprintf("Post %q: dial tcp: refused", raw),
		(&url.Error{Op: "Post", URL: raw, Err: errors.New("EOF")}).Error(),
		"path /services/T0/B0/tok3n echoed",
		"password p@ss word, escaped p%40ss%20word or p%40ss+word",
	} {
		out := r.String(in)
		notifytest.RequireNoSecret(t, []string{"tok3n", "p@ss word", "p%40ss"}, out)
		require.Contains(t, out, notify.Redacted)
	}
	require.Equal(t, "nothing secret here", r.String("nothing secret here"))
	require.Equal(t, "x", notify.Redactor{}.String("x"))
	require.NoError(t, r.Error(nil))

	// A Retry-After hint survives redaction.
	err := r.Error(&notify.RetryAfterError{Err: errors.New("429 from " + raw), After: time.Minute})
	var ra *notify.RetryAfterError
	require.ErrorAs(t, err, &ra)
	require.Equal(t, time.Minute, ra.After)
	require.NotContains(t, err.Error(), "tok3n")
}

func TestPostJSONRetryAfter(t *testing.T) {
	t.Parallel()
	rc := notifytest.NewReceiver(t)
	rc.Respond(func(int, *http.Request) (int, time.Duration) { return http.StatusTooManyRequests, 0 })
	// The receiver sets no Retry-After: a plain retryable error.
	retry, err := notify.PostJSON(context.Background(), notify.NewHTTPClient(time.Second),
		notify.PostRequest{Peer: "test", URL: rc.URL(), Body: []byte(`{}`)})
	require.True(t, retry)
	require.ErrorContains(t, err, "429")
	var ra *notify.RetryAfterError
	require.False(t, errors.As(err, &ra))

	srv := notifytest.NewReceiver(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	retry, err = notify.PostJSON(context.Background(), notify.NewHTTPClient(time.Second),
		notify.PostRequest{Peer: "test", URL: srv.URL(), Body: []byte(`{}`)})
	require.True(t, retry)
	require.ErrorAs(t, err, &ra)
	require.Equal(t, 2*time.Minute, ra.After)
}

func TestPostJSONDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewReceiver(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	retry, err := notify.PostJSON(context.Background(), notify.NewHTTPClient(time.Second),
		notify.PostRequest{Peer: "test", URL: srv.URL(), Body: []byte(`{}`)})
	require.False(t, retry)
	require.ErrorContains(t, err, "302")
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for attempt, want := range map[int]time.Duration{
		0: 5 * time.Second, 1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second,
		8: 640 * time.Second, 10: 2560 * time.Second, 11: time.Hour, 100: time.Hour,
	} {
		require.Equal(t, want, notify.ExponentialBackoff(attempt), "attempt %d", attempt)
		for range 20 {
			d := notify.DefaultBackoff(attempt)
			require.GreaterOrEqual(t, d, want*8/10)
			require.LessOrEqual(t, d, min(want*12/10, time.Hour))
		}
	}
}

// TestDefaultsRideOutAnOutage: with the default backoff, a notification
// is failed for good only after its peer has been down for hours, not
// minutes (a Slack or SMTP outage during serve must not lose alerts).
func TestDefaultsRideOutAnOutage(t *testing.T) {
	t.Parallel()
	var total time.Duration
	for attempt := 1; attempt < notify.DefaultMaxAttempts; attempt++ {
		total += notify.ExponentialBackoff(attempt)
	}
	require.Greater(t, total, 2*time.Hour)
	require.Less(t, total, 3*time.Hour)
	require.Greater(t, total*8/10, 90*time.Minute, "even with the shortest jitter")
}

func TestDeliveryContext(t *testing.T) {
	t.Parallel()
	_, ok := notify.DeliveryFrom(context.Background())
	require.False(t, ok)
	d := notify.Delivery{Channel: "webhook", Recipient: "Coach Ann", Attempt: 2, ScanID: "scan-1"}
	got, ok := notify.DeliveryFrom(notify.WithDelivery(context.Background(), d))
	require.True(t, ok)
	require.Equal(t, d, got)
}
