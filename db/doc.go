// Package db holds Roster's domain: accounts, teams, users, groups, admin
// roles, tokens and the audit log, the sentinel errors callers branch on, and
// the Store contract every storage backend implements. It imports only the
// standard library, so every other package can depend on it and it on none.
package db
