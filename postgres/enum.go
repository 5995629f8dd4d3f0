package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// A user's leads.status or deals.stage may be an enum (a Supabase schema
// often types statuses so) rather than text. The checks compare them
// ignoring case, as lower(col::text); but an enum's text form may change
// (ALTER TYPE … RENAME VALUE), so PostgreSQL refuses that expression in
// an index. On an enum column the checks compare the column itself with
// the labels that match instead, and the indexes migrate creates use the
// same condition, word for word, so that the planner uses them.
//
// A label added since migrate made such an index leaves the index's
// condition behind the checks': they read without it (rightly) until the
// next migrate, which notes each such index with its definition (a
// comment) and builds one made for other labels again.

// statusNewText is the lead check's "status is new, in any case" on a
// text status; leadStatusNew gives the condition for the table at hand.
const statusNewText = `lower(status::text) = 'new'`

// stageIndexText is the expression ptd_deals_stage_idx indexes on a text
// stage; on an enum stage it indexes the column.
const stageIndexText = `(lower(stage::text))`

// leadWaitingWith is leadWaiting with statusNew as the status condition.
func leadWaitingWith(statusNew string) string {
	return `(last_contact_date IS NULL AND ` + statusNew + `)`
}

// leadNewContactedWith is leadNewContacted with statusNew as the status
// condition.
func leadNewContactedWith(statusNew string) string {
	return `(last_contact_date IS NOT NULL AND ` + statusNew + `)`
}

// enumLabelsSQL returns, for each of table $1's columns named in $2 that
// is an enum, its name, type and labels (in the enum's order).
const enumLabelsSQL = `
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
	array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder)
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid AND t.typtype = 'e'
WHERE a.attrelid = to_regclass($1) AND a.attname = ANY($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped`

// enumType is an enum column's type and labels.
type enumType struct {
	typ    string
	labels []string
}

// enumsOf returns the enum columns among table's cols, in one query; a
// column that is no enum (or missing) is not in it. It asks the catalog
// each time, not a cache: a label added while a service runs (ALTER TYPE
// … ADD VALUE) counts from the next read on.
func (d *DB) enumsOf(ctx context.Context, table string, cols ...string) (map[string]enumType, error) {
	rows, err := d.pool.Query(ctx, enumLabelsSQL, table, cols)
	if err != nil {
		return nil, fmt.Errorf("look up the types of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]enumType{}
	for rows.Next() {
		var col string
		var e enumType
		if err := rows.Scan(&col, &e.typ, &e.labels); err != nil {
			return nil, fmt.Errorf("look up the types of %s: %w", table, err)
		}
		out[col] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up the types of %s: %w", table, err)
	}
	return out, nil
}

// leadStatusNew is the condition "status is new, in any case" for the
// leads table: statusNewText on a text status; on an enum, the column
// compared with its labels that read "new" in lower case (none: false).
func (d *DB) leadStatusNew(ctx context.Context) (string, error) {
	enums, err := d.enumsOf(ctx, "leads", "status")
	e, ok := enums["status"]
	if err != nil || !ok {
		return statusNewText, err
	}
	return enumIn("status", e.labels, []string{"new"}), nil
}

// dealStages is the stage condition of stalledDealsSQL and its argument
// $1 for the watched stages (lower case): stagesText and the stages on a
// text stage; on an enum, the column compared with its labels that match
// them, so that ptd_deals_stage_idx (on the column) serves it.
func (d *DB) dealStages(ctx context.Context, stages []string) (string, []string, error) {
	enums, err := d.enumsOf(ctx, "deals", "stage")
	e, ok := enums["stage"]
	if err != nil || !ok {
		return stagesText, stages, err
	}
	return "stage = ANY($1::text[]::" + e.typ + "[])", matchingLabels(e.labels, stages), nil
}

// enumIn is the SQL that holds for a row whose enum column col has one of
// the labels whose lower-case form is in want (lower case), the labels
// written as literals; "false" when no label matches.
func enumIn(col string, labels, want []string) string {
	var in []string
	for _, l := range matchingLabels(labels, want) {
		in = append(in, quoteLiteral(l))
	}
	if len(in) == 0 {
		return "false"
	}
	return col + " IN (" + strings.Join(in, ", ") + ")"
}

// quoteLiteral writes s as an SQL string literal (standard conforming
// strings, the server's default since 9.1).
func quoteLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// matchingLabels returns the labels whose lower-case form is in want.
func matchingLabels(labels, want []string) []string {
	var out []string
	for _, l := range labels {
		if slices.Contains(want, strings.ToLower(l)) {
			out = append(out, l)
		}
	}
	return out
}

// indexDef is ix's definition for the table as it stands: on an enum
// leads.status or deals.stage, the form of the conditions above.
func (d *DB) indexDef(ctx context.Context, ix index) (string, error) {
	switch {
	case ix.table == "leads" && strings.Contains(ix.def, statusNewText):
		statusNew, err := d.leadStatusNew(ctx)
		return strings.ReplaceAll(ix.def, statusNewText, statusNew), err
	case ix.table == "deals" && ix.def == stageIndexText:
		enums, err := d.enumsOf(ctx, "deals", "stage")
		if _, ok := enums["stage"]; ok {
			return "(stage)", err
		}
		return ix.def, err
	}
	return ix.def, nil
}
