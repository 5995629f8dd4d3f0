package httpapi

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	proactive "github.com/ptd-agents/ptd-proactive"
	"github.com/ptd-agents/ptd-proactive/rules"
)

// The health zones the charts draw as bands: RED below 50, YELLOW from 50,
// GREEN from 70 (the zones of the sample data; the data's own zone column
// is shown beside each reading).
const (
	zoneYellowFrom = 50.0
	zoneGreenFrom  = 70.0
)

// esc escapes text for SVG markup.
func esc(s string) string { return template.HTMLEscapeString(s) }

// num writes a coordinate with one decimal.
func num(x float64) string { return rules.FormatNumber(x) }

// sparkline draws a client's recent health scores (oldest first) as a
// small inline SVG, 0–100 on the vertical axis; "" for no points. Every
// text in it is escaped.
func sparkline(points []float64, label string) template.HTML {
	if len(points) == 0 {
		return ""
	}
	const w, h = 96.0, 28.0
	x := func(i int) float64 {
		if len(points) == 1 {
			return w / 2
		}
		return 2 + float64(i)*(w-4)/float64(len(points)-1)
	}
	y := func(v float64) float64 { return 2 + (100-min(max(v, 0), 100))*(h-4)/100 }
	var b strings.Builder
	first, last := points[0], points[len(points)-1]
	desc := fmt.Sprintf("Health of %s: %s to %s over %d readings", label, num(first), num(last), len(points))
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s"><title>%s</title>`,
		num(w), num(h), num(w), num(h), esc(desc), esc(desc))
	fmt.Fprintf(&b, `<rect class="zone-red" x="0" y="%s" width="%s" height="%s"/>`, num(y(zoneYellowFrom)), num(w), num(h-y(zoneYellowFrom)))
	pts := make([]string, len(points))
	for i, v := range points {
		pts[i] = num(x(i)) + "," + num(y(v))
	}
	fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(pts, " "))
	cls := "end"
	if last < first {
		cls = "end down"
	}
	fmt.Fprintf(&b, `<circle class="%s" cx="%s" cy="%s" r="2.5"/></svg>`, cls, num(x(len(points)-1)), num(y(last)))
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

