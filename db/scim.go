package db

import "context"

// SCIMStore is the storage the SCIM service provider needs beyond Store:
// filtered, sorted and paged queries run by the database, a multi-valued email
// index, and writes that keep that index in the same transaction as the user.
type SCIMStore interface {
	// CreateSCIMUser is Store.CreateUser plus the user's email index rows.
	CreateSCIMUser(ctx context.Context, teamID string, in NewUser, emails []UserEmail, by Actor) (User, error)
	// UpdateSCIMUser is Store.UpdateUser; if change sets *emails to a non-nil
	// slice, the user's email index is replaced in the same transaction.
	UpdateSCIMUser(ctx context.Context, teamID, userID string, ifVersion int64, by Actor, change func(u *User, emails *[]UserEmail) error) (User, error)
	// GetSCIMUser is Store.GetUser for the SCIM read path (same result and errors).
	GetSCIMUser(ctx context.Context, teamID, userID string) (User, error)
	// GetSCIMUserExpected is GetSCIMUser and the user's ExpectedTypesOf
	// entry ("" for an admin) read together, in one round trip.
	GetSCIMUserExpected(ctx context.Context, teamID, userID string) (User, UserType, error)
	// ExpectedTypesOf is Store.ExpectedTypes for users already read (it does
	// not read them again); admins are left out (never exceptions).
	ExpectedTypesOf(ctx context.Context, teamID string, users []User) (map[string]UserType, error)
	// UserEmails returns the indexed emails of the given users, by user id.
	UserEmails(ctx context.Context, teamID string, userIDs []string) (map[string][]UserEmail, error)
	// SearchUsers returns one page of the team's users matching q.Filter and
	// the total number of matches.
	SearchUsers(ctx context.Context, teamID string, q Query) ([]User, int, error)
	// SearchGroups is SearchUsers for groups.
	SearchGroups(ctx context.Context, teamID string, q Query) ([]Group, int, error)
	// GroupsOfUsers returns the direct groups of each given user (one query).
	GroupsOfUsers(ctx context.Context, teamID string, userIDs []string) (map[string][]Group, error)
	// PatchGroup changes a group's attributes and members in one transaction:
	// change (may be nil) edits the attributes; then, if replace is non-nil,
	// members become exactly *replace, otherwise add and remove are applied.
	// Work is proportional to the members changed, except for replace.
	PatchGroup(ctx context.Context, teamID, groupID string, ifVersion int64, by Actor, change func(*Group) error, add, remove []string, replace *[]string) (Group, error)
}

// UserEmail is one entry of a user's multi-valued emails attribute.
type UserEmail struct {
	Value   string
	Type    string // "work", "home", "other" or anything the client sent
	Primary bool
}

// Query selects, orders and pages resources of one team.
type Query struct {
	Filter *Expr // nil matches everything
	// SortBy is a Field to order by (FieldID when empty); ties break on id.
	SortBy     Field
	Descending bool
	// Offset skips that many matches (index paging); After, if set, starts
	// after that id (keyset paging; only with the default id order).
	Offset int
	After  string
	// Limit is the page size; 0 returns no items, only the total.
	Limit int
	// SkipTotal avoids the count query (the caller does not need it).
	SkipTotal bool
}

// Field names a filterable attribute in storage-neutral terms. Core fields map
// to columns; FieldAttr addresses a string inside the JSON attributes.
type Field string

// Filterable fields of users and groups.
const (
	FieldID           Field = "id"
	FieldExternalID   Field = "externalId"
	FieldUserName     Field = "userName"
	FieldEmail        Field = "email" // the primary email column
	FieldGivenName    Field = "givenName"
	FieldFamilyName   Field = "familyName"
	FieldActive       Field = "active" // bool
	FieldUserType     Field = "userType"
	FieldDisplayName  Field = "displayName"  // groups
	FieldCreated      Field = "created"      // time.Time
	FieldLastModified Field = "lastModified" // time.Time
	// Fields of one element of a multi-valued attribute, inside ExprAny.
	FieldEmailValue   Field = "emails.value"
	FieldEmailType    Field = "emails.type"
	FieldEmailPrimary Field = "emails.primary"
	FieldMemberValue  Field = "members.value"
	// FieldAttr: Expr.JSONPath names a string inside the JSON attributes.
	FieldAttr Field = "attr"
)

// ExprOp is the kind of an Expr node.
type ExprOp string

// Expression node kinds.
const (
	ExprAnd ExprOp = "and"
	ExprOr  ExprOp = "or"
	ExprNot ExprOp = "not"
	ExprCmp ExprOp = "cmp"
	// ExprAny: some element of the multi-valued attribute Multi matches Args[0].
	ExprAny ExprOp = "any"
)

// CmpOp is a SCIM comparison operator.
type CmpOp string

// Comparison operators (RFC 7644 §3.4.2.2).
const (
	CmpEq CmpOp = "eq"
	CmpNe CmpOp = "ne"
	CmpCo CmpOp = "co"
	CmpSw CmpOp = "sw"
	CmpEw CmpOp = "ew"
	CmpGt CmpOp = "gt"
	CmpGe CmpOp = "ge"
	CmpLt CmpOp = "lt"
	CmpLe CmpOp = "le"
	CmpPr CmpOp = "pr"
)

// Expr is a storage-neutral filter: the scim package builds it from a SCIM
// filter; a backend turns it into a parameterised query.
type Expr struct {
	Op   ExprOp
	Args []*Expr // and/or: two or more; not/any: one

	// For ExprAny: the multi-valued attribute ("emails" or "members").
	Multi string

	// For ExprCmp:
	Field    Field
	JSONPath []string // for FieldAttr: keys from the top of the attributes object
	Cmp      CmpOp
	// Value is a string, bool, float64 or time.Time (nil for pr).
	Value any
	// CaseExact compares strings exactly; otherwise case-insensitively.
	CaseExact bool
}
