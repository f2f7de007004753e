package directory

import (
	"strings"

	"github.com/roster-dev/roster/db"
)

// Plan decides what a batch's users do (issue 10 #2): the "which source
// wins" rules of the directory guide, as a pure function of the batch and
// what the store read for it (snap), with no LDAP and no SQL. Each entry
// becomes one step: a skip, an anchor-only write (a rename or move), a link
// to an existing user found by email, an update of a linked user, or a new
// user; each deleted anchor becomes a delete, or an unlink when the user is
// an admin. by is the actor recorded on every mutation.
//
// Plan assumes every mutation applies; the store reports a mutation the
// writer refuses (an email taken since the snapshot) as a skip instead.
// Group entries and deletions are planned after the users (plan_groups.go).
func Plan(conn db.DirectoryConnection, b db.DirectoryBatch, snap db.DirectorySnapshot, by db.Actor) db.DirectoryPlan {
	p := planner{conn: conn, snap: snap, by: by, pending: map[string]bool{}, names: map[string]string{}}
	for k, v := range snap.UserNames {
		p.names[k] = v
	}
	for _, u := range b.Users {
		p.user(u)
	}
	seen := map[string]bool{}
	for _, anc := range b.DeleteUsers {
		if seen[anc] {
			continue
		}
		seen[anc] = true
		p.deleteUser(anc)
	}
	p.groups(b.Groups, b.DeleteGroups)
	return p.plan
}

type planner struct {
	conn db.DirectoryConnection
	snap db.DirectorySnapshot
	by   db.Actor
	plan db.DirectoryPlan
	// pending are the normalised emails of users this batch creates, so a
	// second entry with one of them is skipped
	pending map[string]bool
	// names are the lower-cased userNames in use, by user id ("" for a
	// user this batch creates)
	names map[string]string
	// relinked are anchors whose user was removed by an admin: linked afresh
	relinked map[string]bool
}

func (p *planner) step(s db.DirectoryStep) { p.plan.Steps = append(p.plan.Steps, s) }

func (p *planner) skip(u db.DirectoryUser, detail string) {
	p.plan.Counts.Skipped++
	p.step(db.DirectoryStep{Entry: u, Change: &db.DirectoryChange{Action: "skip", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: detail}})
}

func (p *planner) anchor(u db.DirectoryUser, target, hash string) *db.DirectoryAnchor {
	return &db.DirectoryAnchor{ConnectionID: p.conn.ID, Anchor: u.Anchor, Kind: "user", TargetID: target, DN: u.DN, Hash: hash}
}

func (p *planner) user(u db.DirectoryUser) {
	if err := db.ValidateEmail(u.Email); err != nil {
		p.skip(u, "no valid email")
		return
	}
	if r, ok := p.snap.Anchors[u.Anchor]; ok && r.Kind == "user" && !p.relinked[u.Anchor] {
		if r.Hash == u.Hash {
			// unchanged attributes: an admin's edit stays; a rename or move only moves the anchor
			s := db.DirectoryStep{Entry: u, Prev: &r}
			if r.DN != u.DN {
				s.Anchor = p.anchor(u, r.TargetID, u.Hash)
			}
			p.plan.Counts.Unchanged++
			p.step(s)
			return
		}
		if cur, ok := p.snap.Current[r.TargetID]; ok {
			p.update(u, cur, "update", &r)
			return
		}
		// the linked user was removed by an admin: link afresh
		if p.relinked == nil {
			p.relinked = map[string]bool{}
		}
		p.relinked[u.Anchor] = true
	}
	email := db.NormalizeEmail(u.Email)
	if p.pending[email] {
		p.skip(u, "another directory entry has this email")
		return
	}
	if r, ok := p.snap.ByEmail[email]; ok {
		// one person, one user: link the SCIM/admin user instead of duplicating it
		p.update(u, r, "link", nil)
		return
	}
	name := u.UserName
	if _, taken := p.names[strings.ToLower(name)]; name == "" || taken {
		name = u.Email
	}
	if _, taken := p.names[strings.ToLower(strings.TrimSpace(name))]; taken {
		// both the entry's userName and its email are another user's
		// userName: creating it would break userName uniqueness for the
		// whole batch, so this entry alone is skipped and reported
		p.skip(u, "userName and email are both taken by another user's userName")
		return
	}
	p.names[strings.ToLower(strings.TrimSpace(name))] = ""
	p.pending[email] = true
	p.plan.Counts.Created++
	p.step(db.DirectoryStep{Entry: u,
		// no Type: the team's role policy classifies the user (R-POL-2, R-POL-3)
		Mutation: db.UserCreate{User: db.NewUser{Email: u.Email, UserName: name, FirstName: u.FirstName, LastName: u.LastName,
			Status: statusOf(u), Source: db.SourceDirectory}, By: p.by},
		Anchor: p.anchor(u, "", u.Hash), // the target is the created user
		Change: &db.DirectoryChange{Action: "create", Kind: "user", Anchor: u.Anchor, Email: u.Email}})
}

