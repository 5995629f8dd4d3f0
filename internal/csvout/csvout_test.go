package csvout

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/require"
)

type rec struct {
	Name  string         `json:"name"`
	N     *int           `json:"n"`
	OK    bool           `json:"ok"`
	Extra map[string]any `json:"extra"`
}

func TestWrite(t *testing.T) {
	t.Parallel()
	keys, err := Keys(rec{})
	require.NoError(t, err)
	require.Equal(t, []string{"name", "n", "ok", "extra"}, keys)
	two := 2
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, append(keys, "absent"), []rec{
		{Name: "Smith, \"J\" <x>\nline", N: &two, OK: true, Extra: map[string]any{"a": "<b>"}},
		{Name: ""},
	}))
	got, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"name", "n", "ok", "extra", "absent"},
		{"Smith, \"J\" <x>\nline", "2", "true", `{"a":"<b>"}`, ""},
		{"", "", "false", "", ""},
	}, got)

	buf.Reset()
	require.NoError(t, Write(&buf, keys, []rec{}))
	require.Equal(t, "name,n,ok,extra\n", buf.String())
	require.Error(t, Write(&buf, keys, rec{}))
	_, err = Keys([]int{1})
	require.Error(t, err)
}
