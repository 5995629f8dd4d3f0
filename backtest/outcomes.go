package backtest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/importer"
)

// Outcome is one thing that happened to an entity (a client churned, a
// deal was lost): what the backtest's cases should have warned of.
type Outcome struct {
	// Key is the entity's case key without its type, trimmed and
	// lower-cased: an email, deal-<id>, lead-<id>.
	Key string
	// Date is the outcome's UTC date (midnight UTC): only the date counts.
	Date time.Time
	// Line is the outcome's line in its file (for messages).
	Line int
}

// Outcomes are the outcomes of a file, in its order.
type Outcomes struct {
	List []Outcome
}

// OutcomeForms names the timestamp forms an outcome's at accepts (those
// of import).
const OutcomeForms = "2025-12-10, 2025-12-10 09:30:00 or RFC 3339 (2025-12-10T09:30:00Z)"

// ParseOutcomes reads an outcomes CSV (CONTRACT §12): a header key,at,
// then one outcome per line — a case key without its type and a date in
// import's timestamp forms. name names the input in errors. A bad header,
// an empty key or a bad date is an EINVALID error naming the line and the
// fix.
func ParseOutcomes(r io.Reader, name string) (Outcomes, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return Outcomes{}, proactive.Errorf(proactive.EINVALID, "outcomes %s is empty: it needs the header key,at and one line per outcome", name)
	case err != nil:
		return Outcomes{}, csvError(name, err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff") // a spreadsheet's byte order mark
	}
	if len(head) != 2 || !strings.EqualFold(strings.TrimSpace(head[0]), "key") || !strings.EqualFold(strings.TrimSpace(head[1]), "at") {
		return Outcomes{}, proactive.Errorf(proactive.EINVALID, "outcomes %s line 1: the header is %q: it must be key,at (a case key without its type, then a date)", name, strings.Join(head, ","))
	}
	var out Outcomes
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return Outcomes{}, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return Outcomes{}, proactive.Errorf(proactive.EINVALID, "outcomes %s line %d: %d fields: write key,at (two fields)", name, line, len(rec))
		}
		key := NormalizeKey(rec[0])
		if key == "" {
			return Outcomes{}, proactive.Errorf(proactive.EINVALID, "outcomes %s line %d: the key is empty: write an email, deal-<id> or lead-<id>", name, line)
		}
		at, ok := importer.ParseTime(strings.TrimSpace(rec[1]))
		if !ok {
			return Outcomes{}, proactive.Errorf(proactive.EINVALID, "outcomes %s line %d: at %q is not a date: write it as %s", name, line, rec[1], OutcomeForms)
		}
		out.List = append(out.List, Outcome{Key: key, Date: Day(at), Line: line})
	}
}

// csvError reports a CSV that cannot be read, naming the line.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return proactive.Errorf(proactive.EINVALID, "outcomes %s line %d: %v: check the quotes", name, pe.Line, pe.Err)
	}
	return fmt.Errorf("read outcomes %s: %w", name, err)
}

// NormalizeKey is how outcome keys and case ids are compared: trimmed and
// lower-cased.
func NormalizeKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Day returns the UTC date of t, as midnight UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
