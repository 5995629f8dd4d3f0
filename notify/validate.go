package notify

import (
	"fmt"
	"net/url"
)

// CheckURL checks that raw is an absolute http or https URL. The error names
// what (e.g. "slack webhook URL") and never quotes the URL: it is a secret.
func CheckURL(what, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s is empty", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s cannot be parsed (value not shown: it is a secret)", what)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%s must start with https:// or http://", what)
	}
	if u.Host == "" {
		return fmt.Errorf("%s has no host", what)
	}
	return nil
}
