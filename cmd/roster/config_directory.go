package main

// DirectoryConfig is the directory section of the configuration. The directory area owns this
// file: add fields with yaml tags (env override: ROSTER_DIRECTORY_<FIELD>),
// defaults in defaults() and checks in validate().
type DirectoryConfig struct{}

func (c *DirectoryConfig) defaults() {}

func (c *DirectoryConfig) validate() []string { return nil }
