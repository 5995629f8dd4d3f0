package desk

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// ClientView is everything the desk knows about one client (CONTRACT
// §10.11 `client`): its readings in the data, oldest first; its cases of
// every state, each with its events (oldest first): the cases keyed by
// its email (health checks, renewal risk) and the cases of its deals and
// leads; and its deals and leads where they can be joined (§11.4).
type ClientView struct {
	// Email is the email asked for, trimmed and lower-cased.
	Email string `json:"email"`
	proactive.ClientHistory
	// Cases are the client's cases, oldest opened first.
	Cases []CaseDetail `json:"cases"`
}

// Client returns the view of the client with this email at now (whether
// a silence mutes each case). EINVALID for an empty email or one without
// "@"; ENOTFOUND when neither the data nor the desk knows it.
func (s *Service) Client(ctx context.Context, email string, now time.Time) (ClientView, error) {
	v := ClientView{Email: proactive.NormEmail(email), Cases: []CaseDetail{}}
	v.Readings, v.Deals, v.Leads = []proactive.ClientReading{}, []proactive.ClientDeal{}, []proactive.ClientLead{}
	switch {
	case v.Email == "":
		return v, proactive.Errorf(proactive.EINVALID, "no client given: pass the client's email, such as jane@example.com")
	case !strings.Contains(v.Email, "@"):
		return v, proactive.Errorf(proactive.EINVALID, "%q is not an email: a client is named by its email, such as jane@example.com", strings.TrimSpace(email))
	}
	if s.Source != nil {
		h, err := s.Source.ClientHistory(ctx, v.Email)
		if err != nil {
			return v, fmt.Errorf("read the history of client %s: %w", v.Email, err)
		}
		v.ClientHistory = h
	}
	keys := s.clientKeys(v)
	err := s.Desk.View(ctx, func(tx proactive.DeskTx) error {
		var cs []proactive.Case
		for _, k := range keys {
			found, err := tx.FindCases(ctx, proactive.CaseQuery{Key: k})
			if err != nil {
				return fmt.Errorf("find the cases of %s: %w", k, err)
			}
			cs = append(cs, found...)
		}
		slices.SortFunc(cs, func(a, b proactive.Case) int {
			return cmp.Or(a.OpenedAt.Compare(b.OpenedAt), strings.Compare(a.Key, b.Key), strings.Compare(a.ID, b.ID))
		})
		ids := make([]string, len(cs))
		for i := range cs {
			ids[i] = cs[i].ID
		}
		var evs []proactive.CaseEvent
		if len(ids) > 0 {
			var err error
			if evs, err = tx.CaseEvents(ctx, ids); err != nil {
				return fmt.Errorf("read the events of the cases of %s: %w", v.Email, err)
			}
		}
		byCase := map[string][]proactive.CaseEvent{}
		for _, e := range evs {
			byCase[e.CaseID] = append(byCase[e.CaseID], e)
		}
		ss, err := activeSilences(ctx, tx, now)
		if err != nil {
			return err
		}
		v.Cases = make([]CaseDetail, 0, len(cs))
		for i := range cs {
			c := cs[i]
			v.Cases = append(v.Cases, CaseDetail{
				CaseView: proactive.CaseView{Case: c, Silenced: !c.Resolved() && ss.MutesCase(now, &c)},
				Events:   byCase[c.ID],
			})
		}
		return nil
	})
	if err != nil {
		return v, err
	}
	if len(v.Readings) == 0 && len(v.Deals) == 0 && len(v.Leads) == 0 && len(v.Cases) == 0 {
		return v, proactive.Errorf(proactive.ENOTFOUND, "no reading, case, deal or lead has the email %s: check the spelling (cases --search lists the cases)", v.Email)
	}
	return v, nil
}

// clientKeys are the case keys of a client: its email under every check
// keyed by email (the health checks and those that read them), and its
// deals and leads under the checks of those tables (CONTRACT §10.1).
func (s *Service) clientKeys(v ClientView) []string {
	var keys []string
	for _, c := range s.Registry.All() {
		switch {
		case c.Table == proactive.TableHealthScores || slices.Contains(c.Inputs, proactive.HealthDrop):
			keys = append(keys, proactive.CaseKey(c.Type, v.Email))
		case c.Table == proactive.TableDeals:
			for _, d := range v.Deals {
				keys = append(keys, proactive.CaseKey(c.Type, "deal-"+d.ID))
			}
		case c.Table == proactive.TableLeads:
			for _, l := range v.Leads {
				keys = append(keys, proactive.CaseKey(c.Type, "lead-"+l.ID))
			}
		}
	}
	return keys
}

// MarshalJSON writes the email, the history's parts and the cases.
func (v ClientView) MarshalJSON() ([]byte, error) {
	type plain struct {
		Email         string                    `json:"email"`
		Readings      []proactive.ClientReading `json:"readings"`
		Cases         []CaseDetail              `json:"cases"`
		Deals         []proactive.ClientDeal    `json:"deals"`
		Leads         []proactive.ClientLead    `json:"leads"`
		DealsJoinable bool                      `json:"deals_joinable"`
	}
	return json.Marshal(plain{v.Email, orEmpty(v.Readings), orEmpty(v.Cases), orEmpty(v.Deals), orEmpty(v.Leads), v.DealsJoinable})
}

// orEmpty is xs, or an empty slice for nil (JSON [] rather than null).
func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
