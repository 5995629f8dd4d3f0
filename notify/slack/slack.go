// Package slack delivers notifications to a Slack incoming webhook: one
// message per notification. A new or escalated alert is one attachment,
// coloured danger for critical and warning otherwise (the seed's), titled
// with the alert's title, its summary as text, and the fields Urgency
// (n/100), Affected, Revenue at risk (when the alert carries one) and, when
// there is one, First action; an escalation says so in the message text.
// An update names only its new entities, under the alert's title; a
// resolved message lists the resolved cases with their peak severity and
// why they resolved.
//
// The team's messages go to the configured webhook URL; an owner's
// (notify.owners) to that owner's own URL.
//
// Slack has no idempotency key: the outbox alone keeps a message from being
// sent twice (see package notify for the one window that remains).
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

// Options configures a Notifier.
type Options struct {
	// WebhookURL is the team's incoming-webhook URL (a secret: never shown
	// in errors or logs). It may be empty when Owners is not: then only
	// owners receive Slack messages.
	WebhookURL string
	// Owners maps an owner's name (notify.owners, matched ignoring case)
	// to their own incoming-webhook URL (a secret).
	Owners map[string]string
	// Timeout bounds each post when Client is nil. Default 10 s.
	Timeout time.Duration
	// Client posts the messages. Default notify.NewHTTPClient(Timeout).
	Client *http.Client
}

