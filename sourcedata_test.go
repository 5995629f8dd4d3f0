package proactive

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestMarshalSourceDataIsJSONMarshal(t *testing.T) {
	t.Parallel()
	ids := make([]string, 500)
	for i := range ids {
		ids[i] = uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%d", i)).String()
	}
	for _, tc := range []struct {
		name   string
		source map[string]any
	}{
		{"empty", map[string]any{}},
		{"case lists and more", map[string]any{
			"case_ids": ids, "inhibited_case_ids": []string{}, "written_at": "2025-12-10T09:00:00Z",
			"revenue_at_risk": 572312363.35, "related": []map[string]any{{"entity": "Deal 1 - Acme", "urgency": 100}},
		}},
		{"strings json escapes", map[string]any{"case_ids": []string{
			`quote"`, `back\slash`, "tab\there", "<b>&</b>", "naïve", "日本", "\x7f", "\xff invalid", "",
		}}},
		{"a nil list", map[string]any{"case_ids": []string(nil), "other": nil}},
		{"keys needing escapes, sorted", map[string]any{"b<": []string{"x"}, "a\"": 1, "é": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want, err := json.Marshal(tc.source)
			require.NoError(t, err)
			got, err := MarshalSourceData(tc.source)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		})
	}
	got, err := MarshalSourceData(nil)
	require.NoError(t, err)
	require.Equal(t, "{}", string(got), "nil is an empty object, as the column holds")
	_, err = MarshalSourceData(map[string]any{"bad": func() {}})
	require.ErrorContains(t, err, `source_data "bad"`)
}

// BenchmarkMarshalSourceData encodes the source data of a group of 30,000
// cases, against json.Marshal.
func BenchmarkMarshalSourceData(b *testing.B) {
	ids := make([]string, 30000)
	for i := range ids {
		ids[i] = uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%d", i)).String()
	}
	source := map[string]any{"case_ids": ids, "inhibited_case_ids": []string{}, "written_at": "2025-12-10T09:00:00Z"}
	b.Run("MarshalSourceData", func(b *testing.B) {
		for b.Loop() {
			if _, err := MarshalSourceData(source); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(source); err != nil {
				b.Fatal(err)
			}
		}
	})
}
