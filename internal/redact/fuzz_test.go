package redact

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzURL feeds any text to URL. Properties: no panic; a password as the
// text holds it (where the text holds it only once: not also as, say, the
// host) never comes out — the mask's own letters aside ("x y" is not shown
// by "xxxxx y"), and the escapes of other parts aside (user "@00000" comes
// out as "%4000000", which holds a password "000000" as written but not
// as read: percent-decoded, the output does not hold it); and what a
// second pass would still take for a password is the mask, or text the
// input held as no password.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:pa/ss@h/db", "postgres://u@h/x?password=P&sslmode=bogus",
		"host=h password='x y' dbname=d", "postgres://h:1/db?application_name=a@b", "postgres://u:p@[::1/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, written, secrets := redact(s)
		require.Equal(t, got, URL(s))
		const placeholder = "\uFFFF"
		shown := strings.ReplaceAll(got, Mask, placeholder)
		read := unescaped(shown)
		for _, w := range written {
			if len(w) >= minScrub && !strings.Contains(w, placeholder) && strings.Count(s, w) <= 1 {
				leaked := strings.Contains(shown, w) && strings.Contains(read, unescaped(w))
				require.False(t, leaked, "input %q shows the password %q: %q", s, w, got)
			}
		}
		for _, again := range Secrets(got) {
			if again != Mask && len(again) >= minScrub {
				require.NotContains(t, secrets, again, "input %q gave %q", s, got)
			}
		}
	})
}

// unescaped is s percent-decoded, or s itself when it does not decode.
func unescaped(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}
