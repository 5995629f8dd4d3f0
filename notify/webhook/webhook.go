// Package webhook delivers alerts to a generic JSON webhook: one POST per
// alert whose body is the alert as `ptd-proactive alerts --json` prints a
// row (proactive_insights column names as keys), signed so that the
// receiver can check where it came from.
//
// Headers:
//
//	Content-Type: application/json
//	X-PTD-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed with the secret>  (when a secret is set)
//	X-PTD-Idempotency-Key: <alert id>:webhook:<priority>  (the same on every attempt)
//	X-PTD-Event: alert.created | alert.escalated
//	X-PTD-Attempt: <attempt number, 1 for the first>
//
// Delivery is at least once: a receiver that must act once per alert keeps
// the idempotency keys it has seen and ignores a repeat. Verify checks a
// signature in constant time.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

// The headers of a webhook post.
const (
	HeaderSignature      = "X-PTD-Signature"
	HeaderIdempotencyKey = "X-PTD-Idempotency-Key"
	HeaderEvent          = "X-PTD-Event"
	HeaderAttempt        = "X-PTD-Attempt"
)

// Options configures a Notifier.
type Options struct {
	// URL receives the posts (a secret: never shown in errors or logs).
	URL string
	// Secret keys the HMAC-SHA256 signature; empty sends no signature.
	Secret string
	// Timeout bounds each post when Client is nil. Default 10 s.
	Timeout time.Duration
	// Client posts the alerts. Default notify.NewHTTPClient(Timeout).
	Client *http.Client
}

// Notifier posts alerts to a webhook. It is safe for concurrent use.
type Notifier struct {
	url    string
	secret string
	client *http.Client
	red    notify.Redactor
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier, or an error when the URL is not an http(s) URL
// (the error does not quote it).
func New(o Options) (*Notifier, error) {
	if err := notify.CheckURL("webhook URL", o.URL); err != nil {
		return nil, err
	}
	c := o.Client
	if c == nil {
		c = notify.NewHTTPClient(o.Timeout)
	}
	return &Notifier{url: o.URL, secret: o.Secret, client: c, red: notify.NewRedactor(o.Secret)}, nil
}

// Name returns "webhook".
func (n *Notifier) Name() string { return proactive.ChannelWebhook }

// Notify posts each alert in turn and stops at the first failure. (The
// Worker passes one alert per call, so a retry never re-sends another.)
func (n *Notifier) Notify(ctx context.Context, alerts []proactive.Alert) (bool, error) {
	d, _ := notify.DeliveryFrom(ctx)
	for i, a := range alerts {
		body, err := notify.MarshalJSON(a)
		if err != nil {
			return false, fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		h := http.Header{}
		if n.secret != "" {
			h.Set(HeaderSignature, Sign(n.secret, body))
		}
		if i < len(d.IdempotencyKeys) {
			h.Set(HeaderIdempotencyKey, d.IdempotencyKeys[i])
		}
		event := notify.EventCreated
		if i < len(d.Events) && d.Events[i] != "" {
			event = d.Events[i]
		}
		h.Set(HeaderEvent, event)
		if d.Attempt > 0 {
			h.Set(HeaderAttempt, strconv.Itoa(d.Attempt))
		}
		retry, err := notify.PostJSON(ctx, n.client, notify.PostRequest{
			Peer: "webhook", URL: n.url, Body: body, Header: h, Redactor: n.red,
		})
		if err != nil {
			return retry, err
		}
	}
	return false, nil
}

// Sign returns the X-PTD-Signature value of a body: "sha256=" and the hex
// HMAC-SHA256 of the exact bytes, keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header is the signature of body under secret,
// comparing in constant time. Receivers call it on the raw body, before
// decoding it.
func Verify(secret string, body []byte, header string) bool {
	got, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(gotMAC, m.Sum(nil))
}
