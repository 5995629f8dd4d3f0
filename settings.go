package proactive

// Settings are what the checks are told by the configuration: thresholds
// and the options of each check.
type Settings struct {
	Thresholds Thresholds
	// StallStages are the deal stages the stall check watches, compared
	// without regard to case.
	StallStages []string
}

// DefaultSettings returns the seed's thresholds and stall stages.
func DefaultSettings() Settings {
	return Settings{Thresholds: DefaultThresholds(), StallStages: DefaultStallStages()}
}
