package email_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/notify"
	"github.com/ptd-agents/ptd-proactive/notify/email"
	"github.com/ptd-agents/ptd-proactive/notify/notifytest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const password = "p@ss:w0rd/with%chars"

func requireGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./notify/email -update to create it")
	require.Equal(t, string(want), string(got))
}

func fixedNow() time.Time { return time.Date(2025, 12, 10, 9, 31, 0, 0, time.UTC) }

// sampleAlerts are two critical alerts and a high one, one of them with
// markup in its text.
func sampleAlerts() []proactive.Alert {
	a := notifytest.Alert("a1", proactive.SeverityCritical, proactive.HealthDrop)
	b := notifytest.Alert("b2", proactive.SeverityHigh, proactive.DealStall)
	b.Title = "Deal Stalled: Enterprise Package - ACME Corp"
	b.Summary = "Stalled 24 days in Proposal."
	b.ActionItems = []proactive.ActionItem{{Action: "Book a call with ACME's buyer", Priority: "high", UrgencyScore: 80}}
	c := notifytest.Alert("c3", proactive.SeverityCritical, proactive.SyncFail)
	c.Title = "HubSpot - rate_limit: 5 Sync Failures"
	c.Summary = `5 failures; last: <script>alert("x")</script> & more`
	c.AffectedEntities.UrgencyScore = 99
	c.ActionItems = nil
	return []proactive.Alert{a, b, c}
}

// messages wraps alerts as new-alert messages of the email channel.
func messages(alerts ...proactive.Alert) []notify.Message {
	return notify.AlertMessages(proactive.ChannelEmail, alerts...)
}

// parsed is a received message taken apart.
type parsed struct {
	Header     mail.Header
	Text, HTML string
}

