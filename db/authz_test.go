package db

import (
	"slices"
	"testing"
)

// TestAuthorizationTable is one test per row of the authorization table: the
// row allows exactly the principals written here (from DOMAIN.md and the
// seeds, independently of authz.go), and Can agrees for every principal.
func TestAuthorizationTable(t *testing.T) {
	team := []Principal{PrincipalPrimaryAdmin, PrincipalSecondaryAdmin, PrincipalSSOAdmin}
	want := map[Action][]Principal{
		ActTeamUsersManage:      team,                                       // R-ADM-6
		ActTeamReports:          team,                                       // R-ADM-6
		ActTeamAssignSecondary:  team,                                       // R-ADM-4
		ActTeamAssignSSO:        {PrincipalPrimaryAdmin},                    // R-ADM-4
		ActTeamChangePrimary:    team,                                       // R-ADM-6
		ActTeamSSOManage:        {PrincipalPrimaryAdmin, PrincipalSSOAdmin}, // R-ADM-7
		ActAccountProducts:      {PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin, PrincipalProductUser},
		ActAccountMembers:       {PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin},
		ActAccountPlanView:      {PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin},
		ActAccountPlanEdit:      {PrincipalOwner, PrincipalSecondaryOwner},
		ActAccountBilling:       {PrincipalOwner, PrincipalSecondaryOwner},
		ActAccountPayments:      {PrincipalOwner},
		ActAccountNotices:       {PrincipalOwner},
		ActAccountSetRole:       {PrincipalOwner, PrincipalSecondaryOwner, PrincipalCompanyAdmin},
		ActAccountTransfer:      {PrincipalOwner},
		ActContractCreate:       {PrincipalOwner, PrincipalSecondaryOwner},
		ActContractSetManager:   {PrincipalContractManager},
		ActContractSetCoord:     {PrincipalContractManager},
		ActContractUsersManage:  {PrincipalContractManager, PrincipalSoftwareCoordinator},
		ActContractRenewal:      {PrincipalContractManager},
		ActContractReleaseNotes: {PrincipalSoftwareCoordinator},
	}
	if len(want) != len(Authorization) {
		t.Fatalf("the table has %d rows, this test %d: test every row", len(Authorization), len(want))
	}
	for _, row := range Authorization {
		t.Run(string(row.Action), func(t *testing.T) {
			w, ok := want[row.Action]
			if !ok {
				t.Fatalf("row %s is not tested", row.Action)
			}
			if row.Rule == "" || row.What == "" {
				t.Errorf("row %s names no rule or description", row.Action)
			}
			for _, p := range Principals {
				if got, exp := Can(p, row.Action), slices.Contains(w, p); got != exp {
					t.Errorf("Can(%s, %s) = %v, want %v", p, row.Action, got, exp)
				}
			}
		})
	}
	if Can("", ActAccountProducts) || Can(PrincipalOwner, "no.such.action") {
		t.Error("an empty principal or an unknown action is allowed")
	}
}
