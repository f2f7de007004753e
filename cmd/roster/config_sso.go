package main

// SSOConfig is the sso section of the configuration. The sso area owns this
// file: add fields with yaml tags (env override: ROSTER_SSO_<FIELD>),
// defaults in defaults() and checks in validate().
type SSOConfig struct{}

func (c *SSOConfig) defaults() {}

func (c *SSOConfig) validate() []string { return nil }
