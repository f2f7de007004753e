package main

import "time"

// SSOConfig is the sso section of the configuration (env override:
// ROSTER_SSO_<FIELD>). Per-team settings live in the database; these are
// the process-wide limits of the SAML service providers.
type SSOConfig struct {
	// MetadataRefreshInterval is how often IdP metadata URLs are fetched again.
	MetadataRefreshInterval time.Duration `yaml:"metadata_refresh_interval"`
	// MetadataTimeout bounds one metadata fetch.
	MetadataTimeout time.Duration `yaml:"metadata_timeout"`
	// MetadataMaxBytes caps a metadata document.
	MetadataMaxBytes int64 `yaml:"metadata_max_bytes"`
	// BlockPrivateMetadataURLs refuses metadata URLs that resolve to private,
	// link-local or (unless AllowLoopbackMetadata) loopback addresses. Off by
	// default: self-hosted IdPs often live on internal networks.
	BlockPrivateMetadataURLs bool `yaml:"block_private_metadata_urls"`
	// AllowLoopbackMetadata keeps loopback allowed when private URLs are blocked.
	AllowLoopbackMetadata bool `yaml:"allow_loopback_metadata"`
	// SessionTTL is how long a sign-in session lasts.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// MaxResponseBytes caps the body posted to an ACS.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// CertWarning is how long before a trusted IdP certificate expires that
	// it is reported.
	CertWarning time.Duration `yaml:"cert_warning"`
}

func (c *SSOConfig) defaults() {
	c.MetadataRefreshInterval = time.Hour
	c.MetadataTimeout = 10 * time.Second
	c.MetadataMaxBytes = 1 << 20
	c.AllowLoopbackMetadata = true
	c.SessionTTL = 12 * time.Hour
	c.MaxResponseBytes = 512 << 10
	c.CertWarning = 30 * 24 * time.Hour
}

func (c *SSOConfig) validate() []string {
	var p []string
	check := func(ok bool, msg string) {
		if !ok {
			p = append(p, msg)
		}
	}
	check(c.MetadataRefreshInterval >= time.Minute, "sso.metadata_refresh_interval: must be at least 1m")
	check(c.MetadataTimeout > 0 && c.MetadataTimeout <= time.Minute, "sso.metadata_timeout: must be between 0 and 1m")
	check(c.MetadataMaxBytes >= 4<<10 && c.MetadataMaxBytes <= 16<<20, "sso.metadata_max_bytes: must be between 4 KiB and 16 MiB")
	check(c.SessionTTL >= time.Minute, "sso.session_ttl: must be at least 1m")
	check(c.MaxResponseBytes >= 16<<10 && c.MaxResponseBytes <= 8<<20, "sso.max_response_bytes: must be between 16 KiB and 8 MiB")
	check(c.CertWarning > 0, "sso.cert_warning: must be positive")
	return p
}
