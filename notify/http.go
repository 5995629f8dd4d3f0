package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultHTTPTimeout bounds every HTTP call of a notifier that is given no
// timeout: connecting, sending and reading the answer.
const DefaultHTTPTimeout = 10 * time.Second

// UserAgent is sent with every notification request.
const UserAgent = "ptd-proactive"

// NewHTTPClient returns the client notifiers use: the given timeout (the
// default when zero), proxies from the environment, and no redirects (a
// redirected POST would lose its body; a 3xx is reported instead).
func NewHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// PostRequest is one JSON POST of a notifier.
type PostRequest struct {
	// Peer names the receiver in errors ("slack webhook"); never the URL.
	Peer string
	// URL is where to post; a secret, never shown.
	URL string
	// Body is the JSON to post, sent as is.
	Body []byte
	// Header holds extra request headers (Content-Type is always JSON).
	Header http.Header
	// Redactor removes secrets from errors; the URL's parts are removed anyway.
	Redactor Redactor
}

// PostJSON posts a JSON body and classifies the outcome as the Notifier
// contract says: nil on 2xx; retry on 408, 429, 5xx, timeouts and network
// errors; no retry on other statuses. A 429 or 503 with a Retry-After header
// gives a RetryAfterError. Errors name the peer and the status and quote the
// start of the answer, never the URL or another secret.
func PostJSON(ctx context.Context, client *http.Client, p PostRequest) (retry bool, err error) {
	red := NewRedactor(append(URLSecrets(p.URL), p.Redactor.secrets...)...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(p.Body))
	if err != nil {
		// The message of a parse error quotes the URL: drop it.
		return false, fmt.Errorf("post to %s: invalid URL", p.Peer)
	}
	for k, vs := range p.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, red.Error(fmt.Errorf("post to %s: %s", p.Peer, describeTransportError(err)))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	msg := fmt.Sprintf("post to %s: %s", p.Peer, resp.Status)
	if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "?")); s != "" {
		msg += ": " + oneLine(s, 200)
	}
	err = red.Error(errors.New(msg))
	retry = RetryableStatus(resp.StatusCode)
	if retry {
		if after, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			err = &RetryAfterError{Err: err, After: after}
		}
	}
	return retry, err
}

// RetryableStatus reports whether an HTTP status is worth retrying: 408,
// 429 and 5xx are; every other non-2xx status is not.
func RetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// describeTransportError returns the text of a failed HTTP exchange without
// the url.Error wrapper (which quotes the URL).
func describeTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timed out: " + err.Error()
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return err.Error()
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now), true
	}
	return 0, false
}

// oneLine folds whitespace runs to single spaces and cuts s to limit bytes.
func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return s
}

// MarshalJSON encodes v as notifiers send it: compact, without escaping
// <, > and & (as `ptd-proactive alerts --json` prints), no trailing newline.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
