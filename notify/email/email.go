// Package email delivers notifications by SMTP: one message per scan and
// recipient holding all the scan's notifications for them on the email
// channel (the Worker groups them), subject "N Critical Alerts Need
// Attention" (or "N Cases Resolved" when it holds only resolved cases),
// with a plain-text and an HTML part. The team's messages go to the
// configured recipients; an owner's (notify.owners) to that owner's
// address alone.
//
// The server is given as a URL:
//
//	smtp://user:pass@host:587               STARTTLS, required (the default)
//	smtps://user:pass@host:465              TLS from the first byte
//	smtp://host:25?tls=none                 plain text, only without credentials (a local relay)
//
// User and password are percent-decoded; a password is never sent before
// TLS is up, and never appears in an error or a log line. AUTH uses PLAIN,
// or LOGIN when the server offers only that.
package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
)

// DefaultTimeout bounds one delivery, from dialling to QUIT, and each SMTP
// command within it.
const DefaultTimeout = 30 * time.Second

// TLS modes of a server URL.
const (
	TLSStartTLS = "starttls" // smtp://: plain connect, then STARTTLS, required
	TLSImplicit = "implicit" // smtps://: TLS from the first byte
	TLSNone     = "none"     // smtp://…?tls=none: no TLS, no credentials
)

// Server is a parsed SMTP server URL.
type Server struct {
	Host     string // host name, for TLS verification
	Addr     string // host:port
	TLS      string // TLSStartTLS, TLSImplicit or TLSNone
	Username string // "" for no AUTH
	Password string // a secret
}

// ParseURL parses an SMTP server URL (see the package comment). The port
// defaults to 587 for smtp and 465 for smtps. Errors never quote the URL,
// which holds the password.
func ParseURL(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Server{}, errors.New("SMTP URL cannot be parsed (value not shown: it holds a password); write it as smtp://user:pass@host:port with user and password percent-encoded")
	}
	s := Server{Host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		s.TLS = TLSStartTLS
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.TLS = TLSImplicit
		if port == "" {
			port = "465"
		}
	default:
		return Server{}, errors.New("SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	if s.Host == "" {
		return Server{}, errors.New("SMTP URL has no host; write it as smtp://user:pass@host:port")
	}
	for k, v := range u.Query() {
		switch {
		case k == "tls" && len(v) == 1 && v[0] == TLSNone && u.Scheme == "smtp":
			s.TLS = TLSNone
		case k == "tls" && len(v) == 1 && v[0] == TLSStartTLS && u.Scheme == "smtp":
		default:
			return Server{}, fmt.Errorf("SMTP URL: unknown option %q; the only one is tls=none (smtp:// without TLS)", k)
		}
	}
	s.Addr = net.JoinHostPort(s.Host, port)
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if s.TLS == TLSNone && (s.Username != "" || s.Password != "") {
		return Server{}, errors.New("SMTP URL: tls=none with a user or password would send the password in clear; use STARTTLS (drop tls=none) or smtps://")
	}
	return s, nil
}

// Options configures a Notifier.
type Options struct {
	// URL is the server (see the package comment); a secret.
	URL string
	// From is the sender address (PTD_EMAIL_FROM).
	From string
	// To are the team's recipients (PTD_EMAIL_TO).
	To []string
	// Owners maps an owner's name (notify.owners, matched ignoring case)
	// to their own address.
	Owners map[string]string
	// Timeout bounds one delivery and each command. Default 30 s.
	Timeout time.Duration
	// TLSConfig verifies the server (its ServerName defaults to the URL's
	// host). Nil: the system's roots. Tests pass their own CA here; there is
	// deliberately no option to skip verification.
	TLSConfig *tls.Config
	// LocalName is the name given in EHLO. Default "localhost".
	LocalName string
	// Now dates the messages. Default time.Now.
	Now func() time.Time
}

// Notifier sends alerts by email. It is safe for concurrent use; each
// delivery uses its own connection.
type Notifier struct {
	server    Server
	from      *mail.Address
	to        []*mail.Address
	owners    map[string]*mail.Address // lower-cased, trimmed owner name → address
	timeout   time.Duration
	tlsConfig *tls.Config
	localName string
	now       func() time.Time
	red       notify.Redactor
}

var (
	_ notify.Notifier    = (*Notifier)(nil)
	_ notify.ScanBatcher = (*Notifier)(nil)
)

// New checks the options and returns a Notifier. Errors name the setting
// at fault and never quote the password.
func New(o Options) (*Notifier, error) {
	s, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("email sender %q is not an address (set notify.email.from or PTD_EMAIL_FROM): %v", o.From, err)
	}
	if len(o.To) == 0 {
		return nil, errors.New("email has no recipients: set notify.email.to or PTD_EMAIL_TO")
	}
	var to []*mail.Address
	for _, t := range o.To {
		a, err := mail.ParseAddress(strings.TrimSpace(t))
		if err != nil {
			return nil, fmt.Errorf("email recipient %q is not an address (notify.email.to, PTD_EMAIL_TO): %v", t, err)
		}
		to = append(to, a)
	}
	owners := map[string]*mail.Address{}
	for name, addr := range o.Owners {
		a, err := mail.ParseAddress(strings.TrimSpace(addr))
		if err != nil {
			return nil, fmt.Errorf("email address %q of owner %q is not an address (notify.owners): %v", addr, name, err)
		}
		owners[notify.OwnerKey(name)] = a
	}
	n := &Notifier{
		server: s, from: from, to: to, owners: owners, timeout: o.Timeout, localName: o.LocalName, now: o.Now,
		red: notify.NewRedactor(append(notify.URLSecrets(o.URL), s.Password,
			base64.StdEncoding.EncodeToString([]byte("\x00"+s.Username+"\x00"+s.Password)))...),
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.localName == "" {
		n.localName = "localhost"
	}
	if n.now == nil {
		n.now = time.Now
	}
	if o.TLSConfig != nil {
		n.tlsConfig = o.TLSConfig.Clone()
	} else {
		n.tlsConfig = &tls.Config{}
	}
	if n.tlsConfig.ServerName == "" {
		n.tlsConfig.ServerName = s.Host
	}
	if n.tlsConfig.MinVersion == 0 {
		n.tlsConfig.MinVersion = tls.VersionTLS12
	}
	return n, nil
}

