// Package proactive holds the domain of ptd-proactive: the anomalies the four
// checks find, the alert groups and alerts built from them, the records the
// checks read, and the interfaces (Store and its parts) that adapters implement.
//
// It imports only the standard library. The pure rule engine lives in
// package rules, grouping, insights and alert text in package insight, the scan orchestration
// in package scan, and each adapter (sqlite, postgres, http, notify) in its
// own package that depends on this one and never on each other.
package proactive

// SourceAgent is the value of proactive_insights.source_agent for every
// alert this product writes; rows with another source agent are never read
// or changed.
const SourceAgent = "ptd-proactive"

// InsightType is the value of proactive_insights.insight_type for alerts.
const InsightType = "alert"
