package main

// PolicyConfig is the policy section of the configuration. The policy area owns this
// file: add fields with yaml tags (env override: ROSTER_POLICY_<FIELD>),
// defaults in defaults() and checks in validate().
type PolicyConfig struct{}

func (c *PolicyConfig) defaults() {}

func (c *PolicyConfig) validate() []string { return nil }