func statusOf(u db.DirectoryUser) db.Status {
	if u.Disabled {
		return db.StatusInactive
	}
	return db.StatusActive
}

// update writes the directory-owned fields (email, names, status) onto an
// existing user; type, admin role, source and SCIM attributes are not the
// directory's. The primary admin is never deactivated (R-ADM-1): the rest
// of the entry applies and the step reports a conflict.
func (p *planner) update(u db.DirectoryUser, cur db.User, action string, prev *db.DirectoryAnchor) {
	next := cur
	next.Email, next.FirstName, next.LastName = strings.TrimSpace(u.Email), strings.TrimSpace(u.FirstName), strings.TrimSpace(u.LastName)
	var conflict *db.DirectoryChange
	if st := statusOf(u); cur.AdminRole != db.RolePrimary {
		next.Status = st
	} else if st != db.StatusActive && cur.Status == db.StatusActive {
		conflict = &db.DirectoryChange{Action: "conflict", Kind: "user", Anchor: u.Anchor, Email: u.Email,
			Detail: "the primary admin is kept active (R-ADM-1); make another admin primary to let the directory deactivate this user"}
		p.plan.Counts.Conflicts++
	}
	// the directory owns userName only of the users it created
	if want := strings.ToLower(strings.TrimSpace(u.UserName)); cur.Source == db.SourceDirectory && want != "" && want != strings.ToLower(cur.UserName) {
		if owner, taken := p.names[want]; !taken || owner == cur.ID {
			next.UserName = strings.TrimSpace(u.UserName)
		}
	}
	// userName follows the email when it was the email
	if db.NormalizeEmail(next.Email) != db.NormalizeEmail(cur.Email) && strings.ToLower(cur.UserName) == db.NormalizeEmail(cur.Email) {
		if owner, taken := p.names[strings.ToLower(next.Email)]; !taken || owner == cur.ID {
			next.UserName = next.Email
		}
	}
	if next.UserName != cur.UserName {
		p.names[strings.ToLower(next.UserName)] = cur.ID
	}
	changed := changedFields(cur, next)
	s := db.DirectoryStep{Entry: u, Prev: prev, Conflict: conflict, Anchor: p.anchor(u, cur.ID, u.Hash)}
	switch {
	case len(changed) == 0 && conflict != nil:
		// counted as a conflict only
	case len(changed) == 0:
		p.plan.Counts.Unchanged++
	case cur.Status != db.StatusInactive && next.Status == db.StatusInactive:
		p.plan.Counts.Deactivated++
		s.Change = &db.DirectoryChange{Action: "deactivate", Kind: "user", Anchor: u.Anchor, Email: u.Email}
	default:
		p.plan.Counts.Updated++
		s.Change = &db.DirectoryChange{Action: action, Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: strings.Join(changed, ",")}
	}
	if len(changed) > 0 {
		m := db.UserLink{UserID: cur.ID, Email: next.Email, FirstName: next.FirstName, LastName: next.LastName, Status: next.Status, By: p.by}
		if next.UserName != cur.UserName {
			m.UserName = next.UserName
		}
		s.Mutation = m
	}
	p.step(s)
}

// changedFields names the directory-owned fields that differ, as the
// writer's audit entry does.
func changedFields(a, b db.User) []string {
	var f []string
	for _, c := range []struct {
		name    string
		changed bool
	}{{"email", a.Email != b.Email}, {"userName", a.UserName != b.UserName}, {"firstName", a.FirstName != b.FirstName},
		{"lastName", a.LastName != b.LastName}, {"status", a.Status != b.Status}} {
		if c.changed {
			f = append(f, c.name)
		}
	}
	return f
}

// deleteUser removes the user of a deleted entry; an admin is never removed
// by a directory, only unlinked (R-ADM-1: an admin decides).
func (p *planner) deleteUser(anc string) {
	r, ok := p.snap.Anchors[anc]
	if !ok || r.Kind != "user" {
		return
	}
	s := db.DirectoryStep{Prev: &r, Unlink: anc}
	cur, ok := p.snap.Current[r.TargetID]
	switch {
	case !ok:
		// already gone: only the anchor goes
	case cur.AdminRole.IsAdmin():
		p.plan.Counts.Skipped++
		s.Change = &db.DirectoryChange{Action: "skip", Kind: "user", Anchor: anc, Email: cur.Email, Detail: "admin kept; unlinked"}
	default:
		p.plan.Counts.Deleted++
		s.Mutation = db.UserDelete{UserID: cur.ID, By: p.by}
		s.Change = &db.DirectoryChange{Action: "delete", Kind: "user", Anchor: anc, Email: cur.Email}
	}
	p.step(s)
}
