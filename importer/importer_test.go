package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// recorder is a proactive.Importer that records its calls.
type recorder struct {
	calls []insertCall
	err   error
}

// insertCall is one recorded InsertRows call.
type insertCall struct {
	table string
	cols  []string
	rows  []proactive.Row
}

// InsertRows records the call and returns r.err.
func (r *recorder) InsertRows(_ context.Context, table string, cols []string, rows []proactive.Row) error {
	r.calls = append(r.calls, insertCall{table, cols, rows})
	return r.err
}

var _ proactive.Importer = (*recorder)(nil)

// utc builds a UTC time.
func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

const skipHint = ": nothing was imported: fix the line, or pass --skip-invalid to import the other rows"

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		table string
		file  string
		input string
		opts  Options
		cols  []string
		rows  []proactive.Row
	}{
		{
			name:  "csv all columns typed",
			table: proactive.TableDeals,
			file:  "deals.csv",
			input: "id,name,stage,amount,contact_id,created_at,updated_at,last_activity_date\n" +
				"d1,Acme,Proposal,1500.5,c1,2025-01-02T03:04:05Z,2025-01-03 10:00:00,2025-01-04\n",
			cols: []string{"id", "name", "stage", "amount", "contact_id", "created_at", "updated_at", "last_activity_date"},
			rows: []proactive.Row{{
				"id": "d1", "name": "Acme", "stage": "Proposal", "amount": 1500.5, "contact_id": "c1",
				"created_at": utc(2025, 1, 2, 3, 4, 5, 0), "updated_at": utc(2025, 1, 3, 10, 0, 0, 0), "last_activity_date": utc(2025, 1, 4, 0, 0, 0, 0),
			}},
		},
		{
			name:  "csv any order, extra columns ignored, header case and spaces",
			table: proactive.TableLeads,
			file:  "leads.CSV",
			input: "Owner, EMAIL ,name,Lead Score,status,created_at\n" +
				"bob,jane@x.com,Jane,90,new,2025-03-01 08:00:00\n",
			cols: []string{"name", "email", "created_at", "status"},
			rows: []proactive.Row{{"name": "Jane", "email": "jane@x.com", "created_at": utc(2025, 3, 1, 8, 0, 0, 0), "status": "new"}},
		},
		{
			name:  "csv missing optional columns and empty cells are nil",
			table: proactive.TableDeals,
			file:  "deals.csv",
			input: "id,name,amount,created_at\n" +
				",Beta,,\n" +
				" ,Gamma,0,2025-01-01\n",
			cols: []string{"id", "name", "amount", "created_at"},
			rows: []proactive.Row{
				{"id": nil, "name": "Beta", "amount": nil, "created_at": nil},
				{"id": nil, "name": "Gamma", "amount": 0.0, "created_at": utc(2025, 1, 1, 0, 0, 0, 0)},
			},
		},
		{
			name:  "csv quoted fields with commas, quotes and newlines",
			table: proactive.TableSyncErrors,
			file:  "sync.csv",
			input: "id,error_type,source,error_message,retry_count,created_at\n" +
				"1,rate_limit,hubspot,\"Too many requests, retry later\",3,2025-05-05 05:05:05\n" +
				"2,timeout,stripe,\"line one\nline \"\"two\"\"\",4.0,2025-05-06T06:06:06.250+02:00\n",
			cols: []string{"id", "error_type", "source", "error_message", "created_at", "retry_count"},
			rows: []proactive.Row{
				{"id": "1", "error_type": "rate_limit", "source": "hubspot", "error_message": "Too many requests, retry later", "retry_count": int64(3), "created_at": utc(2025, 5, 5, 5, 5, 5, 0)},
				{"id": "2", "error_type": "timeout", "source": "stripe", "error_message": "line one\nline \"two\"", "retry_count": int64(4), "created_at": utc(2025, 5, 6, 4, 6, 6, 250e6)},
			},
		},
		{
			name:  "csv BOM and CRLF",
			table: proactive.TableHealthScores,
			file:  "h.csv",
			input: "\ufeffemail,health_score,calculated_at\r\na@x.com,72.5,2025-06-01\r\nb@x.com,-3,2025-06-02\r\n",
			cols:  []string{"email", "health_score", "calculated_at"},
			rows: []proactive.Row{
				{"email": "a@x.com", "health_score": 72.5, "calculated_at": utc(2025, 6, 1, 0, 0, 0, 0)},
				// parses but makes no sense: imported as it is
				{"email": "b@x.com", "health_score": -3.0, "calculated_at": utc(2025, 6, 2, 0, 0, 0, 0)},
			},
		},
		{
			name:  "csv values that make no sense are imported",
			table: proactive.TableHealthScores,
			file:  "h.csv",
			input: "email,health_score,health_zone\n,150,purple\n",
			cols:  []string{"email", "health_score", "health_zone"},
			rows:  []proactive.Row{{"email": nil, "health_score": 150.0, "health_zone": "purple"}},
		},
		{
			name:  "csv header only",
			table: proactive.TableLeads,
			file:  "l.csv",
			input: "id,name\n",
			cols:  []string{"id", "name"},
		},
		{
			name:  "csv empty file",
			table: proactive.TableLeads,
			file:  "l.csv",
		},
		{
			name:  "csv BOM only",
			table: proactive.TableLeads,
			file:  "l.csv",
			input: "\ufeff",
		},
		{
			name:  "csv from stdin with a format",
			table: proactive.TableLeads,
			file:  "-",
			opts:  Options{Format: "CSV"},
			input: "name\nAnn\n",
			cols:  []string{"name"},
			rows:  []proactive.Row{{"name": "Ann"}},
		},
		{
			name:  "ndjson typed, blank lines, CRLF, BOM, extra and missing keys",
			table: proactive.TableSyncErrors,
			file:  "sync.ndjson",
			input: "\ufeff{\"id\": 42, \"source\": \"hubspot\", \"retry_count\": 2, \"created_at\": \"2025-07-01 12:00:00+00\", \"extra\": {\"a\": 1}}\r\n" +
				"\r\n" +
				"   \n" +
				"{\"id\": \"abc\", \"error_type\": \"auth\", \"retry_count\": null, \"resolved_at\": \"2025-07-02T01:02:03.5\", \"error_message\": \"\"}\n",
			cols: []string{"id", "error_type", "source", "error_message", "created_at", "retry_count", "resolved_at"},
			rows: []proactive.Row{
				{"id": "42", "error_type": nil, "source": "hubspot", "error_message": nil, "created_at": utc(2025, 7, 1, 12, 0, 0, 0), "retry_count": int64(2), "resolved_at": nil},
				{"id": "abc", "error_type": "auth", "source": nil, "error_message": "", "created_at": nil, "retry_count": nil, "resolved_at": utc(2025, 7, 2, 1, 2, 3, 5e8)},
			},
		},
		{
			name:  "ndjson numbers as strings, empty id, last line without newline",
			table: proactive.TableDeals,
			file:  "deals.jsonl",
			input: "{\"id\": \"\", \"amount\": \"2500\", \"name\": \"Z\", \"contact_id\": 7}\n{\"name\": \"Y\", \"amount\": 1e3}",
			cols:  []string{"id", "name", "amount", "contact_id"},
			rows: []proactive.Row{
				{"id": nil, "name": "Z", "amount": 2500.0, "contact_id": "7"},
				{"id": nil, "name": "Y", "amount": 1000.0, "contact_id": nil},
			},
		},
		{
			name:  "ndjson format option wins over the extension",
			table: proactive.TableLeads,
			file:  "leads.txt",
			opts:  Options{Format: "jsonl"},
			input: "{\"name\": \"Ann\", \"status\": true}\n",
			cols:  []string{"name", "status"},
			rows:  []proactive.Row{{"name": "Ann", "status": "true"}},
		},
		{
			name:  "ndjson empty file",
			table: proactive.TableLeads,
			file:  "l.ndjson",
			input: "\n\n",
		},
		{
			name:  "contacts (CONTRACT §11.1)",
			table: proactive.TableContacts,
			file:  "contacts.csv",
			input: "id,email,phone\n42,ann@x.com,555\n",
			cols:  []string{"id", "email"},
			rows:  []proactive.Row{{"id": "42", "email": "ann@x.com"}},
		},
		{
			name:  "deals.contact_email is read; configured columns only when configured",
			table: proactive.TableDeals,
			file:  "deals.csv",
			input: "name,contact_email,rep\nAcme,ann@x.com,Lee\n",
			cols:  []string{"name", "contact_email"},
			rows:  []proactive.Row{{"name": "Acme", "contact_email": "ann@x.com"}},
		},
		{
			name:  "csv configured owner (text) and value (number) columns, header in any case",
			table: proactive.TableHealthScores,
			file:  "h.csv",
			opts:  Options{Columns: proactive.Columns{ClientOwner: "coach", DealOwner: "rep", ClientValue: "Package_Value"}},
			input: "email,COACH,package_value,rep\nann@x.com,Kim,1200.50,Lee\nbo@x.com,,,\n",
			cols:  []string{"email", "coach", "Package_Value"},
			rows: []proactive.Row{
				{"email": "ann@x.com", "coach": "Kim", "Package_Value": 1200.5},
				{"email": "bo@x.com", "coach": nil, "Package_Value": nil},
			},
		},
		{
			name:  "ndjson configured columns",
			table: proactive.TableHealthScores,
			file:  "h.ndjson",
			opts:  Options{Columns: proactive.Columns{ClientOwner: "coach", ClientValue: "package_value"}},
			input: "{\"email\": \"ann@x.com\", \"coach\": \"Kim\", \"package_value\": 900}\n",
			cols:  []string{"email", "coach", "package_value"},
			rows:  []proactive.Row{{"email": "ann@x.com", "coach": "Kim", "package_value": 900.0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := Parse(tt.table, tt.file, strings.NewReader(tt.input), tt.opts)
			require.NoError(t, err)
			require.Equal(t, tt.table, b.Table)
			require.Equal(t, tt.cols, b.Columns)
			require.Equal(t, tt.rows, b.Rows)
			require.Empty(t, b.Skipped)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		table string
		file  string
		opts  Options
		input string
		want  string
	}{
		{"unknown table", "deal", "d.csv", Options{}, "", `unknown table "deal": import into client_health_scores, deals, sync_errors, leads or contacts`},
		{"output table", proactive.TableInsights, "d.csv", Options{}, "", `unknown table "proactive_insights": import into client_health_scores, deals, sync_errors, leads or contacts`},
		{"unknown format", "deals", "d.csv", Options{Format: "xml"}, "", `unknown format "xml": use --format csv or --format ndjson`},
		{"stdin without format", "deals", "-", Options{}, "", "standard input has no file name to tell its format from: pass --format csv or --format ndjson"},
		{"unknown extension", "deals", "deals.json", Options{}, "", "cannot tell the format of deals.json from its extension: name it .csv, .ndjson or .jsonl, or pass --format csv or --format ndjson"},

		{"bad number", "deals", "deals.csv", Options{}, "name,amount\nA,100\nB,12k\n",
			`deals.csv: line 3, column amount, value "12k": not a number` + skipHint},
		{"a configured value column takes numbers", proactive.TableHealthScores, "h.csv", Options{Columns: proactive.Columns{ClientValue: "package_value"}},
			"email,package_value\na@x.com,1k\n", `h.csv: line 2, column package_value, value "1k": not a number` + skipHint},
		{"a configured value column takes numbers (ndjson)", proactive.TableHealthScores, "h.ndjson", Options{Columns: proactive.Columns{ClientValue: "package_value"}},
			"{\"email\": \"a@x.com\", \"package_value\": true}\n", `h.ndjson: line 1, column package_value, value "true": true or false where a number goes` + skipHint},
		{"NaN is not a number", "deals", "deals.csv", Options{}, "name,amount\nA,NaN\n",
			`deals.csv: line 2, column amount, value "NaN": not a number` + skipHint},
		{"bad whole number", "sync_errors", "s.csv", Options{}, "id,retry_count\n1,2.5\n",
			`s.csv: line 2, column retry_count, value "2.5": not a whole number` + skipHint},
		{"bad timestamp", "leads", "l.csv", Options{}, "name,created_at\nA,01/02/2025\n",
			`l.csv: line 2, column created_at, value "01/02/2025": not a timestamp: write RFC 3339 (2025-01-15T10:30:00Z), YYYY-MM-DD HH:MM:SS or YYYY-MM-DD` + skipHint},
		{"impossible date", "leads", "l.csv", Options{}, "name,created_at\nA,2025-02-30\n",
			`l.csv: line 2, column created_at, value "2025-02-30": not a timestamp: write RFC 3339 (2025-01-15T10:30:00Z), YYYY-MM-DD HH:MM:SS or YYYY-MM-DD` + skipHint},
		{"line number after multi-line quoted fields", "deals", "deals.csv", Options{}, "name,amount\n\"A\nB\nC\",1\n\"D\",\"x\ny\"\n",
			"deals.csv: line 5, column amount, value \"x\\ny\": not a number" + skipHint},
		{"value on a later line of its record", "deals", "deals.csv", Options{}, "name,amount\r\n\"multi\r\nline\",abc\r\n",
			`deals.csv: line 3, column amount, value "abc": not a number` + skipHint},
		{"bare quote", "deals", "deals.csv", Options{}, "name,amount\nA,1\nB \"quoted\",2\n",
			`deals.csv: line 3: malformed CSV: bare " in non-quoted-field` + skipHint},
		{"unterminated quote", "deals", "deals.csv", Options{}, "name,amount\n\"A,1\nB,2\n",
			`deals.csv: line 3: malformed CSV: extraneous or missing " in quoted-field (the record starts on line 2)` + skipHint},
		{"wrong field count", "deals", "deals.csv", Options{}, "name,amount,stage\nA,1,Trial\nB,2\n",
			"deals.csv: line 3: malformed CSV: 2 fields where the header has 3" + skipHint},
		{"invalid UTF-8", "deals", "deals.csv", Options{}, "name\n\xff\xfe\n",
			"deals.csv: line 2, column name, value \"\\xff\\xfe\": not UTF-8 text: save the file as UTF-8" + skipHint},
		{"header without known columns", "deals", "deals.csv", Options{}, "Deal Name,Deal Stage\nA,B\n",
			"deals.csv: line 1: the header names none of the columns of deals (id, name, stage, amount, contact_id, created_at, updated_at, last_activity_date, contact_email): the first row must hold the column names"},
		{"semicolons", "deals", "deals.csv", Options{}, "id;name;amount\n1;A;5\n",
			"deals.csv: line 1: the header names none of the columns of deals (id, name, stage, amount, contact_id, created_at, updated_at, last_activity_date, contact_email): the first row must hold the column names; the fields look separated by semicolons or tabs: save the file with commas"},
		{"header twice", "leads", "l.csv", Options{}, "email,name,Email\n",
			"l.csv: line 1: column email appears twice in the header (fields 1 and 3): keep one"},
		{"header without known columns even with skip", "deals", "deals.csv", Options{SkipInvalid: true}, "x\n1\n",
			"deals.csv: line 1: the header names none of the columns of deals (id, name, stage, amount, contact_id, created_at, updated_at, last_activity_date, contact_email): the first row must hold the column names"},

		{"ndjson malformed", "leads", "l.ndjson", Options{}, "{\"name\": \"A\"}\n\n{\"name\": \"B\",}\n",
			`l.ndjson: line 3 ("{\"name\": \"B\",}"): malformed JSON: invalid character '}' looking for beginning of object key string` + skipHint},
		{"ndjson not an object", "leads", "l.ndjson", Options{}, "[1, 2]\n",
			`l.ndjson: line 1 ("[1, 2]"): not a JSON object: write one {…} object per line` + skipHint},
		{"ndjson bad number", "client_health_scores", "-", Options{Format: "ndjson"}, "{\"email\": \"a@x.com\", \"health_score\": \"high\"}\n",
			`standard input: line 1, column health_score, value "\"high\"": not a number` + skipHint},
		{"ndjson number for a timestamp", "leads", "l.ndjson", Options{}, "{\"created_at\": 1735689600}\n",
			`l.ndjson: line 1, column created_at, value "1735689600": a number where a timestamp goes: write RFC 3339 (2025-01-15T10:30:00Z), YYYY-MM-DD HH:MM:SS or YYYY-MM-DD` + skipHint},
		{"ndjson object for a value", "leads", "l.ndjson", Options{}, "{\"name\": {\"first\": \"A\"}}\n",
			`l.ndjson: line 1, column name, value "{\"first\": \"A\"}": an object or list where a text value goes` + skipHint},
		{"ndjson bool for a number", "deals", "d.ndjson", Options{}, "{\"amount\": true}\n",
			`d.ndjson: line 1, column amount, value "true": true or false where a number goes` + skipHint},
		{"ndjson invalid UTF-8", "leads", "l.ndjson", Options{}, "{\"name\": \"\xff\"}\n",
			`l.ndjson: line 1 ("{\"name\": \"\xff\"}"): not UTF-8 text: save the file as UTF-8` + skipHint},
		{"ndjson none of the columns", "leads", "l.ndjson", Options{}, "{\"Name\": \"A\"}\n",
			`l.ndjson: line 1 ("{\"Name\": \"A\"}"): the object has none of the columns of leads (id, name, email, created_at, status, source, last_contact_date)` + skipHint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.table, tt.file, strings.NewReader(tt.input), tt.opts)
			require.Error(t, err)
			require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
			require.Equal(t, tt.want, err.Error())
		})
	}
}

