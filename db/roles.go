package db

// CheckRoleChange is the table of R-ADM-1, R-ADM-4 and R-ADM-5: may an admin
// with role actor change a user's role from `from` to `to`? The store applies
// it in SetAdminRole's transaction; the console only uses it to offer the
// roles an admin may choose (AssignableRoles).
func CheckRoleChange(actor, from, to Role, email string) error {
	if from == RolePrimary {
		// R-ADM-1: the primary role only moves by making someone else primary.
		return Errorf(ErrRule, "last_primary_admin", "R-ADM-1: %s is the primary admin; a team always has one, so make another secondary admin primary instead", email)
	}
	switch to {
	case RolePrimary:
		// R-ADM-5: only a current secondary admin can become primary; R-ADM-6: any admin may do it.
		if from != RoleSecondary {
			return Errorf(ErrRule, "primary_requires_secondary", "R-ADM-5: only a secondary admin can become primary admin; make %s a secondary admin first", email)
		}
		return nil
	case RoleSSO:
		// R-ADM-4: SSO admins are assigned by the primary admin only.
		if actor != RolePrimary {
			return Errorf(ErrForbidden, "sso_admin_by_primary", "R-ADM-4: only the primary admin can assign SSO admins")
		}
		return nil
	case RoleSecondary, RoleNone:
		// Taking the SSO role away is as restricted as giving it.
		if from == RoleSSO && actor != RolePrimary {
			return Errorf(ErrForbidden, "sso_admin_by_primary", "R-ADM-4: only the primary admin can change an SSO admin's role")
		}
		// R-ADM-4: the primary admin, SSO admins and secondary admins assign secondary admins.
		return nil
	}
	return Errorf(ErrInvalid, "role_invalid", "unknown role %q", to)
}

// AssignableRoles are the roles an admin with role actor may give a user
// whose role is now from: CheckRoleChange's answer for each role, in the
// order a role picker lists them. The current role is always included.
func AssignableRoles(actor, from Role) []Role {
	var out []Role
	for _, to := range []Role{RoleNone, RoleSecondary, RoleSSO, RolePrimary} {
		if to == from || CheckRoleChange(actor, from, to, "") == nil {
			out = append(out, to)
		}
	}
	return out
}
