package termtext

// Style colours human output for a terminal: severities in their colours
// (critical red, high yellow, medium cyan, low grey), headings in bold. The
// zero Style is off and returns the text unchanged but escaped, so a
// caller writes the same code whether colour is on or not; the command
// line decides (a terminal, no NO_COLOR, --color).
//
// Every Styled text that colour is on for carries the same number of
// invisible bytes (one SGR sequence of fixed length, then a reset), so
// that a text/tabwriter column whose cells are all Styled, Plain included,
// stays aligned.
type Style struct{ on bool }

// NewStyle returns a Style that colours when on is true.
func NewStyle(on bool) Style { return Style{on: on} }

// On reports whether the style colours.
func (s Style) On() bool { return s.on }

// Styled is text escaped as Line does and, when colour is on, wrapped in
// an SGR sequence and a reset. Fprintf and Fprintln print it as it is:
// its escapes are the program's own.
type Styled string

// Color is one of the looks a Style paints with.
type Color int

// The colours.
const (
	Plain  Color = iota // the terminal's default: for cells beside styled ones
	Bold                // headings
	Red                 // critical; problems
	Yellow              // high; warnings
	Cyan                // medium
	Grey                // low
	Green               // all is well
)

// sgr returns the SGR parameters of a colour, all of the same length (see
// Style); false for an unknown colour.
func sgr(c Color) (string, bool) {
	switch c {
	case Plain:
		return "0;39", true
	case Bold:
		return "1;39", true
	case Red:
		return "1;31", true
	case Yellow:
		return "0;33", true
	case Cyan:
		return "0;36", true
	case Grey:
		return "0;90", true
	case Green:
		return "0;32", true
	}
	return "", false
}

// reset ends a styled text.
const reset = "\x1b[0m"

// Paint returns text, escaped as Line does, in colour c.
func (s Style) Paint(c Color, text string) Styled {
	text = Line(text)
	p, ok := sgr(c)
	if !s.on || !ok {
		return Styled(text)
	}
	return Styled("\x1b[" + p + "m" + text + reset)
}

// Bold returns text in bold.
func (s Style) Bold(text string) Styled { return s.Paint(Bold, text) }

// Severity returns text in the colour of severity (critical, high, medium
// or low); any other severity is painted Plain.
func (s Style) Severity(severity, text string) Styled {
	return s.Paint(SeverityColor(severity), text)
}

// SeverityColor is the colour of a severity: critical Red, high Yellow,
// medium Cyan, low Grey, anything else Plain.
func SeverityColor(severity string) Color {
	switch severity {
	case "critical":
		return Red
	case "high":
		return Yellow
	case "medium":
		return Cyan
	case "low":
		return Grey
	}
	return Plain
}
