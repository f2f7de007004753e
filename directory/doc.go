// Package directory syncs a team's users and groups from LDAP directories:
// Active Directory (objectGUID anchors, DirSync deltas) and OpenLDAP
// (entryUUID anchors, RFC 4533 syncrepl refreshOnly deltas), with nested
// groups flattened by Roster (cycle-safe), over ldaps:// or StartTLS
// only, trusting a CA bundle or a SHA-256 certificate pin.
//
// A Syncer reads the directory in pages and applies each batch of changes,
// with the incremental cursor, in one store transaction (db.DirectoryStore).
// Removals happen only at the end of a complete read and stop at a deletion
// threshold unless confirmed. A Service runs every connection on its
// interval, one worker per connection across replicas.
package directory