// Notifier posts notifications to Slack. It is safe for concurrent use.
type Notifier struct {
	url    string
	owners map[string]string // lower-cased, trimmed owner name → URL
	client *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier, or an error when a webhook URL is not an
// http(s) URL (the error names the owner, never the URL).
func New(o Options) (*Notifier, error) {
	if o.WebhookURL != "" || len(o.Owners) == 0 {
		if err := notify.CheckURL("slack webhook URL", o.WebhookURL); err != nil {
			return nil, err
		}
	}
	owners := map[string]string{}
	for name, u := range o.Owners {
		if err := notify.CheckURL(fmt.Sprintf("slack webhook URL of owner %q", name), u); err != nil {
			return nil, err
		}
		owners[notify.OwnerKey(name)] = u
	}
	c := o.Client
	if c == nil {
		c = notify.NewHTTPClient(o.Timeout)
	}
	return &Notifier{url: o.WebhookURL, owners: owners, client: c}, nil
}

// Name returns "slack".
func (n *Notifier) Name() string { return proactive.ChannelSlack }

// Notify posts one message holding the messages to their recipient's URL
// (the team's, or the owner's). 5xx, 408, 429, timeouts and network errors
// are worth a retry; any other status is not, nor a recipient without a
// URL (the configuration changed since the message was queued).
func (n *Notifier) Notify(ctx context.Context, msgs []notify.Message) (bool, error) {
	if len(msgs) == 0 {
		return false, nil
	}
	url, peer, err := n.destination(msgs[0].Recipient)
	if err != nil {
		return false, err
	}
	for _, m := range msgs[1:] {
		if notify.OwnerKey(m.Recipient) != notify.OwnerKey(msgs[0].Recipient) {
			return false, errors.New("slack: one delivery holds messages for two recipients")
		}
	}
	body, err := notify.MarshalJSON(NewMessage(msgs))
	if err != nil {
		return false, fmt.Errorf("encode slack message: %w", err)
	}
	return notify.PostJSON(ctx, n.client, notify.PostRequest{Peer: peer, URL: url, Body: body})
}

// destination returns the URL a recipient's messages go to and how errors
// name it.
func (n *Notifier) destination(recipient string) (url, peer string, err error) {
	if recipient == "" {
		if n.url == "" {
			return "", "", errors.New("slack: the team's webhook URL is no longer configured (notify.slack.webhook_url, PTD_SLACK_WEBHOOK_URL)")
		}
		return n.url, "slack webhook", nil
	}
	u, ok := n.owners[notify.OwnerKey(recipient)]
	if !ok {
		return "", "", fmt.Errorf("slack: owner %q has no slack_webhook_url in notify.owners any more", recipient)
	}
	return u, fmt.Sprintf("slack webhook of owner %q", recipient), nil
}

// Message is the JSON body of an incoming-webhook post.
type Message struct {
	Text        string       `json:"text"`        // the notification line (see NewMessage)
	Attachments []Attachment `json:"attachments"` // one per alert, or the resolved cases
}

// Attachment is one alert (or the resolved cases) of a message.
type Attachment struct {
	Fallback string  `json:"fallback"`         // plain text for clients without attachments
	Color    string  `json:"color"`            // danger, warning or good (see Color)
	Title    string  `json:"title"`            // the alert's title
	Text     string  `json:"text"`             // the alert's summary, an update's new entities, the resolved cases
	Fields   []Field `json:"fields,omitempty"` // Urgency, Affected, New, Revenue at risk, First action
	Footer   string  `json:"footer"`           // ptd-proactive
	TS       int64   `json:"ts,omitempty"`     // the alert's creation (the latest resolve), Unix seconds
}

// Field is one labelled value of an attachment.
type Field struct {
	Title string `json:"title"` // the label
	Value string `json:"value"` // the value, escaped
	Short bool   `json:"short"` // may sit beside another field
}

// ColorResolved is the colour of a resolved message.
const ColorResolved = "good"

// Most entities and cases a message lists; the rest are counted.
const (
	maxNewEntities = 20
	maxCases       = 50
)

// NewMessage builds the post for some messages. With one message, its
// text says what happened: a new alert's title, "Escalated to CRITICAL:
// <title>", "Updated: <title>", or "N cases resolved"; with several, "N
// alerts need attention". Alert text is escaped for Slack (&, <, >), so a
// client's name can never form a link or a mention such as <!channel>.
func NewMessage(msgs []notify.Message) Message {
	m := Message{}
	if len(msgs) == 1 {
		m.Text = headline(msgs[0])
	} else {
		m.Text = fmt.Sprintf("%d alerts need attention", len(msgs))
	}
	for _, msg := range msgs {
		if msg.Alert == nil {
			m.Attachments = append(m.Attachments, resolvedAttachment(msg))
			continue
		}
		m.Attachments = append(m.Attachments, alertAttachment(msg))
	}
	return m
}

// headline is the text of a post holding one message.
func headline(m notify.Message) string {
	if m.Alert == nil {
		return escape(casesResolved(len(m.Cases)))
	}
	switch m.Event {
	case proactive.EventEscalation:
		return escape(fmt.Sprintf("Escalated to %s: %s", strings.ToUpper(string(m.Alert.Priority)), m.Alert.Title))
	case proactive.EventUpdate:
		return escape("Updated: " + m.Alert.Title)
	}
	return escape(m.Alert.Title)
}

// alertAttachment shows a new, escalated or updated alert. An update
// shows its new entities instead of the summary and the first action,
// which may name members that are not new.
func alertAttachment(m notify.Message) Attachment {
	a := *m.Alert
	fields := []Field{
		{Title: "Urgency", Value: fmt.Sprintf("%d/100", a.AffectedEntities.UrgencyScore), Short: true},
		{Title: "Affected", Value: strconv.Itoa(a.AffectedEntities.Count), Short: true},
	}
	update := m.Event == proactive.EventUpdate
	if update {
		fields = append(fields, Field{Title: "New", Value: strconv.Itoa(len(m.NewEntities)), Short: true})
	}
	if v, ok := notify.RevenueAtRisk(a); ok {
		fields = append(fields, Field{Title: "Revenue at risk", Value: notify.FormatAmount(v), Short: true})
	}
	text := a.Summary
	if update {
		text = "New: " + notify.ListEntities(m.NewEntities, maxNewEntities)
	} else if len(a.ActionItems) > 0 && strings.TrimSpace(a.ActionItems[0].Action) != "" {
		fields = append(fields, Field{Title: "First action", Value: escape(a.ActionItems[0].Action)})
	}
	fallback := fmt.Sprintf("[%s] %s", strings.ToUpper(string(a.Priority)), a.Title)
	if update {
		fallback += fmt.Sprintf(" (%d new)", len(m.NewEntities))
	}
	att := Attachment{
		Fallback: escape(fallback),
		Color:    Color(a.Priority),
		Title:    escape(a.Title),
		Text:     escape(text),
		Fields:   fields,
		Footer:   proactive.SourceAgent,
	}
	if !a.CreatedAt.IsZero() {
		att.TS = a.CreatedAt.Unix()
	}
	return att
}

// resolvedAttachment lists a resolved message's cases, one a line:
// "• <label> — <peak severity>, <reason>".
func resolvedAttachment(m notify.Message) Attachment {
	var lines []string
	var latest int64
	for i, c := range m.Cases {
		if i == maxCases {
			lines = append(lines, fmt.Sprintf("… and %d more", len(m.Cases)-maxCases))
			break
		}
		lines = append(lines, fmt.Sprintf("• %s — %s, %s", c.Label, c.Severity, notify.ResolveReason(c.ResolveReason)))
	}
	for _, c := range m.Cases {
		latest = max(latest, c.ResolvedAt.Unix())
	}
	att := Attachment{
		Fallback: escape(casesResolved(len(m.Cases))),
		Color:    ColorResolved,
		Title:    escape(casesResolved(len(m.Cases))),
		Text:     escape(strings.Join(lines, "\n")),
		Footer:   proactive.SourceAgent,
	}
	if latest > 0 {
		att.TS = latest
	}
	return att
}

// casesResolved is "1 case resolved" or "N cases resolved".
func casesResolved(n int) string {
	if n == 1 {
		return "1 case resolved"
	}
	return fmt.Sprintf("%d cases resolved", n)
}

// Color is an alert's attachment colour: danger for critical, warning for
// everything else (the seed's rule). A resolved message is ColorResolved.
func Color(p proactive.Severity) string {
	if p == proactive.SeverityCritical {
		return "danger"
	}
	return "warning"
}

// escape escapes the three characters Slack gives meaning to.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
