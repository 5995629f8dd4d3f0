package rules

import (
	"context"
	"slices"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// seriesSource is a HealthSeriesReader over series in memory.
type seriesSource []proactive.ClientSeries

func (s seriesSource) HealthSeries(_ context.Context, q proactive.SeriesQuery, fn func(*proactive.ClientSeries) error) (proactive.Skipped, error) {
	for i := range s {
		if len(s[i].Readings) >= q.MinReadings && (q.Emails == nil || slices.Contains(q.Emails, s[i].Email)) {
			if err := fn(&s[i]); err != nil {
				return nil, err
			}
		}
	}
	return proactive.Skipped{}, nil
}

// ownerSource is a ClientOwnerReader over owners in memory; it records
// the column asked for.
type ownerSource struct {
	owners []proactive.ClientOwner
	column *string
	query  *proactive.OwnerQuery // the whole query, when not nil
}

func (o ownerSource) ClientOwners(_ context.Context, q proactive.OwnerQuery, fn func(proactive.ClientOwner) error) (proactive.Skipped, error) {
	if o.column != nil {
		*o.column = q.Column
	}
	if o.query != nil {
		*o.query = q
	}
	for _, c := range o.owners {
		if err := fn(c); err != nil {
			return nil, err
		}
	}
	return proactive.Skipped{}, nil
}

// collect is an Emitter that keeps what it is given.
type collect struct {
	as   []proactive.Anomaly
	seen []string
}

func (c *collect) Anomaly(a proactive.Anomaly) error { c.as = append(c.as, a); return nil }
func (c *collect) Seen(key string) error             { c.seen = append(c.seen, key); return nil }

// keys are the case key ids of the anomalies, in order.
func (c *collect) keys() []string {
	out := []string{}
	for _, a := range c.as {
		out = append(out, a.Key)
	}
	return out
}