// Name returns "email".
func (n *Notifier) Name() string { return proactive.ChannelEmail }

// BatchesByScan returns true: one message per scan and recipient.
func (n *Notifier) BatchesByScan() bool { return true }

// Notify sends one message holding the messages to their recipient: the
// team's recipients, or the owner's address. SMTP 4xx replies, timeouts and
// network or TLS failures are worth a retry; 5xx replies (a refused sender
// or recipient, failed authentication), a server without STARTTLS or AUTH
// and an owner no longer configured are not.
func (n *Notifier) Notify(ctx context.Context, msgs []notify.Message) (bool, error) {
	if len(msgs) == 0 {
		return false, nil
	}
	to, err := n.recipients(msgs)
	if err != nil {
		return false, err
	}
	keys := make([]string, 0, len(msgs))
	for _, m := range msgs {
		keys = append(keys, m.IdempotencyKey)
	}
	msg, err := Compose(Envelope{From: n.from, To: to, Date: n.now(), Keys: keys}, msgs)
	if err != nil {
		return false, err
	}
	rcpts := make([]string, 0, len(to))
	for _, a := range to {
		rcpts = append(rcpts, a.Address)
	}
	retry, err := n.send(ctx, rcpts, msg)
	if err != nil {
		return retry, n.red.Error(fmt.Errorf("send email via %s: %w", n.server.Addr, err))
	}
	return false, nil
}

// recipients returns who the messages go to: the team, or their owner.
func (n *Notifier) recipients(msgs []notify.Message) ([]*mail.Address, error) {
	owner := msgs[0].Recipient
	for _, m := range msgs[1:] {
		if notify.OwnerKey(m.Recipient) != notify.OwnerKey(owner) {
			return nil, errors.New("email: one delivery holds messages for two recipients")
		}
	}
	if owner == "" {
		return n.to, nil
	}
	a, ok := n.owners[notify.OwnerKey(owner)]
	if !ok {
		return nil, fmt.Errorf("email: owner %q has no email in notify.owners any more", owner)
	}
	return []*mail.Address{a}, nil
}

// permanent marks a failure that another attempt cannot fix.
type permanent struct{ error }

// retryable classifies a failed session: SMTP 4xx replies and anything
// below SMTP (network, TLS, timeouts) are worth a retry; 5xx replies and
// permanent failures are not.
func retryable(err error) bool {
	var p permanent
	if errors.As(err, &p) {
		return false
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	return true
}

// send runs one SMTP session. The whole session is bounded by the timeout
// and by ctx: when either ends, the connection is closed under it.
func (n *Notifier) send(ctx context.Context, rcpts []string, msg []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	defer func() {
		if err == nil {
			return
		}
		retry = retryable(err)
		if ctx.Err() != nil {
			retry, err = true, fmt.Errorf("timed out or canceled after %s: %w", n.timeout, err)
		}
	}()

	dialer := net.Dialer{Timeout: n.timeout}
	conn, err := dialer.DialContext(ctx, "tcp", n.server.Addr)
	if err != nil {
		return true, fmt.Errorf("connect: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var c *smtp.Client
	switch n.server.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, n.tlsConfig))
	case TLSStartTLS:
		c, err = smtp.NewClientStartTLS(conn, n.tlsConfig)
		if err != nil {
			conn.Close()
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				return false, permanent{errors.New("the server does not offer STARTTLS; use smtps://, a server that does, or, for a local relay without TLS or credentials, smtp://host:25?tls=none")}
			}
			return true, fmt.Errorf("starttls: %w", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout = n.timeout
	c.SubmissionTimeout = n.timeout
	if err := c.Hello(n.localName); err != nil {
		return true, fmt.Errorf("hello: %w", err)
	}
	if n.server.Username != "" || n.server.Password != "" {
		var auth sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			auth = sasl.NewPlainClient("", n.server.Username, n.server.Password)
		case c.SupportsAuth(sasl.Login):
			auth = sasl.NewLoginClient(n.server.Username, n.server.Password)
		default:
			return false, permanent{errors.New("the server offers neither AUTH PLAIN nor AUTH LOGIN")}
		}
		if err := c.Auth(auth); err != nil {
			return false, fmt.Errorf("authenticate as %s: %w", n.server.Username, err)
		}
	}
	if err := c.SendMail(n.from.Address, rcpts, bytes.NewReader(msg)); err != nil {
		return true, err
	}
	// The server took the message at the final dot; a failed QUIT loses nothing.
	_ = c.Quit()
	return false, nil
}
