package proactive

import "context"

// Columns names optional columns of the user's source tables that the
// checks read when configured (CONTRACT §11.1, YAML key columns); "" for
// unset.
type Columns struct {
	// ClientOwner is a column of client_health_scores naming the client's
	// owner (a coach); coach_workload needs it.
	ClientOwner string `yaml:"client_owner" json:"client_owner"`
	// DealOwner is a column of deals naming the deal's owner.
	DealOwner string `yaml:"deal_owner" json:"deal_owner"`
	// ClientValue is a numeric column of client_health_scores: the
	// client's value (revenue at risk).
	ClientValue string `yaml:"client_value" json:"client_value"`
}

// Identifier reports whether s can name a configured column: a letter or
// underscore, then letters, digits or underscores, at most 63 bytes (what
// PostgreSQL keeps of a name). Stores quote it as written.
func Identifier(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// ConfiguredColumn is one configured column: the setting that names it,
// the table it belongs to and its name.
type ConfiguredColumn struct {
	// Key is the setting ("columns.client_owner").
	Key string `json:"key"`
	// Table is the source table the column belongs to.
	Table string `json:"table"`
	// Column is the column's name as configured.
	Column string `json:"column"`
}

// MissingMessage says what it means for the checks that the column's
// table lacks it (CONTRACT §11.1), for doctor and the scan's log.
func (c ConfiguredColumn) MissingMessage() string {
	effect := "the checks run as if it were unset"
	switch c.Key {
	case "columns.client_owner":
		effect += ": health and renewal cases have no owner, and coach_workload cannot run"
	case "columns.deal_owner":
		effect += ": deal stall cases have no owner"
	case "columns.client_value":
		effect += ": clients' values count 0 in revenue at risk"
	}
	return c.Key + " names the column " + c.Column + ", which table " + c.Table + " lacks: " + effect
}

// Configured returns the columns that are set, in the order client_owner,
// deal_owner, client_value.
func (c Columns) Configured() []ConfiguredColumn {
	var out []ConfiguredColumn
	for _, x := range []ConfiguredColumn{
		{"columns.client_owner", TableHealthScores, c.ClientOwner},
		{"columns.deal_owner", TableDeals, c.DealOwner},
		{"columns.client_value", TableHealthScores, c.ClientValue},
	} {
		if x.Column != "" {
			out = append(out, x)
		}
	}
	return out
}

// ColumnInspector tells which configured columns a database lacks
// (CONTRACT §11.1: the checks run as if such a column were unset; doctor
// reports it and a scan logs it). Both stores implement it.
type ColumnInspector interface {
	// MissingColumns returns the configured columns of c whose table
	// exists and lacks them, in Configured order; none when c configures
	// none (and nothing is read). A table that is missing altogether is
	// not reported here (its check fails on its own).
	MissingColumns(ctx context.Context, c Columns) ([]ConfiguredColumn, error)
}

// MissingColumnsOf is ColumnInspector.MissingColumns for a store that
// looks up one table's columns at a time: lookUp reports whether table
// exists and a function telling whether it has a column. Each table is
// looked up once.
func MissingColumnsOf(ctx context.Context, c Columns, lookUp func(ctx context.Context, table string) (exists bool, has func(column string) bool, err error)) ([]ConfiguredColumn, error) {
	type table struct {
		exists bool
		has    func(string) bool
	}
	var out []ConfiguredColumn
	read := map[string]table{}
	for _, cc := range c.Configured() {
		t, ok := read[cc.Table]
		if !ok {
			var err error
			if t.exists, t.has, err = lookUp(ctx, cc.Table); err != nil {
				return nil, err
			}
			read[cc.Table] = t
		}
		if t.exists && !t.has(cc.Column) {
			out = append(out, cc)
		}
	}
	return out, nil
}
