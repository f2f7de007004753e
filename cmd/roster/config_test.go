package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noenv(string) string { return "" }

// Every file in configs/ loads and validates.
func TestExampleConfigs(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example configs found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadConfig(f, noenv); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"unknown key", "databse: x.db\n", nil, "field databse not found"},
		{"unknown nested key", "log:\n  colour: red\n", nil, "field colour not found"},
		{"malformed yaml", "listen: [\n", nil, "yaml"},
		{"bad log format", "log:\n  format: xml\n", nil, "log.format"},
		{"bad level", "log:\n  level: loud\n", nil, "log.level"},
		{"base url with path", "base_url: https://x.test/roster\n", nil, "base_url"},
		{"base url not absolute", "base_url: roster.test\n", nil, "base_url"},
		{"bad listen", "listen: eighty\n", nil, "listen"},
		{"env not an integer", "", map[string]string{"ROSTER_API_MAX_BODY_BYTES": "lots"}, "ROSTER_API_MAX_BODY_BYTES: not an integer"},
		{"env bad value", "", map[string]string{"ROSTER_LOG_FORMAT": "xml"}, "log.format"},
		{"short cursor key", "", map[string]string{"ROSTER_SCIM_CURSOR_KEY": "abcd"}, "scim.cursor_key"},
		{"short console key", "", map[string]string{"ROSTER_CONSOLE_SECRET_KEY": "abcd"}, "console.secret_key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(p, []byte(c.yaml), 0o600)
			_, err := LoadConfig(p, func(k string) string { return c.env[k] })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestConfigPrecedence(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("database: file.db\nlisten: ':9000'\nlog:\n  level: debug\n"), 0o600)
	env := map[string]string{"ROSTER_DATABASE": "env.db", "ROSTER_BASE_URL": "https://roster.example.com/"}
	cfg, err := LoadConfig(p, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "env.db" || cfg.Listen != ":9000" || cfg.Log.Level != "debug" || cfg.BaseURL != "https://roster.example.com" {
		t.Fatalf("config = %+v", cfg)
	}
	def, _ := LoadConfig("", noenv)
	if def.Database != "roster.db" || def.Listen != ":8080" || def.BaseURL != "http://localhost:8080" {
		t.Fatalf("defaults = %+v", def)
	}
}
