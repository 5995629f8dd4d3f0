package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// decodeYAML decodes a configuration file onto cfg: keys the file leaves
// out keep cfg's values. Before decoding, the document is checked against
// Config's shape so that an unknown key or a value of the wrong kind is
// reported with its line and its full dotted key. It returns the dotted
// keys the file sets.
func decodeYAML(name string, data []byte, cfg *Config) (map[string]bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if line := tabIndented(data); line > 0 {
			// The parser names the line before, or none: say it exactly.
			return nil, proactive.Errorf(proactive.EINVALID, "config %s: line %d: a tab indents the line: indent YAML with spaces", name, line)
		}
		return nil, proactive.Errorf(proactive.EINVALID, "config %s: %s: fix the YAML syntax", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	set := map[string]bool{}
	if len(doc.Content) == 0 { // empty file or only comments
		return set, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return set, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, proactive.Errorf(proactive.EINVALID, "config %s: line %d: the file must be a YAML mapping of settings (thresholds:, schedule:, notify:, …)", name, root.Line)
	}
	s := schemaCheck{set: set}
	s.walk(root, "", reflect.TypeFor[Config]())
	if s.err != nil {
		return nil, proactive.Errorf(proactive.EINVALID, "config %s: %s", name, s.err.Error())
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		// The schema check above catches what this could report; keep the
		// decoder's words, made readable, as a safety net.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "\n  ", "; ")
		return nil, proactive.Errorf(proactive.EINVALID, "config %s: %s", name, msg)
	}
	return set, nil
}

// tabIndented returns the first line (from 1) whose indentation holds a
// tab, 0 when none does.
func tabIndented(data []byte) int {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") && strings.TrimSpace(line) != "" {
			return i + 1
		}
	}
	return 0
}

// schemaCheck walks a YAML document along a Go type. It stops at the
// first problem (in document order), and records every key it meets.
type schemaCheck struct {
	set   map[string]bool
	err   error
	depth int // guards against recursive aliases
}

// fail records the first problem found.
func (s *schemaCheck) fail(n *yaml.Node, format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
	}
}

// walk checks node n, found under key path, against type t.
func (s *schemaCheck) walk(n *yaml.Node, path string, t reflect.Type) {
	if s.err != nil {
		return
	}
	if s.depth++; s.depth > 32 {
		s.fail(n, "%s is nested too deeply (a recursive alias?)", path)
		return
	}
	defer func() { s.depth-- }()
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null keeps the default (structs) or empties the list
	}
	switch {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			s.fail(n, "%s must be a mapping of keys (%s: then indented keys below it)", path, path)
			return
		}
		s.walkMapping(n, path, t)
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			s.fail(n, "%s must be a mapping of names to settings (%s: then one indented name: per entry)", path, path)
			return
		}
		s.walkMap(n, path, t)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			s.fail(n, "%s must be a list, e.g. [a, b] or one \"- item\" per line", path)
			return
		}
		for i, item := range n.Content {
			s.walk(item, fmt.Sprintf("%s[%d]", path, i), t.Elem())
		}
	default:
		if n.Kind != yaml.ScalarNode {
			s.fail(n, "%s must be a single value, not a list or mapping", path)
			return
		}
		s.scalar(n, path, t)
	}
}

// scalar checks one scalar value against a basic type.
func (s *schemaCheck) scalar(n *yaml.Node, path string, t reflect.Type) {
	tag := n.ShortTag()
	switch {
	case t == reflect.TypeFor[time.Duration]():
		if _, err := time.ParseDuration(n.Value); err != nil || tag != "!!str" {
			s.fail(n, "%s (%q) must be a duration with a unit, e.g. 30s or 2m", path, n.Value)
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		v, err := strconv.ParseInt(n.Value, 0, 64)
		if tag != "!!int" || err != nil || reflect.Zero(t).OverflowInt(v) {
			s.fail(n, "%s (%q) must be a whole number", path, n.Value)
		}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		if tag != "!!int" && tag != "!!float" {
			s.fail(n, "%s (%q) must be a number", path, n.Value)
		}
	case t.Kind() == reflect.Bool:
		if tag != "!!bool" {
			s.fail(n, "%s (%q) must be true or false", path, n.Value)
		}
	case t.Kind() == reflect.String:
		// any scalar reads as text
	default:
		s.fail(n, "%s cannot be set here", path)
	}
}

// walkMapping checks the keys of a mapping against the yaml fields of struct t.
func (s *schemaCheck) walkMapping(n *yaml.Node, path string, t reflect.Type) {
	fields := yamlFields(t)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content) && s.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			// a merge key: the merged mapping(s) hold keys of this struct
			if v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					s.walk(m, path, t)
				}
			} else {
				s.walk(v, path, t)
			}
			continue
		}
		key := joinKey(path, k.Value)
		ft, ok := fields[k.Value]
		if !ok {
			s.fail(k, "unknown key %s: %s", key, suggest(k.Value, path, fields))
			return
		}
		if first, dup := seen[k.Value]; dup {
			s.fail(k, "%s is set twice (first on line %d): keep one", key, first)
			return
		}
		seen[k.Value] = k.Line
		s.set[key] = true
		s.walk(v, key, ft)
	}
}

// walkMap checks a mapping of free names (notify.owners) whose values
// are of t's element type. Each entry's key path is path["name"].
func (s *schemaCheck) walkMap(n *yaml.Node, path string, t reflect.Type) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content) && s.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			s.fail(k, "%s: each name must be a single value", path)
			return
		}
		key := mapKey(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			s.fail(k, "%s is set twice (first on line %d): keep one", key, first)
			return
		}
		seen[k.Value] = k.Line
		s.set[key] = true
		s.walk(v, key, t.Elem())
	}
}

// mapKey names the entry name of the mapping at path in messages:
// notify.owners["Coach Ann"].
func mapKey(path, name string) string { return fmt.Sprintf("%s[%q]", path, name) }

// joinKey returns the dotted key of name under path.
func joinKey(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// yamlFields maps the yaml key names of struct t (inline structs
// flattened) to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest says what to write instead of an unknown key: the closest valid
// key when one is near, else the list of valid keys there.
func suggest(key, path string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestDist := "", 4
	for _, k := range names {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return "did you mean " + joinKey(path, best) + "?"
	}
	for _, k := range dottedKeys(reflect.TypeFor[Config](), "") {
		if k == key || strings.HasSuffix(k, "."+key) {
			return "did you mean " + k + "?"
		}
	}
	where := "at the top level"
	if path != "" {
		where = "under " + path
	}
	return "the keys " + where + " are " + strings.Join(names, ", ")
}

// dottedKeys lists every key of struct t, nested ones as dotted paths
// under prefix, in field order.
func dottedKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			out = append(out, dottedKeys(f.Type, prefix)...)
			continue
		}
		key := joinKey(prefix, name)
		out = append(out, key)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() {
			out = append(out, dottedKeys(f.Type, key)...)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
