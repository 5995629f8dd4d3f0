// Package notify delivers alerts to people and systems: the Notifier
// interface every channel implements (one subpackage per channel:
// notify/slack, notify/email, notify/webhook), the Router that decides which
// channels want an alert, and the Worker that drains the notification outbox
// (ptd_notifications) with leases, retries and exponential backoff.
//
// The flow, alertmanager-style:
//
//  1. A scan asks the Router where each new, escalated or updated alert (and
//     each resolved case) goes, and queues one outbox row per destination in
//     its desk transaction, with the alert's own write (package scan).
//  2. A Worker claims due rows under a lease, loads their alerts, hands them to
//     the channel's Notifier and records the outcome: delivered, pending again
//     at now + backoff, or failed for good (visible with its last error).
//
// Delivery is at least once, deduplicated by the outbox: a notification is
// sent again only when a worker dies after the receiver accepted it and
// before the worker recorded it (the lease then expires and another worker
// re-sends it). Receivers that must see each alert exactly once deduplicate
// on the idempotency key (the webhook's X-PTD-Idempotency-Key header, the
// email's Message-ID); Slack has no such key, so that narrow window remains.
package notify

import (
	"context"
	"errors"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// Notifier delivers messages on one channel.
//
// Notify reports whether a failed delivery is worth retrying: true for
// transient faults (HTTP 5xx, 408 and 429, timeouts, refused or reset
// connections, SMTP 4xx replies), false for faults that another attempt
// cannot fix (other HTTP 4xx, SMTP 5xx replies, an unusable configuration).
// The error never contains a secret (a webhook URL, an SMTP password): it
// is stored as the notification's last error and logged.
//
// Notify is called with the messages of one delivery: one message, or, for
// a notifier that implements ScanBatcher, all the messages of one scan for
// one recipient claimed together. The messages of one call always share
// their Recipient. It must be safe for concurrent use. The context carries
// the Delivery (see DeliveryFrom) and bounds the call.
type Notifier interface {
	// Name is the channel name: slack, email or webhook.
	Name() string
	// Notify delivers the messages; see the interface comment for retry.
	Notify(ctx context.Context, msgs []Message) (retry bool, err error)
}

// ScanBatcher is implemented by notifiers that deliver all the messages of
// one scan to one recipient in a single message (email: one message per
// scan and recipient). The Worker groups the notifications it claims for
// such a channel by scan id and recipient.
type ScanBatcher interface {
	Notifier
	// BatchesByScan reports whether the notifier wants one call per scan.
	BatchesByScan() bool
}

// Message is one queued notification as a Notifier delivers it: what
// happened (Event), the alert row it is about, and what the row does not
// say (the new members of an update, the cases of a resolved message).
type Message struct {
	// NotificationID is the outbox row's id.
	NotificationID string
	// Event is proactive.EventAlert, EventEscalation, EventUpdate or
	// EventResolve (CONTRACT §10.10).
	Event string
	// Alert is the alert as stored now (as `alerts --json` prints it); nil
	// for a resolved message.
	Alert *proactive.Alert
	// NewEntities are the labels of an update's new members, most urgent
	// first: an update names only these.
	NewEntities []string
	// Cases are the cases of a resolved message.
	Cases []proactive.ResolvedCase
	// Recipient is the owner (notify.owners) the message goes to; "" for
	// the channel's own destination.
	Recipient string
	// IdempotencyKey is the outbox key: the same on every attempt, so a
	// receiver can drop a repeat.
	IdempotencyKey string
	// Priority is the notification's priority: the alert's, or the highest
	// peak severity of a resolved message's cases.
	Priority proactive.Severity
}

// AlertMessages wraps alerts as new-alert messages (EventAlert), keyed as
// Part one keyed them (<alert id>:<channel>:<priority>): for callers and
// tests that deliver alerts outside the outbox.
func AlertMessages(channel string, alerts ...proactive.Alert) []Message {
	out := make([]Message, 0, len(alerts))
	for i := range alerts {
		a := alerts[i]
		out = append(out, Message{
			Event: proactive.EventAlert, Alert: &a, Priority: a.Priority,
			IdempotencyKey: a.ID + ":" + channel + ":" + string(a.Priority),
		})
	}
	return out
}

// Delivery describes the Notify call under way. The Worker puts it into
// the context; notifiers read it with DeliveryFrom and pass on what their
// peer understands.
type Delivery struct {
	// Channel is the channel name.
	Channel string
	// Recipient is the owner the messages go to, "" for the channel's own
	// destination.
	Recipient string
	// Attempt is the attempt number of the delivery (1 for the first); for a
	// batch, the highest of its notifications.
	Attempt int
	// ScanID is the scan that enqueued the notifications ("" when unknown).
	ScanID string
}

type deliveryKey struct{}

// WithDelivery returns a context that carries d.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// DeliveryFrom returns the Delivery carried by ctx, if any.
func DeliveryFrom(ctx context.Context) (Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(Delivery)
	return d, ok
}

// RetryAfterError is a retryable error that names the earliest moment worth
// retrying (an HTTP Retry-After header). The Worker waits at least that
// long, and at most its maximum backoff.
type RetryAfterError struct {
	Err   error         // the failure, already redacted
	After time.Duration // the earliest retry the peer asked for
}

// Error implements error.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// retryAfter returns the delay named by a RetryAfterError in err's chain.
func retryAfter(err error) (time.Duration, bool) {
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > 0 {
		return ra.After, true
	}
	return 0, false
}
