package adminapi

import (
	"context"

	"github.com/roster-dev/roster/db"
)

// Roles are the admin roles allowed to do something, and why (the rule a
// refusal quotes).
type Roles struct {
	Allowed []db.Role
	Why     string
}

// AllAdmins is R-ADM-6: every admin role may manage users and reports
// (read from the one authorization table, db.Authorization).
var AllAdmins = RolesFor(db.ActTeamUsersManage, "")

// SSOAdmins is R-ADM-7: only the primary admin and SSO admins manage SSO.
var SSOAdmins = RolesFor(db.ActTeamSSOManage, "only the team's primary admin and SSO admins manage SSO (R-ADM-7)")

// RolesFor is the team admin roles the authorization table allows to do a.
func RolesFor(a db.Action, why string) Roles {
	r := Roles{Why: why}
	for _, role := range []db.Role{db.RolePrimary, db.RoleSecondary, db.RoleSSO} {
		if db.Can(db.TeamPrincipal(role), a) {
			r.Allowed = append(r.Allowed, role)
		}
	}
	return r
}

// refuse is a 403 with the rule's reason appended.
func refuse(code string, roles Roles, format string, args ...any) error {
	if roles.Why != "" {
		format += "; " + roles.Why
	}
	return db.Errorf(db.ErrForbidden, code, format, args...)
}

// AdminRef names the user who acts as an admin: by id (the owner of an
// admin API token) or by email (the CLI's --as).
type AdminRef struct {
	UserID string
	Email  string
}

// UserLookup is what ActingAdmin reads.
type UserLookup interface {
	GetUser(ctx context.Context, teamID, userID string) (db.User, error)
	FindUser(ctx context.Context, teamID string, key db.UserKey) (db.User, error)
}

// ActingAdmin is the one rule for who may act as an admin of a team, for
// the admin API's bearer tokens and the CLI's --as alike: the user must be an
// active admin (a demoted or deactivated admin holds no power at once, issue
// 9 #1) whose role is among allowed. It returns the user whenever one was
// found, also with a refusal. A token whose owner is gone is unauthenticated;
// an unknown --as email is not_admin.
func ActingAdmin(ctx context.Context, s UserLookup, teamID string, ref AdminRef, allowed Roles) (db.User, error) {
	var u db.User
	var err error
	if ref.UserID != "" {
		if u, err = s.GetUser(ctx, teamID, ref.UserID); err != nil {
			if !db.IsClientError(err) {
				return db.User{}, err // a store outage is a 503, not a bad token (issue 9 #9)
			}
			return db.User{}, errUnauthenticated
		}
	} else if u, err = s.FindUser(ctx, teamID, db.UserKey{Email: ref.Email}); err != nil {
		if db.CodeOf(err) != "user_not_found" {
			return db.User{}, err
		}
		return db.User{}, refuse("not_admin", allowed, "%s is not a user of this team", ref.Email)
	}
	if u.AdminRole.IsAdmin() {
		if err := db.CheckActingAdmin(u); err != nil {
			return u, err
		}
	}
	for _, r := range allowed.Allowed {
		if u.AdminRole == r {
			return u, nil
		}
	}
	if !u.AdminRole.IsAdmin() {
		if ref.UserID != "" {
			return u, refuse("not_admin", allowed, "%s is no longer an admin of this team", u.Email)
		}
		return u, refuse("not_admin", allowed, "%s is not an admin of this team", u.Email)
	}
	return u, refuse("role_not_allowed", allowed, "the %s admin role may not do this", u.AdminRole)
}
