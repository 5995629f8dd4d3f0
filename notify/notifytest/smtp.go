package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Mail is one message an SMTPServer accepted.
type Mail struct {
	From string   // the envelope sender (MAIL FROM)
	To   []string // the envelope recipients (RCPT TO)
	Data []byte   // the message as received
	// TLS says whether the session was encrypted when the message came.
	TLS bool
	// User is the authenticated user ("" when none).
	User string
}

// SMTPServer is a real SMTP server (emersion/go-smtp) on a loopback port,
// offering STARTTLS with a throw-away certificate and AUTH PLAIN (refused
// before TLS). It records the messages it accepts.
type SMTPServer struct {
	Addr     string // host:port on loopback
	User     string // the user AUTH accepts ("" when none is needed)
	Password string // its password
	// ClientTLS trusts the server's certificate: pass it to the email
	// notifier (email.Options.TLSConfig).
	ClientTLS *tls.Config

	srv *smtp.Server

	mu    sync.Mutex
	mails []Mail
	// reject, when set, answers DATA for the n-th message (0-based).
	reject func(n int) error
	datas  int
}

// NewSMTPServer starts an SMTPServer with the given credentials (an empty
// user: no AUTH needed); it is closed when the test ends.
func NewSMTPServer(t testing.TB, user, password string) *SMTPServer {
	return newSMTPServer(t, user, password, true)
}

// NewPlainSMTPServer starts an SMTPServer that offers no STARTTLS.
func NewPlainSMTPServer(t testing.TB, user, password string) *SMTPServer {
	return newSMTPServer(t, user, password, false)
}

func newSMTPServer(t testing.TB, user, password string, withTLS bool) *SMTPServer {
	t.Helper()
	serverTLS, clientTLS := selfSigned(t)
	if !withTLS {
		serverTLS = nil
	}
	s := &SMTPServer{User: user, Password: password, ClientTLS: clientTLS}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.TLSConfig = serverTLS
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = discardLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		// Close only closes the listeners Serve has registered: when the
		// test ends before Serve got that far, close ours too.
		_ = l.Close()
		<-done
	})
	return s
}

// URL is the server's smtp:// URL with the credentials.
func (s *SMTPServer) URL() string {
	u := &url.URL{Scheme: "smtp", Host: s.Addr}
	if s.User != "" {
		u.User = url.UserPassword(s.User, s.Password)
	}
	return u.String()
}

// Reject makes the server answer DATA for the n-th message (0-based) with
// the error f returns (nil accepts it).
func (s *SMTPServer) Reject(f func(n int) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = f
}

// Mails returns a copy of the accepted messages.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type smtpSession struct {
	srv  *SMTPServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

// AuthMechanisms offers PLAIN (go-smtp refuses it before TLS).
func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth checks the user and password.
func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.srv.User || pass != ss.srv.Password {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}), nil
}

// Mail needs an authenticated session when the server has a user.
func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.user == "" && ss.srv.User != "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

// Rcpt accepts every recipient.
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

// Data records the message, unless Reject says otherwise.
func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	n := ss.srv.datas
	ss.srv.datas++
	if ss.srv.reject != nil {
		if err := ss.srv.reject(n); err != nil {
			return err
		}
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.srv.mails = append(ss.srv.mails, Mail{From: ss.from, To: append([]string(nil), ss.to...), Data: b, TLS: isTLS, User: ss.user})
	return nil
}

// Reset forgets the current message.
func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

// Logout ends the session.
func (ss *smtpSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a client
// configuration that trusts it (and nothing else).
func selfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ptd-proactive test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	client = &tls.Config{RootCAs: pool}
	return server, client
}

// discardLogger silences the server's connection errors.
type discardLogger struct{}

// Printf discards.
func (discardLogger) Printf(string, ...any) {}

// Println discards.
func (discardLogger) Println(...any) {}

// ErrTemporary is an SMTP 451 reply, for Reject.
func ErrTemporary() error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
}

// ErrPermanent is an SMTP 554 reply, for Reject.
func ErrPermanent() error {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refused"}
}
