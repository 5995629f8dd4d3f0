package httpapi

import (
	"html/template"
	"strings"
)

// contentHTML renders an alert's content — the seed's plain-text structure
// of "**Heading:**" lines, "- " bullet lines and prose — as HTML: headings,
// lists and paragraphs. Every piece of text is escaped; only the structure
// is markup, so client names in an alert can never inject HTML.
func contentHTML(content string) template.HTML {
	var b strings.Builder
	inList := false
	closeList := func() {
		if inList {
			b.WriteString("</ul>")
			inList = false
		}
	}
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimRight(line, " \r")
		switch {
		case line == "":
			closeList()
		case len(line) > 4 && strings.HasPrefix(line, "**") && strings.HasSuffix(line, "**") && !strings.Contains(line[2:len(line)-2], "**"):
			closeList()
			heading := strings.TrimSuffix(strings.TrimSuffix(line[2:len(line)-2], ":"), " ")
			b.WriteString("<h4>" + template.HTMLEscapeString(heading) + "</h4>")
		case strings.HasPrefix(line, "- "):
			if !inList {
				b.WriteString("<ul>")
				inList = true
			}
			b.WriteString("<li>" + template.HTMLEscapeString(line[2:]) + "</li>")
		default:
			closeList()
			b.WriteString("<p>" + template.HTMLEscapeString(line) + "</p>")
		}
	}
	closeList()
	return template.HTML(b.String()) //nolint:gosec // every text piece above is escaped
}
