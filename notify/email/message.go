package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

// Subject is the subject of a message, the seed's "N Critical Alerts Need
// Attention": N is the number of alerts in the message and the word is the
// highest priority among them, capitalised ("2 High Alerts Need Attention"
// when the most severe is high). The seed writes "Alerts" whatever N is,
// and so does Subject. With the default routing (email receives critical
// only) the word is always Critical. A message holding only resolved cases
// is "N Cases Resolved" ("1 Case Resolved").
func Subject(msgs []notify.Message) string {
	top := proactive.SeverityLow
	alerts, cases := 0, 0
	for _, m := range msgs {
		if m.Alert == nil {
			cases += len(m.Cases)
			continue
		}
		alerts++
		if m.Alert.Priority.Rank() > top.Rank() {
			top = m.Alert.Priority
		}
	}
	if alerts == 0 {
		if cases == 1 {
			return "1 Case Resolved"
		}
		return fmt.Sprintf("%d Cases Resolved", cases)
	}
	word := string(top)
	if word != "" {
		word = strings.ToUpper(word[:1]) + word[1:]
	}
	return fmt.Sprintf("%d %s Alerts Need Attention", alerts, word)
}

// Envelope is what a message says about itself besides its content.
type Envelope struct {
	From *mail.Address   // the From header
	To   []*mail.Address // the To header, one address a line
	Date time.Time       // the Date header
	// Keys are the notifications' idempotency keys; they make the
	// Message-ID, the same on every attempt, so a mail system can drop a
	// repeat. Without keys the alerts' ids and priorities are used.
	Keys []string
}

// item is one alert as the templates show it.
type item struct {
	Title, Summary, Priority, FirstAction, Color string
	// Note says what changed: an escalation, an update's new entities.
	Note string
	// Revenue is the revenue at risk, formatted; "" when none.
	Revenue              string
	N, Urgency, Affected int
}

// resolvedItem is one resolved case as the templates show it.
type resolvedItem struct {
	Label, Severity, Reason string
}

// maxNewEntities is how many new entities an update lists by name.
const maxNewEntities = 20

// Compose returns the RFC 5322 message (CRLF line ends) for some messages:
// multipart/alternative with a plain-text and an HTML part, both
// quoted-printable UTF-8. The alerts come first, most severe first, each
// with its title, priority, urgency, affected count, revenue at risk (when
// there is one), summary and first action; an escalation says so, and an
// update names its new entities instead of the summary and first action
// (which may name members that are not new). The resolved cases follow,
// each with its peak severity and why it resolved. Alert text is
// HTML-escaped in the HTML part. The output is a function of its inputs.
func Compose(env Envelope, msgs []notify.Message) ([]byte, error) {
	var alerts []notify.Message
	var resolved []resolvedItem
	for _, m := range msgs {
		if m.Alert == nil {
			for _, c := range m.Cases {
				resolved = append(resolved, resolvedItem{Label: c.Label, Severity: string(c.Severity), Reason: notify.ResolveReason(c.ResolveReason)})
			}
			continue
		}
		alerts = append(alerts, m)
	}
	slices.SortStableFunc(alerts, func(a, b notify.Message) int {
		if d := b.Alert.Priority.Rank() - a.Alert.Priority.Rank(); d != 0 {
			return d
		}
		return b.Alert.AffectedEntities.UrgencyScore - a.Alert.AffectedEntities.UrgencyScore
	})
	subject := Subject(msgs)
	items := make([]item, 0, len(alerts))
	for i, m := range alerts {
		a := m.Alert
		it := item{
			N: i + 1, Title: a.Title, Summary: a.Summary, Priority: string(a.Priority), Color: color(a.Priority),
			Urgency: a.AffectedEntities.UrgencyScore, Affected: a.AffectedEntities.Count,
		}
		if len(a.ActionItems) > 0 {
			it.FirstAction = a.ActionItems[0].Action
		}
		if v, ok := notify.RevenueAtRisk(*a); ok {
			it.Revenue = notify.FormatAmount(v)
		}
		switch m.Event {
		case proactive.EventEscalation:
			it.Note = "Escalated to " + string(a.Priority) + "."
		case proactive.EventUpdate:
			it.Note = "New: " + notify.ListEntities(m.NewEntities, maxNewEntities)
			it.Summary, it.FirstAction = "", ""
		}
		items = append(items, it)
	}
	resolvedTitle := ""
	if len(resolved) > 0 {
		resolvedTitle = fmt.Sprintf("Resolved cases (%d)", len(resolved))
	}
	data := struct {
		Subject       string
		Alerts        []item
		ResolvedTitle string
		Resolved      []resolvedItem
	}{subject, items, resolvedTitle, resolved}

	var text, html bytes.Buffer
	if err := textTemplate.Execute(&text, data); err != nil {
		return nil, fmt.Errorf("render email text: %w", err)
	}
	if err := htmlTemplate.Execute(&html, data); err != nil {
		return nil, fmt.Errorf("render email html: %w", err)
	}

	id := messageID(env.Keys, alerts)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary("ptd-" + id[:32]); err != nil {
		return nil, fmt.Errorf("compose email: %w", err)
	}
	to := make([]string, 0, len(env.To))
	for _, a := range env.To {
		to = append(to, a.String())
	}
	headers := []string{
		"From: " + env.From.String(),
		// One address a line: a long list must not pass the 998-byte
		// line limit of RFC 5322.
		"To: " + strings.Join(to, ",\r\n "),
		"Subject: " + mime.QEncoding.Encode("utf-8", subject),
		"Date: " + env.Date.Format(time.RFC1123Z),
		"Message-ID: <" + id + "@" + proactive.SourceAgent + ">",
		"MIME-Version: 1.0",
		"Auto-Submitted: auto-generated",
		"Content-Type: multipart/alternative; boundary=\"" + mw.Boundary() + "\"",
	}
	var out bytes.Buffer
	for _, h := range headers {
		out.WriteString(h + "\r\n")
	}
	out.WriteString("\r\n")
	for _, part := range []struct {
		ctype string
		body  []byte
	}{{"text/plain; charset=utf-8", text.Bytes()}, {"text/html; charset=utf-8", html.Bytes()}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("compose email: %w", err)
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write(part.body); err != nil {
			return nil, fmt.Errorf("compose email: %w", err)
		}
		if err := qw.Close(); err != nil {
			return nil, fmt.Errorf("compose email: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose email: %w", err)
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}

// messageID is a stable id for a message: a hash of its idempotency keys
// (or of its alerts' ids and priorities), 64 hex digits.
func messageID(keys []string, alerts []notify.Message) string {
	parts := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "" })
	if len(parts) == 0 {
		for _, m := range alerts {
			parts = append(parts, m.Alert.ID+":"+proactive.ChannelEmail+":"+string(m.Alert.Priority))
		}
	}
	slices.Sort(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:])
}

// color is the left border of an alert in the HTML part.
func color(p proactive.Severity) string {
	switch p {
	case proactive.SeverityCritical:
		return "#d32f2f"
	case proactive.SeverityHigh:
		return "#f57c00"
	case proactive.SeverityMedium:
		return "#fbc02d"
	}
	return "#9e9e9e"
}
