// Package demo generates a realistic, deterministic fortnight of business
// data for the four source tables: a few hundred clients with daily health
// readings, a deal pipeline across all stages, sync errors from several
// integrations and inbound leads. Most of it is healthy; it holds every kind
// of anomaly at every severity, a slow slide the seed's last-two-readings
// check would miss, and a few rows that make no sense (which the scan skips
// and counts).
package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// DefaultClients is the number of clients Generate makes when Options
// names none.
const DefaultClients = 300

// MinClients is the fewest clients whose data still holds every kind of
// anomaly at every severity; Generate raises a smaller count to it.
const MinClients = 20

// Options shape the generated data.
type Options struct {
	// Now is the moment the data leads up to; readings are daily up to it.
	Now time.Time
	// Clients is the number of clients; 0 means DefaultClients, and fewer
	// than MinClients means MinClients.
	Clients int
	// Seed makes the data reproducible; the same seed and Now give the same rows.
	Seed uint64
}

// Table is the generated rows of one source table.
type Table struct {
	// Name is the source table (proactive.TableHealthScores, …).
	Name string
	// Columns are the table's contract columns; every row has them all.
	Columns []string
	// Rows are the generated rows, ready for proactive.Importer.InsertRows.
	Rows []proactive.Row
}

// Dataset is the generated data of the four source tables, in check order.
type Dataset struct {
	// Tables are client_health_scores, deals, sync_errors and leads.
	Tables []Table
}

// Counts returns the number of rows per table name.
func (d Dataset) Counts() map[string]int {
	out := make(map[string]int, len(d.Tables))
	for _, t := range d.Tables {
		out[t.Name] = len(t.Rows)
	}
	return out
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
	now := opts.Now.UTC()
	r := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	v := vocabulary()
	return Dataset{Tables: []Table{
		healthScores(r, v, now, opts.Clients),
		deals(r, v, now, opts.Clients),
		syncErrors(r, now),
		leads(r, v, now, opts.Clients),
	}}
}

// healthKind is the shape of one client's fortnight.
type healthKind int

const (
	steady healthKind = iota
	fallCritical
	fallHigh
	fallMedium
	slowSlide
	recovering
)

func zoneOf(score float64) string {
	switch {
	case score >= 70:
		return "GREEN"
	case score >= 50:
		return "YELLOW"
	}
	return "RED"
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func healthScores(r *rand.Rand, v vocab, now time.Time, clients int) Table {
	t := Table{Name: proactive.TableHealthScores, Columns: proactive.SourceColumns(proactive.TableHealthScores)}
	// Readings are calculated daily at 06:00 UTC; the newest is the last one
	// at or before now.
	newest := time.Date(now.Year(), now.Month(), now.Day(), 6, 0, 0, 0, time.UTC)
	if newest.After(now) {
		newest = newest.AddDate(0, 0, -1)
	}
	for i := range clients {
		first := v.first[i%len(v.first)]
		last := v.last[(i/len(v.first)+i)%len(v.last)]
		email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), i+1)
		kind := steady
		switch {
		case i%53 == 5:
			kind = fallCritical
		case i%41 == 7:
			kind = fallHigh
		case i%37 == 11:
			kind = fallMedium
		case i%43 == 13:
			kind = slowSlide
		case i%17 == 3:
			kind = recovering
		}
		base := 62 + r.Float64()*33 // 62–95
		if kind == slowSlide {
			base = 80 + r.Float64()*10
		}
		if kind == fallCritical {
			base = 70 + r.Float64()*20
		}
		for day := 13; day >= 0; day-- {
			score := base + r.NormFloat64()*1.5
			switch kind {
			case fallCritical:
				if day == 0 {
					score = base - 26 - r.Float64()*12
				}
			case fallHigh:
				if day == 0 {
					score = base - 15.5 - r.Float64()*8
				}
			case fallMedium:
				if day == 0 {
					score = base - 10.5 - r.Float64()*3.5
				}
			case slowSlide:
				// Three points a day over the last week: never ten between two
				// readings, but well below the week's average.
				if day < 7 {
					score = base - float64(7-day)*3.2
				}
			case recovering:
				score = base - float64(day)*1.2
			}
			score = math.Round(clamp(score, 0, 100)*10) / 10
			zone := zoneOf(score)
			if (i+day)%5 == 0 {
				zone = strings.ToLower(zone) // zones arrive in any case
			}
			t.Rows = append(t.Rows, proactive.Row{
				"email": email, "firstname": first, "lastname": last,
				"health_score": score, "health_zone": zone,
				"calculated_at": newest.AddDate(0, 0, -day),
			})
		}
	}
	// Rows that make no sense: the scan skips and counts them.
	t.Rows = append(t.Rows,
		proactive.Row{"email": "glitch@example.com", "firstname": "Data", "lastname": "Glitch", "health_score": 150.0, "health_zone": "GREEN", "calculated_at": newest},
		proactive.Row{"email": nil, "firstname": "No", "lastname": "Email", "health_score": 40.0, "health_zone": "RED", "calculated_at": newest},
		proactive.Row{"email": "future@example.com", "firstname": "Time", "lastname": "Traveller", "health_score": 20.0, "health_zone": "RED", "calculated_at": now.Add(72 * time.Hour)},
	)
	return t
}

func deals(r *rand.Rand, v vocab, now time.Time, clients int) Table {
	t := Table{Name: proactive.TableDeals, Columns: proactive.SourceColumns(proactive.TableDeals)}
	stages := []string{"Lead", "Assessment", "Proposal", "Negotiation", "Trial", "Closed Won", "Closed Lost"}
	// Two deals in five clients; at least the 19 that hold a stall of each
	// severity in a watched stage (deals 1, 4 and 18).
	n := max(clients*2/5, 19)
	combos := len(v.packages) * len(v.companies)
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
		switch i % 11 {
		case 1:
			idle = 14 + r.Float64()*6 // medium
		case 4:
			idle = 21 + r.Float64()*8 // high
		case 7:
			idle = 30 + r.Float64()*40 // critical
		}
		created := now.Add(-time.Duration((idle + 10 + r.Float64()*30) * 24 * float64(time.Hour)))
		last := now.Add(-time.Duration(idle * 24 * float64(time.Hour)))
		row := proactive.Row{
			"id": fmt.Sprintf("%d", 1000+i), "name": name, "stage": stage, "amount": amount,
			"contact_id": fmt.Sprintf("c-%04d", r.IntN(clients)+1),
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
		t.Rows = append(t.Rows, row)
	}
	t.Rows = append(t.Rows, proactive.Row{
		"id": "9999", "name": "Refund Adjustment", "stage": "Proposal", "amount": -250.0, "contact_id": nil,
		"created_at": now.AddDate(0, -2, 0), "updated_at": now.AddDate(0, -2, 0), "last_activity_date": nil,
	})
	return t
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
