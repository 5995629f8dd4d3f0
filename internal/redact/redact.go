// Package redact removes passwords from database connection strings and
// from text that may quote them, so that no output (an error, a log line,
// the doctor's report) ever shows one.
//
// A password can sit in three places of a PostgreSQL connection string:
// the user information of a URL (postgres://user:PASSWORD@host/db), a
// query parameter (postgres://user@host/db?password=PASSWORD, which pgx
// accepts, and sslpassword), and the key=value form (host=h
// password=PASSWORD, possibly quoted). URL handles all three:
//
//   - a URL that parses unambiguously goes through url.URL.Redacted, with
//     every query parameter whose name contains "password" masked too;
//   - a URL that does not parse, or parses ambiguously (an unescaped "/",
//     "?" or "#" in the password moves the end of the user information),
//     falls back to a textual rule: everything from the first ":" after
//     the scheme to the last "@" is hidden (better too much than the
//     password), and password parameters are masked by name;
//   - text without "://" is taken as key=value pairs: password values are
//     masked by name.
//
// Secrets lists the passwords themselves, so that text which echoes them
// in some other form (a driver's error) can be scrubbed with Text.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces a password.
const Mask = "xxxxx"

// minScrub is the shortest secret Text replaces: a one- or two-letter
// password would turn every message into noise, and is masked where it
// sits in a connection string all the same.
const minScrub = 3

// URL returns the connection string s with every password masked.
func URL(s string) string {
	out, _, _ := redact(s)
	return out
}

// Secrets returns the passwords s holds, as written and percent-decoded;
// nil when it holds none.
func Secrets(s string) []string {
	_, _, secrets := redact(s)
	if len(secrets) == 0 {
		return nil
	}
	slices.Sort(secrets)
	return slices.Compact(secrets)
}

// Text returns text with every occurrence of each secret (of at least
// three characters) replaced by Mask.
func Text(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= minScrub {
			text = strings.ReplaceAll(text, s, Mask)
		}
	}
	return text
}

// kvPassword matches a password in key=value text or a query string: the
// key (any key containing "password": password, sslpassword), then a
// single-quoted value (backslash escapes allowed) or a bare one.
var kvPassword = regexp.MustCompile(`(?i)([a-z_]*password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&#]*)`)

// redact masks the passwords of s and returns them: written, as s holds
// them (the text masked); secrets, those and the forms a driver reads
// them in (percent-decoded, unquoted).
func redact(s string) (out string, written, secrets []string) {
	add := func(v string) {
		if v == "" {
			return
		}
		written = append(written, v)
		secrets = append(secrets, v)
		if d, err := url.PathUnescape(v); err == nil && d != v {
			secrets = append(secrets, d)
		}
		if d, err := url.QueryUnescape(v); err == nil && d != v {
			secrets = append(secrets, d)
		}
		if len(v) >= 2 && v[0] == '\'' {
			secrets = append(secrets, strings.ReplaceAll(strings.ReplaceAll(strings.Trim(v, "'"), `\'`, `'`), `\\`, `\`))
		}
	}
	maskKV := func(text string) string {
		return kvPassword.ReplaceAllStringFunc(text, func(m string) string {
			sub := kvPassword.FindStringSubmatch(m)
			add(sub[2])
			if sub[2] == "" {
				return m
			}
			return sub[1] + Mask
		})
	}

	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return maskKV(s), written, secrets
	}
	from, to, found := passwordSpan(rest)
	// net/url must read the scheme where "://" put it: text before "://"
	// that is no scheme ("//:@://u:pw@") makes it read another user
	// information than the textual rule.
	if u, err := url.Parse(s); err == nil && strings.EqualFold(u.Scheme, scheme) && unambiguous(rest, found) {
		if _, set := u.User.Password(); set && found {
			add(rest[from:to]) // as written; add adds the decoded form
		}
		u.RawQuery = maskQuery(u.RawQuery, add)
		u.Fragment, u.RawFragment = maskKV(u.Fragment), ""
		return u.Redacted(), written, secrets
	}
	if found {
		add(rest[from:to])
		rest = rest[:from] + Mask + rest[to:]
	}
	return scheme + "://" + maskKV(rest), written, secrets
}

// unambiguous reports whether url.Parse reads the user information of the
// part after "://" where the textual rule does: the authority (up to the
// first "/", "?" or "#") holds the "@" that ends it, or there is no
// password at all.
func unambiguous(rest string, hasPassword bool) bool {
	if !hasPassword {
		return true
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	return strings.Contains(authority, "@")
}

// maskQuery masks the value of every parameter of a raw query whose name
// contains "password", keeping the others and the order as written.
func maskQuery(raw string, add func(string)) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if strings.Contains(strings.ToLower(name), "password") && v != "" {
			add(v)
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// passwordSpan finds the password in the part of a URL after "://": the
// bytes rest[from:to]. The user information normally ends at the last "@"
// of the authority (up to the first "/", "?" or "#"); when the authority
// holds no "@" but the rest does after a ":", the password is taken to run
// from that ":" to the last "@" (a password with an unescaped "/", "?" or
// "#"): better to hide too much than to print it.
func passwordSpan(rest string) (from, to int, ok bool) {
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		at = strings.LastIndex(rest, "@")
	}
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return 0, 0, false
	}
	return colon + 1, at, true
}
