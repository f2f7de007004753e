package db

import (
	"context"
	"fmt"
	"strings"
)

// AccessLevel is a member's account access level (seed 002): what the
// member may see and do in the account, apart from the team's admin roles.
type AccessLevel string

// The account access levels of seed 002.
const (
	LevelMember         AccessLevel = "member"
	LevelAccountAdmin   AccessLevel = "account-admin"
	LevelExecutive      AccessLevel = "executive"
	LevelStandardsAdmin AccessLevel = "standards-admin"
)

// Valid reports whether l is one of the four levels.
func (l AccessLevel) Valid() bool {
	switch l {
	case LevelMember, LevelAccountAdmin, LevelExecutive, LevelStandardsAdmin:
		return true
	}
	return false
}

// TeamMember is a team user with the account-administration fields of seeds
// 002–004: company (from the team's companies list), a free-text job role
// used to apply permissions quickly, and an access level.
type TeamMember struct {
	User    User
	Company string
	JobRole string
	Level   AccessLevel
}

// NewMember is one row of an add-members request (R-MEM-1).
type NewMember struct {
	Email     string
	FirstName string
	LastName  string
	Company   string
	JobRole   string
	Level     AccessLevel // empty: member
}

// MembersAddMax is the most rows one AddMembers call takes; the quick path
// (one company, role and level for all) takes at most QuickAddMax.
const (
	MembersAddMax = 1000
	QuickAddMax   = 100
)

// MemberEdit is a bulk edit (R-MEM-2): each non-nil field is set on every
// member named, overwriting what earlier edits (bulk or per member) set.
type MemberEdit struct {
	Company *string
	JobRole *string
	Level   *AccessLevel
}

// Overwrite is one earlier value a bulk edit replaced (R-MEM-2 says so).
type Overwrite struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Field  string `json:"field"` // company, role, level
	From   string `json:"from"`
	To     string `json:"to"`
}

// MemberQuery selects, filters, sorts and pages a team's members (R-MEM-6),
// all in SQL. Q matches name, email, company and role case-insensitively as
// a substring; the other filters are exact (Company case-insensitive).
// Sort is one of MemberSortColumns (default email); After is the previous
// page's Next cursor.
type MemberQuery struct {
	Q       string
	Status  Status
	Company string
	Level   AccessLevel
	Type    UserType
	Source  Source
	// Product keeps the members with access to that product key in any
	// project (the "by product" view).
	Product string
	// Admin is "admin" for the team's admins only, "user" for everyone
	// else, "" for all.
	Admin string
	Sort  string
	Desc  bool
	After string
	Limit int // default 100, at most 1000
}

// MemberSortColumns are the columns members sort by.
var MemberSortColumns = []string{"email", "name", "first_name", "last_name", "company", "role", "level", "status", "type", "source", "admin_role"}

// MemberPage is one page of members; Next is empty on the last page.
type MemberPage struct {
	Members []TeamMember
	Next    string
}

// RowError is why one row of a multi-row request was refused.
type RowError struct {
	Row     int    `json:"row"` // 1-based position in the request
	Email   string `json:"email"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RowErrors is a refused multi-row request: Err says what kind, Rows says
// which rows and why. Nothing of the request was applied.
type RowErrors struct {
	Err  *Error
	Rows []RowError
}

func (e *RowErrors) Error() string { return e.Err.Message }

// Unwrap exposes the *Error (and through it the sentinel).
func (e *RowErrors) Unwrap() error { return e.Err }

// MemberStore is the members area of a store (issue 11 #1-#3, R-MEM-1,
// R-MEM-2, R-MEM-4, R-MEM-6). Members are team users created and removed
// through the one writer (UserCreate, UserDelete).
type MemberStore interface {
	// AddMembers creates every row as a pending team user with its
	// company, role and level, all or nothing: a duplicate in the list, an
	// address already in the team or a malformed row refuses the whole
	// request with a *RowErrors naming each bad row.
	AddMembers(ctx context.Context, teamID string, rows []NewMember, by Actor) ([]TeamMember, error)
	// EditMembers applies one bulk edit to the members userIDs, all or
	// nothing, and reports each earlier value it overwrote.
	EditMembers(ctx context.Context, teamID string, userIDs []string, edit MemberEdit, by Actor) ([]TeamMember, []Overwrite, error)
	// RemoveMember removes the member from the team (UserDelete) with
	// everything that hangs on them, atomically (R-MEM-4).
	RemoveMember(ctx context.Context, teamID, userID string, by Actor) error
	GetMember(ctx context.Context, teamID, userID string) (TeamMember, error)
	// QueryMembers searches, filters, sorts and pages members in SQL (R-MEM-6).
	QueryMembers(ctx context.Context, teamID string, q MemberQuery) (MemberPage, error)
	// ListCompanies is the team's companies list, by name.
	ListCompanies(ctx context.Context, teamID string) ([]string, error)
}

// SplitEmailList splits a pasted address list on commas, semicolons, tabs,
// spaces and newlines (R-MEM-1), dropping empty entries. It does not
// validate the addresses (AddMembers reports malformed ones per row).
func SplitEmailList(list string) []string {
	return strings.FieldsFunc(list, func(r rune) bool {
		switch r {
		case ',', ';', '\t', ' ', '\n', '\r':
			return true
		}
		return false
	})
}

// QuickAddRows is the quick path of R-MEM-1: the pasted list, every row with
// the same company, role and level; at most QuickAddMax addresses.
func QuickAddRows(list, company, role string, level AccessLevel) ([]NewMember, error) {
	emails := SplitEmailList(list)
	if len(emails) == 0 {
		return nil, Errorf(ErrInvalid, "emails_required", "no email addresses given")
	}
	if len(emails) > QuickAddMax {
		return nil, Errorf(ErrInvalid, "too_many_emails", "%d addresses given; the quick path takes at most %d at once (use a file for more)", len(emails), QuickAddMax)
	}
	rows := make([]NewMember, len(emails))
	for i, e := range emails {
		rows[i] = NewMember{Email: e, Company: company, JobRole: role, Level: level}
	}
	return rows, nil
}

// ParseAccessLevel accepts a level name ("" is member).
func ParseAccessLevel(s string) (AccessLevel, error) {
	l := AccessLevel(strings.ToLower(strings.TrimSpace(s)))
	if l == "" {
		return LevelMember, nil
	}
	if !l.Valid() {
		return "", Errorf(ErrInvalid, "level_invalid", "level %q is not member, account-admin, executive or standards-admin", s)
	}
	return l, nil
}

// String is the member's email, for messages.
func (m TeamMember) String() string { return fmt.Sprintf("%s (%s)", m.User.Email, m.User.ID) }