func parse(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	require.NoError(t, err)
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	mr := multipart.NewReader(m.Body, params["boundary"])
	p := parsed{Header: m.Header}
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(part)
		require.NoError(t, err)
		switch ct := part.Header.Get("Content-Type"); ct {
		case "text/plain; charset=utf-8":
			p.Text = string(b)
		case "text/html; charset=utf-8":
			p.HTML = string(b)
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	require.NotEmpty(t, p.Text)
	require.NotEmpty(t, p.HTML)
	return p
}

func newNotifier(t *testing.T, srv *notifytest.SMTPServer, url string, timeout time.Duration) *email.Notifier {
	t.Helper()
	n, err := email.New(email.Options{
		URL:       url,
		From:      "PTD Alerts <alerts@ptd.example>",
		To:        []string{"ops@ptd.example", " Team Lead <lead@ptd.example>"},
		TLSConfig: srv.ClientTLS, Timeout: timeout, Now: fixedNow,
	})
	require.NoError(t, err)
	return n
}

func TestNotifySendsOneMessageOverSTARTTLSWithAuth(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t, "ptd", password)
	n := newNotifier(t, srv, srv.URL(), 0)
	require.Equal(t, proactive.ChannelEmail, n.Name())
	require.True(t, n.BatchesByScan())

	ctx := notify.WithDelivery(context.Background(), notify.Delivery{Channel: proactive.ChannelEmail, Attempt: 1})
	retry, err := n.Notify(ctx, messages(sampleAlerts()...))
	require.NoError(t, err)
	require.False(t, retry)

	mails := srv.Mails()
	require.Len(t, mails, 1)
	m := mails[0]
	require.True(t, m.TLS, "the message must travel over STARTTLS")
	require.Equal(t, "ptd", m.User)
	require.Equal(t, "alerts@ptd.example", m.From)
	require.Equal(t, []string{"ops@ptd.example", "lead@ptd.example"}, m.To)

	p := parse(t, m.Data)
	require.Equal(t, "3 Critical Alerts Need Attention", p.Header.Get("Subject"))
	require.Equal(t, `"PTD Alerts" <alerts@ptd.example>`, p.Header.Get("From"))
	require.Equal(t, `<ops@ptd.example>, "Team Lead" <lead@ptd.example>`, p.Header.Get("To"))
	require.Equal(t, "Wed, 10 Dec 2025 09:31:00 +0000", p.Header.Get("Date"))
	require.Regexp(t, `^<[0-9a-f]{64}@ptd-proactive>$`, p.Header.Get("Message-ID"))
	for _, a := range sampleAlerts() {
		require.Contains(t, p.Text, a.Title)
		require.Contains(t, p.Text, a.Summary)
		require.Contains(t, p.HTML, strings.ReplaceAll(a.Title, "'", "&#39;"))
	}
	require.Contains(t, p.Text, "Urgency: 99/100")
	require.Contains(t, p.Text, "First action: Call Jane Doe (jane.a1@example.com) today about the drop")
	require.NotContains(t, p.HTML, "<script>")
	require.Contains(t, p.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more")
	requireGolden(t, "message.txt.golden", []byte(p.Text))
	requireGolden(t, "message.html.golden", []byte(p.HTML))

	// The same delivery again has the same Message-ID (a mail system can drop it).
	_, err = n.Notify(ctx, messages(sampleAlerts()...))
	require.NoError(t, err)
	require.Equal(t, p.Header.Get("Message-ID"), parse(t, srv.Mails()[1].Data).Header.Get("Message-ID"))
}

func TestCompose(t *testing.T) {
	t.Parallel()
	from, _ := mail.ParseAddress("alerts@ptd.example")
	to, _ := mail.ParseAddress("Ops <ops@ptd.example>")
	msg, err := email.Compose(email.Envelope{From: from, To: []*mail.Address{to}, Date: fixedNow(),
		Keys: []string{"a1:email:critical"}}, messages(sampleAlerts()[0]))
	require.NoError(t, err)
	requireGolden(t, "message.eml.golden", msg)
	require.NotContains(t, string(bytes.ReplaceAll(msg, []byte("\r\n"), nil)), "\n", "every line must end in CRLF")
}

func TestSubject(t *testing.T) {
	t.Parallel()
	alert := func(p proactive.Severity) proactive.Alert { return proactive.Alert{Priority: p} }
	resolved := func(n int) proactive.Alert { return proactive.Alert{ID: fmt.Sprint("resolved-", n)} }
	for _, tc := range []struct {
		alerts []proactive.Alert
		want   string
	}{
		{[]proactive.Alert{resolved(1)}, "1 Case Resolved"},
		{[]proactive.Alert{resolved(3)}, "3 Cases Resolved"},
		{[]proactive.Alert{resolved(2), alert("high")}, "1 High Alerts Need Attention"},
		{[]proactive.Alert{alert("critical")}, "1 Critical Alerts Need Attention"},
		{[]proactive.Alert{alert("critical"), alert("critical"), alert("critical")}, "3 Critical Alerts Need Attention"},
		{[]proactive.Alert{alert("high"), alert("critical")}, "2 Critical Alerts Need Attention"},
		{[]proactive.Alert{alert("high")}, "1 High Alerts Need Attention"},
		{[]proactive.Alert{alert("medium"), alert("low")}, "2 Medium Alerts Need Attention"},
	} {
		var msgs []notify.Message
		for _, a := range tc.alerts {
			if n, ok := strings.CutPrefix(a.ID, "resolved-"); ok {
				k, _ := strconv.Atoi(n)
				msgs = append(msgs, notify.Message{Event: proactive.EventResolve, Cases: make([]proactive.ResolvedCase, k)})
				continue
			}
			msgs = append(msgs, messages(a)...)
		}
		require.Equal(t, tc.want, email.Subject(msgs))
	}
}

func TestFailuresAndRetry(t *testing.T) {
	t.Parallel()
	alerts := messages(sampleAlerts()[0])

	t.Run("wrong password: no retry, no password in the error", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t, "ptd", "the-right-one")
		wrong := strings.Replace(srv.URL(), "the-right-one", url(password), 1)
		retry, err := newNotifier(t, srv, wrong, 0).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.False(t, retry)
		require.Contains(t, err.Error(), "535")
		notifytest.RequireNoSecret(t, []string{password, url(password), wrong}, err.Error())
		require.Empty(t, srv.Mails())
	})
	t.Run("451 is retried", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t, "ptd", password)
		srv.Reject(func(int) error { return notifytest.ErrTemporary() })
		retry, err := newNotifier(t, srv, srv.URL(), 0).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.True(t, retry)
		require.Contains(t, err.Error(), "451")
		notifytest.RequireNoSecret(t, []string{password, url(password)}, err.Error())
	})
	t.Run("554 is not", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t, "ptd", password)
		srv.Reject(func(int) error { return notifytest.ErrPermanent() })
		retry, err := newNotifier(t, srv, srv.URL(), 0).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.False(t, retry)
		require.Contains(t, err.Error(), "554")
	})
	t.Run("no STARTTLS: refused before the password is sent", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewPlainSMTPServer(t, "ptd", password)
		retry, err := newNotifier(t, srv, srv.URL(), 0).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.False(t, retry)
		require.Contains(t, err.Error(), "STARTTLS")
		require.Contains(t, err.Error(), "smtp://host:25?tls=none", "the error names the option for a local relay (issue 12)")
		require.Empty(t, srv.Mails())
	})
	t.Run("tls=none without credentials", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewPlainSMTPServer(t, "", "")
		retry, err := newNotifier(t, srv, srv.URL()+"?tls=none", 0).Notify(context.Background(), alerts)
		require.NoError(t, err)
		require.False(t, retry)
		require.Len(t, srv.Mails(), 1)
		require.False(t, srv.Mails()[0].TLS)
	})
	t.Run("a server that never answers times out, retried", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		done := make(chan struct{})
		t.Cleanup(func() {
			l.Close()
			<-done
		})
		go func() { // accept and say nothing
			defer close(done)
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		srv := notifytest.NewSMTPServer(t, "ptd", password) // only for its client TLS config
		u := "smtp://ptd:" + url(password) + "@" + l.Addr().String()
		start := time.Now()
		retry, err := newNotifier(t, srv, u, 300*time.Millisecond).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.True(t, retry)
		require.Less(t, time.Since(start), 3*time.Second)
		notifytest.RequireNoSecret(t, []string{password, url(password), u}, err.Error())
	})
	t.Run("connection refused is retried", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		l.Close()
		srv := notifytest.NewSMTPServer(t, "ptd", password)
		u := "smtps://ptd:" + url(password) + "@" + addr
		retry, err := newNotifier(t, srv, u, time.Second).Notify(context.Background(), alerts)
		require.Error(t, err)
		require.True(t, retry)
		notifytest.RequireNoSecret(t, []string{password, url(password), u}, err.Error())
	})
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	s, err := email.ParseURL("smtp://user%40x:" + url(password) + "@mail.example.com")
	require.NoError(t, err)
	require.Equal(t, email.Server{Host: "mail.example.com", Addr: "mail.example.com:587", TLS: email.TLSStartTLS,
		Username: "user@x", Password: password}, s)
	s, err = email.ParseURL("smtps://u:p@[::1]")
	require.NoError(t, err)
	require.Equal(t, "[::1]:465", s.Addr)
	require.Equal(t, email.TLSImplicit, s.TLS)
	s, err = email.ParseURL("smtp://relay:25?tls=none")
	require.NoError(t, err)
	require.Equal(t, email.TLSNone, s.TLS)

	for _, bad := range []string{
		"http://u:s3cr3t@host", "smtp://u:s3cr3t@", "smtp://u:s3cr3t@host?tls=none",
		"smtps://u:s3cr3t@host?tls=none", "smtp://u:s3cr3t@host?foo=bar", "smtp://u:s3cr3t@ho st",
	} {
		_, err := email.ParseURL(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "s3cr3t")
	}
}

