package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is Roster's whole configuration: defaults, then the YAML file
// (--config), then ROSTER_* environment variables, then flags.
type Config struct {
	// Database is a file path or sqlite: URL, postgres://..., or mysql://...
	Database string `yaml:"database"`
	// Listen is the HTTP listen address.
	Listen string `yaml:"listen"`
	// BaseURL is Roster's public URL, used wherever it tells a client its own URL.
	BaseURL string        `yaml:"base_url"`
	Log     LogConfig     `yaml:"log"`
	API     APIConfig     `yaml:"api"`
	HTTP    HTTPConfig    `yaml:"http"`
	Metrics MetricsConfig `yaml:"metrics"`
	TLS     TLSConfig     `yaml:"tls"`

	SCIM      SCIMConfig      `yaml:"scim"`
	Directory DirectoryConfig `yaml:"directory"`
	SSO       SSOConfig       `yaml:"sso"`
	Policy    PolicyConfig    `yaml:"policy"`
	Mail      MailConfig      `yaml:"mail"`
	Webhooks  WebhooksConfig  `yaml:"webhooks"`

	// baseURLDefault is true when neither the file nor ROSTER_BASE_URL set
	// base_url, so BaseURL is only the localhost default (see env.BaseURL).
	baseURLDefault bool
}

// defaultBaseURL is base_url when nothing sets it.
const defaultBaseURL = "http://localhost:8080"

// LogConfig selects the log format and level.
type LogConfig struct {
	Format string `yaml:"format"` // text or json
	Level  string `yaml:"level"`  // debug, info, warn, error
}

// APIConfig tunes the admin API.
type APIConfig struct {
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// HTTPConfig tunes the HTTP server.
type HTTPConfig struct {
	// TrustedProxies are the IP addresses or CIDR prefixes of reverse
	// proxies whose X-Forwarded-For the request log believes; from any
	// other peer the header is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// MetricsConfig places the Prometheus endpoint.
type MetricsConfig struct {
	// Listen, when set, serves GET /metrics on this address only (e.g.
	// 127.0.0.1:9090) instead of on the main listener.
	Listen string `yaml:"listen"`
}

// TLSConfig makes `roster serve` terminate TLS itself. Both files or
// neither; without them Roster serves plain HTTP for a TLS-terminating proxy.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"` // PEM certificate chain
	KeyFile  string `yaml:"key_file"`  // PEM private key
}

// DefaultConfig is the configuration with nothing set: SQLite in the working
// directory, so `roster serve` runs with no setup.
func DefaultConfig() Config {
	c := Config{
		Database: "roster.db",
		Listen:   ":8080",
		BaseURL:  defaultBaseURL,
		Log:      LogConfig{Format: "text", Level: "info"},
		API:      APIConfig{MaxBodyBytes: 1 << 20},
	}
	c.SCIM.defaults()
	c.Directory.defaults()
	c.SSO.defaults()
	c.Policy.defaults()
	c.Webhooks.defaults()
	return c
}

// LoadConfig reads path (if non-empty; unknown keys are an error), applies
// ROSTER_* environment overrides and validates the result.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	cfg := DefaultConfig()
	cfg.BaseURL = "" // to tell "unset" from "set to the default"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := decodeConfig(b, &cfg); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), "ROSTER", getenv); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL, cfg.baseURLDefault = defaultBaseURL, true
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func decodeConfig(b []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// applyEnv sets each leaf field from PREFIX_<YAML PATH> (upper case, '_'
// between levels): log.format ← ROSTER_LOG_FORMAT, scim.rate_limit ←
// ROSTER_SCIM_RATE_LIMIT.
func applyEnv(v reflect.Value, prefix string, getenv func(string) string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
			if err := applyEnv(fv, name, getenv); err != nil {
				return err
			}
			continue
		}
		raw := getenv(name)
		if raw == "" {
			continue
		}
		if err := setFromString(fv, raw); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	return nil
}

func setFromString(fv reflect.Value, raw string) error {
	switch {
	case fv.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration: %q", raw)
		}
		fv.SetInt(int64(d))
	case fv.Kind() == reflect.String:
		fv.SetString(raw)
	case fv.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", raw)
		}
		fv.SetBool(b)
	case fv.Kind() >= reflect.Int && fv.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", raw)
		}
		fv.SetInt(n)
	case fv.Kind() == reflect.Float64:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("not a number: %q", raw)
		}
		fv.SetFloat(n)
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
		parts := strings.Split(raw, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		fv.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// Validate runs the table of checks and reports every failure at once.
func (c *Config) Validate() error {
	var problems []string
	check := func(ok bool, msg string) {
		if !ok {
			problems = append(problems, msg)
		}
	}
	check(strings.TrimSpace(c.Database) != "", "database: must not be empty")
	check(c.Listen != "" && strings.Contains(c.Listen, ":"), "listen: must be host:port or :port")
	u, err := url.Parse(c.BaseURL)
	check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && (u.Path == "" || u.Path == "/"),
		"base_url: must be an absolute http(s) URL without a path, e.g. https://roster.example.com")
	check(c.Log.Format == "text" || c.Log.Format == "json", "log.format: must be text or json")
	_, lerr := parseLevel(c.Log.Level)
	check(lerr == nil, "log.level: must be debug, info, warn or error")
	check(c.API.MaxBodyBytes > 0, "api.max_body_bytes: must be positive")
	check(c.Metrics.Listen == "" || strings.Contains(c.Metrics.Listen, ":"), "metrics.listen: must be host:port or :port")
	check((c.TLS.CertFile == "") == (c.TLS.KeyFile == ""), "tls: set both cert_file and key_file, or neither")
	if _, err := parseTrustedProxies(c.HTTP.TrustedProxies); err != nil {
		check(false, "http.trusted_proxies: "+err.Error())
	}
	problems = append(problems, c.SCIM.validate()...)
	problems = append(problems, c.Directory.validate()...)
	problems = append(problems, c.SSO.validate()...)
	problems = append(problems, c.Policy.validate()...)
	problems = append(problems, c.Mail.validate()...)
	problems = append(problems, c.Webhooks.validate()...)
	if len(problems) > 0 {
		return fmt.Errorf("invalid configuration: %s", strings.Join(problems, "; "))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func buildLogger(w io.Writer, format, level string) *slog.Logger {
	l, err := parseLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	// ctxHandler: every line logged with a request's context carries its id.
	if format == "json" {
		return slog.New(ctxHandler{slog.NewJSONHandler(w, opts)})
	}
	return slog.New(ctxHandler{slog.NewTextHandler(w, opts)})
}
