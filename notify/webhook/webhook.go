// Package webhook delivers notifications to a generic JSON webhook: one
// POST per notification whose body is CONTRACT §10.10's
//
//	{"event": "alert" | "escalation" | "update" | "resolved",
//	 "alert": <the alert as `ptd-proactive alerts --json` prints a row>,   (absent for resolved)
//	 "new_entities": ["<label>", …],                                      (update only)
//	 "cases": [{"id", "key", "label", "severity", "resolved_at", "resolve_reason"}, …]}  (resolved only)
//
// signed so that the receiver can check where it came from. A case's
// severity is its peak severity.
//
// Headers:
//
//	Content-Type: application/json
//	X-PTD-Signature: sha256=<hex HMAC-SHA256 of the exact body, keyed with the secret>  (when a secret is set)
//	X-PTD-Idempotency-Key: <the notification's key>  (the same on every attempt)
//	X-PTD-Event: alert.created | alert.escalated | alert.updated | cases.resolved
//	X-PTD-Attempt: <attempt number, 1 for the first>
//
// X-PTD-Event keeps Part one's values and names the body's event one to
// one: alert → alert.created, escalation → alert.escalated, update →
// alert.updated, resolved → cases.resolved (see HeaderEventOf).
//
// Delivery is at least once: a receiver that must act once per message
// keeps the idempotency keys it has seen and ignores a repeat. Verify
// checks a signature in constant time.
package webhook

import (
	"cmp"
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

// The X-PTD-Event values (Part one's names, kept for receivers that route
// on them).
const (
	HeaderEventCreated   = "alert.created"   // event alert: a new alert
	HeaderEventEscalated = "alert.escalated" // event escalation: a stored alert's priority rose
	HeaderEventUpdated   = "alert.updated"   // event update: a stored alert gained members
	HeaderEventResolved  = "cases.resolved"  // event resolved: cases were resolved
)

// HeaderEventOf returns the X-PTD-Event value of a body's event.
func HeaderEventOf(event string) string {
	switch event {
	case proactive.EventEscalation:
		return HeaderEventEscalated
	case proactive.EventUpdate:
		return HeaderEventUpdated
	case proactive.EventResolve:
		return HeaderEventResolved
	}
	return HeaderEventCreated
}

// Body is the JSON a webhook receives (CONTRACT §10.10).
type Body struct {
	// Event is alert, escalation, update or resolved.
	Event string `json:"event"`
	// Alert is the alert row; absent for resolved.
	Alert *proactive.Alert `json:"alert,omitempty"`
	// NewEntities are the labels of an update's new members; update only.
	NewEntities []string `json:"new_entities,omitempty"`
	// Cases are the resolved cases; resolved only.
	Cases []proactive.ResolvedCase `json:"cases,omitempty"`
}

// NewBody returns the body of a message: each field only for the events
// that carry it.
func NewBody(m notify.Message) Body {
	b := Body{Event: cmp.Or(m.Event, proactive.EventAlert)}
	if b.Event == proactive.EventResolve {
		b.Cases = m.Cases
		return b
	}
	b.Alert = m.Alert
	if b.Event == proactive.EventUpdate {
		b.NewEntities = m.NewEntities
	}
	return b
}

// Notify posts each message in turn and stops at the first failure. (The
// Worker passes one message per call, so a retry never re-sends another.)
func (n *Notifier) Notify(ctx context.Context, msgs []notify.Message) (bool, error) {
	d, _ := notify.DeliveryFrom(ctx)
	for _, m := range msgs {
		b := NewBody(m)
		if b.Alert == nil && b.Event != proactive.EventResolve {
			return false, fmt.Errorf("webhook: notification %s (%s) has no alert", m.NotificationID, b.Event)
		}
		body, err := notify.MarshalJSON(b)
		if err != nil {
			return false, fmt.Errorf("encode webhook body of notification %s: %w", m.NotificationID, err)
		}
		h := http.Header{}
		if n.secret != "" {
			h.Set(HeaderSignature, Sign(n.secret, body))
		}
		if m.IdempotencyKey != "" {
			h.Set(HeaderIdempotencyKey, m.IdempotencyKey)
		}
		h.Set(HeaderEvent, HeaderEventOf(b.Event))
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
