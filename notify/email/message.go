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
)

// Subject is the subject of a message holding some alerts, the seed's
// "N Critical Alerts Need Attention": N is the number of alerts in the
// message and the word is the highest priority among them, capitalised
// ("2 High Alerts Need Attention" when the most severe is high). The seed
// writes "Alerts" whatever N is, and so does Subject. With the default
// routing (email receives critical only) the word is always Critical.
func Subject(alerts []proactive.Alert) string {
	top := proactive.SeverityLow
	for _, a := range alerts {
		if a.Priority.Rank() > top.Rank() {
			top = a.Priority
		}
	}
	word := string(top)
	if word != "" {
		word = strings.ToUpper(word[:1]) + word[1:]
	}
	return fmt.Sprintf("%d %s Alerts Need Attention", len(alerts), word)
}

// Envelope is what a message says about itself besides the alerts.
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
	N, Urgency, Affected                         int
}

// Compose returns the RFC 5322 message (CRLF line ends) for some alerts:
// multipart/alternative with a plain-text and an HTML part, both
// quoted-printable UTF-8, the alerts most severe first, each with its title,
// priority, urgency, affected count, summary and first action. Alert text is
// HTML-escaped in the HTML part. The output is a function of its inputs.
func Compose(env Envelope, alerts []proactive.Alert) ([]byte, error) {
	sorted := slices.Clone(alerts)
	slices.SortStableFunc(sorted, func(a, b proactive.Alert) int {
		if d := b.Priority.Rank() - a.Priority.Rank(); d != 0 {
			return d
		}
		return b.AffectedEntities.UrgencyScore - a.AffectedEntities.UrgencyScore
	})
	subject := Subject(sorted)
	items := make([]item, 0, len(sorted))
	for i, a := range sorted {
		it := item{
			N: i + 1, Title: a.Title, Summary: a.Summary, Priority: string(a.Priority), Color: color(a.Priority),
			Urgency: a.AffectedEntities.UrgencyScore, Affected: a.AffectedEntities.Count,
		}
		if len(a.ActionItems) > 0 {
			it.FirstAction = a.ActionItems[0].Action
		}
		items = append(items, it)
	}
	data := struct {
		Subject string
		Alerts  []item
	}{subject, items}

	var text, html bytes.Buffer
	if err := textTemplate.Execute(&text, data); err != nil {
		return nil, fmt.Errorf("render email text: %w", err)
	}
	if err := htmlTemplate.Execute(&html, data); err != nil {
		return nil, fmt.Errorf("render email html: %w", err)
	}

	id := messageID(env.Keys, sorted)
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
func messageID(keys []string, alerts []proactive.Alert) string {
	parts := slices.Clone(keys)
	if len(parts) == 0 {
		for _, a := range alerts {
			parts = append(parts, a.ID+":"+proactive.ChannelEmail+":"+string(a.Priority))
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
