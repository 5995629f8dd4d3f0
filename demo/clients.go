package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// kind is the story of one client's history.
type kind int

const (
	steady kind = iota
	recovering
	fallCritical // flat, then a drop of 26–38 points on the event day
	fallHigh     // a drop of 15.5–23.5
	fallMedium   // a drop of 10.5–14
	slowSlide    // 3.2 points a day for a week: no ten between two readings
	forecastCritical
	forecastHigh
	forecastMedium
	slideCrash // a two-week slide, then a crash: forecast first, drop later
	anomalyHigh
	anomalyMedium
	renewal // a high drop, and a stalled renewal deal of the same contact
)

// showcase lays out the first MinClients clients (and, scattered, one
// client in three after them): every kind, at every severity, with its
// event on the newest reading. The positions of the seed's four kinds are
// those of earlier releases.
var showcase = [MinClients]kind{
	3: recovering, 5: fallCritical, 7: fallHigh, 8: forecastCritical, 10: anomalyHigh,
	11: fallMedium, 13: slowSlide, 14: forecastHigh, 16: renewal, 18: slideCrash,
	19: anomalyMedium, 20: recovering, 21: forecastMedium, 24: slideCrash, 27: fallCritical, 31: fallHigh,
	33: slideCrash, 36: recovering,
}

// kindOf returns client i's kind: the showcase for the first MinClients,
// then, in a 120-client cycle, the showcase's kinds once and slow slides
// six times.
func kindOf(i int) kind {
	if i < MinClients {
		return showcase[i]
	}
	slot := (i * 7) % (3 * MinClients)
	switch {
	case slot < MinClients:
		return showcase[slot]
	case slot < MinClients+6:
		// Slow slides are commoner than sudden falls.
		return []kind{forecastCritical, forecastHigh, forecastMedium}[slot%3]
	}
	return steady
}

// atRisk reports whether a client of this kind has a health case when its
// event is on the newest reading.
func (k kind) atRisk() bool { return k != steady && k != recovering }

// story holds what the kinds need: churn odds and how many days after the
// event the client churns.
type story struct {
	churn              float64
	minDelay, maxDelay int
}

var stories = map[kind]story{
	steady:           {0.01, 1, 25}, // churn without warning
	recovering:       {0.02, 5, 25},
	fallCritical:     {0.6, 1, 6}, // a sudden fall: the client leaves soon, or not at all
	fallHigh:         {0.45, 2, 8},
	fallMedium:       {0.25, 2, 10},
	slowSlide:        {0.5, 2, 8},
	forecastCritical: {0.6, 3, 12}, // a slide: the client leaves after reaching RED
	forecastHigh:     {0.45, 5, 15},
	forecastMedium:   {0.3, 7, 20},
	slideCrash:       {0.75, 2, 10},
	anomalyHigh:      {0.3, 5, 25},
	anomalyMedium:    {0.2, 5, 25},
	renewal:          {0.6, 1, 7},
}

// client is one generated client.
type client struct {
	i                  int
	email, first, last string
	kind               kind
	// event is the age in days (0 = the newest reading) of the day the
	// client's story peaks: the drop, the crash, the end of the slide.
	event int
	base  float64
	noise float64
	// slope and drop shape the slide and the fall.
	slope, drop float64
	// walk, for the anomaly kinds, is the score's offset from base on the
	// 13 days before the event (index: days before it, 1–13).
	walk [14]float64
	// churned clients stop being measured after churnAge (which may be
	// negative: a churn after the newest reading).
	churned  bool
	churnAge int
	coach    string
	value    float64
	hasValue bool
}

// coaches are the demo's client owners: the first is overloaded (high),
// the second overloaded (medium), the others carry the usual share.
var coaches = []string{"Victor Hale", "Ines Duarte", "Maya Brooks", "Tom Reilly", "Grace Lin", "Sam Okafor"}

// packageValues are the yearly values of the packages, by vocabulary index.
var packageValues = []float64{2400, 18000, 9600, 6000, 1800, 900, 1200, 12000}

