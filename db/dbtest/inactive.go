package dbtest

import (
	"errors"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testInactiveAdmins: an inactive user holds no admin power (DOMAIN.md: an
// active status is part of every role), and the team's primary admin can
// never be deactivated, on every write path, so a team always has a working
// primary admin (R-ADM-1). issue 9 #1.
func testInactiveAdmins(t *testing.T, s db.Store) {
	team, primary := NewTeam(t, s, "")
	sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
	other := NewUser(t, s, team.ID, "other", "acme.test", db.SourceAdmin)
	asPrimary := db.Actor{Kind: db.ActorAdmin, ID: primary.ID, Name: primary.Email}
	WantErr(t, s.SetAdminRole(ctx, team.ID, primary.ID, sec.ID, db.RoleSecondary, asPrimary), nil, "")
	setStatus := func(id string, st db.Status) error {
		_, err := s.UpdateUser(ctx, team.ID, id, 0, Operator, func(u *db.User) error { u.Status = st; return nil })
		return err
	}
	stillActive := func(step, id string) {
		t.Helper()
		u, err := s.GetUser(ctx, team.ID, id)
		WantErr(t, err, nil, "")
		if u.Status != db.StatusActive {
			t.Fatalf("%s: status = %s, want active (nothing half-applied)", step, u.Status)
		}
	}

	// R-ADM-1: refuse deactivating the primary admin (inactive or pending).
	for _, st := range []db.Status{db.StatusInactive, db.StatusPending} {
		WantErr(t, setStatus(primary.ID, st), db.ErrRule, "primary_admin_inactive")
		stillActive("UpdateUser status "+string(st), primary.ID)
	}
	// A change of other fields together with the status is refused whole.
	_, err := s.UpdateUser(ctx, team.ID, primary.ID, 0, Operator, func(u *db.User) error {
		u.FirstName, u.Status = "Changed", db.StatusInactive
		return nil
	})
	WantErr(t, err, db.ErrRule, "primary_admin_inactive")
	if u, _ := s.GetUser(ctx, team.ID, primary.ID); u.FirstName == "Changed" {
		t.Fatalf("a refused update was half-applied: %+v", u)
	}
	if ss, ok := s.(db.SCIMStore); ok { // SCIM PUT/PATCH active=false
		scimBy := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
		_, err := ss.UpdateSCIMUser(ctx, team.ID, primary.ID, 0, scimBy, func(u *db.User, _ *[]db.UserEmail) error {
			u.Status = db.StatusInactive
			return nil
		})
		WantErr(t, err, db.ErrRule, "primary_admin_inactive")
		stillActive("UpdateSCIMUser active=false", primary.ID)
	}

	// An inactive admin can no longer assign roles (CLI --as, admin API),
	// nor get an admin token.
	WantErr(t, setStatus(sec.ID, db.StatusInactive), nil, "")
	_, err = s.CreateToken(ctx, db.Token{TeamID: team.ID, Kind: db.TokenAdmin, UserID: sec.ID, Prefix: "rst_inactive",
		Hash: make([]byte, 32)}, Operator)
	WantErr(t, err, db.ErrForbidden, "admin_inactive")
	asSec := db.Actor{Kind: db.ActorAdmin, ID: sec.ID, Name: sec.Email}
	WantErr(t, s.SetAdminRole(ctx, team.ID, sec.ID, other.ID, db.RoleSecondary, asSec), db.ErrForbidden, "admin_inactive")
	// An inactive secondary admin cannot become primary: the team would be
	// left without a working primary admin.
	WantErr(t, s.SetAdminRole(ctx, team.ID, primary.ID, sec.ID, db.RolePrimary, asPrimary), db.ErrRule, "primary_requires_active")
	assertOnePrimary(t, s, team.ID, primary.ID)

	// The way out: reactivate, transfer the primary role, then deactivate
	// the former primary admin (now a secondary admin).
	WantErr(t, setStatus(sec.ID, db.StatusActive), nil, "")
	WantErr(t, s.SetAdminRole(ctx, team.ID, primary.ID, sec.ID, db.RolePrimary, asPrimary), nil, "")
	WantErr(t, setStatus(primary.ID, db.StatusInactive), nil, "")
	WantErr(t, s.SetAdminRole(ctx, team.ID, primary.ID, other.ID, db.RoleSecondary, asPrimary), db.ErrForbidden, "admin_inactive")
	assertOnePrimary(t, s, team.ID, sec.ID)

	// The rule itself, for the transports that resolve an acting admin.
	for _, tc := range []struct {
		name string
		u    db.User
		code string
	}{
		{"active primary", db.User{AdminRole: db.RolePrimary, Status: db.StatusActive}, ""},
		{"active sso admin", db.User{AdminRole: db.RoleSSO, Status: db.StatusActive}, ""},
		{"inactive secondary", db.User{AdminRole: db.RoleSecondary, Status: db.StatusInactive}, "admin_inactive"},
		{"pending secondary", db.User{AdminRole: db.RoleSecondary, Status: db.StatusPending}, "admin_inactive"},
		{"active non-admin", db.User{Status: db.StatusActive}, "not_admin"},
	} {
		err := db.CheckActingAdmin(tc.u)
		if got := ""; err != nil {
			got = db.CodeOf(err)
			if got != tc.code || !errors.Is(err, db.ErrForbidden) {
				t.Errorf("CheckActingAdmin(%s) = %v (%s), want code %q", tc.name, err, got, tc.code)
			}
		} else if tc.code != "" {
			t.Errorf("CheckActingAdmin(%s) = nil, want %q", tc.name, tc.code)
		}
	}
}

// testInactivePrimaryDirectory: a directory entry linked to the primary admin
// turns disabled; the admin stays active, the run reports a conflict and the
// audit log records it (R-ADM-1, issue 9 #1).
func testInactivePrimaryDirectory(t *testing.T, s db.Store) {
	ds, ok := s.(db.DirectoryStore)
	if !ok {
		missing(t, "it has no directory sync")
	}
	team, c := newDirConn(t, s, ds)
	primary, err := s.GetUser(ctx, team.ID, team.PrimaryUserID)
	WantErr(t, err, nil, "")
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	entry := dirUser("p1", primary.Email)
	entry.FirstName, entry.LastName = primary.FirstName, primary.LastName
	_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{entry}}, by)
	WantErr(t, err, nil, "")
	entry.Disabled, entry.Hash = true, "h2"
	res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{entry}}, by)
	WantErr(t, err, nil, "")
	u, err := s.GetUser(ctx, team.ID, primary.ID)
	WantErr(t, err, nil, "")
	if u.Status != db.StatusActive {
		t.Fatalf("directory sync deactivated the primary admin: %s", u.Status)
	}
	if res.Counts.Conflicts != 1 || res.Counts.Deactivated != 0 {
		t.Errorf("counts = %+v, want 1 conflict and no deactivation", res.Counts)
	}
	found := false
	for _, ch := range res.Changes {
		if ch.Action == "conflict" && ch.Email == primary.Email {
			found = true
		}
	}
	if !found {
		t.Errorf("changes %+v have no conflict for the primary admin", res.Changes)
	}
	es, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 10})
	WantErr(t, err, nil, "")
	found = false
	for _, e := range es {
		if e.Action == "directory.conflict" && e.TargetID == primary.ID && e.Actor.Kind == db.ActorDirectory {
			found = true
		}
	}
	if !found {
		t.Errorf("audit log has no directory.conflict for the primary admin: %+v", es)
	}
}
