package db

import (
	"context"
	"strings"
	"time"
)

// DirectoryKind is the flavour of LDAP server a directory connection talks to.
type DirectoryKind string

// The supported directory kinds.
const (
	DirectoryAD       DirectoryKind = "ad"       // Active Directory / Samba AD (objectGUID, DirSync)
	DirectoryOpenLDAP DirectoryKind = "openldap" // OpenLDAP and RFC 4533 servers (entryUUID, syncrepl)
)

// Valid reports whether k is a known kind.
func (k DirectoryKind) Valid() bool { return k == DirectoryAD || k == DirectoryOpenLDAP }

// DirectoryConnection is one team's link to an LDAP directory. The bind
// password is never stored in plaintext: PasswordRef is "file:/path",
// "env:NAME" or "enc:<base64 AES-GCM ciphertext>" (key from configuration).
type DirectoryConnection struct {
	ID          string
	TeamID      string
	Kind        DirectoryKind
	URL         string // ldaps://host:port or ldap://host:port (then StartTLS is required)
	StartTLS    bool
	BindDN      string
	PasswordRef string
	BaseDN      string
	UserFilter  string // an LDAP filter; empty means the kind's preset
	GroupFilter string
	// Mapping overrides the preset attribute names (keys: anchor, email,
	// username, first_name, last_name, disabled); empty keeps the preset.
	Mapping  map[string]string
	CAPEM    string // PEM CA bundle to verify the server, or
	TLSPin   string // hex SHA-256 of the server's leaf certificate
	Interval time.Duration
	// DeleteLimit overrides the deletion safety threshold (0: min(500, 20%)).
	DeleteLimit int
	Enabled     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// DirectoryCursor is a connection's incremental-sync position: the kind's
// opaque cookie (DirSync or syncrepl) and the scope it was taken for.
type DirectoryCursor struct {
	Cookie    []byte
	ScopeHash string // hash of URL, base DN and filters; a change forces a full sync
	FullAt    time.Time
}

// DirectoryAnchor links a directory object (by its immutable id) to a Roster
// user or group.
type DirectoryAnchor struct {
	ConnectionID string
	Anchor       string // objectGUID (canonical text) or entryUUID
	Kind         string // "user" or "group"
	TargetID     string // the Roster user or group id
	DN           string
	Hash         string // hash of the mapped attributes last applied
}

// DirectoryUser is a directory user entry mapped to Roster's fields.
type DirectoryUser struct {
	Anchor    string
	DN        string
	Email     string
	UserName  string
	FirstName string
	LastName  string
	Disabled  bool
	Hash      string
}

// DirectoryGroup is a directory group with its flattened members (user anchors).
type DirectoryGroup struct {
	Anchor      string
	DN          string
	DisplayName string
	Members     []string // user anchors, nested groups already flattened
	Hash        string   // hash of name and member set
}

// DirectoryBatch is one transaction's worth of changes from a sync run. The
// store applies it, and the cursor if set, atomically.
type DirectoryBatch struct {
	Users        []DirectoryUser
	DeleteUsers  []string // user anchors whose entries are gone
	Groups       []DirectoryGroup
	DeleteGroups []string // group anchors
	Cursor       *DirectoryCursor
	// DryRun computes the result and rolls back.
	DryRun bool
}

// DirectoryChange is one planned or applied change (reported by dry runs).
type DirectoryChange struct {
	Action string `json:"action"` // create, update, deactivate, delete, link, group.create, group.members, ...
	Kind   string `json:"kind"`   // user or group
	Anchor string `json:"anchor"`
	Email  string `json:"email,omitempty"`
	Name   string `json:"name,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// DirectoryCounts are the totals of a run or batch.
type DirectoryCounts struct {
	Created     int `json:"created"`
	Updated     int `json:"updated"`
	Deactivated int `json:"deactivated"`
	Deleted     int `json:"deleted"`
	Unchanged   int `json:"unchanged"`
	Skipped     int `json:"skipped"`
	// Conflicts are changes the directory asked for that a domain rule
	// refused (disabling the primary admin, R-ADM-1); the rest of the entry applied.
	Conflicts      int `json:"conflicts"`
	GroupsCreated  int `json:"groups_created"`
	GroupsUpdated  int `json:"groups_updated"`
	GroupsDeleted  int `json:"groups_deleted"`
	MembersAdded   int `json:"members_added"`
	MembersRemoved int `json:"members_removed"`
}

// Add accumulates o into c.
func (c *DirectoryCounts) Add(o DirectoryCounts) {
	c.Created += o.Created
	c.Updated += o.Updated
	c.Deactivated += o.Deactivated
	c.Deleted += o.Deleted
	c.Unchanged += o.Unchanged
	c.Skipped += o.Skipped
	c.Conflicts += o.Conflicts
	c.GroupsCreated += o.GroupsCreated
	c.GroupsUpdated += o.GroupsUpdated
	c.GroupsDeleted += o.GroupsDeleted
	c.MembersAdded += o.MembersAdded
	c.MembersRemoved += o.MembersRemoved
}

// DirectoryResult is what applying a batch did (or, in a dry run, would do).
type DirectoryResult struct {
	Counts  DirectoryCounts
	Changes []DirectoryChange
}

// DirectoryRun is one sync run in the connection's history.
type DirectoryRun struct {
	ID           int64
	ConnectionID string
	TeamID       string
	Mode         string // full or delta
	DryRun       bool
	StartedAt    time.Time
	Duration     time.Duration
	Counts       DirectoryCounts
	Error        string
	// PendingDeletes is how many removals the deletion threshold held back
	// (DeleteLimit the limit then): the run waits for an admin to confirm.
	PendingDeletes int
	DeleteLimit    int
}

// DirectoryStore is the storage the directory sync worker needs beyond Store.
type DirectoryStore interface {
	CreateDirectoryConnection(ctx context.Context, c DirectoryConnection, by Actor) (DirectoryConnection, error)
	GetDirectoryConnection(ctx context.Context, teamID, id string) (DirectoryConnection, error)
	// ListDirectoryConnections lists a team's connections, or every team's when teamID is "".
	ListDirectoryConnections(ctx context.Context, teamID string) ([]DirectoryConnection, error)
	DeleteDirectoryConnection(ctx context.Context, teamID, id string, by Actor) error

	// DirectoryCursor returns the stored cursor (zero value if none).
	DirectoryCursor(ctx context.Context, connID string) (DirectoryCursor, error)
	// DirectoryAnchors looks anchors up by id (kind "" matches both).
	DirectoryAnchors(ctx context.Context, connID string, anchors []string) (map[string]DirectoryAnchor, error)
	// DirectoryAnchorsByDN looks anchors up by DN (case-insensitive), keyed by lower-cased DN.
	DirectoryAnchorsByDN(ctx context.Context, connID string, dns []string) (map[string]DirectoryAnchor, error)
	// DirectoryAnchorsWithDN lists every anchor whose DN is one of dns
	// (case-insensitive); several may share a DN (an entry removed and
	// another created at its DN since the anchors were written).
	DirectoryAnchorsWithDN(ctx context.Context, connID string, dns []string) ([]DirectoryAnchor, error)
	// EachDirectoryAnchor streams a connection's anchors of a kind, ordered by anchor.
	EachDirectoryAnchor(ctx context.Context, connID, kind string, fn func(DirectoryAnchor) error) error
	CountDirectoryAnchors(ctx context.Context, connID, kind string) (int, error)
	// ApplyDirectoryBatch applies b (users, deletions, groups, then the cursor)
	// in one transaction, acting as by. A user anchored for the first time is
	// linked to an existing user of the team with the same email.
	ApplyDirectoryBatch(ctx context.Context, conn DirectoryConnection, b DirectoryBatch, by Actor) (DirectoryResult, error)

	RecordDirectoryRun(ctx context.Context, r DirectoryRun) (DirectoryRun, error)
	// ListDirectoryRuns lists a team's runs (of one connection if connID != ""), newest first.
	ListDirectoryRuns(ctx context.Context, teamID, connID string, limit int) ([]DirectoryRun, error)
	// TryLockDirectory takes a cluster-wide lock for a connection (a PostgreSQL
	// advisory lock; a MySQL named lock; in-process for SQLite). ok is false if
	// another worker holds it. unlock releases it.
	TryLockDirectory(ctx context.Context, connID string) (unlock func(), ok bool, err error)
}

// DirectorySnapshot is what the store reads for one batch before deciding
// anything (issue 10 #2): the planner (directory.Plan) turns a batch and its
// snapshot into a DirectoryPlan without LDAP or SQL.
type DirectorySnapshot struct {
	// Anchors are the connection's anchors for the batch's user keys
	// (entries and deletions), by anchor.
	Anchors map[string]DirectoryAnchor
	// ByEmail are the team's users whose normalised email (NormalizeEmail)
	// is that of an entry not anchored yet.
	ByEmail map[string]User
	// UserNames maps each lower-cased userName of the batch that a user of
	// the team already has to that user's id.
	UserNames map[string]string
	// Current are the rows, by id, of anchored users whose entry changed
	// (another attribute hash) and of the users the batch deletes.
	Current map[string]User

	// GroupAnchors are the connection's anchors for the batch's group keys
	// (entries and deletions), by anchor.
	GroupAnchors map[string]DirectoryAnchor
	// Groups are the team's groups those anchors point at, by id (an
	// anchor whose group an admin removed has none).
	Groups map[string]Group
	// GroupsByName are the team's groups whose lower-cased, trimmed display
	// name is that of one of the batch's groups (GroupNameKey).
	GroupsByName map[string]Group
}

// GroupNameKey is how the directory matches a group by name: trimmed and
// lower-cased, as the store's display_name_lower column holds it.
func GroupNameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// DirectoryStep is one decision of a plan: the mutation to apply (nil for
// none), the anchor to write (nil for none; Unlink removes it) and the change
// to report. Prev is the anchor before the step, when there was one.
type DirectoryStep struct {
	Mutation Mutation
	Anchor   *DirectoryAnchor
	Unlink   string // an anchor to remove
	Prev     *DirectoryAnchor
	Entry    DirectoryUser
	Change   *DirectoryChange
	// Conflict is set when the entry asked for a change a domain rule
	// refuses (deactivating the primary admin, R-ADM-1); the rest applies.
	Conflict *DirectoryChange
}

// DirectoryGroupStep is one decision about a group entry or a deleted group
// anchor. Mutation is GroupCreate, GroupRename, GroupDelete or nil. GroupID
// is the existing group the step works on; when the group is one an earlier
// step of this plan creates, SameAs is that step's index plus one. If
// SetMembers is true, the entry's member anchors (resolved to the users
// they link, after the batch's users are applied) become the group's exact
// member set through the writer's one diff. Anchor is written with the
// group's id as its target; Unlink is an anchor to remove. Linked says the
// entry was already linked to a live group (a member change counts as a
// group update).
type DirectoryGroupStep struct {
	Entry      DirectoryGroup
	Mutation   Mutation
	GroupID    string
	SameAs     int
	SetMembers bool
	Linked     bool
	Anchor     *DirectoryAnchor
	Unlink     string
	Change     *DirectoryChange
}

// DirectoryPlan is what a batch will do: the user steps in order, then the
// group steps (upserts, then deletions), and the counts the user steps add
// up to when every mutation applies (group counts depend on the member
// diff and are counted as the steps apply).
type DirectoryPlan struct {
	Steps  []DirectoryStep
	Groups []DirectoryGroupStep
	Counts DirectoryCounts
}

// DirectoryPlanner decides a batch from its snapshot (directory.Plan).
type DirectoryPlanner func(conn DirectoryConnection, b DirectoryBatch, snap DirectorySnapshot, by Actor) DirectoryPlan
