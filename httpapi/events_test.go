package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name string
	data map[string]any
}

// openStream connects to the event stream and returns its events; the
// stream closes at cleanup.
func openStream(t *testing.T, e *testEnv, token string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/api/v1/events", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan sseEvent, 32)
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	go func() {
		defer close(done)
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			case line == "" && ev.name != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// nextEvent waits for the next event named name, skipping others.
func nextEvent(t *testing.T, events <-chan sseEvent, name string) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended while waiting for %q", name)
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event", name)
		}
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	polls := make(chan struct{}, 64)
	e := newEnv(t, envOptions{tokens: []string{newToken}, pollInterval: 100 * time.Millisecond, polled: func() {
		select {
		case polls <- struct{}{}:
		default:
		}
	}})
	alerts := seedSet(t, e)

	t.Run("the stream needs the token", func(t *testing.T) {
		requireError(t, e.do(request{method: http.MethodGet, path: "/api/v1/events"}), http.StatusUnauthorized)
		requireError(t, e.do(request{method: http.MethodPost, path: "/api/v1/events", token: newToken}), http.StatusMethodNotAllowed)
	})

	events := openStream(t, e, newToken)
	nextEvent(t, events, eventReady)

	t.Run("after a dismiss", func(t *testing.T) {
		resp := e.do(request{method: http.MethodPost, path: "/api/v1/alerts/" + alerts[0].ID + "/dismiss", token: newToken})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		nextAlerts(t, events, "dismiss")
	})

	t.Run("after a scan", func(t *testing.T) {
		resp := e.do(request{method: http.MethodPost, path: "/api/v1/scan", body: strings.NewReader(`{"trigger":"dashboard"}`), token: newToken})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		ev := nextEvent(t, events, eventScan)
		require.Equal(t, map[string]any{"state": "running", "trigger": "dashboard"}, ev.data)
		ev = nextEvent(t, events, eventScan)
		require.Equal(t, "done", ev.data["state"])
		require.Equal(t, true, ev.data["success"])
		nextAlerts(t, events, "scan")
	})

	t.Run("a change made by another replica is seen by polling", func(t *testing.T) {
		// The poller takes its baseline after the changes above: the
		// resync they asked for is taken (a look that announces nothing),
		// and the looks after it see them. Two looks ended with no resync
		// pending: the first may be the resync's own, the second surely
		// began after it.
		for len(polls) > 0 {
			<-polls
		}
		for quiet := 0; quiet < 2; {
			select {
			case <-polls:
			case <-time.After(10 * time.Second):
				t.Fatal("the poller stopped looking")
			}
			if len(e.srv.resync) == 0 {
				quiet++
			} else {
				quiet = 0
			}
		}
		drain(events)
		MustSaveAlert(t, e.store, e.now(), seedAlert{proactive.SeverityCritical, proactive.SyncFail, 99, "Other replica", 0, 7})
		ev := nextEvent(t, events, eventAlerts)
		require.Equal(t, "poll", ev.data["reason"])
	})
}

// nextAlerts waits for the next alerts event with this reason, skipping
// the poller's (its first look is announced whenever it comes).
func nextAlerts(t *testing.T, events <-chan sseEvent, reason string) {
	t.Helper()
	for {
		ev := nextEvent(t, events, eventAlerts)
		if ev.data["reason"] == reason {
			return
		}
		require.Equal(t, "poll", ev.data["reason"], "an alerts event of another reason than %q", reason)
	}
}

// drain empties a channel of what it holds now.
func drain(events <-chan sseEvent) {
	for {
		select {
		case <-events:
		default:
			return
		}
	}
}

func TestEventsEndOnShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	events := openStream(t, e, "")
	nextEvent(t, events, eventReady)
	require.NoError(t, e.srv.Shutdown(context.Background()))
	select {
	case _, open := <-events:
		require.False(t, open)
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open after Shutdown")
	}
	requireError(t, e.do(request{method: http.MethodGet, path: "/api/v1/events"}), http.StatusServiceUnavailable)
}

// TestEventsAnnounceAChangeBeforeThePollersFirstLook: a dashboard reads the
// alerts when its stream opens; an alert another replica stores before the
// poller's first fingerprint must still be announced.
func TestEventsAnnounceAChangeBeforeThePollersFirstLook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{pollInterval: 300 * time.Millisecond})
	events := openStream(t, e, "")
	nextEvent(t, events, eventReady)
	// At once, before the first poll: the dashboard's read is already done.
	MustSaveAlert(t, e.store, e.now(), seedAlert{proactive.SeverityCritical, proactive.SyncFail, 99, "Right after the stream opened", 0, 7})
	ev := nextEvent(t, events, eventAlerts)
	require.Equal(t, "poll", ev.data["reason"])
}
