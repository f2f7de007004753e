package directory

import (
	"strings"

	"github.com/roster-dev/roster/db"
)

// groups plans the batch's group entries, then its deleted group anchors
// (issue 10 #2), from the snapshot alone:
//   - an entry linked to a live group whose hash is unchanged does nothing
//     but follow a rename or move of its DN;
//   - an unlinked entry links to the team's group of the same name (one
//     group, whichever source made it) or creates one; a second entry of
//     the batch with that name joins the group the first one creates;
//   - a linked entry whose name changed renames the group;
//   - every changed entry makes its members the group's exact member set;
//   - a deleted anchor deletes its group and unlinks.
//
// An anchor listed twice is planned once, from its last entry, which is
// what applying both in turn would leave.
func (p *planner) groups(entries []db.DirectoryGroup, deletes []string) {
	last := map[string]int{}
	for i, g := range entries {
		last[g.Anchor] = i
	}
	creating := map[string]int{} // GroupNameKey → index+1 of the step creating it
	for i, g := range entries {
		if last[g.Anchor] != i {
			continue
		}
		p.group(g, creating)
	}
	seen := map[string]bool{}
	for _, anc := range deletes {
		if seen[anc] {
			continue
		}
		seen[anc] = true
		r, ok := p.snap.GroupAnchors[anc]
		if !ok || r.Kind != "group" {
			continue
		}
		gr := p.snap.Groups[r.TargetID]
		p.plan.Groups = append(p.plan.Groups, db.DirectoryGroupStep{GroupID: r.TargetID, Unlink: anc,
			Mutation: db.GroupDelete{GroupID: r.TargetID, By: p.by},
			Change:   &db.DirectoryChange{Action: "group.delete", Kind: "group", Anchor: anc, Name: gr.DisplayName}})
	}
}

func (p *planner) group(g db.DirectoryGroup, creating map[string]int) {
	name := strings.TrimSpace(g.DisplayName)
	s := db.DirectoryGroupStep{Entry: g, SetMembers: true,
		Anchor: &db.DirectoryAnchor{ConnectionID: p.conn.ID, Anchor: g.Anchor, Kind: "group", DN: g.DN, Hash: g.Hash}}
	r, anchored := p.snap.GroupAnchors[g.Anchor]
	cur, live := p.snap.Groups[r.TargetID]
	switch {
	case anchored && r.Kind == "group" && live && r.Hash == g.Hash:
		if r.DN == g.DN {
			return // nothing changed
		}
		s.GroupID, s.Linked, s.SetMembers = cur.ID, true, false
		s.Anchor.TargetID = cur.ID
	case anchored && r.Kind == "group" && live:
		s.GroupID, s.Linked = cur.ID, true
		s.Anchor.TargetID = cur.ID
		if cur.DisplayName != name {
			s.Mutation = db.GroupRename{GroupID: cur.ID, DisplayName: name, By: p.by}
			s.Change = &db.DirectoryChange{Action: "group.rename", Kind: "group", Anchor: g.Anchor, Name: name}
		}
	default:
		// not linked, or its group was removed by an admin: link by name or create
		key := db.GroupNameKey(name)
		if ex, ok := p.snap.GroupsByName[key]; ok {
			s.GroupID = ex.ID
			s.Anchor.TargetID = ex.ID
			s.Change = &db.DirectoryChange{Action: "group.link", Kind: "group", Anchor: g.Anchor, Name: name}
		} else if i, ok := creating[key]; ok {
			s.SameAs = i
			s.Change = &db.DirectoryChange{Action: "group.link", Kind: "group", Anchor: g.Anchor, Name: name}
		} else {
			s.Mutation = db.GroupCreate{Group: db.NewGroup{DisplayName: name, Source: db.SourceDirectory}, By: p.by}
			s.Change = &db.DirectoryChange{Action: "group.create", Kind: "group", Anchor: g.Anchor, Name: name}
			creating[key] = len(p.plan.Groups) + 1
		}
	}
	p.plan.Groups = append(p.plan.Groups, s)
}
