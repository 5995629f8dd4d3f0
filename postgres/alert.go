package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	proactive "github.com/ptd-agents/ptd-proactive"
)

// idColumn is what the store needs to know about proactive_insights.id,
// whose type is the user's choice in an existing table.
type idColumn struct {
	// typ is the column's SQL type as format_type renders it ("uuid",
	// "bigint", "text", …): ids travel as text and are cast to it.
	typ string
}

// idColumn returns the facts about proactive_insights.id, read once from
// the catalog and cached until the next Migrate.
func (d *DB) idColumn(ctx context.Context) (*idColumn, error) {
	return d.idColumnVia(ctx, d.pool)
}

// idColumnVia is idColumn reading the catalog through q: inside a
// transaction, its own connection (a pool of one connection has no other).
func (d *DB) idColumnVia(ctx context.Context, q querier) (*idColumn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids != nil {
		return d.ids, nil
	}
	var c idColumn
	err := q.QueryRow(ctx, `
		SELECT format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attname = 'id' AND NOT a.attisdropped`,
		proactive.TableInsights).Scan(&c.typ)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, proactive.Errorf(proactive.ENOTFOUND,
			"table %s (with an id column) does not exist: run `ptd-proactive migrate` to create it", proactive.TableInsights)
	}
	if err != nil {
		return nil, err
	}
	d.ids = &c
	return d.ids, nil
}

// forgetIDColumn clears the cached facts about proactive_insights.id.
func (d *DB) forgetIDColumn() {
	d.mu.Lock()
	d.ids = nil
	d.mu.Unlock()
}

// idParam is the SQL for parameter $n holding an alert id as text, cast to
// the id column's type: a malformed id fails the cast (EINVALID).
func (c *idColumn) idParam(n int) string {
	return fmt.Sprintf("$%d::text::%s", n, c.typ)
}

// priorityRank is the SQL rank of a priority: critical 4 … low 1, else 0.
const priorityRank = `CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END`

// alertColumns are the columns an Alert is read from, in scanAlert's order.
const alertColumns = `id::text, coalesce(insight_type::text, ''), coalesce(priority::text, ''), coalesce(title, ''),
	coalesce(content, ''), coalesce(summary, ''), action_items::text, affected_entities::text,
	coalesce(source_agent, ''), source_data::text, coalesce(dedup_key, ''), expires_at::timestamptz,
	coalesce(is_dismissed, false), created_at::timestamptz, resolved_at::timestamptz`

// scanAlert reads one row of alertColumns.
func scanAlert(row pgx.Row) (proactive.Alert, error) {
	var a proactive.Alert
	var actions, affected, source *string
	var priority string
	var createdAt *time.Time
	err := row.Scan(&a.ID, &a.InsightType, &priority, &a.Title, &a.Content, &a.Summary,
		&actions, &affected, &a.SourceAgent, &source, &a.DedupKey, &a.ExpiresAt, &a.IsDismissed, &createdAt, &a.ResolvedAt)
	if err != nil {
		return a, err
	}
	a.Priority = proactive.Severity(priority)
	a.ActionItems = []proactive.ActionItem{} // a legacy row's NULL lists none, as on SQLite
	if createdAt != nil {
		a.CreatedAt = createdAt.UTC()
	}
	if a.ExpiresAt != nil {
		t := a.ExpiresAt.UTC()
		a.ExpiresAt = &t
	}
	if a.ResolvedAt != nil {
		t := a.ResolvedAt.UTC()
		a.ResolvedAt = &t
	}
	if actions != nil {
		if err := json.Unmarshal([]byte(*actions), &a.ActionItems); err != nil {
			return a, fmt.Errorf("alert %s: read action_items: %w", a.ID, err)
		}
	}
	if affected != nil {
		if err := json.Unmarshal([]byte(*affected), &a.AffectedEntities); err != nil {
			return a, fmt.Errorf("alert %s: read affected_entities: %w", a.ID, err)
		}
	}
	if source != nil {
		if err := json.Unmarshal([]byte(*source), &a.SourceData); err != nil {
			return a, fmt.Errorf("alert %s: read source_data: %w", a.ID, err)
		}
	}
	return a, nil
}

// alertJSON is an alert's JSON columns, rendered for parameters.
type alertJSON struct {
	// As encoded, not copied into strings: a group's source_data may list
	// tens of thousands of case ids (about 1.2 MB at 30,000). pgx sends
	// the bytes as they are to a json, jsonb or text column.
	actions, affected, source []byte
}

// encodeAlertJSON renders the JSON columns of a.
func encodeAlertJSON(a proactive.Alert) (alertJSON, error) {
	var j alertJSON
	actions := a.ActionItems
	if actions == nil {
		actions = []proactive.ActionItem{}
	}
	b, err := json.Marshal(actions)
	if err != nil {
		return j, fmt.Errorf("encode action_items: %w", err)
	}
	j.actions = b
	affected := a.AffectedEntities
	affected.Entities = proactive.NonNil(affected.Entities)
	if b, err = json.Marshal(affected); err != nil {
		return j, fmt.Errorf("encode affected_entities: %w", err)
	}
	j.affected = b
	if j.source, err = proactive.MarshalSourceData(a.SourceData); err != nil {
		return j, fmt.Errorf("encode source_data: %w", err)
	}
	return j, nil
}

