package redact_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/redact"
)

func TestURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		secrets  []string
	}{
		// User information, parsed by net/url.
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable", []string{"pw"}},
		{"postgresql://u@h/db", "postgresql://u@h/db", nil},
		{"postgres://h/db", "postgres://h/db", nil},
		{"postgres://u:p@ss@h/db", "postgres://u:xxxxx@h/db", []string{"p@ss"}},
		{"postgres://u:p%40ss@h/db", "postgres://u:xxxxx@h/db", []string{"p@ss", "p%40ss"}},
		{"postgres://u@h/db?application_name=a@b", "postgres://u@h/db?application_name=a@b", nil},
		// A password parameter, wherever it sits, with the rest kept as written.
		{"postgres://u@127.0.0.1:1/x?password=P4ss&sslmode=bogus", "postgres://u@127.0.0.1:1/x?password=xxxxx&sslmode=bogus", []string{"P4ss"}},
		{"postgres://u@h/x?sslmode=disable&password=P%264ss&connect_timeout=bogus", "postgres://u@h/x?sslmode=disable&password=xxxxx&connect_timeout=bogus", []string{"P&4ss", "P%264ss"}},
		{"postgres://u@h/x?sslpassword=K3y&PASSWORD=P4ss", "postgres://u@h/x?sslpassword=xxxxx&PASSWORD=xxxxx", []string{"K3y", "P4ss"}},
		{"postgres://u:A1@h/x?password=B2", "postgres://u:xxxxx@h/x?password=xxxxx", []string{"A1", "B2"}},
		// URLs that do not parse, or not where the password ends: hide the span.
		{"postgres://u:pa/ss@h:5432/db", "postgres://u:xxxxx@h:5432/db", []string{"pa/ss"}},
		{"postgres://u:1234/x@h/db", "postgres://u:xxxxx@h/db", []string{"1234/x"}},
		{"postgres://u:p?s#s/x@h/db?sslmode=require", "postgres://u:xxxxx@h/db?sslmode=require", []string{"p?s#s/x"}},
		{"postgres://h:5432/db?application_name=a@b", "postgres://h:xxxxx@b", []string{"5432/db?application_name=a"}},
		{"postgres://u:P4ss@[::1:1/x", "postgres://u:xxxxx@[::1:1/x", []string{"P4ss"}},
		{"postgres://u@[::1:1/x?password=P4ss", "postgres://u@[::1:1/x?password=xxxxx", []string{"P4ss"}},
		// Text before "://" that net/url takes for no scheme: the textual rule.
		{"//:@://:000@", "//:@://:xxxxx@", []string{"000"}},
		{"pg sql://u:pw@h/db", "pg sql://u:xxxxx@h/db", []string{"pw"}},
		// The key=value form.
		{"host=h user=u password=s3cret dbname=x", "host=h user=u password=xxxxx dbname=x", []string{"s3cret"}},
		{"host=h password = 'a b\\'c' dbname=x", "host=h password = xxxxx dbname=x", []string{`'a b\'c'`, "a b'c"}},
		{"password=", "password=", nil},
		// Not a connection string at all.
		{"ptd-proactive.db", "ptd-proactive.db", nil},
		{"sqlite:/var/lib/ptd/ptd.db", "sqlite:/var/lib/ptd/ptd.db", nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := redact.URL(tc.in)
			require.Equal(t, tc.want, got)
			require.ElementsMatch(t, tc.secrets, redact.Secrets(tc.in))
			for _, s := range tc.secrets {
				require.NotContains(t, got, s)
			}
		})
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	require.Equal(t, "cannot parse `password=xxxxx`: bad", redact.Text("cannot parse `password=s3cr3t`: bad", "s3cr3t"))
	require.Equal(t, "a b a", redact.Text("a b a", "a"), "too short to scrub")
	require.Equal(t, "none", redact.Text("none"))
}

func TestHandler(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&b, nil), "s3cr3t", "x"))
	log.With("url", "postgres://u:s3cr3t@h/db").WithGroup("g").Info("connect s3cr3t failed",
		"error", errors.New("dial s3cr3t"), slog.Group("inner", "v", "a s3cr3t b"), "n", 3)
	out := b.String()
	require.NotContains(t, out, "s3cr3t")
	require.Contains(t, out, `msg="connect xxxxx failed"`)
	require.Contains(t, out, `g.error="dial xxxxx"`)
	require.Contains(t, out, `g.inner.v="a xxxxx b"`)
	require.Contains(t, out, "g.n=3")

	plain := slog.NewTextHandler(&b, nil)
	require.Same(t, plain, redact.NewHandler(plain, "", "ab"), "nothing to scrub: the handler itself")
}
