// Package demo generates realistic, deterministic business data for the
// source tables: a few hundred clients with daily health readings (a
// fortnight by default, longer with Options.Days), a deal pipeline across
// all stages, sync errors from several integrations, inbound leads and the
// contacts that tie deals to clients. Most of it is healthy; it holds every
// kind of anomaly of the eight checks at every severity each can produce —
// a slow slide the forecast catches before the drop check would, a steady
// client's unusual drop, a coach carrying too many at-risk clients, a
// falling client whose renewal deal has stalled — and a few rows that make
// no sense (which the scan skips and counts). It also says what became of
// the clients and deals (Outcomes): the ground truth a backtest scores the
// checks against.
package demo

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// DefaultClients is the number of clients Generate makes when Options
// names none.
const DefaultClients = 300

// MinClients is the fewest clients whose data still holds every kind of
// anomaly at every severity; Generate raises a smaller count to it.
const MinClients = 40

// DefaultDays is the length of the health history when Options names
// none, and the shortest Generate makes: the checks read a fortnight.
const DefaultDays = 14

// Options shape the generated data.
type Options struct {
	// Now is the moment the data leads up to; readings are daily up to it.
	Now time.Time
	// Clients is the number of clients; 0 means DefaultClients, and fewer
	// than MinClients means MinClients.
	Clients int
	// Days is the length of the health history in days (one reading per
	// client per day); 0 or fewer than DefaultDays means DefaultDays.
	// Beyond the first MinClients clients, whose stories end on the
	// newest reading, the clients' stories are spread over the history,
	// in the same proportions.
	Days int
	// Seed makes the data reproducible; the same seed and Now give the same rows.
	Seed uint64
	// Columns names the owner and value columns to fill (a client's coach
	// and package value, a deal's owner); a column left "" is not
	// generated. Zero: none, the contract's columns only.
	Columns proactive.Columns
}

// Columns returns the owner and value columns the demo fills and
// configures: coach and package_value on client_health_scores, owner on
// deals.
func Columns() proactive.Columns {
	return proactive.Columns{ClientOwner: "coach", DealOwner: "owner", ClientValue: "package_value"}
}

// Inhibit returns the demo's inhibit rule: an unresolved HubSpot sync
// failure explains, rather than multiplies, the stalled-deal alerts (deals
// come from HubSpot).
func Inhibit() []proactive.InhibitRule {
	return []proactive.InhibitRule{{SourceType: proactive.SyncFail, SourceMatch: "hubspot_*", TargetType: proactive.DealStall}}
}

// Table is the generated rows of one source table.
type Table struct {
	// Name is the source table (proactive.TableHealthScores, …).
	Name string
	// Columns are the table's columns; every row has them all.
	Columns []string
	// Rows are the generated rows, ready for proactive.Importer.InsertRows.
	Rows []proactive.Row
}

// Outcome is what became of a client or a deal: the ground truth of the
// demo's story. The sliding and dropping clients churn some days after
// their slide or drop (most of the steepest, fewer of the mild, a few
// steady clients without warning), and some stalled deals are lost (a
// renewal deal with its client). Outcomes may fall after Now: they are
// what happened next.
//
// Written as a CSV file (WriteOutcomes: header key,at), it is a backtest's
// outcomes file: a case whose key, without its type, is Key and that was
// opened at most 30 days before At predicted it.
type Outcome struct {
	// Key is the entity: a client's lower-cased email, or deal-<id>.
	Key string
	// At is the day the client churned or the deal was lost (00:00 UTC).
	At time.Time
}

// Dataset is the generated data.
type Dataset struct {
	// Tables are client_health_scores, deals, sync_errors, leads and
	// contacts, in that order.
	Tables []Table
	// Outcomes are the churned clients and lost deals, by date then key.
	Outcomes []Outcome
}

// Counts returns the number of rows per table name.
func (d Dataset) Counts() map[string]int {
	out := make(map[string]int, len(d.Tables))
	for _, t := range d.Tables {
		out[t.Name] = len(t.Rows)
	}
	return out
}

