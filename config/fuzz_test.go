package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// FuzzLoad feeds any bytes to the configuration loader as a YAML file.
// Properties: no panic; a refusal is EINVALID with a message; what loads
// is valid, and written back as YAML loads to the same settings.
func FuzzLoad(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yml")
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(string(data))
	}
	f.Add("thresholds: {health_drop_medium: 1e309}\n")
	f.Add("a: &a [*a]\n")
	f.Add("postgres:\n  statement_timeout: 9223372036854775807ns\n")
	f.Add("schedule: \"@every 1s\"\nserve: {api_tokens: [\"\\u0000\"]}\n")
	f.Fuzz(func(t *testing.T, data string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "ptd.yml")
		require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
		cfg, err := Load(path, nil)
		if err != nil {
			require.Equal(t, proactive.EINVALID, proactive.ErrorCode(err), "%v", err)
			require.NotEmpty(t, proactive.ErrorMessage(err))
			return
		}
		require.NoError(t, cfg.Validate())
		out, err := yaml.Marshal(cfg)
		require.NoError(t, err)
		again := filepath.Join(dir, "again.yml")
		require.NoError(t, os.WriteFile(again, out, 0o600))
		back, err := Load(again, nil)
		require.NoError(t, err, "written back:\n%s", out)
		require.Equal(t, emptyAsNil(cfg), emptyAsNil(back), "written back:\n%s", out)
	})
}

// emptyAsNil returns c with its empty lists nil (they mean the same).
func emptyAsNil(c Config) Config {
	nilIfEmpty := func(v reflect.Value) {
		if v.Kind() == reflect.Slice && v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
		}
	}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Slice:
			nilIfEmpty(v)
		}
	}
	walk(reflect.ValueOf(&c).Elem())
	return c
}
