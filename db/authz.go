package db

import "strings"

// Principal is a role on one of the three ladders (DOMAIN.md "Three role
// ladders"): a team admin role, an account role or a contract role. The
// authorization table is written in principals so one table serves the admin
// API, the CLI's --as and the console.
type Principal string

// Principals, by ladder.
const (
	// Team user-management roles (000, R-ADM-*).
	PrincipalPrimaryAdmin   Principal = "primary-admin"
	PrincipalSecondaryAdmin Principal = "secondary-admin"
	PrincipalSSOAdmin       Principal = "sso-admin"
	// Account (subscription) roles (003, R-OWN-*, R-HIE-*).
	PrincipalOwner          Principal = "owner"
	PrincipalSecondaryOwner Principal = "secondary-owner"
	PrincipalCompanyAdmin   Principal = "company-admin"
	PrincipalProductUser    Principal = "product-user"
	// Classic contract roles (001, R-CLS-*), scoped to one contract.
	PrincipalContractManager     Principal = "contract-manager"
	PrincipalSoftwareCoordinator Principal = "software-coordinator"
)

// Principals lists every principal in table order (the README's columns).
var Principals = []Principal{
	PrincipalPrimaryAdmin, PrincipalSecondaryAdmin, PrincipalSSOAdmin,
	PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin, PrincipalProductUser,
	PrincipalContractManager, PrincipalSoftwareCoordinator,
}

// TeamPrincipal is the principal of a team admin role ("" for none).
func TeamPrincipal(r Role) Principal {
	switch r {
	case RolePrimary:
		return PrincipalPrimaryAdmin
	case RoleSecondary:
		return PrincipalSecondaryAdmin
	case RoleSSO:
		return PrincipalSSOAdmin
	}
	return ""
}

// AccountPrincipal is the principal of an account role ("" for none).
func AccountPrincipal(r AccountRole) Principal {
	if r == AccountRoleNone {
		return ""
	}
	return Principal(r)
}

// Action is something a principal may be allowed to do.
type Action string

// Actions, one per row of the authorization table.
const (
	ActTeamUsersManage      Action = "team.users.manage"
	ActTeamReports          Action = "team.reports.view"
	ActTeamAssignSecondary  Action = "team.admins.assign-secondary"
	ActTeamAssignSSO        Action = "team.admins.assign-sso"
	ActTeamChangePrimary    Action = "team.admins.change-primary"
	ActTeamSSOManage        Action = "team.sso.manage"
	ActAccountProducts      Action = "account.products.view"
	ActAccountMembers       Action = "account.members.manage"
	ActAccountPlanView      Action = "account.plan.view"
	ActAccountPlanEdit      Action = "account.plan.edit"
	ActAccountBilling       Action = "account.billing"
	ActAccountPayments      Action = "account.payments.view"
	ActAccountNotices       Action = "account.notices.receive"
	ActAccountSetRole       Action = "account.roles.set"
	ActAccountTransfer      Action = "account.ownership.transfer"
	ActContractCreate       Action = "contract.create"
	ActContractSetManager   Action = "contract.manager.hand-over"
	ActContractSetCoord     Action = "contract.coordinator.assign"
	ActContractUsersManage  Action = "contract.users.manage"
	ActContractRenewal      Action = "contract.renewal-billing"
	ActContractReleaseNotes Action = "contract.notices.release"
)

// Permission is one row of the authorization table: who may do Action, and
// the rule that says so.
type Permission struct {
	Action  Action
	Allowed []Principal
	Rule    string
	What    string
}