// WriteOutcomes writes outcomes as CSV: the header key,at, then one row
// per outcome with its date as YYYY-MM-DD.
func WriteOutcomes(w io.Writer, outcomes []Outcome) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"key", "at"}); err != nil {
		return fmt.Errorf("write outcomes: %w", err)
	}
	for _, o := range outcomes {
		if err := cw.Write([]string{o.Key, o.At.UTC().Format(time.DateOnly)}); err != nil {
			return fmt.Errorf("write outcomes: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write outcomes: %w", err)
	}
	return nil
}

// Load inserts the dataset, one transaction per table.
func Load(ctx context.Context, dst proactive.Importer, d Dataset) error {
	for _, t := range d.Tables {
		if err := dst.InsertRows(ctx, t.Name, t.Columns, t.Rows); err != nil {
			return fmt.Errorf("load demo %s: %w", t.Name, err)
		}
	}
	return nil
}

// vocab is the names the generator draws from.
type vocab struct {
	first, last, companies, packages []string
}

func vocabulary() vocab {
	return vocab{
		first: []string{"Ava", "Liam", "Olivia", "Noah", "Emma", "Oliver", "Sophia", "Elijah", "Mia", "Lucas",
			"Amelia", "Mason", "Harper", "Ethan", "Layla", "Omar", "Fatima", "Yusuf", "Priya", "Arjun",
			"Chloe", "Daniel", "Zara", "Leo", "Nora", "Hana", "Mateo", "Isla", "Karim", "Sara"},
		last: []string{"Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Khan", "Patel", "Wilson", "Taylor",
			"Anderson", "Thomas", "Moore", "Martin", "Lee", "Walker", "Hall", "Young", "Allen", "Haddad",
			"Nasser", "Rossi", "Silva", "Novak", "Costa", "Murphy", "Kelly", "Ali", "Chen", "Evans"},
		companies: []string{"Acme Corp", "Blue Peak Fitness", "Northwind Studio", "Lumen Labs", "Harbor Dental",
			"Summit Realty", "Atlas Logistics", "Cedar Wellness", "Orbit Media", "Kite Analytics", "Maple Law", "Nimbus Health"},
		packages: []string{"12-Week Transformation", "Corporate Wellness Program", "Executive Coaching", "Team Bootcamp",
			"Annual Membership", "Nutrition Plan", "Online Coaching", "Growth Retainer"},
	}
}

