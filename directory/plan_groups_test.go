package directory

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// TestPlanGroups table-tests the group rules of the directory guide on the
// pure planner (issue 10 #2): link by name, create, rename, member set,
// delete, and what a removed or repeated group does; no LDAP, no SQL.
func TestPlanGroups(t *testing.T) {
	conn := db.DirectoryConnection{ID: "c1", TeamID: "t1"}
	by := db.Actor{Kind: db.ActorDirectory, ID: "c1"}
	eng := db.DirectoryGroup{Anchor: "g1", DN: "cn=eng,dc=x", DisplayName: " Engineering ", Members: []string{"a1", "a2"}, Hash: "h2"}
	engWith := func(f func(*db.DirectoryGroup)) db.DirectoryGroup { g := eng; f(&g); return g }
	ga := db.DirectoryAnchor{ConnectionID: "c1", Anchor: "g1", Kind: "group", TargetID: "G1", DN: "cn=eng,dc=x", Hash: "h1"}
	gaWith := func(f func(*db.DirectoryAnchor)) db.DirectoryAnchor { a := ga; f(&a); return a }
	group := db.Group{ID: "G1", TeamID: "t1", DisplayName: "Engineering", Source: db.SourceDirectory}
	scimGroup := db.Group{ID: "S1", TeamID: "t1", DisplayName: "ENGINEERING", Source: db.SourceSCIM}
	anchor := func(target string, g db.DirectoryGroup) *db.DirectoryAnchor {
		return &db.DirectoryAnchor{ConnectionID: "c1", Anchor: g.Anchor, Kind: "group", TargetID: target, DN: g.DN, Hash: g.Hash}
	}
	change := func(action, anc string) *db.DirectoryChange {
		return &db.DirectoryChange{Action: action, Kind: "group", Anchor: anc, Name: "Engineering"}
	}
	create := db.GroupCreate{Group: db.NewGroup{DisplayName: "Engineering", Source: db.SourceDirectory}, By: by}
	linked := func(a db.DirectoryAnchor, g db.Group) db.DirectorySnapshot {
		return db.DirectorySnapshot{GroupAnchors: map[string]db.DirectoryAnchor{a.Anchor: a}, Groups: map[string]db.Group{g.ID: g}}
	}

	tests := []struct {
		name  string
		batch db.DirectoryBatch
		snap  db.DirectorySnapshot
		want  []db.DirectoryGroupStep
	}{{
		name:  "a new group is created with its members",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{eng}},
		want: []db.DirectoryGroupStep{{Entry: eng, Mutation: create, SetMembers: true, Anchor: anchor("", eng),
			Change: change("group.create", "g1")}},
	}, {
		name:  "a new group links to the team's group of the same name, whatever its case and source (one group)",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{eng}},
		snap:  db.DirectorySnapshot{GroupsByName: map[string]db.Group{"engineering": scimGroup}},
		want: []db.DirectoryGroupStep{{Entry: eng, GroupID: "S1", SetMembers: true, Anchor: anchor("S1", eng),
			Change: change("group.link", "g1")}},
	}, {
		name: "two new groups of one name in a batch: the second joins the group the first creates",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{eng, engWith(func(g *db.DirectoryGroup) {
			g.Anchor, g.DN = "g2", "cn=eng,ou=other,dc=x"
		})}},
		want: []db.DirectoryGroupStep{
			{Entry: eng, Mutation: create, SetMembers: true, Anchor: anchor("", eng), Change: change("group.create", "g1")},
			{Entry: engWith(func(g *db.DirectoryGroup) { g.Anchor, g.DN = "g2", "cn=eng,ou=other,dc=x" }), SameAs: 1, SetMembers: true,
				Anchor: anchor("", engWith(func(g *db.DirectoryGroup) { g.Anchor, g.DN = "g2", "cn=eng,ou=other,dc=x" })),
				Change: change("group.link", "g2")}},
	}, {
		name:  "an unchanged linked group does nothing",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{engWith(func(g *db.DirectoryGroup) { g.Hash = "h1" })}},
		snap:  linked(ga, group),
	}, {
		name:  "an unchanged linked group that moved only moves its anchor",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{engWith(func(g *db.DirectoryGroup) { g.Hash, g.DN = "h1", "cn=eng,ou=new,dc=x" })}},
		snap:  linked(ga, group),
		want: []db.DirectoryGroupStep{{Entry: engWith(func(g *db.DirectoryGroup) { g.Hash, g.DN = "h1", "cn=eng,ou=new,dc=x" }),
			GroupID: "G1", Linked: true, Anchor: anchor("G1", engWith(func(g *db.DirectoryGroup) { g.Hash, g.DN = "h1", "cn=eng,ou=new,dc=x" }))}},
	}, {
		name:  "a changed linked group sets its members (one diff, in the writer)",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{eng}},
		snap:  linked(ga, group),
		want:  []db.DirectoryGroupStep{{Entry: eng, GroupID: "G1", Linked: true, SetMembers: true, Anchor: anchor("G1", eng)}},
	}, {
		name:  "a renamed linked group is renamed and sets its members",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{eng}},
		snap:  linked(ga, db.Group{ID: "G1", TeamID: "t1", DisplayName: "eng"}),
		want: []db.DirectoryGroupStep{{Entry: eng, GroupID: "G1", Linked: true, SetMembers: true, Anchor: anchor("G1", eng),
			Mutation: db.GroupRename{GroupID: "G1", DisplayName: "Engineering", By: by}, Change: change("group.rename", "g1")}},
	}, {
		name:  "a linked group an admin removed is linked afresh (here: created again)",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{eng}},
		snap:  db.DirectorySnapshot{GroupAnchors: map[string]db.DirectoryAnchor{"g1": ga}},
		want: []db.DirectoryGroupStep{{Entry: eng, Mutation: create, SetMembers: true, Anchor: anchor("", eng),
			Change: change("group.create", "g1")}},
	}, {
		name:  "an anchor listed twice is planned once, from its last entry",
		batch: db.DirectoryBatch{Groups: []db.DirectoryGroup{engWith(func(g *db.DirectoryGroup) { g.DisplayName = "old" }), eng}},
		want: []db.DirectoryGroupStep{{Entry: eng, Mutation: create, SetMembers: true, Anchor: anchor("", eng),
			Change: change("group.create", "g1")}},
	}, {
		name:  "a deleted group anchor deletes its group and unlinks; unknown anchors and user anchors are ignored",
		batch: db.DirectoryBatch{DeleteGroups: []string{"g1", "g1", "unknown", "a1"}},
		snap: db.DirectorySnapshot{GroupAnchors: map[string]db.DirectoryAnchor{"g1": ga,
			"a1": gaWith(func(a *db.DirectoryAnchor) { a.Anchor, a.Kind, a.TargetID = "a1", "user", "u1" })},
			Groups: map[string]db.Group{"G1": group}},
		want: []db.DirectoryGroupStep{{GroupID: "G1", Unlink: "g1", Mutation: db.GroupDelete{GroupID: "G1", By: by},
			Change: change("group.delete", "g1")}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(conn, tc.batch, tc.snap, by).Groups
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Plan groups (-want +got):\n%s", diff)
			}
		})
	}
}