func TestParseSkipInvalid(t *testing.T) {
	t.Parallel()
	input := "id,name,amount,created_at\n" +
		"1,Good,10,2025-01-01\n" +
		"2,Bad amount,ten,2025-01-01\n" +
		"3,\"Quoted\nname\",20,2025-13-01\n" +
		"4,Short\n" +
		"5,Also good,,\n"
	b, err := Parse(proactive.TableDeals, "deals.csv", strings.NewReader(input), Options{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, []string{"id", "name", "amount", "created_at"}, b.Columns)
	require.Equal(t, []proactive.Row{
		{"id": "1", "name": "Good", "amount": 10.0, "created_at": utc(2025, 1, 1, 0, 0, 0, 0)},
		{"id": "5", "name": "Also good", "amount": nil, "created_at": nil},
	}, b.Rows)
	require.Equal(t, []Skip{
		{Line: 3, Column: "amount", Value: "ten", Reason: "not a number"},
		{Line: 5, Column: "created_at", Value: "2025-13-01", Reason: reasonTimestamp},
		{Line: 6, Reason: "malformed CSV: 2 fields where the header has 4"},
	}, b.Skipped)
	require.Equal(t, `line 3, column amount, value "ten": not a number`, b.Skipped[0].String())
	require.Equal(t, "line 6: malformed CSV: 2 fields where the header has 4", b.Skipped[2].String())

	// The CSV reader goes on after a malformed record.
	b, err = Parse(proactive.TableLeads, "l.csv", strings.NewReader("name,email\nA \"x\",a@x\nB,b@x\n"), Options{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, []proactive.Row{{"name": "B", "email": "b@x"}}, b.Rows)
	require.Equal(t, []Skip{{Line: 2, Reason: `malformed CSV: bare " in non-quoted-field`}}, b.Skipped)

	// NDJSON too; a long line is shortened in the listing.
	long := `{"name": "` + strings.Repeat("é", 100) + `"`
	b, err = Parse(proactive.TableLeads, "l.ndjson", strings.NewReader("{\"name\": \"A\"}\n"+long+"\n{\"name\": \"C\"}\n"), Options{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, []proactive.Row{{"name": "A"}, {"name": "C"}}, b.Rows)
	require.Len(t, b.Skipped, 1)
	require.Equal(t, 2, b.Skipped[0].Line)
	require.Equal(t, `{"name": "`+strings.Repeat("é", 35)+"…", b.Skipped[0].Value)
	require.Equal(t, "malformed JSON: unexpected end of JSON input", b.Skipped[0].Reason)
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want time.Time
	}{
		{"2025-01-15T10:30:00Z", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15T10:30:00.123456789Z", utc(2025, 1, 15, 10, 30, 0, 123456789)},
		{"2025-01-15T10:30:00+02:00", utc(2025, 1, 15, 8, 30, 0, 0)},
		{"2025-01-15T10:30:00.5-05:00", utc(2025, 1, 15, 15, 30, 0, 5e8)},
		{"2025-01-15t10:30:00z", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15 10:30:00", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15 10:30:00.25", utc(2025, 1, 15, 10, 30, 0, 25e7)},
		{"2025-01-15T10:30:00", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15 10:30:00+00", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15 10:30:00.123456+00", utc(2025, 1, 15, 10, 30, 0, 123456000)},
		{"2025-01-15 10:30:00+00:00", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15 10:30:00+0530", utc(2025, 1, 15, 5, 0, 0, 0)},
		{"2025-01-15 10:30:00Z", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15", utc(2025, 1, 15, 0, 0, 0, 0)},
		{"2025-01-15 10:30", utc(2025, 1, 15, 10, 30, 0, 0)},
		{"2025-01-15t10:30", utc(2025, 1, 15, 10, 30, 0, 0)},
	}
	for _, g := range good {
		got, ok := ParseTime(g.in)
		require.True(t, ok, g.in)
		require.Equal(t, g.want, got, g.in)
		require.Equal(t, time.UTC, got.Location(), g.in)
	}
	for _, bad := range []string{"", "yesterday", "2025-1-15", "15/01/2025", "2025-01-15X10:30", "2025-01-15 25:30", "2025-01-15X10:30:00",
		"2025-01-15 10:30:00 UTC", "2025-01-15T10:30:00+2", "2025-01-32", "2025-01-15T25:00:00Z", "1735689600",
		// Letters that upper-case to fewer bytes (found by FuzzParse: a panic).
		"2025-01-15tıııı", "2025-01-15tııı:00z", "2025-01-15t10:3ſ"} {
		_, ok := ParseTime(bad)
		require.False(t, ok, bad)
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	rec := &recorder{}
	res, err := Import(ctx, rec, proactive.TableLeads, "leads.csv", strings.NewReader("name,status\nA,new\nB,NEW\n"), Options{})
	require.NoError(t, err)
	require.Equal(t, Result{Table: "leads", Columns: []string{"name", "status"}, Imported: 2, Skipped: []Skip{}}, res)
	require.Len(t, rec.calls, 1, "the whole file is one InsertRows call")
	require.Equal(t, insertCall{"leads", []string{"name", "status"}, []proactive.Row{{"name": "A", "status": "new"}, {"name": "B", "status": "NEW"}}}, rec.calls[0])

	// A bad row: nothing is written.
	rec = &recorder{}
	_, err = Import(ctx, rec, proactive.TableLeads, "leads.csv", strings.NewReader("name,created_at\nA,2025-01-01\nB,soon\n"), Options{})
	require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err))
	require.Empty(t, rec.calls)

	// With SkipInvalid the rest goes in, and the bad lines are listed.
	res, err = Import(ctx, rec, proactive.TableLeads, "leads.csv", strings.NewReader("name,created_at\nA,2025-01-01\nB,soon\n"), Options{SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 1, res.Imported)
	require.Equal(t, []Skip{{Line: 3, Column: "created_at", Value: "soon", Reason: reasonTimestamp}}, res.Skipped)
	require.Len(t, rec.calls, 1)

	// A file without rows (or with only bad ones) imports nothing and succeeds.
	for _, in := range []string{"", "name\n"} {
		rec = &recorder{}
		res, err = Import(ctx, rec, proactive.TableLeads, "leads.csv", strings.NewReader(in), Options{})
		require.NoError(t, err)
		require.Zero(t, res.Imported)
		require.Empty(t, rec.calls)
		require.NotNil(t, res.Skipped)
		require.NotNil(t, res.Columns)
	}

	// The store's error comes back with its code.
	rec = &recorder{err: proactive.Errorf(proactive.ENOTFOUND, "table leads does not exist: run ptd-proactive migrate")}
	res, err = Import(ctx, rec, proactive.TableLeads, "-", strings.NewReader("name\nA\n"), Options{Format: "csv"})
	require.Equal(t, proactive.ENOTFOUND, proactive.ErrorCode(err))
	require.Equal(t, "import standard input into leads: nothing was imported: table leads does not exist: run ptd-proactive migrate", err.Error())
	require.Zero(t, res.Imported)

	// A collision on ids says how to get out of it; without ids it cannot be theirs.
	rec = &recorder{err: proactive.Errorf(proactive.ECONFLICT, "insert into leads: a row collides with a stored one")}
	_, err = Import(ctx, rec, proactive.TableLeads, "l.csv", strings.NewReader("id,name\n1,A\n"), Options{})
	require.Equal(t, proactive.ECONFLICT, proactive.ErrorCode(err))
	require.ErrorContains(t, err, "an id in the file is already stored, or given twice in the file")
	require.ErrorContains(t, err, "leave the id column empty to have ids generated")
	_, err = Import(ctx, rec, proactive.TableLeads, "l.csv", strings.NewReader("name\nA\n"), Options{})
	require.NotContains(t, err.Error(), "an id in the file")

	rec = &recorder{err: errors.New("boom")}
	_, err = Import(ctx, rec, proactive.TableLeads, "l.csv", strings.NewReader("name\nA\n"), Options{})
	require.Equal(t, proactive.EINTERNAL, proactive.ErrorCode(err))
}

// Rows with a timestamp after Options.Now are counted: a live scan skips
// them. Any timestamp column counts; one row counts once; no Now, no count.
func TestImportCountsRowsDatedInTheFuture(t *testing.T) {
	t.Parallel()
	now := utc(2025, 6, 1, 12, 0, 0, 0)
	for _, tc := range []struct {
		name   string
		file   string
		now    time.Time
		want   int
		latest *time.Time
	}{
		{"none after now", "name,created_at\nA,2025-06-01 11:00:00\nB,2025-05-01\n", now, 0, nil},
		{"exactly now is not after", "name,created_at\nA,2025-06-01 12:00:00\n", now, 0, nil},
		{"one after, the latest named", "name,created_at\nA,2025-06-01 14:00:00\nB,2025-06-01 13:00:00\nC,2025-05-01\n", now, 2, ptr(utc(2025, 6, 1, 14, 0, 0, 0))},
		{"local time read as UTC, an offset puts it right", "name,created_at\nA,2025-06-01T13:30:00+02:00\n", now, 0, nil},
		{"another column, one row once", "name,created_at,last_contact_date\nA,2025-06-02,2025-06-03\n", now, 1, ptr(utc(2025, 6, 3, 0, 0, 0, 0))},
		{"no now, no count", "name,created_at\nA,2030-01-01\n", time.Time{}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Import(t.Context(), &recorder{}, proactive.TableLeads, "leads.csv", strings.NewReader(tc.file), Options{Now: tc.now})
			require.NoError(t, err)
			require.Equal(t, tc.want, res.Future)
			require.Equal(t, tc.latest, res.FutureUntil)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestImportReadError(t *testing.T) {
	t.Parallel()
	r := &failingReader{data: "name\nA\n", err: errors.New("disk on fire")}
	_, err := Import(context.Background(), &recorder{}, proactive.TableLeads, "l.csv", r, Options{})
	require.ErrorContains(t, err, "read l.csv: disk on fire")
	_, err = Import(context.Background(), &recorder{}, proactive.TableLeads, "l.ndjson", &failingReader{data: "{\"name\": \"A\"}\n{\"na", err: errors.New("gone")}, Options{})
	require.ErrorContains(t, err, "read l.ndjson: gone")
}

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

// Read implements io.Reader.
func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestSampleFiles(t *testing.T) {
	t.Parallel()

	f, err := os.Open("testdata/hubspot_deals.csv")
	require.NoError(t, err)
	defer f.Close()
	b, err := Parse(proactive.TableDeals, f.Name(), f, Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"id", "name", "stage", "amount", "contact_id", "created_at", "updated_at", "last_activity_date"}, b.Columns)
	require.Len(t, b.Rows, 10)
	require.Equal(t, proactive.Row{
		"id": "9876543212", "name": "Initech, Inc. - Team Licences", "stage": "Negotiation", "amount": 27000.0, "contact_id": "553",
		"created_at": utc(2025, 8, 21, 0, 0, 0, 0), "updated_at": utc(2025, 10, 29, 10, 0, 0, 0), "last_activity_date": utc(2025, 10, 28, 17, 45, 0, 5e8),
	}, b.Rows[2])
	require.Equal(t, utc(2025, 10, 25, 12, 30, 0, 0), b.Rows[5]["created_at"])
	require.Nil(t, b.Rows[8]["id"], "no HubSpot id: the database makes one")
	require.Nil(t, b.Rows[3]["amount"])

	f2, err := os.Open("testdata/health_scores.ndjson")
	require.NoError(t, err)
	defer f2.Close()
	b, err = Parse(proactive.TableHealthScores, f2.Name(), f2, Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"email", "firstname", "lastname", "health_score", "health_zone", "calculated_at"}, b.Columns)
	require.Len(t, b.Rows, 24)
	require.Equal(t, proactive.Row{
		"email": "sarah.chen@example.com", "firstname": "Sarah", "lastname": "Chen", "health_score": 86.0,
		"health_zone": "GREEN", "calculated_at": utc(2025, 12, 7, 6, 0, 0, 123456000),
	}, b.Rows[1])
	require.Equal(t, proactive.Row{
		"email": "tom.okafor@example.com", "firstname": nil, "lastname": nil, "health_score": 30.0,
		"health_zone": "RED", "calculated_at": utc(2025, 12, 15, 6, 0, 0, 123456000),
	}, b.Rows[23])
}

func TestProgress(t *testing.T) {
	t.Parallel()
	// A file big enough for several reads: the bar shows, then is cleared.
	var in strings.Builder
	in.WriteString("name,amount,created_at\n")
	for i := range 5000 {
		fmt.Fprintf(&in, "Deal number %d,%d,2025-01-02 03:04:05\n", i, i*10)
	}
	path := filepath.Join(t.TempDir(), "deals.csv")
	require.NoError(t, os.WriteFile(path, []byte(in.String()), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out bytes.Buffer
	res, err := Import(context.Background(), &recorder{}, proactive.TableDeals, path, f, Options{Progress: &out})
	require.NoError(t, err)
	require.Equal(t, 5000, res.Imported)
	require.Contains(t, out.String(), "importing deals")
	require.Contains(t, out.String(), "%")
	require.True(t, strings.HasSuffix(out.String(), "\r"), "the bar is cleared: %q", out.String())

	// Standard input: the size is unknown, the bar counts bytes.
	out.Reset()
	res, err = Import(context.Background(), &recorder{}, proactive.TableLeads, "-", strings.NewReader("name\nA\n"), Options{Format: "csv", Progress: &out})
	require.NoError(t, err)
	require.Equal(t, 1, res.Imported)
	require.Contains(t, out.String(), "importing leads")
}
