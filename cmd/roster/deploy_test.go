package main

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The deployment files of docs/deployment.md: the compose file's Roster
// environment loads through Roster's configuration loader, and the systemd
// unit's ExecStart is a Roster command line with flags Roster has.
func TestDeploymentFiles(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       string            `yaml:"build"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]any    `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	roster, pg := compose.Services["roster"], compose.Services["postgres"]
	if roster.Build != "." || !strings.HasPrefix(pg.Image, "postgres:") || roster.DependsOn["postgres"] == nil {
		t.Fatalf("compose services: %+v", compose.Services)
	}
	// Substitute ${VAR...} as compose would, with test values.
	subst := regexp.MustCompile(`\$\{([A-Z_]+)[^}]*\}`)
	vals := map[string]string{"POSTGRES_PASSWORD": "pw", "ROSTER_BASE_URL": "https://roster.example.com"}
	cenv := map[string]string{}
	for k, v := range roster.Environment {
		cenv[k] = subst.ReplaceAllStringFunc(v, func(m string) string { return vals[subst.FindStringSubmatch(m)[1]] })
	}
	cfg, err := LoadConfig("", func(k string) string { return cenv[k] })
	if err != nil {
		t.Fatalf("compose environment: %v", err)
	}
	if !strings.HasPrefix(cfg.Database, "postgres://roster:pw@postgres:5432/roster") || cfg.BaseURL != "https://roster.example.com" || cfg.baseURLDefault {
		t.Fatalf("compose config: database %s base_url %s", cfg.Database, cfg.BaseURL)
	}
	if !strings.Contains(pg.Environment["POSTGRES_PASSWORD"], "POSTGRES_PASSWORD") {
		t.Fatal("postgres password is not taken from the environment")
	}

	f, err := os.Open("../../configs/roster.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			unit[section] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("roster.service: bad line %q", line)
			}
			unit[section][k] = v
		}
	}
	for _, s := range []string{"Unit", "Service", "Install"} {
		if unit[s] == nil {
			t.Fatalf("roster.service lacks [%s]", s)
		}
	}
	args := strings.Fields(unit["Service"]["ExecStart"])
	if len(args) < 2 || args[0] != "/usr/local/bin/roster" || args[len(args)-1] != "serve" {
		t.Fatalf("ExecStart %v", args)
	}
	root := newRootCmd(&env{})
	for i := 1; i < len(args)-1; i++ {
		if strings.HasPrefix(args[i], "--") && root.PersistentFlags().Lookup(strings.TrimPrefix(args[i], "--")) == nil {
			t.Fatalf("ExecStart flag %s is not a roster flag", args[i])
		}
	}
	if cmd, _, err := root.Find([]string{"serve"}); err != nil || cmd.Name() != "serve" {
		t.Fatalf("serve: %v", err)
	}
	if unit["Service"]["WorkingDirectory"] != "/var/lib/"+unit["Service"]["StateDirectory"] {
		t.Fatal("the working directory (where the default roster.db lives) is not the state directory")
	}
}