func TestNewChecksAddresses(t *testing.T) {
	t.Parallel()
	_, err := email.New(email.Options{URL: "smtp://h:25", From: "not an address", To: []string{"a@b.c"}})
	require.ErrorContains(t, err, "PTD_EMAIL_FROM")
	_, err = email.New(email.Options{URL: "smtp://h:25", From: "a@b.c"})
	require.ErrorContains(t, err, "PTD_EMAIL_TO")
	_, err = email.New(email.Options{URL: "smtp://h:25", From: "a@b.c", To: []string{"x"}})
	require.ErrorContains(t, err, "PTD_EMAIL_TO")
}

// url percent-encodes a user-info value.
func url(s string) string {
	return strings.NewReplacer("%", "%25", "@", "%40", ":", "%3A", "/", "%2F").Replace(s)
}

// TestAlertTextCannotForgeHeadersOrEndTheMessage: titles, summaries and
// actions are user data; CR/LF in them, a lone "." line or text that looks
// like a header stay in the body, and the whole message arrives.
func TestAlertTextCannotForgeHeadersOrEndTheMessage(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t, "ptd", password)
	a := notifytest.Alert("inj", proactive.SeverityCritical, proactive.HealthDrop)
	a.Title = "Client\r\nBcc: victim@evil.example\r\nSubject: forged"
	a.Summary = "before\r\n.\r\nMAIL FROM:<x@evil.example>\nafter\rthe end"
	a.ActionItems = []proactive.ActionItem{{Action: "Call\n\nX-Injected: yes"}}
	_, err := newNotifier(t, srv, srv.URL(), 0).Notify(context.Background(), messages(a))
	require.NoError(t, err)

	mails := srv.Mails()
	require.Len(t, mails, 1)
	require.Equal(t, []string{"ops@ptd.example", "lead@ptd.example"}, mails[0].To)
	p := parse(t, mails[0].Data)
	require.Equal(t, "1 Critical Alerts Need Attention", p.Header.Get("Subject"))
	for _, h := range []string{"Bcc", "X-Injected"} {
		require.Empty(t, p.Header.Get(h), h)
	}
	require.Len(t, p.Header, 8, "only the headers Compose writes")
	require.Contains(t, p.Text, "after")
	require.Contains(t, p.Text, "the end", "the lone dot did not end the message")
	require.Contains(t, p.HTML, "the end")
	require.Contains(t, p.Text, "Bcc: victim@evil.example", "it stays in the body, as text")
}