// Generate builds the dataset. It never reads the clock: everything is
// relative to opts.Now.
func Generate(opts Options) Dataset {
	switch {
	case opts.Clients <= 0:
		opts.Clients = DefaultClients
	case opts.Clients < MinClients:
		opts.Clients = MinClients
	}
	opts.Days = max(opts.Days, DefaultDays)
	now := opts.Now.UTC()
	r := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	v := vocabulary()
	cs := newClients(opts.Seed, v, opts.Clients, opts.Days)
	var outcomes []Outcome
	newest := newestReading(now)
	day := time.Date(newest.Year(), newest.Month(), newest.Day(), 0, 0, 0, 0, time.UTC)
	for i := range cs {
		if cs[i].churned {
			outcomes = append(outcomes, Outcome{Key: cs[i].email, At: day.AddDate(0, 0, -cs[i].churnAge)})
		}
	}
	dl, lost := deals(r, v, now, cs, opts.Columns)
	outcomes = append(outcomes, lost...)
	slices.SortFunc(outcomes, func(a, b Outcome) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return Dataset{Tables: []Table{
		healthScores(cs, now, opts.Days, opts.Columns),
		dl,
		syncErrors(r, now),
		leads(r, v, now, opts.Clients),
		contacts(cs),
	}, Outcomes: outcomes}
}

// contacts writes one contact per client: c-0001 is the first client.
func contacts(cs []client) Table {
	t := Table{Name: proactive.TableContacts, Columns: []string{"id", "email"}, Rows: make([]proactive.Row, 0, len(cs))}
	for i := range cs {
		t.Rows = append(t.Rows, proactive.Row{"id": contactID(i), "email": cs[i].email})
	}
	return t
}

// contactID is the contact id of client i.
func contactID(i int) string { return fmt.Sprintf("c-%04d", i+1) }

// dealOwners are the sales reps who own the deals.
var dealOwners = []string{"Jordan Price", "Alex Kim", "Riley Shaw", "Morgan Lee"}

// deals writes the pipeline — two deals in five clients, each contact a
// steady client, and one stalled renewal deal per renewal-risk client —
// and returns the deals that are lost.
func deals(r *rand.Rand, v vocab, now time.Time, cs []client, cols proactive.Columns) (Table, []Outcome) {
	t := Table{Name: proactive.TableDeals, Columns: proactive.SourceColumns(proactive.TableDeals)}
	if cols.DealOwner != "" {
		t.Columns = append(t.Columns, cols.DealOwner)
	}
	stages := []string{"Lead", "Assessment", "Proposal", "Negotiation", "Trial", "Closed Won", "Closed Lost"}
	watched := map[string]bool{"Assessment": true, "Proposal": true, "Negotiation": true, "Trial": true}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var lost []Outcome
	// Two deals in five clients; at least the 19 that hold a stall of each
	// severity in a watched stage (deals 1, 4 and 18).
	n := max(len(cs)*2/5, 19)
	combos := len(v.packages) * len(v.companies)
	id := 1000
	add := func(row proactive.Row, owner int) {
		row["id"] = fmt.Sprintf("%d", id)
		if cols.DealOwner != "" {
			row[cols.DealOwner] = nil // unassigned
			if owner%10 != 9 {
				row[cols.DealOwner] = dealOwners[owner%len(dealOwners)]
			}
		}
		t.Rows = append(t.Rows, row)
		id++
	}
	for i := range n {
		stage := stages[i%len(stages)]
		// Every package sold to every company once, then again as a renewal.
		pkg, k := i%len(v.packages), i/len(v.packages)
		name := fmt.Sprintf("%s - %s", v.packages[pkg], v.companies[(k+pkg)%len(v.companies)])
		if round := i / combos; round > 0 {
			name = fmt.Sprintf("%s (renewal %d)", name, round)
		}
		amount := math.Round(500 + r.Float64()*24500)
		if i%9 == 4 {
			amount = math.Round(12000 + r.Float64()*38000)
		}
		// Most deals moved in the last ten days; some stalled.
		idle := r.Float64() * 10
		lose := 0.0
		switch i % 11 {
		case 1:
			idle, lose = 14+r.Float64()*6, 0.3 // medium
		case 4:
			idle, lose = 21+r.Float64()*8, 0.45 // high
		case 7:
			idle, lose = 30+r.Float64()*40, 0.6 // critical
		}
		created := now.Add(-time.Duration((idle + 10 + r.Float64()*30) * 24 * float64(time.Hour)))
		last := now.Add(-time.Duration(idle * 24 * float64(time.Hour)))
		// The contact is a steady client: a stalled deal of a falling
		// client is the renewal deals' story only.
		j := r.IntN(len(cs))
		for cs[j].kind != steady {
			j = (j + 1) % len(cs)
		}
		row := proactive.Row{
			"name": name, "stage": stage, "amount": amount, "contact_id": contactID(j),
			"created_at": created, "updated_at": last, "last_activity_date": last,
		}
		if i%6 == 2 {
			row["last_activity_date"] = nil // falls back to updated_at
		}
		if i%13 == 5 {
			row["stage"] = strings.ToUpper(stage) // stages synced in any case
		}
		if i%19 == 8 {
			row["name"] = nil // shown as Deal #<id>
		}
		switch roll := r.Float64(); {
		case stage == "Closed Lost":
			lost = append(lost, Outcome{Key: fmt.Sprintf("deal-%d", id), At: last.Truncate(24 * time.Hour)})
		case watched[stage] && roll < lose:
			lost = append(lost, Outcome{Key: fmt.Sprintf("deal-%d", id), At: day.AddDate(0, 0, 1+r.IntN(20))})
		}
		add(row, i)
	}
	// The renewal deals: stuck in negotiation since about two weeks before
	// the client's drop; lost when the client churns.
	newest := newestReading(now)
	for i := range cs {
		c := &cs[i]
		if c.kind != renewal {
			continue
		}
		pkg := i % len(v.packages)
		idle := float64(c.event) + 16 + r.Float64()*8
		last := newest.Add(-time.Duration(idle * 24 * float64(time.Hour)))
		if c.churned {
			lost = append(lost, Outcome{Key: fmt.Sprintf("deal-%d", id), At: day.AddDate(0, 0, -c.churnAge)})
		}
		add(proactive.Row{
			"name": fmt.Sprintf("%s renewal - %s %s", v.packages[pkg], c.first, c.last), "stage": "Negotiation",
			"amount": math.Round(3000 + r.Float64()*6000), "contact_id": contactID(i),
			"created_at": last.AddDate(0, 0, -20), "updated_at": last, "last_activity_date": last,
		}, i)
	}
	add(proactive.Row{
		"name": "Refund Adjustment", "stage": "Proposal", "amount": -250.0, "contact_id": nil,
		"created_at": now.AddDate(0, -2, 0), "updated_at": now.AddDate(0, -2, 0), "last_activity_date": nil,
	}, 9)
	return t, lost
}

func syncErrors(r *rand.Rand, now time.Time) Table {
	t := Table{Name: proactive.TableSyncErrors, Columns: proactive.SourceColumns(proactive.TableSyncErrors)}
	type burst struct {
		source, errType, object, message string
		count                            int
		resolved                         bool
		ageHours                         float64
	}
	bursts := []burst{
		{"hubspot", "rate_limit", "contact", "429 Too Many Requests: daily API limit reached", 6, false, 20},
		{"stripe", "webhook_timeout", "invoice", "webhook delivery timed out after 30s", 3, false, 18},
		{"meta", "token_expired", "lead", "OAuthException: access token has expired", 2, false, 10},
		{"hubspot", "validation_error", "deal", "property 'amount' must be a number", 1, false, 5},
		{"stripe", "card_declined", "payment", "card_declined: insufficient_funds", 4, true, 6},
		{"meta", "rate_limit", "campaign", "(#4) Application request limit reached", 5, false, 40},
	}
	id := 1
	for _, b := range bursts {
		for k := range b.count {
			created := now.Add(-time.Duration((b.ageHours - float64(k)*0.7 + r.Float64()*0.3) * float64(time.Hour)))
			row := proactive.Row{
				"id": fmt.Sprintf("%d", id), "error_type": b.errType, "source": b.source, "object_type": b.object,
				"error_message": b.message, "created_at": created, "retry_count": int64(k % 4), "resolved_at": nil,
			}
			if b.resolved {
				row["resolved_at"] = created.Add(30 * time.Minute)
			}
			t.Rows = append(t.Rows, row)
			id++
		}
	}
	return t
}

func leads(r *rand.Rand, v vocab, now time.Time, clients int) Table {
	t := Table{Name: proactive.TableLeads, Columns: proactive.SourceColumns(proactive.TableLeads)}
	sources := []string{"Facebook Ads", "Instagram", "Website", "Referral", "Google Ads"}
	// One lead in four clients; at least the 8 that hold one of each kind.
	n := max(clients/4, 8)
	for i := range n {
		first := v.first[(i*7+3)%len(v.first)]
		last := v.last[(i*11+5)%len(v.last)]
		status := "contacted"
		var lastContact any
		age := 2 + r.Float64()*200
		switch i % 8 {
		case 0, 1:
			status = "new"
			age = r.Float64() * 5 // fresh: not late yet
		case 2:
			status, age = "new", 6+r.Float64()*5 // medium
		case 3:
			status, age = "New", 12+r.Float64()*11 // high
		case 4:
			status, age = "NEW", 24+r.Float64()*48 // critical
		case 5:
			status = "qualified"
		}
		created := now.Add(-time.Duration(age * float64(time.Hour)))
		if status == "contacted" || status == "qualified" {
			// Answered within three hours, and never after now.
			contact := created.Add(time.Duration(r.Float64() * 3 * float64(time.Hour)))
			if contact.After(now) {
				contact = now
			}
			lastContact = contact
		}
		row := proactive.Row{
			"id": fmt.Sprintf("%d", 5000+i), "name": first + " " + last,
			"email":      fmt.Sprintf("%s.%s.lead%d@example.net", strings.ToLower(first), strings.ToLower(last), i),
			"created_at": created, "status": status, "source": sources[i%len(sources)], "last_contact_date": lastContact,
		}
		if i%15 == 12 {
			row["name"] = nil // shown by email
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
