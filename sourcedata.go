package proactive

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// MarshalSourceData encodes an alert's source_data as json.Marshal does,
// byte for byte (keys sorted, HTML characters escaped), nil as {}. A
// group's alert lists every case it holds (30,000 case ids are about
// 1.2 MB of JSON): each []string value is written straight into one
// buffer sized for it, where json.Marshal would grow its own buffer by
// doubling, clear each new one and copy the result out again.
func MarshalSourceData(source map[string]any) ([]byte, error) {
	size := 2
	for k, v := range source {
		size += len(k) + 4
		if list, ok := v.([]string); ok {
			for _, s := range list {
				size += len(s) + 3
			}
		} else {
			size += 64
		}
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, k := range slices.Sorted(maps.Keys(source)) {
		if i > 0 {
			out = append(out, ',')
		}
		key, err := json.Marshal(k)
		if err != nil {
			return nil, fmt.Errorf("source_data key %q: %w", k, err)
		}
		out = append(append(out, key...), ':')
		if list, ok := source[k].([]string); ok && list != nil {
			out, err = appendStrings(out, list)
		} else {
			var b []byte
			b, err = json.Marshal(source[k])
			out = append(out, b...)
		}
		if err != nil {
			return nil, fmt.Errorf("source_data %q: %w", k, err)
		}
	}
	return append(out, '}'), nil
}

// appendStrings appends list as a JSON array: a string that needs no
// escaping as it is, quoted; any other through json.Marshal.
func appendStrings(out []byte, list []string) ([]byte, error) {
	out = append(out, '[')
	for i, s := range list {
		if i > 0 {
			out = append(out, ',')
		}
		if plainJSON(s) {
			out = append(append(append(out, '"'), s...), '"')
			continue
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return append(out, ']'), nil
}

// plainJSON reports whether json.Marshal writes s as it is between quotes:
// printable ASCII without quote, backslash or the HTML characters it
// escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
