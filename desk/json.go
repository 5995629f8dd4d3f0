package desk

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// appendKey adds "key": v to the end of a JSON object.
func appendKey(obj []byte, key string, v any) ([]byte, error) {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[len(obj)-1] != '}' {
		return nil, fmt.Errorf("append %s: not a JSON object", key)
	}
	k, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	val, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("append %s: %w", key, err)
	}
	out := append([]byte(nil), obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, val...)
	return append(out, '}'), nil
}
