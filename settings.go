package proactive

// Settings are what the checks are told by the configuration: thresholds
// and the options of each check.
type Settings struct {
	Thresholds Thresholds
	// StallStages are the deal stages the stall check watches, compared
	// without regard to case.
	StallStages []string
	// Inhibit are the inhibit rules (CONTRACT §11.8); none by default.
	Inhibit []InhibitRule
	// Columns are the optional owner and value columns (CONTRACT §11.1).
	Columns Columns
}

// InhibitRule: an unresolved case of SourceType whose key or label
// SourceMatch (a glob) matches inhibits every anomaly of TargetType.
type InhibitRule struct {
	SourceType  AnomalyType `yaml:"source_type" json:"source_type"`
	SourceMatch string      `yaml:"source_match" json:"source_match"`
	TargetType  AnomalyType `yaml:"target_type" json:"target_type"`
}

// DefaultSettings returns the seed's thresholds and stall stages.
func DefaultSettings() Settings {
	return Settings{Thresholds: DefaultThresholds(), StallStages: DefaultStallStages()}
}
