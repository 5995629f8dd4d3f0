package email

import (
	htmltemplate "html/template"
	texttemplate "text/template"
)

// The two parts of a message. They are parsed once and never changed.
var (
	textTemplate = texttemplate.Must(texttemplate.New("text").Parse(textSource))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(htmlSource))
)

const textSource = `{{.Subject}}
{{range .Alerts}}
{{.N}}. {{.Title}}
   Priority: {{.Priority}} | Urgency: {{.Urgency}}/100 | Affected: {{.Affected}}
{{- if .Note}}
   {{.Note}}{{end}}
{{- if .Revenue}}
   Revenue at risk: {{.Revenue}}{{end}}
{{- if .Summary}}
   {{.Summary}}{{end}}
{{- if .FirstAction}}
   First action: {{.FirstAction}}{{end}}
{{end}}{{if .Resolved}}
{{.ResolvedTitle}}
{{range .Resolved}}   - {{.Label}} — {{.Severity}}, {{.Reason}}
{{end}}{{end}}
--
Sent by ptd-proactive. Run "ptd-proactive alerts" for every active alert.
`

const htmlSource = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; color: #212121;">
<h2>{{.Subject}}</h2>
{{range .Alerts -}}
<div style="border-left: 4px solid {{.Color}}; padding: 4px 12px; margin: 16px 0;">
<h3 style="margin: 0 0 4px 0;">{{.Title}}</h3>
<p style="margin: 0 0 8px 0; color: #616161;">Priority: <strong>{{.Priority}}</strong> &middot; Urgency: <strong>{{.Urgency}}/100</strong> &middot; Affected: {{.Affected}}</p>
{{- if .Note}}
<p style="margin: 0 0 8px 0;"><strong>{{.Note}}</strong></p>
{{- end}}
{{- if .Revenue}}
<p style="margin: 0 0 8px 0;">Revenue at risk: <strong>{{.Revenue}}</strong></p>
{{- end}}
{{- if .Summary}}
<p style="margin: 0 0 8px 0;">{{.Summary}}</p>
{{- end}}
{{- if .FirstAction}}
<p style="margin: 0;"><strong>First action:</strong> {{.FirstAction}}</p>
{{- end}}
</div>
{{end -}}
{{if .Resolved}}<div style="border-left: 4px solid #388e3c; padding: 4px 12px; margin: 16px 0;">
<h3 style="margin: 0 0 4px 0;">{{.ResolvedTitle}}</h3>
<ul style="margin: 0; padding-left: 20px;">
{{range .Resolved}}<li>{{.Label}} &mdash; {{.Severity}}, {{.Reason}}</li>
{{end -}}
</ul>
</div>
{{end -}}
<p style="color: #9e9e9e; font-size: 12px;">Sent by ptd-proactive. Run <code>ptd-proactive alerts</code> for every active alert.</p>
</body>
</html>
`
