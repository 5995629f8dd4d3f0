package proactive

import "time"

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
	// ResolveAfterMinutes is how long a case goes unseen before it
	// resolves (CONTRACT §10.4).
	ResolveAfterMinutes float64 `yaml:"resolve_after_minutes" json:"resolve_after_minutes"`
	// RecoveryMargin keeps a health drop case open while the drop stays at
	// least health_drop_medium − recovery_margin points.
	RecoveryMargin float64 `yaml:"recovery_margin" json:"recovery_margin"`
	// ForecastDays is how far ahead health_forecast looks for RED.
	ForecastDays float64 `yaml:"forecast_days" json:"forecast_days"`
	// AnomalyZ is the robust z below whose negative a day's change is
	// unusual (health_anomaly).
	AnomalyZ float64 `yaml:"anomaly_z" json:"anomaly_z"`
	// AnomalyMinDrop is the smallest unusual drop that counts (points).
	AnomalyMinDrop float64 `yaml:"anomaly_min_drop" json:"anomaly_min_drop"`
	// LeadValue is the revenue at risk per waiting lead.
	LeadValue float64 `yaml:"lead_value" json:"lead_value"`
}

// ResolveAfter is ResolveAfterMinutes as a duration.
func (t Thresholds) ResolveAfter() time.Duration {
	return time.Duration(t.ResolveAfterMinutes * float64(time.Minute))
}

// DedupWindow is DedupWindowHours as a duration.
func (t Thresholds) DedupWindow() time.Duration {
	return time.Duration(t.DedupWindowHours * float64(time.Hour))
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
		ResolveAfterMinutes:   60,
		RecoveryMargin:        3,
		ForecastDays:          7,
		AnomalyZ:              3.5,
		AnomalyMinDrop:        5,
	}
}

// DefaultStallStages are the deal stages the stall check watches.
func DefaultStallStages() []string {
	return []string{"Assessment", "Proposal", "Negotiation", "Trial"}
}

// HealthWindowDays is how far back the health check reads readings.
const HealthWindowDays = 14