// Authorization is the one role × action table (issue 12 #4). The stores
// enforce the rules again inside their transactions (a role change's
// hierarchy, the contract scope), so the table decides who may try and the
// store decides whether this particular change keeps the rules.
var Authorization = []Permission{
	{ActTeamUsersManage, []Principal{PrincipalPrimaryAdmin, PrincipalSecondaryAdmin, PrincipalSSOAdmin}, "R-ADM-6", "manage a team's users and their product access"},
	{ActTeamReports, []Principal{PrincipalPrimaryAdmin, PrincipalSecondaryAdmin, PrincipalSSOAdmin}, "R-ADM-6", "view and export usage reports"},
	{ActTeamAssignSecondary, []Principal{PrincipalPrimaryAdmin, PrincipalSecondaryAdmin, PrincipalSSOAdmin}, "R-ADM-4", "assign secondary admins"},
	{ActTeamAssignSSO, []Principal{PrincipalPrimaryAdmin}, "R-ADM-4", "assign SSO admins"},
	{ActTeamChangePrimary, []Principal{PrincipalPrimaryAdmin, PrincipalSecondaryAdmin, PrincipalSSOAdmin}, "R-ADM-6", "change the primary admin (to a secondary admin, R-ADM-5)"},
	{ActTeamSSOManage, []Principal{PrincipalPrimaryAdmin, PrincipalSSOAdmin}, "R-ADM-7", "manage the team's SAML SSO"},
	{ActAccountProducts, []Principal{PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin, PrincipalProductUser}, "R-OWN-2", "my products (a product user: own products only)"},
	{ActAccountMembers, []Principal{PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin}, "R-OWN-2", "members"},
	{ActAccountPlanView, []Principal{PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin}, "R-OWN-2", "plan settings, read"},
	{ActAccountPlanEdit, []Principal{PrincipalOwner, PrincipalSecondaryOwner}, "R-OWN-2", "plan settings, change (company admin: read-only)"},
	{ActAccountBilling, []Principal{PrincipalOwner, PrincipalSecondaryOwner}, "R-OWN-2", "billing information"},
	{ActAccountPayments, []Principal{PrincipalOwner}, "R-OWN-2", "payment history"},
	{ActAccountNotices, []Principal{PrincipalOwner}, "R-OWN-1", "receive notices, invoices and renewal messages"},
	{ActAccountSetRole, []Principal{PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin}, "R-HIE-2", "change a member's role (only to a role strictly below one's own; never owner)"},
	{ActAccountTransfer, []Principal{PrincipalOwner}, "R-OWN-3", "transfer ownership (the former owner becomes a secondary owner)"},
	{ActContractCreate, []Principal{PrincipalOwner, PrincipalSecondaryOwner}, "R-OWN-2", "create a contract (plan settings and billing; the CLI operator too)"},
	{ActContractSetManager, []Principal{PrincipalContractManager}, "R-CLS-2", "hand the contract manager role on (the current contract manager only)"},
	{ActContractSetCoord, []Principal{PrincipalContractManager}, "R-CLS-3", "assign the software coordinator"},
	{ActContractUsersManage, []Principal{PrincipalContractManager, PrincipalSoftwareCoordinator}, "R-CLS-3", "list and manage the contract's users and products (that contract only)"},
	{ActContractRenewal, []Principal{PrincipalContractManager}, "R-CLS-1", "manage the contract's renewal and billing"},
	{ActContractReleaseNotes, []Principal{PrincipalSoftwareCoordinator}, "R-CLS-3", "receive release and update notices"},
}

// PermissionFor returns the table's row for action.
func PermissionFor(a Action) (Permission, bool) {
	for _, p := range Authorization {
		if p.Action == a {
			return p, true
		}
	}
	return Permission{}, false
}

// Can reports whether principal p may do action a. An unknown action or an
// empty principal is never allowed. Whether the person holding p is active
// is the caller's check (CheckActingAdmin, CheckActive): an inactive person
// holds no principal.
func Can(p Principal, a Action) bool {
	if p == "" {
		return false
	}
	perm, ok := PermissionFor(a)
	if !ok {
		return false
	}
	for _, q := range perm.Allowed {
		if q == p {
			return true
		}
	}
	return false
}

// CanAny reports whether any of ps may do a.
func CanAny(ps []Principal, a Action) bool {
	for _, p := range ps {
		if Can(p, a) {
			return true
		}
	}
	return false
}

// Refusal is the 403 for a principal the table does not allow, quoting the
// rule.
func Refusal(who string, a Action) *Error {
	perm, _ := PermissionFor(a)
	names := make([]string, len(perm.Allowed))
	for i, p := range perm.Allowed {
		names[i] = string(p)
	}
	return Errorf(ErrForbidden, "not_allowed", "%s: %s may not %s; only %s may", perm.Rule, who, perm.What, strings.Join(names, ", "))
}
