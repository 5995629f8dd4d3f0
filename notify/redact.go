package notify

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Redacted replaces a secret in redacted text.
const Redacted = "[REDACTED]"

// Redactor removes secrets (webhook URLs, SMTP passwords, signing keys) from
// text before it is returned in an error, stored as a last error or logged.
// The zero Redactor removes nothing.
type Redactor struct {
	secrets []string // longest first, so a URL goes before its path
}

// NewRedactor returns a Redactor for the given secrets. Each is removed as
// written, URL-escaped (path, query and user-info forms) and Go-quoted (as url.Error
// prints a URL). Empty secrets and a bare "/" are ignored.
func NewRedactor(secrets ...string) Redactor {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s == "" || s == "/" || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	for _, s := range secrets {
		add(s)
		add(url.PathEscape(s))
		add(url.QueryEscape(s))
		add(strings.ReplaceAll(url.QueryEscape(s), "+", "%20")) // as user info is escaped
		if q := strconv.Quote(s); len(q) > 2 {
			add(q[1 : len(q)-1])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return Redactor{secrets: out}
}

// URLSecrets returns the parts of a URL that must never be shown: the whole
// URL, its path with query (a Slack webhook's token lives in the path), its
// query alone, and its user info. Only the scheme and host are safe to show.
func URLSecrets(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	out = append(out, u.RequestURI(), u.EscapedPath(), u.RawQuery, u.Fragment)
	if u.User != nil {
		out = append(out, u.User.String())
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	return out
}

// String returns s with every secret replaced by Redacted.
func (r Redactor) String(s string) string {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Redacted)
		}
	}
	return s
}

// Error returns an error whose text is err's with every secret replaced. The
// result does not wrap err (a wrapped cause could print the secret), but a
// RetryAfterError in err's chain is kept around the redacted text. Nil for
// a nil err.
func (r Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	red := errors.New(r.String(err.Error()))
	if after, ok := retryAfter(err); ok {
		return &RetryAfterError{Err: red, After: after}
	}
	return red
}
