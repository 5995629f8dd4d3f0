package httpapi

import "testing"

func TestContentHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sections", "**Primary Alert:**\nJohn dropped 25 points.\n\n**Related Issues (2):**\n- Amy (medium)\n- Bob (high)\n… and 3 more\n\n**Recommended Action:**\nCall today.\n",
			"<h4>Primary Alert</h4><p>John dropped 25 points.</p><h4>Related Issues (2)</h4><ul><li>Amy (medium)</li><li>Bob (high)</li></ul><p>… and 3 more</p><h4>Recommended Action</h4><p>Call today.</p>"},
		{"escapes names", "**Primary Alert:**\n<script>alert(1)</script> & Co\n- <b>x</b>",
			"<h4>Primary Alert</h4><p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</p><ul><li>&lt;b&gt;x&lt;/b&gt;</li></ul>"},
		{"plain text", "just text", "<p>just text</p>"},
		{"bold that is not a heading line", "**a** and **b**", "<p>**a** and **b**</p>"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(contentHTML(tc.in)); got != tc.want {
				t.Fatalf("contentHTML(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}