// TestManyRecipientsFoldTheToHeader: no header line may exceed 998 bytes
// (RFC 5322); a long recipient list is folded, one address a line.
func TestManyRecipientsFoldTheToHeader(t *testing.T) {
	t.Parallel()
	from, _ := mail.ParseAddress("alerts@ptd.example")
	var to []*mail.Address
	var want []string
	for i := range 60 {
		addr := fmt.Sprintf("operations-team-member-%02d@ptd.example", i)
		to = append(to, &mail.Address{Address: addr})
		want = append(want, addr)
	}
	msg, err := email.Compose(email.Envelope{From: from, To: to, Date: fixedNow()}, messages(sampleAlerts()[0]))
	require.NoError(t, err)
	for _, line := range strings.Split(string(msg), "\r\n") {
		require.LessOrEqual(t, len(line), 998, "line %q", line)
	}
	p := parse(t, msg)
	got, err := p.Header.AddressList("To")
	require.NoError(t, err)
	var addrs []string
	for _, a := range got {
		addrs = append(addrs, a.Address)
	}
	require.Equal(t, want, addrs)
}

// changeMessages are one message of each form: a new alert with revenue
// at risk, an escalation, an update (whose summary names a member that is
// not new) and a resolved message.
func changeMessages() []notify.Message {
	as := sampleAlerts()
	fresh, escalated, updated := as[0], as[1], notifytest.Alert("u4", proactive.SeverityCritical, proactive.HealthDrop)
	fresh.SourceData["revenue_at_risk"] = 1234567.891
	escalated.Priority = proactive.SeverityCritical
	updated.Title = "3 Clients: Health Scores Dropping"
	updated.AffectedEntities.Count = 3
	updated.SourceData["revenue_at_risk"] = 4500.0
	at := notifytest.Created().Add(2 * time.Hour)
	return []notify.Message{
		{Event: proactive.EventAlert, Alert: &fresh, IdempotencyKey: "k1"},
		{Event: proactive.EventEscalation, Alert: &escalated, IdempotencyKey: "k2"},
		{Event: proactive.EventUpdate, Alert: &updated, IdempotencyKey: "k3", NewEntities: []string{"Sam Lee (sam@example.com)", "Ana <Ruiz> (ana@example.com)"}},
		{Event: proactive.EventResolve, IdempotencyKey: "k4", Cases: []proactive.ResolvedCase{
			{ID: "c-1", Key: "health_drop:kim@example.com", Label: "Kim Park (kim@example.com)", Severity: proactive.SeverityCritical, ResolvedAt: at, ResolveReason: proactive.ResolveCleared},
			{ID: "c-2", Key: "deal_stall:deal-42", Label: "ACME & Sons <renewal>", Severity: proactive.SeverityHigh, ResolvedAt: at, ResolveReason: proactive.ResolveManual},
		}},
	}
}