// newClients draws every client's story; Generate's tables all read them.
func newClients(seed uint64, v vocab, n, days int) []client {
	cs := make([]client, n)
	for i := range cs {
		r := rand.New(rand.NewPCG(seed, uint64(i)+1))
		c := &cs[i]
		c.i = i
		c.first = v.first[i%len(v.first)]
		c.last = v.last[(i/len(v.first)+i)%len(v.last)]
		c.email = fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(c.first), strings.ToLower(c.last), i+1)
		c.kind = kindOf(i)
		if i >= MinClients && days > DefaultDays {
			c.event = r.IntN(days - DefaultDays + 1)
		}
		c.base = 62 + r.Float64()*33 // 62–95
		c.noise = 1.5
		switch c.kind {
		case fallCritical:
			c.base = 70 + r.Float64()*20
			c.drop = 26 + r.Float64()*12
		case fallHigh, renewal:
			c.drop = 15.5 + r.Float64()*8
		case fallMedium:
			c.drop = 10.5 + r.Float64()*3.5
		case slowSlide:
			c.base = 80 + r.Float64()*10
		case forecastCritical, forecastHigh, forecastMedium:
			// A steady two-point-a-day slide that never drops ten points in
			// a week, ending 1.4, 3 or 5.5 days from RED at that pace.
			c.slope = 1.7 + r.Float64()*0.6
			toRed := map[kind]float64{forecastCritical: 1.4, forecastHigh: 3, forecastMedium: 5.5}[c.kind] + r.Float64()*0.4 - 0.2
			c.base = 50 + c.slope*(toRed+14)
			c.noise = 0.4
		case slideCrash:
			c.base = 78 + r.Float64()*6
			c.slope = 1.8
			c.drop = 14 + r.Float64()*4
			c.noise = 0.5
		case anomalyHigh, anomalyMedium:
			c.base = 72 + r.Float64()*18
			c.noise = 0
			scale := 1.9 + r.Float64()*0.3 // MAD about 0.9: z about -5 for a 7-point drop
			if c.kind == anomalyHigh {
				scale = 0.5 + r.Float64()*0.4 // MAD about 0.3: z about -15
			}
			c.walk = quietWalk(r, scale)
			c.drop = 6.5 + math.Round(r.Float64()*10)/10
		}
		c.base = math.Round(c.base*10) / 10
		st := stories[c.kind]
		if r.Float64() < st.churn {
			c.churned = true
			c.churnAge = c.event - st.minDelay - r.IntN(st.maxDelay-st.minDelay+1)
		}
		pkg := i % len(packageValues)
		if i%23 != 22 {
			c.value, c.hasValue = packageValues[pkg], true
		}
	}
	assignCoaches(cs, rand.New(rand.NewPCG(seed, 0)))
	return cs
}

// quietWalk returns the offsets of an unremarkable fortnight: the twelve
// day-over-day changes of a fixed spread (median 0, MAD 0.45 × scale),
// shuffled, never drifting so far in the last week that the week's average
// stands out.
func quietWalk(r *rand.Rand, scale float64) [14]float64 {
	changes := []float64{-1.2, -0.9, -0.6, -0.3, -0.1, 0, 0, 0.1, 0.3, 0.6, 0.9, 1.2}
	var w [14]float64
	for range 100 {
		r.Shuffle(len(changes), func(a, b int) { changes[a], changes[b] = changes[b], changes[a] })
		// w[13] is the oldest (0); each day nearer the event adds a change.
		w[13] = 0
		for d := 12; d >= 1; d-- {
			w[d] = w[d+1] + changes[12-d]*scale
		}
		week := 0.0
		for d := 2; d <= 7; d++ {
			week += w[d]
		}
		if week/6-w[1] < 1.5 {
			break
		}
	}
	return w
}

// assignCoaches gives every client a coach: the at-risk clients of the
// critical and high stories to the first two coaches, the rest spread;
// then as many of the other clients to the second coach as puts its share
// of at-risk clients at about 2.5 times the team's median (medium), and
// half as many as its at-risk clients to the first (well over 3 times:
// high).
func assignCoaches(cs []client, r *rand.Rand) {
	var risk [6]int
	var calm []int
	rest := 0
	for i := range cs {
		c := &cs[i]
		if !c.kind.atRisk() || c.event != 0 {
			calm = append(calm, i)
			continue
		}
		switch c.kind {
		case fallCritical, forecastCritical, slideCrash, anomalyHigh, renewal:
			c.coach = coaches[0]
		case fallHigh, forecastHigh, slowSlide:
			c.coach = coaches[1]
		default:
			c.coach = coaches[2+rest%4]
			rest++
		}
		risk[indexOf(coaches, c.coach)]++
	}
	quotaA := min((risk[0]+1)/2, len(calm))
	best, bestGap := 0, math.Inf(1)
	for qB := 0; qB <= len(calm)-quotaA; qB++ {
		clients := spread(risk, quotaA, qB, len(calm)-quotaA-qB)
		shares := make([]float64, 0, 6)
		for k := range clients {
			if clients[k] > 0 {
				shares = append(shares, float64(risk[k])/float64(clients[k]))
			}
		}
		m := median(shares)
		if m == 0 || clients[1] == 0 {
			continue
		}
		if gap := math.Abs(float64(risk[1])/float64(clients[1])/m - 2.5); gap < bestGap {
			best, bestGap = qB, gap
		}
	}
	labels := make([]string, 0, len(calm))
	for range quotaA {
		labels = append(labels, coaches[0])
	}
	for range best {
		labels = append(labels, coaches[1])
	}
	for k := range len(calm) - quotaA - best {
		labels = append(labels, coaches[2+k%4])
	}
	r.Shuffle(len(labels), func(a, b int) { labels[a], labels[b] = labels[b], labels[a] })
	for k, i := range calm {
		cs[i].coach = labels[k]
	}
}

