// Package slack delivers alerts to a Slack incoming webhook: one message per
// delivery with one attachment per alert, coloured danger for critical and
// warning otherwise (the seed's), titled with the alert's title, its summary
// as text, and the fields Urgency (n/100), Affected and, when there is one,
// First action.
//
// Slack has no idempotency key: the outbox alone keeps a message from being
// sent twice (see package notify for the one window that remains).
package slack

import (
	"context"
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
	// WebhookURL is the incoming-webhook URL (a secret: never shown in
	// errors or logs).
	WebhookURL string
	// Timeout bounds each post when Client is nil. Default 10 s.
	Timeout time.Duration
	// Client posts the messages. Default notify.NewHTTPClient(Timeout).
	Client *http.Client
}

// Notifier posts alerts to Slack. It is safe for concurrent use.
type Notifier struct {
	url    string
	client *http.Client
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier, or an error when the webhook URL is not an http(s)
// URL (the error does not quote it).
func New(o Options) (*Notifier, error) {
	if err := notify.CheckURL("slack webhook URL", o.WebhookURL); err != nil {
		return nil, err
	}
	c := o.Client
	if c == nil {
		c = notify.NewHTTPClient(o.Timeout)
	}
	return &Notifier{url: o.WebhookURL, client: c}, nil
}

// Name returns "slack".
func (n *Notifier) Name() string { return proactive.ChannelSlack }

// Notify posts one message holding the alerts. 5xx, 408, 429, timeouts and
// network errors are worth a retry; any other status is not.
func (n *Notifier) Notify(ctx context.Context, alerts []proactive.Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	body, err := notify.MarshalJSON(NewMessage(alerts))
	if err != nil {
		return false, fmt.Errorf("encode slack message: %w", err)
	}
	return notify.PostJSON(ctx, n.client, notify.PostRequest{Peer: "slack webhook", URL: n.url, Body: body})
}

// Message is the JSON body of an incoming-webhook post.
type Message struct {
	Text        string       `json:"text"`        // the notification line: the alert's title
	Attachments []Attachment `json:"attachments"` // one per alert
}

// Attachment is one alert of a message.
type Attachment struct {
	Fallback string  `json:"fallback"`     // plain text for clients without attachments
	Color    string  `json:"color"`        // danger or warning (see Color)
	Title    string  `json:"title"`        // the alert's title
	Text     string  `json:"text"`         // the alert's summary
	Fields   []Field `json:"fields"`       // Urgency, Affected and First action
	Footer   string  `json:"footer"`       // ptd-proactive
	TS       int64   `json:"ts,omitempty"` // the alert's creation, Unix seconds
}

// Field is one labelled value of an attachment.
type Field struct {
	Title string `json:"title"` // the label
	Value string `json:"value"` // the value, escaped
	Short bool   `json:"short"` // may sit beside another field
}

// NewMessage builds the message for some alerts: the alert's title as text
// when there is one alert, "N alerts need attention" otherwise. Alert text is
// escaped for Slack (&, <, >), so a client's name can never form a link or
// a mention such as <!channel>.
func NewMessage(alerts []proactive.Alert) Message {
	m := Message{}
	if len(alerts) == 1 {
		m.Text = escape(alerts[0].Title)
	} else {
		m.Text = fmt.Sprintf("%d alerts need attention", len(alerts))
	}
	for _, a := range alerts {
		fields := []Field{
			{Title: "Urgency", Value: fmt.Sprintf("%d/100", a.AffectedEntities.UrgencyScore), Short: true},
			{Title: "Affected", Value: strconv.Itoa(a.AffectedEntities.Count), Short: true},
		}
		if len(a.ActionItems) > 0 && strings.TrimSpace(a.ActionItems[0].Action) != "" {
			fields = append(fields, Field{Title: "First action", Value: escape(a.ActionItems[0].Action)})
		}
		att := Attachment{
			Fallback: escape(fmt.Sprintf("[%s] %s", strings.ToUpper(string(a.Priority)), a.Title)),
			Color:    Color(a.Priority),
			Title:    escape(a.Title),
			Text:     escape(a.Summary),
			Fields:   fields,
			Footer:   proactive.SourceAgent,
		}
		if !a.CreatedAt.IsZero() {
			att.TS = a.CreatedAt.Unix()
		}
		m.Attachments = append(m.Attachments, att)
	}
	return m
}

// Color is an alert's attachment colour: danger for critical, warning for
// everything else (the seed's rule).
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
