package main

// SCIMConfig is the scim section of the configuration. The scim area owns this
// file: add fields with yaml tags (env override: ROSTER_SCIM_<FIELD>),
// defaults in defaults() and checks in validate().
type SCIMConfig struct{}

func (c *SCIMConfig) defaults() {}

func (c *SCIMConfig) validate() []string { return nil }
