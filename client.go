package proactive

import (
	"context"
	"time"
)

// ClientReading is one row of client_health_scores as the data holds it,
// for a client's history (CONTRACT §10.11 `client`): rows that a check
// would skip (a score outside 0–100, say) are shown too, since they are
// in the data; only a row whose calculated_at cannot be read is left out
// (it cannot be placed in time).
type ClientReading struct {
	// Email is the row's email as written.
	Email     string `json:"email"`
	Firstname string `json:"firstname"`
	Lastname  string `json:"lastname"`
	// Score is nil when the column is null or not a number.
	Score *float64 `json:"health_score"`
	// Zone is the zone as written.
	Zone         string    `json:"health_zone"`
	CalculatedAt time.Time `json:"calculated_at"`
}

// ClientDeal is one deal whose contact is the client (CONTRACT §11.4:
// contacts.email of the contact whose id is deals.contact_id, else
// deals.contact_email).
type ClientDeal struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Stage string `json:"stage"`
	// Amount is nil when the column is null or not a number.
	Amount    *float64 `json:"amount"`
	ContactID string   `json:"contact_id"`
	// ContactEmail is the email the deal was joined by, as written.
	ContactEmail     string     `json:"contact_email"`
	CreatedAt        *time.Time `json:"created_at"`
	UpdatedAt        *time.Time `json:"updated_at"`
	LastActivityDate *time.Time `json:"last_activity_date"`
}

// ClientLead is one lead with the client's email.
type ClientLead struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Email           string     `json:"email"`
	Status          string     `json:"status"`
	Source          string     `json:"source"`
	CreatedAt       *time.Time `json:"created_at"`
	LastContactDate *time.Time `json:"last_contact_date"`
}

// ClientHistory is what the source tables hold about one client (emails
// compared trimmed and lower-cased).
type ClientHistory struct {
	// Readings are the client's health readings, oldest first (equal
	// times: the higher score first, as the checks order them).
	Readings []ClientReading `json:"readings"`
	// Deals are the client's deals, oldest first (by created_at, then id).
	Deals []ClientDeal `json:"deals"`
	// Leads are the leads with the client's email, oldest first (by
	// created_at, then id).
	Leads []ClientLead `json:"leads"`
	// DealsJoinable says whether deals can be joined to clients at all: a
	// contacts(id, email) table or a deals.contact_email column exists.
	DealsJoinable bool `json:"deals_joinable"`
}

// ClientHistoryReader reads one client's history from the source tables.
// A store implements it besides SourceReader.
type ClientHistoryReader interface {
	// ClientHistory returns the readings, deals and leads of the client
	// with this email (trimmed, lower-cased by the caller or not: the
	// store compares both sides so). A missing source table leaves its
	// part empty; an unreachable database is EUNAVAILABLE.
	ClientHistory(ctx context.Context, email string) (ClientHistory, error)
}
