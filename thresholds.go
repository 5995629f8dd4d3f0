package proactive

// Thresholds are the seed's THRESHOLDS (CONTRACT §5). A value exactly on a
// threshold belongs to that threshold's severity.
type Thresholds struct {
	HealthDropCritical    float64 `yaml:"health_drop_critical" json:"health_drop_critical"`
	HealthDropHigh        float64 `yaml:"health_drop_high" json:"health_drop_high"`
	HealthDropMedium      float64 `yaml:"health_drop_medium" json:"health_drop_medium"`
	HealthTrendDays       int     `yaml:"health_trend_days" json:"health_trend_days"`
	DealStallDaysCritical int     `yaml:"deal_stall_days_critical" json:"deal_stall_days_critical"`
	DealStallDaysHigh     int     `yaml:"deal_stall_days_high" json:"deal_stall_days_high"`
	DealStallDaysMedium   int     `yaml:"deal_stall_days_medium" json:"deal_stall_days_medium"`
	SyncFailCritical      int     `yaml:"sync_fail_critical" json:"sync_fail_critical"`
	SyncFailHigh          int     `yaml:"sync_fail_high" json:"sync_fail_high"`
	SyncFailMedium        int     `yaml:"sync_fail_medium" json:"sync_fail_medium"`
	ResponseDelayCritical float64 `yaml:"response_delay_critical" json:"response_delay_critical"`
	ResponseDelayHigh     float64 `yaml:"response_delay_high" json:"response_delay_high"`
	ResponseDelayMedium   float64 `yaml:"response_delay_medium" json:"response_delay_medium"`
	DedupWindowHours      float64 `yaml:"dedup_window_hours" json:"dedup_window_hours"`
}

// DefaultThresholds returns the seed's THRESHOLDS.
func DefaultThresholds() Thresholds {
	return Thresholds{
		HealthDropCritical:    25,
		HealthDropHigh:        15,
		HealthDropMedium:      10,
		HealthTrendDays:       7,
		DealStallDaysCritical: 30,
		DealStallDaysHigh:     21,
		DealStallDaysMedium:   14,
		SyncFailCritical:      5,
		SyncFailHigh:          3,
		SyncFailMedium:        2,
		ResponseDelayCritical: 24,
		ResponseDelayHigh:     12,
		ResponseDelayMedium:   6,
		DedupWindowHours:      24,
	}
}

// DefaultStallStages are the deal stages the stall check watches.
func DefaultStallStages() []string {
	return []string{"Assessment", "Proposal", "Negotiation", "Trial"}
}

// HealthWindowDays is how far back the health check reads readings.
const HealthWindowDays = 14
