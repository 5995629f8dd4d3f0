package termtext_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want, line string }{
		{"plain", "Kim Ng (kim@example.com)", "Kim Ng (kim@example.com)", "Kim Ng (kim@example.com)"},
		{"unicode stays", "Zoë Müller – 東京 🚀", "Zoë Müller – 東京 🚀", "Zoë Müller – 東京 🚀"},
		{"clear screen", "\x1b[2J\x1b[HAll clear", `\x1b[2J\x1b[HAll clear`, `\x1b[2J\x1b[HAll clear`},
		{"window title (OSC, BEL)", "\x1b]0;pwned\x07x", `\x1b]0;pwned\ax`, `\x1b]0;pwned\ax`},
		{"carriage return overwrites the line", "ok\rFAKE", `ok\rFAKE`, `ok\rFAKE`},
		{"backspace and NUL", "a\bb\x00", `a\bb\x00`, `a\bb\x00`},
		{"DEL", "a\x7fb", `a\x7fb`, `a\x7fb`},
		{"C1 CSI as UTF-8", "a\u009b2Jb", `a\u009b2Jb`, `a\u009b2Jb`},
		{"lone 8-bit CSI byte", "a\x9b2Jb", `a\x9b2Jb`, `a\x9b2Jb`},
		{"not UTF-8", "caf\xe9", `caf\xe9`, `caf\xe9`},
		{"newline and tab", "a\nb\tc", "a\nb\tc", `a\nb\tc`},
		{"empty", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := termtext.String(tc.in)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.line, termtext.Line(tc.in))
			requireSafe(t, got, false)
			requireSafe(t, termtext.Line(tc.in), true)
		})
	}
}

func TestFprintf(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	_, err := termtext.Fprintf(&b, "%s\t%d\t%v\n", "Lead \x1b[31mred", 7, errors.New("peer said \x1b[2J"))
	require.NoError(t, err)
	require.Equal(t, "Lead \\x1b[31mred\t7\tpeer said \\x1b[2J\n", b.String(), "the format's own tabs and newline stay")
	b.Reset()
	type status string
	_, err = termtext.Fprintf(&b, "%s", status("sent\x1b[2J"))
	require.NoError(t, err)
	require.Equal(t, `sent\x1b[2J`, b.String(), "a named string type is text too")
	b.Reset()
	_, err = termtext.Fprintln(&b, "x\x1by", 3)
	require.NoError(t, err)
	require.Equal(t, "x\\x1by 3\n", b.String())
}

// requireSafe fails when s holds a byte a terminal could obey.
func requireSafe(t *testing.T, s string, line bool) {
	t.Helper()
	require.True(t, utf8.ValidString(s), "%q", s)
	for _, r := range s {
		if !line && (r == '\n' || r == '\t') {
			continue
		}
		require.False(t, r < 0x20 || (r >= 0x7f && r <= 0x9f), "%q holds %U", s, r)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "a\u009bb", "\xff\xfe", "a\nb\tc", "\r\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		requireSafe(t, termtext.String(s), false)
		requireSafe(t, termtext.Line(s), true)
		if termtext.Line(s) == s {
			require.Equal(t, s, termtext.String(s), "text that needs no escaping is left alone")
		}
	})
}