// TestNewForms: escalations, updates, revenue at risk and resolved cases in
// one scan's message, and a message of resolved cases alone, as golden files.
func TestNewForms(t *testing.T) {
	t.Parallel()
	from, _ := mail.ParseAddress("alerts@ptd.example")
	to, _ := mail.ParseAddress("Ops <ops@ptd.example>")
	env := email.Envelope{From: from, To: []*mail.Address{to}, Date: fixedNow()}

	msg, err := email.Compose(env, changeMessages())
	require.NoError(t, err)
	p := parse(t, msg)
	require.Equal(t, "3 Critical Alerts Need Attention", p.Header.Get("Subject"))
	require.Contains(t, p.Text, "Escalated to critical.")
	require.Contains(t, p.Text, "New: Sam Lee (sam@example.com), Ana <Ruiz> (ana@example.com)")
	require.Contains(t, p.Text, "Revenue at risk: 1,234,567.89")
	require.NotContains(t, p.Text, "jane.u4@example.com", "an update names only its new entities")
	require.Contains(t, p.Text, "Kim Park (kim@example.com) — critical, cleared")
	require.Contains(t, p.HTML, "ACME &amp; Sons &lt;renewal&gt; &mdash; high, resolved manually")
	requireGolden(t, "changes.txt.golden", []byte(p.Text))
	requireGolden(t, "changes.html.golden", []byte(p.HTML))

	msg, err = email.Compose(env, changeMessages()[3:])
	require.NoError(t, err)
	p = parse(t, msg)
	require.Equal(t, "2 Cases Resolved", p.Header.Get("Subject"))
	requireGolden(t, "resolved.txt.golden", []byte(p.Text))
	requireGolden(t, "resolved.html.golden", []byte(p.HTML))
}

// TestOwnersGetTheirOwnMessage: an owner's messages go to the owner's
// address alone (matched ignoring case), the team's to the team.
func TestOwnersGetTheirOwnMessage(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t, "ptd", password)
	n, err := email.New(email.Options{
		URL: srv.URL(), From: "alerts@ptd.example", To: []string{"ops@ptd.example"},
		Owners:    map[string]string{"Coach Ann": "Ann <ann@ptd.example>"},
		TLSConfig: srv.ClientTLS, Now: fixedNow,
	})
	require.NoError(t, err)
	a := sampleAlerts()[0]
	owned := []notify.Message{{Event: proactive.EventAlert, Alert: &a, Recipient: "COACH ANN", IdempotencyKey: "a1:email:COACH ANN"}}
	_, err = n.Notify(context.Background(), owned)
	require.NoError(t, err)
	_, err = n.Notify(context.Background(), messages(a))
	require.NoError(t, err)
	mails := srv.Mails()
	require.Len(t, mails, 2)
	require.Equal(t, []string{"ann@ptd.example"}, mails[0].To)
	require.Equal(t, `"Ann" <ann@ptd.example>`, parse(t, mails[0].Data).Header.Get("To"))
	require.Equal(t, []string{"ops@ptd.example"}, mails[1].To)
	require.NotEqual(t, parse(t, mails[0].Data).Header.Get("Message-ID"), parse(t, mails[1].Data).Header.Get("Message-ID"))

	retry, err := n.Notify(context.Background(), []notify.Message{{Event: proactive.EventAlert, Alert: &a, Recipient: "Bob"}})
	require.False(t, retry)
	require.ErrorContains(t, err, `owner "Bob"`)
	mixed := append(messages(a), owned...)
	_, err = n.Notify(context.Background(), mixed)
	require.ErrorContains(t, err, "two recipients")
	require.Len(t, srv.Mails(), 2)

	_, err = email.New(email.Options{URL: srv.URL(), From: "alerts@ptd.example", To: []string{"ops@ptd.example"},
		Owners: map[string]string{"Coach Ann": "not an address"}})
	require.ErrorContains(t, err, "Coach Ann")
}