// healthChart draws a client's readings over the data's history: one point
// per reading with a score (oldest first), the zone bands, and the drops
// of at least dropAt points from the reading before marked. Server-rendered
// SVG, scaled to its container.
func healthChart(readings []proactive.ClientReading, dropAt float64) template.HTML {
	type pt struct {
		at    time.Time
		score float64
		zone  string
	}
	var pts []pt
	for _, r := range readings {
		if r.Score != nil {
			pts = append(pts, pt{r.CalculatedAt, *r.Score, r.Zone})
		}
	}
	if len(pts) == 0 {
		return ""
	}
	const w, h, left, right, top, bottom = 800.0, 260.0, 40.0, 12.0, 12.0, 30.0
	t0, t1 := pts[0].at, pts[len(pts)-1].at
	x := func(t time.Time) float64 {
		if !t1.After(t0) {
			return left + (w-left-right)/2
		}
		return left + float64(t.Sub(t0))/float64(t1.Sub(t0))*(w-left-right)
	}
	y := func(v float64) float64 { return top + (100-min(max(v, 0), 100))*(h-top-bottom)/100 }
	var b strings.Builder
	desc := fmt.Sprintf("Health score, %d readings from %s to %s: %s to %s", len(pts),
		t0.UTC().Format(time.DateOnly), t1.UTC().Format(time.DateOnly), num(pts[0].score), num(pts[len(pts)-1].score))
	fmt.Fprintf(&b, `<svg class="chart" id="health-chart" viewBox="0 0 %s %s" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>`,
		num(w), num(h), esc(desc), esc(desc))
	band := func(cls, name string, from, to float64) {
		fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"><title>%s zone</title></rect>`,
			cls, num(left), num(y(to)), num(w-left-right), num(y(from)-y(to)), name)
	}
	band("zone-red", "RED", 0, zoneYellowFrom)
	band("zone-yellow", "YELLOW", zoneYellowFrom, zoneGreenFrom)
	band("zone-green", "GREEN", zoneGreenFrom, 100)
	for _, v := range []float64{0, zoneYellowFrom, zoneGreenFrom, 100} {
		fmt.Fprintf(&b, `<text class="axis" x="%s" y="%s" text-anchor="end">%s</text>`, num(left-6), num(y(v)+4), num(v))
	}
	fmt.Fprintf(&b, `<text class="axis" x="%s" y="%s">%s</text>`, num(left), num(h-8), esc(t0.UTC().Format("Jan 2")))
	fmt.Fprintf(&b, `<text class="axis" x="%s" y="%s" text-anchor="end">%s</text>`, num(w-right), num(h-8), esc(t1.UTC().Format("Jan 2")))
	line := make([]string, len(pts))
	for i, p := range pts {
		line[i] = num(x(p.at)) + "," + num(y(p.score))
	}
	fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(line, " "))
	for i, p := range pts {
		cls, note := "pt", ""
		if i > 0 && pts[i-1].score-p.score >= dropAt {
			cls, note = "pt drop", fmt.Sprintf(", dropped %s points", num(pts[i-1].score-p.score))
		}
		zone := ""
		if p.zone != "" {
			zone = " " + p.zone
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%s" cy="%s" r="%s" data-score="%s"><title>%s: %s%s%s</title></circle>`,
			cls, num(x(p.at)), num(y(p.score)), map[bool]string{true: "6", false: "4"}[cls != "pt"], num(p.score),
			esc(p.at.UTC().Format("2006-01-02 15:04")), num(p.score), esc(zone), esc(note))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

// scanChart draws the recorded scans (newest first as listed; drawn oldest
// left): a bar per scan for its duration, failed ones marked, and a line
// for the anomalies it found.
func scanChart(runs []proactive.ScanRun) template.HTML {
	if len(runs) == 0 {
		return ""
	}
	const w, h, pad = 800.0, 160.0, 24.0
	var maxDur int64 = 1
	maxAn := 1
	for _, r := range runs {
		maxDur = max(maxDur, r.DurationMS)
		maxAn = max(maxAn, r.Anomalies)
	}
	n := len(runs)
	slot := (w - 2*pad) / float64(n)
	var b strings.Builder
	desc := fmt.Sprintf("The last %d scans: durations up to %d ms, up to %d anomalies", n, maxDur, maxAn)
	fmt.Fprintf(&b, `<svg class="chart scans" id="scan-chart" viewBox="0 0 %s %s" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>`,
		num(w), num(h), esc(desc), esc(desc))
	line := make([]string, 0, n)
	for i := range n {
		r := runs[n-1-i]
		bh := float64(r.DurationMS) / float64(maxDur) * (h - 2*pad)
		cls := "bar"
		if !r.Success {
			cls = "bar failed"
		}
		x := pad + float64(i)*slot
		status := "succeeded"
		if !r.Success {
			status = "failed"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"><title>%s (%s): %s, %d ms, %d anomalies</title></rect>`,
			cls, num(x+slot*0.15), num(h-pad-bh), num(slot*0.7), num(max(bh, 1)),
			esc(r.StartedAt.UTC().Format("2006-01-02 15:04")), esc(r.Trigger), status, r.DurationMS, r.Anomalies)
		line = append(line, num(x+slot/2)+","+num(h-pad-float64(r.Anomalies)/float64(maxAn)*(h-2*pad)))
	}
	fmt.Fprintf(&b, `<polyline class="anomalies" points="%s"/>`, strings.Join(line, " "))
	fmt.Fprintf(&b, `<text class="axis" x="%s" y="%s">%d ms</text>`, num(pad), num(pad-8), maxDur)
	fmt.Fprintf(&b, `<text class="axis anomalies-label" x="%s" y="%s" text-anchor="end">%d anomalies</text></svg>`, num(w-pad), num(pad-8), maxAn)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}
