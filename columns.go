package proactive

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