// spread returns each coach's clients when the first two get qA and qB
// calm clients and the other four share rest in turn.
func spread(risk [6]int, qA, qB, rest int) [6]int {
	out := risk
	out[0] += qA
	out[1] += qB
	for k := range 4 {
		out[2+k] += rest / 4
		if k < rest%4 {
			out[2+k]++
		}
	}
	return out
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// median is the middle of xs (even count: the mean of the middle two); 0
// for none. It sorts a copy.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// level is the client's score, before noise, on the day age days before
// the newest reading.
func (c *client) level(age int) float64 {
	t := age - c.event // days before the event; negative after it
	if t < 0 {
		at := c.level(c.event)
		if c.churned {
			// A slide goes on to RED; after a fall the client stays down.
			return at - c.slope*float64(-t)
		}
		return math.Min(math.Max(c.base, at), at+1.5*float64(-t))
	}
	switch c.kind {
	case recovering:
		return c.base - float64(min(age, 13))*1.2
	case fallCritical, fallHigh, fallMedium, renewal:
		if t == 0 {
			return c.base - c.drop
		}
	case slowSlide:
		if t < 7 {
			return c.base - float64(7-t)*3.2
		}
	case forecastCritical, forecastHigh, forecastMedium:
		if t < 14 {
			return c.base - c.slope*float64(14-t)
		}
	case slideCrash:
		switch {
		case t == 0:
			return c.base - c.slope*12 - c.drop
		case t < 12:
			return c.base - c.slope*float64(12-t)
		}
	case anomalyHigh, anomalyMedium:
		switch {
		case t == 0:
			return c.base + c.walk[1] - c.drop
		case t < 14:
			return c.base + c.walk[t]
		}
	}
	return c.base
}

// healthScores writes the clients' daily readings, oldest first per
// client, and the rows that make no sense.
func healthScores(cs []client, now time.Time, days int, cols proactive.Columns) Table {
	t := Table{Name: proactive.TableHealthScores, Columns: proactive.SourceColumns(proactive.TableHealthScores)}
	if cols.ClientOwner != "" {
		t.Columns = append(t.Columns, cols.ClientOwner)
	}
	if cols.ClientValue != "" {
		t.Columns = append(t.Columns, cols.ClientValue)
	}
	newest := newestReading(now)
	t.Rows = make([]proactive.Row, 0, len(cs)*days+3)
	// The values rows share are boxed once: a long history is a million
	// rows.
	at := make([]any, days)
	for age := range at {
		at[age] = newest.AddDate(0, 0, -age)
	}
	zones := map[string][2]any{}
	for _, z := range []string{"GREEN", "YELLOW", "RED"} {
		zones[z] = [2]any{z, strings.ToLower(z)} // zones arrive in any case
	}
	for k := range cs {
		c := &cs[k]
		cr := rand.New(rand.NewPCG(uint64(c.i)+1, 0x5eed))
		var email, first, last, coach, value any = c.email, c.first, c.last, c.coach, nil
		if c.hasValue {
			value = c.value
		}
		for age := days - 1; age >= 0; age-- {
			if c.churned && age < c.churnAge {
				break // no longer a client: no more readings
			}
			score := c.level(age) + cr.NormFloat64()*c.noise
			score = math.Round(clamp(score, 0, 100)*10) / 10
			zone := zones[zoneOf(score)][0]
			if (c.i+age)%5 == 0 {
				zone = zones[zoneOf(score)][1]
			}
			row := make(proactive.Row, len(t.Columns))
			row["email"], row["firstname"], row["lastname"] = email, first, last
			row["health_score"], row["health_zone"], row["calculated_at"] = score, zone, at[age]
			if cols.ClientOwner != "" {
				row[cols.ClientOwner] = coach
			}
			if cols.ClientValue != "" {
				row[cols.ClientValue] = value
			}
			t.Rows = append(t.Rows, row)
		}
	}
	// Rows that make no sense: the scan skips and counts them.
	bad := []proactive.Row{
		{"email": "glitch@example.com", "firstname": "Data", "lastname": "Glitch", "health_score": 150.0, "health_zone": "GREEN", "calculated_at": newest},
		{"email": nil, "firstname": "No", "lastname": "Email", "health_score": 40.0, "health_zone": "RED", "calculated_at": newest},
		{"email": "future@example.com", "firstname": "Time", "lastname": "Traveller", "health_score": 20.0, "health_zone": "RED", "calculated_at": now.Add(72 * time.Hour)},
	}
	for _, row := range bad {
		for _, col := range t.Columns[len(proactive.SourceColumns(proactive.TableHealthScores)):] {
			row[col] = nil
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// newestReading is the time of the newest daily reading: 06:00 UTC, the
// last one at or before now.
func newestReading(now time.Time) time.Time {
	newest := time.Date(now.Year(), now.Month(), now.Day(), 6, 0, 0, 0, time.UTC)
	if newest.After(now) {
		newest = newest.AddDate(0, 0, -1)
	}
	return newest
}

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
