package importer_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/importer"
)

// FuzzParse feeds any bytes to the CSV and NDJSON readers of every table.
// Properties: no panic; a refusal is an EINVALID error with a message; with
// --skip-invalid only the file's header or format can be refused; every
// row has exactly the batch's columns with values of the column's kind;
// and a parsed batch, written back as NDJSON, parses to the same rows.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/hubspot_deals.csv", "testdata/health_scores.ndjson"} {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		ndjson := strings.HasSuffix(name, ".ndjson")
		table := uint8(1)
		if ndjson {
			table = 0
		}
		f.Add(table, ndjson, false, string(data))
		f.Add(table, ndjson, true, string(data))
	}
	for _, s := range []struct {
		table  uint8
		ndjson bool
		data   string
	}{
		{0, false, "email,health_score,calculated_at\na@x.y,88.5,2025-12-10 06:00:00\nb@x.y,,2025-12-10\n"},
		{2, false, "id,source,error_type,retry_count,created_at\n1,hubspot,rate_limit,3.0,2025-12-10T06:00:00.5+02:00\n"},
		{3, false, "\ufeffName;Email\r\nA;b\r\n"},
		{3, false, "name,\"email\nx\n\"broken"},
		{3, true, `{"id": 42, "name": "", "status": "new", "created_at": "2025-12-10 04:00"}` + "\n\n" + `{"id": null, "name": true}`},
		{1, true, `{"amount": "1e3", "updated_at": "2025-12-10t06:00:00z"}` + "\n" + `[1]` + "\n" + `{"amount": 1e400}`},
		{2, true, `{"retry_count": 9007199254740993, "resolved_at": "2025-12-10 06:00:00.123456+0000"}`},
		{3, false, "created_at\n2025-01-15tıııı\n"}, // once a panic: upper case shortened the text
	} {
		f.Add(s.table, s.ndjson, false, s.data)
		f.Add(s.table, s.ndjson, true, s.data)
	}
	tables := proactive.SourceTables()
	f.Fuzz(func(t *testing.T, table uint8, ndjson, skip bool, data string) {
		name := tables[int(table)%len(tables)]
		format := importer.FormatCSV
		if ndjson {
			format = importer.FormatNDJSON
		}
		b, err := importer.Parse(name, importer.Stdin, strings.NewReader(data), importer.Options{Format: format, SkipInvalid: skip})
		if err != nil {
			require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "%v", err)
			require.NotEmpty(t, proactive.ErrorMessage(err))
			if skip {
				require.False(t, ndjson, "with --skip-invalid an NDJSON file is never refused whole: %v", err)
			}
			return
		}
		requireWellTyped(t, b)
		if len(b.Rows) == 0 {
			return
		}
		again, err := importer.Parse(name, importer.Stdin, strings.NewReader(toNDJSON(t, b)), importer.Options{Format: importer.FormatNDJSON})
		require.NoError(t, err)
		require.Equal(t, b.Columns, again.Columns)
		require.Equal(t, b.Rows, again.Rows)
	})
}

// requireWellTyped checks that every row holds exactly the batch's columns,
// each nil or of its column's type.
func requireWellTyped(t *testing.T, b *importer.Batch) {
	t.Helper()
	for _, row := range b.Rows {
		require.Len(t, row, len(b.Columns))
		for _, col := range b.Columns {
			v, ok := row[col]
			require.True(t, ok, "row without column %s", col)
			if v == nil {
				continue
			}
			switch col {
			case "health_score", "amount":
				require.IsType(t, float64(0), v, col)
			case "retry_count":
				require.IsType(t, int64(0), v, col)
			case "calculated_at", "created_at", "updated_at", "last_activity_date", "resolved_at", "last_contact_date":
				require.IsType(t, time.Time{}, v, col)
				require.Equal(t, time.UTC, v.(time.Time).Location(), col)
			default:
				require.IsType(t, "", v, col)
			}
		}
	}
}

// toNDJSON writes a batch back as NDJSON: one object per row with every
// column, times in RFC 3339.
func toNDJSON(t *testing.T, b *importer.Batch) string {
	t.Helper()
	var out strings.Builder
	for _, row := range b.Rows {
		obj := map[string]any{}
		for _, col := range b.Columns {
			v := row[col]
			if tm, ok := v.(time.Time); ok {
				v = tm.Format(time.RFC3339Nano)
			}
			obj[col] = v
		}
		line, err := json.Marshal(obj)
		require.NoError(t, err)
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.String()
}
