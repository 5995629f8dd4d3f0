package termtext_test

import (
	"bytes"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/ptd-agents/ptd-proactive/internal/termtext"
)

func TestCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n        int
		singular string
		plural   []string
		want     string
	}{
		{1, "row", nil, "1 row"},
		{0, "row", nil, "0 rows"},
		{2, "row", nil, "2 rows"},
		{1, "alert group", nil, "1 alert group"},
		{3, "alert group", nil, "3 alert groups"},
		{1, "anomaly", nil, "1 anomaly"},
		{27, "anomaly", nil, "27 anomalies"},
		{2, "entity", nil, "2 entities"},
		{2, "day", nil, "2 days"},
		{2, "match", nil, "2 matches"},
		{2, "status", nil, "2 statuses"},
		{2, "box", nil, "2 boxes"},
		{2, "wish", nil, "2 wishes"},
		{2, "person", []string{"people"}, "2 people"},
		{1, "person", []string{"people"}, "1 person"},
	} {
		require.Equal(t, tc.want, termtext.Count(tc.n, tc.singular, tc.plural...))
	}
}

func TestStyleOffIsPlainEscapedText(t *testing.T) {
	t.Parallel()
	var s termtext.Style
	require.False(t, s.On())
	require.Equal(t, termtext.Styled("critical"), s.Severity("critical", "critical"))
	require.Equal(t, termtext.Styled(`a\x1b[2Jb\nc`), s.Bold("a\x1b[2Jb\nc"))
}

func TestStyleColoursSeveritiesAndEscapesData(t *testing.T) {
	t.Parallel()
	s := termtext.NewStyle(true)
	require.Equal(t, termtext.Styled("\x1b[1;31mcritical\x1b[0m"), s.Severity("critical", "critical"))
	require.Equal(t, termtext.Styled("\x1b[0;33mHIGH\x1b[0m"), s.Severity("high", "HIGH"))
	require.Equal(t, termtext.Styled("\x1b[1;39mInsights\x1b[0m"), s.Bold("Insights"))
	// Data is escaped inside the colour: only the style's own escapes are live.
	got := string(s.Bold("x\x1b]0;pwned\x07"))
	require.Equal(t, "\x1b[1;39m"+`x\x1b]0;pwned\a`+"\x1b[0m", got)
	require.Equal(t, 2, strings.Count(got, "\x1b"))

	// Fprintf prints Styled as it is, and escapes plain strings beside it.
	var b bytes.Buffer
	termtext.Fprintf(&b, "%s %s\n", s.Severity("low", "low"), "\x1b[2J")
	require.Equal(t, "\x1b[0;90mlow\x1b[0m \\x1b[2J\n", b.String())
}

// TestStyledCellsKeepTabwriterColumnsAligned checks the promise of Style:
// every styled cell has the same invisible overhead, so columns line up.
func TestStyledCellsKeepTabwriterColumnsAligned(t *testing.T) {
	t.Parallel()
	s := termtext.NewStyle(true)
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	termtext.Fprintf(tw, "%s\t%s\t%s\n", s.Bold("PRIORITY"), s.Bold("ID"), s.Bold("TITLE"))
	for _, sev := range []string{"critical", "high", "medium", "low", "unknown"} {
		termtext.Fprintf(tw, "%s\t%s\t%s\n", s.Severity(sev, sev), s.Paint(termtext.Plain, "id-"+sev), s.Paint(termtext.Plain, "t"))
	}
	require.NoError(t, tw.Flush())
	visible := func(line string) string {
		var out strings.Builder
		for i := 0; i < len(line); i++ {
			if line[i] == 0x1b {
				i += strings.IndexByte(line[i:], 'm')
				continue
			}
			out.WriteByte(line[i])
		}
		return out.String()
	}
	var col int
	for i, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		v := visible(line)
		at := strings.Index(v, "id-")
		if i == 0 {
			at = strings.Index(v, "ID")
			col = at
		}
		require.Equal(t, col, utf8.RuneCountInString(v[:at]), "line %d: %q", i, v)
	}
}
