package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// alertColumns is the select list that scanAlert reads.
const alertColumns = `id, insight_type, priority, title, content, summary, action_items,
	affected_entities, source_agent, source_data, dedup_key, expires_at, is_dismissed, created_at, resolved_at`

// rankSQL is the priority rank of a proactive_insights row, as Severity.Rank.
const rankSQL = `CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END`

// alertJSON is an alert's JSON columns, rendered for parameters.
type alertJSON struct {
	actions, affected, source string
}

// encodeAlert renders the JSON columns of a: nil lists and maps as empty
// ones.
func encodeAlert(a proactive.Alert) (alertJSON, error) {
	var j alertJSON
	var err error
	if j.actions, err = marshalJSON(a.ActionItems, "[]"); err != nil {
		return j, fmt.Errorf("encode action items: %w", err)
	}
	affected := a.AffectedEntities
	affected.Entities = proactive.NonNil(affected.Entities)
	b, err := json.Marshal(affected)
	if err != nil {
		return j, fmt.Errorf("encode affected entities: %w", err)
	}
	j.affected = string(b)
	source, err := proactive.MarshalSourceData(a.SourceData)
	if err != nil {
		return j, fmt.Errorf("encode source data: %w", err)
	}
	j.source = string(source)
	return j, nil
}

// marshalJSON encodes v, or returns empty when v is a nil slice or map.
func marshalJSON(v any, empty string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

// ListAlerts lists the active alerts of ptd-proactive (not dismissed, not
// resolved, not expired at f.Now), critical > high > medium > low, then
// newest first; with f.History the others, newest first.
func (d *DB) ListAlerts(ctx context.Context, f proactive.AlertFilter) ([]proactive.Alert, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // no limit
	}
	active := `coalesce(is_dismissed, 0) = 0 AND resolved_at IS NULL AND (expires_at IS NULL OR expires_at > :now)`
	where, order := active, rankSQL+` DESC, created_at DESC, json_extract(affected_entities, '$.urgency_score') DESC, id`
	if f.History {
		where = `NOT (` + active + `)`
		order = `created_at DESC, ` + rankSQL + ` DESC, json_extract(affected_entities, '$.urgency_score') DESC, id`
	}
	rows, err := d.read.QueryContext(ctx, `
		SELECT `+alertColumns+` FROM proactive_insights
		WHERE source_agent = :agent AND `+where+`
		  AND (:priority = '' OR priority = :priority)
		  AND (:type = '' OR json_extract(affected_entities, '$.type') = :type)
		ORDER BY `+order+`
		LIMIT :limit`,
		sql.Named("agent", proactive.SourceAgent),
		sql.Named("now", formatTime(orNow(f.Now))),
		sql.Named("priority", string(f.Priority)),
		sql.Named("type", string(f.Type)),
		sql.Named("limit", limit),
	)
	if err != nil {
		return nil, translate("list alerts", err)
	}
	defer rows.Close()
	out := []proactive.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, translate("list alerts", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, translate("list alerts", err)
	}
	return out, nil
}

// GetAlert returns one alert of ptd-proactive by id, dismissed or expired
// ones included: EINVALID for an id that is not a uuid, ENOTFOUND for an
// unknown one.
func (d *DB) GetAlert(ctx context.Context, id string) (proactive.Alert, error) {
	key, err := alertID(id)
	if err != nil {
		return proactive.Alert{}, err
	}
	row := d.read.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM proactive_insights
		WHERE id = ? AND source_agent = ?`, key, proactive.SourceAgent)
	a, err := scanAlert(row)
	if errors.Is(err, sql.ErrNoRows) {
		return proactive.Alert{}, proactive.Errorf(proactive.ENOTFOUND, "alert %s not found: `ptd-proactive alerts` lists the active ones", id)
	}
	if err != nil {
		return proactive.Alert{}, translate("get alert "+id, err)
	}
	return a, nil
}

// DismissAlert marks an alert of ptd-proactive dismissed: EINVALID for an id
// that is not a uuid, ENOTFOUND for an unknown one. Dismissing twice is not
// an error.
func (d *DB) DismissAlert(ctx context.Context, id string) error {
	key, err := alertID(id)
	if err != nil {
		return err
	}
	res, err := d.write.ExecContext(ctx, `UPDATE proactive_insights SET is_dismissed = 1
		WHERE id = ? AND source_agent = ?`, key, proactive.SourceAgent)
	if err != nil {
		return translate("dismiss alert "+id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate("dismiss alert "+id, err)
	} else if n == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "alert %s not found: `ptd-proactive alerts` lists the active ones", id)
	}
	return nil
}

// alertID checks that id is a uuid and returns it in the canonical
// lower-case form the store writes.
func alertID(id string) (string, error) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		return "", proactive.Errorf(proactive.EINVALID, "malformed alert id %q: an alert id is a uuid such as 3f2c8a1e-5b7d-4c39-9a61-0d2e4f6b8c10", id)
	}
	return u.String(), nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanAlert reads one row of alertColumns.
func scanAlert(r rowScanner) (proactive.Alert, error) {
	var (
		a                                                  proactive.Alert
		insightType, priority, title, content, summary     sql.NullString
		actionItems, entities, sourceAgent, sourceData, dk sql.NullString
		expires, created, resolved                         nullTime
		dismissed                                          sql.NullBool
	)
	if err := r.Scan(&a.ID, &insightType, &priority, &title, &content, &summary, &actionItems,
		&entities, &sourceAgent, &sourceData, &dk, &expires, &dismissed, &created, &resolved); err != nil {
		return a, err
	}
	a.ResolvedAt = resolved.ptr()
	a.InsightType, a.Priority, a.Title = insightType.String, proactive.Severity(priority.String), title.String
	a.Content, a.Summary, a.SourceAgent, a.DedupKey = content.String, summary.String, sourceAgent.String, dk.String
	a.ExpiresAt, a.IsDismissed, a.CreatedAt = expires.ptr(), dismissed.Bool, created.Time
	a.ActionItems = []proactive.ActionItem{}
	if err := unmarshalJSON(actionItems, &a.ActionItems); err != nil {
		return a, fmt.Errorf("alert %s: decode action_items: %w", a.ID, err)
	}
	if err := unmarshalJSON(entities, &a.AffectedEntities); err != nil {
		return a, fmt.Errorf("alert %s: decode affected_entities: %w", a.ID, err)
	}
	if err := unmarshalJSON(sourceData, &a.SourceData); err != nil {
		return a, fmt.Errorf("alert %s: decode source_data: %w", a.ID, err)
	}
	return a, nil
}

// unmarshalJSON decodes a nullable JSON column into v; NULL leaves v as is.
func unmarshalJSON(s sql.NullString, v any) error {
	if !s.Valid || s.String == "" {
		return nil
	}
	return json.Unmarshal([]byte(s.String), v)
}
