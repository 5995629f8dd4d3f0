package sqlite

import (
	"context"
	"database/sql"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.ClientHistoryReader = (*DB)(nil)

// clientReadingsSQL reads the health readings of one client (:email,
// compared trimmed and lower-cased) whose time julianday() can place,
// oldest first, a tie the higher score first. A score that is no number
// reads as NULL.
func clientReadingsSQL() string {
	return `
SELECT email, CAST(firstname AS TEXT), CAST(lastname AS TEXT),
       CASE WHEN typeof(health_score) IN ('integer', 'real') THEN health_score END AS score,
       CAST(health_zone AS TEXT), ` + isoUTC("jd") + `
FROM (SELECT *, ` + jdSQL("calculated_at") + ` AS jd FROM client_health_scores
      WHERE lower(trim(email)) = :email)
WHERE jd IS NOT NULL
ORDER BY jd, score DESC`
}

// clientDealsSQL reads the deals of one client (CONTRACT §11.4): those
// whose contact (contacts.id = deals.contact_id) has the email, when
// byContact; and, when byColumn, those whose contact_email is the email
// and whose contact_id names no contact with an email. Oldest first.
func clientDealsSQL(byContact, byColumn bool) string {
	var with, where []string
	contactEmail := "NULL"
	if byContact {
		with = append(with,
			`matched AS (SELECT DISTINCT CAST(id AS TEXT) AS id FROM contacts WHERE lower(trim(email)) = :email AND id IS NOT NULL)`)
		where = append(where, `CAST(d.contact_id AS TEXT) IN (SELECT id FROM matched)`)
		contactEmail = `(SELECT trim(c.email) FROM contacts c
		    WHERE CAST(c.id AS TEXT) = CAST(d.contact_id AS TEXT) AND lower(trim(c.email)) = :email
		    ORDER BY c.email LIMIT 1)`
	}
	if byColumn {
		cond := `lower(trim(d.contact_email)) = :email`
		if byContact {
			with = append(with,
				`named AS (SELECT DISTINCT CAST(id AS TEXT) AS id FROM contacts WHERE id IS NOT NULL AND trim(coalesce(email, '')) <> '')`)
			cond = `coalesce(CAST(d.contact_id AS TEXT) NOT IN (SELECT id FROM named), 1) AND ` + cond
		}
		where = append(where, "("+cond+")")
		contactEmail = "coalesce(" + contactEmail + ", trim(d.contact_email))"
	}
	q := ""
	if len(with) > 0 {
		q = "WITH " + strings.Join(with, ", ") + "\n"
	}
	return q + `SELECT CAST(d.id AS TEXT), CAST(d.name AS TEXT), CAST(d.stage AS TEXT),
       CASE WHEN typeof(d.amount) IN ('integer', 'real') THEN d.amount END,
       CAST(d.contact_id AS TEXT), ` + contactEmail + `,
       ` + isoUTC(jdSQL("d.created_at")) + `, ` + isoUTC(jdSQL("d.updated_at")) + `, ` + isoUTC(jdSQL("d.last_activity_date")) + `
FROM deals d
WHERE ` + strings.Join(where, " OR ") + `
ORDER BY ` + jdSQL("d.created_at") + ` IS NULL, ` + jdSQL("d.created_at") + `, CAST(d.id AS TEXT)`
}

// clientLeadsSQL reads the leads with the client's email, oldest first.
func clientLeadsSQL() string {
	return `
SELECT CAST(id AS TEXT), CAST(name AS TEXT), CAST(email AS TEXT), CAST(status AS TEXT), CAST(source AS TEXT),
       ` + isoUTC(jdSQL("created_at")) + `, ` + isoUTC(jdSQL("last_contact_date")) + `
FROM leads
WHERE lower(trim(email)) = :email
ORDER BY ` + jdSQL("created_at") + ` IS NULL, ` + jdSQL("created_at") + `, CAST(id AS TEXT)`
}

// ClientHistory returns the client's readings, deals and leads (emails
// compared trimmed and lower-cased). A missing source table leaves its
// part empty; deals are joined through contacts(id, email) and
// deals.contact_email where those exist.
func (d *DB) ClientHistory(ctx context.Context, email string) (proactive.ClientHistory, error) {
	const op = "read the client's history"
	h := proactive.ClientHistory{Readings: []proactive.ClientReading{}, Deals: []proactive.ClientDeal{}, Leads: []proactive.ClientLead{}}
	arg := sql.Named("email", proactive.NormEmail(email))

	kind, _, err := tableInfo(ctx, d.read, proactive.TableHealthScores)
	if err != nil {
		return h, translate(op, err)
	}
	if kind != "" {
		var (
			r                       proactive.ClientReading
			first, last, zone, mail sql.NullString
			score                   sql.NullFloat64
			at                      nullTime
		)
		err := d.walk(ctx, op, proactive.TableHealthScores, clientReadingsSQL(), []any{arg},
			[]any{&mail, &first, &last, &score, &zone, &at}, func() {
				r = proactive.ClientReading{Email: mail.String, Firstname: first.String, Lastname: last.String,
					Zone: zone.String, CalculatedAt: at.Time, Score: floatPtr(score)}
				h.Readings = append(h.Readings, r)
			})
		if err != nil {
			return h, err
		}
	}

	kind, dealCols, err := tableInfo(ctx, d.read, proactive.TableDeals)
	if err != nil {
		return h, translate(op, err)
	}
	if kind != "" {
		ckind, contactCols, err := tableInfo(ctx, d.read, "contacts")
		if err != nil {
			return h, translate(op, err)
		}
		byContact := ckind != "" && contactCols["id"] && contactCols["email"] && dealCols["contact_id"]
		byColumn := dealCols["contact_email"]
		h.DealsJoinable = byContact || byColumn
		if h.DealsJoinable {
			var (
				id, name, stage, contactID, contactEmail sql.NullString
				amount                                   sql.NullFloat64
				created, updated, activity               nullTime
			)
			err := d.walk(ctx, op, proactive.TableDeals, clientDealsSQL(byContact, byColumn), []any{arg},
				[]any{&id, &name, &stage, &amount, &contactID, &contactEmail, &created, &updated, &activity}, func() {
					h.Deals = append(h.Deals, proactive.ClientDeal{
						ID: id.String, Name: name.String, Stage: stage.String, Amount: floatPtr(amount),
						ContactID: contactID.String, ContactEmail: contactEmail.String,
						CreatedAt: created.ptr(), UpdatedAt: updated.ptr(), LastActivityDate: activity.ptr(),
					})
				})
			if err != nil {
				return h, err
			}
		}
	}

	kind, _, err = tableInfo(ctx, d.read, proactive.TableLeads)
	if err != nil {
		return h, translate(op, err)
	}
	if kind != "" {
		var (
			id, name, mail, status, source sql.NullString
			created, contacted             nullTime
		)
		err := d.walk(ctx, op, proactive.TableLeads, clientLeadsSQL(), []any{arg},
			[]any{&id, &name, &mail, &status, &source, &created, &contacted}, func() {
				h.Leads = append(h.Leads, proactive.ClientLead{
					ID: id.String, Name: name.String, Email: mail.String, Status: status.String, Source: source.String,
					CreatedAt: created.ptr(), LastContactDate: contacted.ptr(),
				})
			})
		if err != nil {
			return h, err
		}
	}
	return h, nil
}

// walk runs a query on one source table, scans each row into dest and
// calls record.
func (d *DB) walk(ctx context.Context, op, table, query string, args, dest []any, record func()) error {
	rows, err := d.read.QueryContext(ctx, query, args...)
	if err != nil {
		return tableError(op, table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return tableError(op, table, err)
		}
		record()
	}
	if err := rows.Err(); err != nil {
		return tableError(op, table, err)
	}
	return nil
}

// floatPtr is a nullable float as a pointer.
func floatPtr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Float64
	return &v
}
