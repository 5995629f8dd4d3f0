package proactive

import "time"

// Notification channel names.
const (
	ChannelSlack   = "slack"
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// NotificationStatus is the delivery state of one queued notification.
type NotificationStatus string

// The states of a notification.
const (
	NotificationPending   NotificationStatus = "pending"   // waiting for (another) attempt
	NotificationSending   NotificationStatus = "sending"   // claimed by a worker under a lease
	NotificationDelivered NotificationStatus = "delivered" // sent successfully
	NotificationFailed    NotificationStatus = "failed"    // gave up after the last attempt; visible, never dropped
)

// Notification events (CONTRACT §10.10: the webhook's event field).
const (
	EventAlert      = "alert"      // a new group alert
	EventEscalation = "escalation" // a stored alert rose in priority
	EventUpdate     = "update"     // a stored alert gained members
	EventResolve    = "resolved"   // cases were resolved
)

// Notification is one message to be delivered on one channel (an outbox
// row): an alert's event, or the cases a scan resolved.
type Notification struct {
	ID string `json:"id"`
	// AlertID is the alert the message is about; "" for a resolved message.
	AlertID string `json:"alert_id"`
	Channel string `json:"channel"`
	// Event is EventAlert, EventEscalation, EventUpdate or EventResolve.
	Event string `json:"event"`
	// Recipient is the owner (notify.owners) the message goes to, "" for
	// the channel's configured destination.
	Recipient string `json:"recipient,omitempty"`
	// Payload holds what the message needs beyond the alert row: the new
	// entities of an update, the cases of a resolved message.
	Payload *NotificationPayload `json:"payload,omitempty"`
	// IdempotencyKey is unique per alert, channel and priority: an
	// escalation notifies again, a retry never makes a second key.
	IdempotencyKey string             `json:"idempotency_key"`
	Priority       Severity           `json:"priority"`
	Status         NotificationStatus `json:"status"`
	// Attempts counts the claims since the notification was queued (or
	// retried by RetryNotifications). A claim returns its own attempt
	// number here, which CompleteNotification and FailNotification take
	// back to say which claim they finish.
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	// ScanID groups the notifications enqueued by one scan (one email per scan).
	ScanID string `json:"scan_id,omitempty"`
}

// NotificationPayload is the part of a message not read from the alert row.
type NotificationPayload struct {
	// NewEntities are the labels of an update's new members.
	NewEntities []string `json:"new_entities,omitempty"`
	// Cases are the cases of a resolved message.
	Cases []ResolvedCase `json:"cases,omitempty"`
}

// ResolvedCase is one case in a resolved message (CONTRACT §10.10).
type ResolvedCase struct {
	ID            string    `json:"id"`
	Key           string    `json:"key"`
	Label         string    `json:"label"`
	Severity      Severity  `json:"severity"`
	ResolvedAt    time.Time `json:"resolved_at"`
	ResolveReason string    `json:"resolve_reason"`
}

// Destination is where one message goes: a channel, for the team
// (Recipient "") or for one owner (notify.owners).
type Destination struct {
	Channel   string
	Recipient string
}

// ResolvedRoute is a channel that sends resolved messages, and the
// priorities it admits (tested on a case's peak severity).
type ResolvedRoute struct {
	Channel    string
	Priorities []Severity
	// Types, when not empty, are the only case types the channel hears of
	// (its route's types filter).
	Types []AnomalyType
}

// ClaimParams asks a store for due notifications.
type ClaimParams struct {
	Now   time.Time
	Limit int
	// Lease is how long a claimed notification stays with this worker; after
	// it, another worker may claim it again (the first one crashed).
	Lease   time.Duration
	Channel string // "" for all channels
}

// NotificationFilter selects notifications for listing, newest first.
type NotificationFilter struct {
	Status NotificationStatus // "" for all
	Limit  int
}

// RetryParams selects failed notifications to queue again.
type RetryParams struct {
	// Now is when they are due again.
	Now time.Time
	// ID selects one notification; "" selects every failed one.
	ID string
	// Channel, without an ID, selects only that channel's failed
	// notifications; "" for all channels.
	Channel string
}

// CheckAttempt returns an EINVALID error, prefixed with op, for an attempt
// number no claim returns (below 1); stores check the attempt of Complete
// and Fail with it.
func CheckAttempt(op string, attempt int) error {
	if attempt < 1 {
		return Errorf(EINVALID, "%s: attempt %d: pass the Attempts of the claim (1 or more)", op, attempt)
	}
	return nil
}

// NotClaimedError is the ECONFLICT a store returns when a failure comes
// from a claim (attempt) that no longer holds its notification, which is
// now in status after attempts claims.
func NotClaimedError(op string, attempt int, status string, attempts int) error {
	if status == string(NotificationSending) {
		return Errorf(ECONFLICT,
			"%s: attempt %d no longer holds the notification: its lease ran out and another worker re-claimed it (attempt %d, still sending); nothing recorded",
			op, attempt, attempts)
	}
	return Errorf(ECONFLICT,
		"%s: attempt %d no longer holds the notification (it is %s): its lease ran out and another worker took it over; nothing recorded",
		op, attempt, status)
}

// NotFailedError is the ECONFLICT a store returns when asked to retry a
// notification whose status is not failed.
func NotFailedError(op, status string) error {
	return Errorf(ECONFLICT,
		"%s: the notification is %s, not failed: only failed notifications are retried", op, status)
}
