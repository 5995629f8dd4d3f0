package backtest_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/backtest"
)

func TestParseOutcomes(t *testing.T) {
	t.Parallel()
	in := "\ufeffKey, At\n" +
		" John@Example.com ,2026-01-05\n" +
		"\n" +
		"deal-42,2026-01-05 23:30:00\n" +
		"lead-7,2026-01-05T23:30:00-02:00\n" + // 01:30 UTC on the 6th
		"\"a,b@x.com\",2026-01-07 10:30\n"
	got, err := backtest.ParseOutcomes(strings.NewReader(in), "o.csv")
	require.NoError(t, err)
	want := []backtest.Outcome{
		{Key: "john@example.com", Date: at(t, "2026-01-05"), Line: 2},
		{Key: "deal-42", Date: at(t, "2026-01-05"), Line: 4},
		{Key: "lead-7", Date: at(t, "2026-01-06"), Line: 5},
		{Key: "a,b@x.com", Date: at(t, "2026-01-07"), Line: 6},
	}
	require.Equal(t, want, got.List)
}

func TestParseOutcomesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "outcomes o.csv is empty: it needs the header key,at"},
		{"header", "email,date\na@x.com,2026-01-01\n", `outcomes o.csv line 1: the header is "email,date": it must be key,at`},
		{"header with a third column", "key,at,note\n", `line 1: the header is "key,at,note": it must be key,at`},
		{"bad date", "key,at\na@x.com,2026-01-01\nb@x.com,yesterday\n", `outcomes o.csv line 3: at "yesterday" is not a date: write it as 2025-12-10`},
		{"impossible date", "key,at\na@x.com,2026-02-30\n", `line 2: at "2026-02-30" is not a date`},
		{"empty key", "key,at\n  ,2026-01-01\n", "outcomes o.csv line 2: the key is empty: write an email, deal-<id> or lead-<id>"},
		{"fields", "key,at\na@x.com\n", "outcomes o.csv line 2: 1 fields: write key,at"},
		{"quotes", "key,at\n\"a@x.com,2026-01-01\n", "outcomes o.csv line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := backtest.ParseOutcomes(strings.NewReader(tc.in), "o.csv")
			require.Error(t, err)
			require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
