package db

import (
	"slices"
	"testing"
)

// R-HIE-2: a role change offers only the roles strictly below the actor's
// own (and none), never the owner; a role without anyone below offers nothing.
func TestAssignableAccountRoles(t *testing.T) {
	for _, c := range []struct {
		actor AccountRole
		want  []AccountRole
	}{
		{AccountOwner, []AccountRole{AccountSecondaryOwner, AccountCompanyAdmin, AccountProductUser, AccountRoleNone}},
		{AccountSecondaryOwner, []AccountRole{AccountCompanyAdmin, AccountProductUser, AccountRoleNone}},
		{AccountCompanyAdmin, []AccountRole{AccountProductUser, AccountRoleNone}},
		{AccountProductUser, nil},
		{AccountRoleNone, nil},
	} {
		if got := AssignableAccountRoles(c.actor); !slices.Equal(got, c.want) {
			t.Errorf("AssignableAccountRoles(%s) = %v, want %v", c.actor, got, c.want)
		}
	}
}
