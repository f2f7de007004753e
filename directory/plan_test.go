package directory

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// TestPlanWhichSourceWins table-tests the rules of the directory guide's
// "Which source wins" table (one or more rows per table row, named after
// it) on the pure planner: no LDAP, no SQL (issue 10 #2).
func TestPlanWhichSourceWins(t *testing.T) {
	conn := db.DirectoryConnection{ID: "c1", TeamID: "t1"}
	by := db.Actor{Kind: db.ActorDirectory, ID: "c1"}
	entry := db.DirectoryUser{Anchor: "a1", DN: "uid=ann,dc=x", Email: "ann@corp.example", UserName: "ann", FirstName: "Ann", LastName: "Lee", Hash: "h2"}
	anchor := db.DirectoryAnchor{ConnectionID: "c1", Anchor: "a1", Kind: "user", TargetID: "u1", DN: "uid=ann,dc=x", Hash: "h1"}
	// a user the directory created, as it was at hash h1
	dirUser := db.User{ID: "u1", TeamID: "t1", Email: "ann@corp.example", UserName: "ann", FirstName: "Ann", LastName: "Lee",
		Status: db.StatusActive, Type: db.TypeStandard, Source: db.SourceDirectory}
	// a user SCIM added, not linked yet
	scimUser := db.User{ID: "u9", TeamID: "t1", Email: "Ann@Corp.example", UserName: "ann.scim", FirstName: "A", LastName: "L",
		Status: db.StatusActive, Type: db.TypeExternal, Source: db.SourceSCIM}
	with := func(u db.User, f func(*db.User)) db.User { f(&u); return u }
	entryWith := func(f func(*db.DirectoryUser)) db.DirectoryUser { e := entry; f(&e); return e }
	anc := func(target, dn, hash string) *db.DirectoryAnchor {
		return &db.DirectoryAnchor{ConnectionID: "c1", Anchor: "a1", Kind: "user", TargetID: target, DN: dn, Hash: hash}
	}
	linked := db.DirectorySnapshot{Anchors: map[string]db.DirectoryAnchor{"a1": anchor}, Current: map[string]db.User{"u1": dirUser}}
	anchorU := func(u db.User) db.DirectoryAnchor { a := anchor; a.TargetID = u.ID; return a }
	linkedTo := func(u db.User) db.DirectorySnapshot {
		a := anchorU(u)
		return db.DirectorySnapshot{Anchors: map[string]db.DirectoryAnchor{"a1": a}, Current: map[string]db.User{u.ID: u}}
	}
	prev := func(u db.User) *db.DirectoryAnchor { a := anchorU(u); return &a }
	link := func(u db.User, f func(*db.UserLink)) db.Mutation {
		m := db.UserLink{UserID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Status: u.Status, By: by}
		f(&m)
		return m
	}
	change := func(action, detail string) *db.DirectoryChange {
		return &db.DirectoryChange{Action: action, Kind: "user", Anchor: "a1", Email: entry.Email, Detail: detail}
	}
	primary := with(dirUser, func(u *db.User) { u.AdminRole = db.RolePrimary })
	disabled := entryWith(func(e *db.DirectoryUser) { e.Disabled = true })

	tests := []struct {
		name  string
		batch db.DirectoryBatch
		snap  db.DirectorySnapshot
		want  db.DirectoryPlan
	}{{
		name:  "create: a new entry becomes a directory user the policy classifies (type row: no Type set, R-POL-2)",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entry}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Created: 1}, Steps: []db.DirectoryStep{{Entry: entry,
			Mutation: db.UserCreate{User: db.NewUser{Email: entry.Email, UserName: "ann", FirstName: "Ann", LastName: "Lee",
				Status: db.StatusActive, Source: db.SourceDirectory}, By: by},
			Anchor: anc("", entry.DN, "h2"), Change: change("create", "")}}},
	}, {
		name:  "userName row: a new entry whose userName is taken gets its email as userName",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entry}},
		snap:  db.DirectorySnapshot{UserNames: map[string]string{"ann": "u7"}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Created: 1}, Steps: []db.DirectoryStep{{Entry: entry,
			Mutation: db.UserCreate{User: db.NewUser{Email: entry.Email, UserName: entry.Email, FirstName: "Ann", LastName: "Lee",
				Status: db.StatusActive, Source: db.SourceDirectory}, By: by},
			Anchor: anc("", entry.DN, "h2"), Change: change("create", "")}}},
	}, {
		// found by FuzzLDAPEntry (corpus 0569b7eb2495cafa): creating it failed the whole batch
		name:  "userName row: a new entry whose userName and email are both other users' userNames is skipped",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entry}},
		snap:  db.DirectorySnapshot{UserNames: map[string]string{"ann": "u7", "ann@corp.example": "u8"}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Skipped: 1}, Steps: []db.DirectoryStep{{Entry: entry,
			Change: change("skip", "userName and email are both taken by another user's userName")}}},
	}, {
		name:  "skip: an entry without a valid email",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.Email = "krbtgt" })}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Skipped: 1}, Steps: []db.DirectoryStep{{Entry: entryWith(func(e *db.DirectoryUser) { e.Email = "krbtgt" }),
			Change: &db.DirectoryChange{Action: "skip", Kind: "user", Anchor: "a1", Email: "krbtgt", Detail: "no valid email"}}}},
	}, {
		name: "one person, one user: a second entry of the batch with the same email is skipped",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entry, entryWith(func(e *db.DirectoryUser) {
			e.Anchor, e.UserName, e.Email = "a2", "ann2", "ANN@corp.example"
		})}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Created: 1, Skipped: 1}, Steps: []db.DirectoryStep{{Entry: entry,
			Mutation: db.UserCreate{User: db.NewUser{Email: entry.Email, UserName: "ann", FirstName: "Ann", LastName: "Lee",
				Status: db.StatusActive, Source: db.SourceDirectory}, By: by},
			Anchor: anc("", entry.DN, "h2"), Change: change("create", "")}, {
			Entry:  entryWith(func(e *db.DirectoryUser) { e.Anchor, e.UserName, e.Email = "a2", "ann2", "ANN@corp.example" }),
			Change: &db.DirectoryChange{Action: "skip", Kind: "user", Anchor: "a2", Email: "ANN@corp.example", Detail: "another directory entry has this email"}}}},
	}, {
		name:  "source and userName rows: an entry matching a SCIM user by email links it; it keeps source and userName, takes email and names",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entry}},
		snap:  db.DirectorySnapshot{ByEmail: map[string]db.User{"ann@corp.example": scimUser}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Updated: 1}, Steps: []db.DirectoryStep{{Entry: entry,
			Mutation: link(scimUser, func(m *db.UserLink) { m.Email, m.FirstName, m.LastName = entry.Email, "Ann", "Lee" }),
			Anchor:   anc("u9", entry.DN, "h2"), Change: change("link", "email,firstName,lastName")}}},
	}, {
		name:  "email, first name, last name row: unchanged attributes (same hash) leave an admin's edit",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.Hash = "h1"; e.FirstName = "Other" })}},
		snap:  linked,
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Unchanged: 1}, Steps: []db.DirectoryStep{{
			Entry: entryWith(func(e *db.DirectoryUser) { e.Hash = "h1"; e.FirstName = "Other" }), Prev: &anchor}}},
	}, {
		name:  "rename or move keeps the anchor and so the user: only the anchor's DN changes",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.Hash = "h1"; e.DN = "uid=ann,ou=new,dc=x" })}},
		snap:  linked,
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Unchanged: 1}, Steps: []db.DirectoryStep{{
			Entry: entryWith(func(e *db.DirectoryUser) { e.Hash = "h1"; e.DN = "uid=ann,ou=new,dc=x" }), Prev: &anchor,
			Anchor: anc("u1", "uid=ann,ou=new,dc=x", "h1")}}},
	}, {
		name:  "email, first name, last name row: a changed entry writes them onto the linked user; userName follows the email it was",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.Email = "ann.lee@corp.example"; e.LastName = "Lee-Park" })}},
		snap:  linkedTo(with(dirUser, func(u *db.User) { u.UserName = "ann@corp.example" })),
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Updated: 1}, Steps: []db.DirectoryStep{{
			Entry: entryWith(func(e *db.DirectoryUser) { e.Email = "ann.lee@corp.example"; e.LastName = "Lee-Park" }),
			Prev:  prev(dirUser),
			Mutation: link(dirUser, func(m *db.UserLink) {
				m.Email, m.LastName, m.UserName = "ann.lee@corp.example", "Lee-Park", "ann.lee@corp.example"
			}),
			Anchor: anc("u1", entry.DN, "h2"),
			Change: &db.DirectoryChange{Action: "update", Kind: "user", Anchor: "a1", Email: "ann.lee@corp.example", Detail: "email,userName,lastName"}}}},
	}, {
		name:  "userName row: the directory renames the users it created",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.UserName = "ann.lee" })}},
		snap:  linked,
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Updated: 1}, Steps: []db.DirectoryStep{{
			Entry: entryWith(func(e *db.DirectoryUser) { e.UserName = "ann.lee" }), Prev: &anchor,
			Mutation: link(dirUser, func(m *db.UserLink) { m.UserName = "ann.lee" }),
			Anchor:   anc("u1", entry.DN, "h2"), Change: change("update", "userName")}}},
	}, {
		name:  "userName row: a linked SCIM user keeps its userName",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.UserName = "ann.lee" })}},
		snap:  linkedTo(scimUser),
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Updated: 1}, Steps: []db.DirectoryStep{{
			Entry: entryWith(func(e *db.DirectoryUser) { e.UserName = "ann.lee" }), Prev: prev(scimUser),
			Mutation: link(scimUser, func(m *db.UserLink) { m.Email, m.FirstName, m.LastName = entry.Email, "Ann", "Lee" }),
			Anchor:   anc("u9", entry.DN, "h2"), Change: change("update", "email,firstName,lastName")}}},
	}, {
		name:  "status row: a disabled entry deactivates its user",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{disabled}},
		snap:  linked,
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Deactivated: 1}, Steps: []db.DirectoryStep{{Entry: disabled, Prev: &anchor,
			Mutation: link(dirUser, func(m *db.UserLink) { m.Status = db.StatusInactive }),
			Anchor:   anc("u1", entry.DN, "h2"), Change: change("deactivate", "")}}},
	}, {
		// R-ADM-1
		name:  "status row: the primary admin is never deactivated; a conflict, the rest of the entry applies",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entryWith(func(e *db.DirectoryUser) { e.Disabled = true; e.LastName = "Park" })}},
		snap:  linkedTo(primary),
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Updated: 1, Conflicts: 1}, Steps: []db.DirectoryStep{{
			Entry: entryWith(func(e *db.DirectoryUser) { e.Disabled = true; e.LastName = "Park" }), Prev: prev(primary),
			Mutation: link(primary, func(m *db.UserLink) { m.LastName = "Park" }),
			Anchor:   anc("u1", entry.DN, "h2"), Change: change("update", "lastName"),
			Conflict: change("conflict", "the primary admin is kept active (R-ADM-1); make another admin primary to let the directory deactivate this user")}}},
	}, {
		// R-ADM-1
		name:  "status row: only disabling the primary admin is a conflict and nothing else",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{disabled}},
		snap:  linkedTo(primary),
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Conflicts: 1}, Steps: []db.DirectoryStep{{Entry: disabled, Prev: prev(primary),
			Anchor:   anc("u1", entry.DN, "h2"),
			Conflict: change("conflict", "the primary admin is kept active (R-ADM-1); make another admin primary to let the directory deactivate this user")}}},
	}, {
		name:  "a linked user an admin removed is linked afresh (here: created again)",
		batch: db.DirectoryBatch{Users: []db.DirectoryUser{entry}},
		snap:  db.DirectorySnapshot{Anchors: map[string]db.DirectoryAnchor{"a1": anchor}},
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Created: 1}, Steps: []db.DirectoryStep{{Entry: entry,
			Mutation: db.UserCreate{User: db.NewUser{Email: entry.Email, UserName: "ann", FirstName: "Ann", LastName: "Lee",
				Status: db.StatusActive, Source: db.SourceDirectory}, By: by},
			Anchor: anc("", entry.DN, "h2"), Change: change("create", "")}}},
	}, {
		name:  "a deleted entry removes its user from the team",
		batch: db.DirectoryBatch{DeleteUsers: []string{"a1", "a1", "unknown"}},
		snap:  linked,
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Deleted: 1}, Steps: []db.DirectoryStep{{Prev: &anchor, Unlink: "a1",
			Mutation: db.UserDelete{UserID: "u1", By: by}, Change: change("delete", "")}}},
	}, {
		// R-ADM-1
		name:  "admin role row: an admin whose entry disappears is unlinked, not removed",
		batch: db.DirectoryBatch{DeleteUsers: []string{"a1"}},
		snap:  linkedTo(with(dirUser, func(u *db.User) { u.AdminRole = db.RoleSecondary })),
		want: db.DirectoryPlan{Counts: db.DirectoryCounts{Skipped: 1}, Steps: []db.DirectoryStep{{Prev: &anchor, Unlink: "a1",
			Change: change("skip", "admin kept; unlinked")}}},
	}, {
		name:  "a deleted entry whose user is already gone only loses its anchor",
		batch: db.DirectoryBatch{DeleteUsers: []string{"a1"}},
		snap:  db.DirectorySnapshot{Anchors: map[string]db.DirectoryAnchor{"a1": anchor}},
		want:  db.DirectoryPlan{Steps: []db.DirectoryStep{{Prev: &anchor, Unlink: "a1"}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(conn, tc.batch, tc.snap, by)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
		})
	}
}