// urgencyRank orders alerts of one priority and instant by their combined
// urgency; a legacy row without a numeric urgency sorts last.
const urgencyRank = `CASE WHEN affected_entities->>'urgency_score' ~ '^[0-9]+(\.[0-9]+)?$' THEN (affected_entities->>'urgency_score')::numeric END`

// ListAlerts lists the active alerts of ptd-proactive (not dismissed, not
// resolved, expires_at null or after f.Now), critical > high > medium >
// low, then newest first; with f.History the others, newest first.
func (d *DB) ListAlerts(ctx context.Context, f proactive.AlertFilter) ([]proactive.Alert, error) {
	const op = "list alerts"
	now := f.Now
	if now.IsZero() {
		now = time.Now()
	}
	var where []string
	args := []any{proactive.SourceAgent, now.UTC()}
	if f.Priority != "" {
		args = append(args, string(f.Priority))
		where = append(where, fmt.Sprintf("AND priority = $%d", len(args)))
	}
	if f.Type != "" {
		args = append(args, string(f.Type))
		where = append(where, fmt.Sprintf("AND affected_entities->>'type' = $%d", len(args)))
	}
	limit := ""
	if f.Limit > 0 {
		args = append(args, f.Limit)
		limit = fmt.Sprintf("LIMIT $%d", len(args))
	}
	active := `is_dismissed IS NOT TRUE AND resolved_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`
	order := priorityRank + ` DESC, created_at DESC, ` + urgencyRank + ` DESC NULLS LAST, id::text DESC`
	if f.History {
		active = `NOT (` + active + `)`
		order = `created_at DESC, ` + priorityRank + ` DESC, ` + urgencyRank + ` DESC NULLS LAST, id::text DESC`
	}
	rows, err := d.pool.Query(ctx, `
		SELECT `+alertColumns+`
		FROM proactive_insights
		WHERE source_agent = $1 AND `+active+`
		`+strings.Join(where, " ")+`
		ORDER BY `+order+`
		`+limit, args...)
	if err != nil {
		return nil, d.fail(op, err)
	}
	defer rows.Close()
	out := []proactive.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, d.fail(op, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail(op, err)
	}
	return out, nil
}

// GetAlert returns one alert of ptd-proactive by id: EINVALID for an id
// malformed for the id column's type, ENOTFOUND for an unknown one.
func (d *DB) GetAlert(ctx context.Context, id string) (proactive.Alert, error) {
	op := "get alert " + id
	ids, err := d.idColumn(ctx)
	if err != nil {
		return proactive.Alert{}, d.fail(op, err)
	}
	if strings.TrimSpace(id) == "" {
		return proactive.Alert{}, proactive.Errorf(proactive.EINVALID, "get alert: the alert id is empty")
	}
	a, err := scanAlert(d.pool.QueryRow(ctx, `
		SELECT `+alertColumns+` FROM proactive_insights
		WHERE id = `+ids.idParam(1)+` AND source_agent = $2`, id, proactive.SourceAgent))
	if errors.Is(err, pgx.ErrNoRows) {
		return proactive.Alert{}, proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
	}
	if err != nil {
		return proactive.Alert{}, d.idFail(op, id, ids, err)
	}
	return a, nil
}

// DismissAlert sets is_dismissed on one alert of ptd-proactive: EINVALID
// for an id malformed for the id column's type, ENOTFOUND for an unknown
// one. Dismissing a dismissed alert is not an error.
func (d *DB) DismissAlert(ctx context.Context, id string) error {
	op := "dismiss alert " + id
	ids, err := d.idColumn(ctx)
	if err != nil {
		return d.fail(op, err)
	}
	if strings.TrimSpace(id) == "" {
		return proactive.Errorf(proactive.EINVALID, "dismiss alert: the alert id is empty")
	}
	tag, err := d.pool.Exec(ctx, `
		UPDATE proactive_insights SET is_dismissed = true
		WHERE id = `+ids.idParam(1)+` AND source_agent = $2`, id, proactive.SourceAgent)
	if err != nil {
		return d.idFail(op, id, ids, err)
	}
	if tag.RowsAffected() == 0 {
		return proactive.Errorf(proactive.ENOTFOUND, "alert %s not found", id)
	}
	return nil
}

// idFail translates the error of a statement that cast an alert id: a
// failed cast is a malformed id.
func (d *DB) idFail(op, id string, ids *idColumn, err error) error {
	switch pgCode(err) {
	case codeInvalidText, codeOutOfRange, "22001": // bad text for the type, out of range, too long
		return &proactive.Error{Code: proactive.EINVALID, Err: err,
			Message: fmt.Sprintf("malformed alert id %q: alert ids here are %s values", id, ids.typ)}
	}
	return d.fail(op, err)
}
