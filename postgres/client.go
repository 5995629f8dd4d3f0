package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	proactive "github.com/ptd-agents/ptd-proactive"
)

var _ proactive.ClientHistoryReader = (*DB)(nil)

// clientReadingsSQL reads the health readings of one client ($1, compared
// trimmed and lower-cased) with a time, oldest first, a tie the higher
// score first. (No index serves the lower-cased email: one table scan, for
// one client shown on request.)
const clientReadingsSQL = `
SELECT email::text, firstname::text, lastname::text, health_score::float8, health_zone::text, calculated_at::timestamptz
FROM client_health_scores
WHERE lower(btrim(email::text)) = $1 AND calculated_at IS NOT NULL
ORDER BY calculated_at, health_score DESC NULLS LAST`

// clientDealsSQL reads the deals of one client (CONTRACT §11.4): those
// whose contact (contacts.id = deals.contact_id) has the email, when
// byContact; and, when byColumn, those whose contact_email is the email
// and whose contact_id names no contact with an email. Oldest first.
func clientDealsSQL(byContact, byColumn bool) string {
	var with, where []string
	contactEmail := "NULL::text"
	if byContact {
		with = append(with,
			`matched AS (SELECT DISTINCT id::text AS id FROM contacts WHERE lower(btrim(email::text)) = $1 AND id IS NOT NULL)`)
		where = append(where, `d.contact_id::text IN (SELECT id FROM matched)`)
		contactEmail = `(SELECT btrim(c.email::text) FROM contacts c
		    WHERE c.id::text = d.contact_id::text AND lower(btrim(c.email::text)) = $1
		    ORDER BY c.email LIMIT 1)`
	}
	if byColumn {
		cond := `lower(btrim(d.contact_email::text)) = $1`
		if byContact {
			cond = `NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id::text = d.contact_id::text AND btrim(coalesce(c.email::text, '')) <> '') AND ` + cond
		}
		where = append(where, "("+cond+")")
		contactEmail = "coalesce(" + contactEmail + ", btrim(d.contact_email::text))"
	}
	q := ""
	if len(with) > 0 {
		q = "WITH " + strings.Join(with, ", ") + "\n"
	}
	return q + `SELECT d.id::text, d.name::text, d.stage::text, d.amount::float8, d.contact_id::text, ` + contactEmail + `,
       d.created_at::timestamptz, d.updated_at::timestamptz, d.last_activity_date::timestamptz
FROM deals d
WHERE ` + strings.Join(where, " OR ") + `
ORDER BY d.created_at NULLS LAST, d.id::text`
}

// clientLeadsSQL reads the leads with the client's email, oldest first.
const clientLeadsSQL = `
SELECT id::text, name::text, email::text, status::text, source::text, created_at::timestamptz, last_contact_date::timestamptz
FROM leads
WHERE lower(btrim(email::text)) = $1
ORDER BY created_at NULLS LAST, id::text`

// ClientHistory returns the client's readings, deals and leads (emails
// compared trimmed and lower-cased). A missing source table leaves its
// part empty; deals are joined through contacts(id, email) and
// deals.contact_email where those exist.
func (d *DB) ClientHistory(ctx context.Context, email string) (proactive.ClientHistory, error) {
	const op = "read the client's history"
	h := proactive.ClientHistory{Readings: []proactive.ClientReading{}, Deals: []proactive.ClientDeal{}, Leads: []proactive.ClientLead{}}
	key := proactive.NormEmail(email)

	info, err := readTableInfo(ctx, d.pool, proactive.TableHealthScores)
	if err != nil {
		return h, d.fail(op, err)
	}
	if info.exists() {
		err := d.walk(ctx, op, proactive.TableHealthScores, clientReadingsSQL, key, func(rows pgx.Rows) error {
			var (
				r                       proactive.ClientReading
				mail, first, last, zone *string
				score                   *float64
			)
			if err := rows.Scan(&mail, &first, &last, &score, &zone, &r.CalculatedAt); err != nil {
				return err
			}
			r.Email, r.Firstname, r.Lastname, r.Zone, r.Score = deref(mail), deref(first), deref(last), deref(zone), score
			r.CalculatedAt = r.CalculatedAt.UTC()
			h.Readings = append(h.Readings, r)
			return nil
		})
		if err != nil {
			return h, err
		}
	}

	deals, err := readTableInfo(ctx, d.pool, proactive.TableDeals)
	if err != nil {
		return h, d.fail(op, err)
	}
	if deals.exists() {
		contacts, err := readTableInfo(ctx, d.pool, "contacts")
		if err != nil {
			return h, d.fail(op, err)
		}
		byContact := contacts.exists() && len(contacts.missing([]string{"id", "email"})) == 0 && contains(deals.columns, "contact_id")
		byColumn := contains(deals.columns, "contact_email")
		h.DealsJoinable = byContact || byColumn
		if h.DealsJoinable {
			err := d.walk(ctx, op, proactive.TableDeals, clientDealsSQL(byContact, byColumn), key, func(rows pgx.Rows) error {
				var (
					deal                                     proactive.ClientDeal
					id, name, stage, contactID, contactEmail *string
				)
				if err := rows.Scan(&id, &name, &stage, &deal.Amount, &contactID, &contactEmail,
					&deal.CreatedAt, &deal.UpdatedAt, &deal.LastActivityDate); err != nil {
					return err
				}
				deal.ID, deal.Name, deal.Stage = deref(id), deref(name), deref(stage)
				deal.ContactID, deal.ContactEmail = deref(contactID), deref(contactEmail)
				deal.CreatedAt, deal.UpdatedAt, deal.LastActivityDate = utcPtr(deal.CreatedAt), utcPtr(deal.UpdatedAt), utcPtr(deal.LastActivityDate)
				h.Deals = append(h.Deals, deal)
				return nil
			})
			if err != nil {
				return h, err
			}
		}
	}

	leads, err := readTableInfo(ctx, d.pool, proactive.TableLeads)
	if err != nil {
		return h, d.fail(op, err)
	}
	if leads.exists() {
		err := d.walk(ctx, op, proactive.TableLeads, clientLeadsSQL, key, func(rows pgx.Rows) error {
			var (
				l                              proactive.ClientLead
				id, name, mail, status, source *string
				created, contacted             *time.Time
			)
			if err := rows.Scan(&id, &name, &mail, &status, &source, &created, &contacted); err != nil {
				return err
			}
			l.ID, l.Name, l.Email, l.Status, l.Source = deref(id), deref(name), deref(mail), deref(status), deref(source)
			l.CreatedAt, l.LastContactDate = utcPtr(created), utcPtr(contacted)
			h.Leads = append(h.Leads, l)
			return nil
		})
		if err != nil {
			return h, err
		}
	}
	return h, nil
}

// walk runs a query on one source table with the email as $1 and calls
// scan for each row.
func (d *DB) walk(ctx context.Context, op, table, query, email string, scan func(pgx.Rows) error) error {
	rows, err := d.pool.Query(ctx, query, email)
	if err != nil {
		return d.tableFail(op, table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return d.tableFail(op, table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return d.tableFail(op, table, err)
	}
	return nil
}

// deref is the text of a nullable column, "" for NULL.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
