package gormdb

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// writer is the store's one write path for users and groups (issue 10 #1).
// Every public write method (CreateUser, UpdateUser, the SCIM methods, SSO's
// just-in-time CreateUser, ApplyDirectoryBatch, ...) builds db mutations and
// runs them through a writer inside its transaction, so validation,
// classification, uniqueness, the row lock and version compare-and-swap, the
// email index, the member diff and the audit entry exist once.
type writer struct {
	s      *Store
	tx     *gorm.DB
	teamID string

	// new users queued by queueUser and written by flush in multi-row
	// INSERTs (a directory batch creates thousands; one INSERT per user and
	// per audit entry capped a full sync at a few hundred users per second).
	newUsers  []userRow
	newEmails []userEmailRow
	newAudits []auditRow
	pending   map[string]bool // ids of queued users

	last db.User // the user last written, to explain a unique violation after rollback

	customPlans bool // SET LOCAL plan_cache_mode ran in this transaction
}

// planForValues makes PostgreSQL plan the rest of this transaction's
// statements for their actual arguments (SET LOCAL plan_cache_mode =
// force_custom_plan), for writes whose statements name many rows: member
// lists, directory batches. pgx keeps a prepared statement per connection,
// and after five executions PostgreSQL may switch it to a generic plan
// chosen without the values; on a team grown since the plan was made (or
// whose statistics autovacuum has not refreshed yet) that plan read the
// whole group or team to find 100 ids (23–32 ms per statement against
// ~1 ms; issue 15). Single-row reads and writes keep the generic plans,
// whose planning they would otherwise pay on every call. Elsewhere a no-op.
func (w *writer) planForValues() error {
	if w.s.dialect != Postgres || w.customPlans {
		return nil
	}
	w.customPlans = true
	return w.tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error
}

// Apply implements db.Writer: the mutations run in order in one transaction.
func (s *Store) Apply(ctx context.Context, teamID string, muts ...db.Mutation) ([]db.Applied, error) {
	out := make([]db.Applied, len(muts))
	var w *writer
	err := s.tx(ctx, func(tx *gorm.DB) error {
		w = &writer{s: s, tx: tx, teamID: teamID}
		for i, m := range muts {
			a, err := w.apply(m)
			if err != nil {
				return err
			}
			out[i] = a
		}
		return w.flush()
	})
	if err != nil {
		return nil, s.explain(ctx, teamID, err, w)
	}
	return out, nil
}

// apply1 applies one mutation and returns its result.
func (s *Store) apply1(ctx context.Context, teamID string, m db.Mutation) (db.Applied, error) {
	out, err := s.Apply(ctx, teamID, m)
	if err != nil {
		return db.Applied{}, err
	}
	return out[0], nil
}

// explain turns a bare unique-index violation (a race the pre-checks could
// not see) into a precise error once the transaction has rolled back.
func (s *Store) explain(ctx context.Context, teamID string, err error, w *writer) error {
	var de *db.Error
	if w == nil || w.last.ID == "" || !errors.Is(err, db.ErrConflict) || errors.As(err, &de) {
		return err
	}
	return s.explainUserConflict(ctx, teamID, w.last)
}

func (w *writer) apply(m db.Mutation) (db.Applied, error) {
	switch m := m.(type) {
	case db.UserCreate:
		u, err := w.createUser(m.User, m.Emails, m.By, nil)
		return db.Applied{User: u}, err
	case db.UserUpdate:
		u, _, err := w.updateUser(m.UserID, m.IfVersion, m.By, m.Change)
		return db.Applied{User: u}, err
	case db.UserLink:
		u, _, err := w.updateUser(m.UserID, m.IfVersion, m.By, linkChange(m))
		return db.Applied{User: u}, err
	case db.UserDeactivate:
		u, _, err := w.updateUser(m.UserID, m.IfVersion, m.By, func(u *db.User, _ *[]db.UserEmail) error {
			u.Status = db.StatusInactive
			return nil
		})
		return db.Applied{User: u}, err
	case db.UserDelete:
		return db.Applied{}, w.deleteUser(m.UserID, m.By)
	case db.UserSetTypes:
		tc, err := w.setTypes(m)
		return db.Applied{Types: tc}, err
	case db.UserSetRole:
		return db.Applied{}, w.setAdminRole(m.ActingUserID, m.UserID, m.Role, m.By)
	case db.GroupCreate:
		g, err := w.createGroup(m.Group, m.By)
		return db.Applied{Group: g}, err
	case db.GroupRename:
		change := m.Change
		if change == nil {
			name := m.DisplayName
			change = func(g *db.Group) error { g.DisplayName = name; return nil }
		}
		g, err := w.renameGroup(m.GroupID, m.IfVersion, m.By, change)
		return db.Applied{Group: g}, err
	case db.GroupSetMembers:
		g, _, _, err := w.setMembers(m.GroupID, m.Members, m.By)
		return db.Applied{Group: g}, err
	case db.GroupModifyMembers:
		g, _, _, err := w.modifyMembers(m.GroupID, dedupe(m.Add), dedupe(m.Remove), m.By)
		return db.Applied{Group: g}, err
	case db.GroupDelete:
		_, err := w.deleteGroup(m.GroupID, m.By)
		return db.Applied{}, err
	case nil:
		return db.Applied{}, db.Errorf(db.ErrInvalid, "mutation_invalid", "no mutation given")
	default:
		return db.Applied{}, db.Errorf(db.ErrInvalid, "mutation_invalid", "unknown mutation %T", m)
	}
}

// linkChange is the change of a UserLink: the directory-owned fields.
func linkChange(m db.UserLink) func(*db.User, *[]db.UserEmail) error {
	return func(u *db.User, _ *[]db.UserEmail) error {
		u.Email, u.FirstName, u.LastName = m.Email, m.FirstName, m.LastName
		if m.UserName != "" {
			u.UserName = m.UserName
		}
		if m.Status != "" {
			u.Status = m.Status
		}
		return nil
	}
}

// --- users ---

// classifier prepares the classification of users with the given emails.
func (w *writer) classifier(emails []string) (teamClassifier, error) {
	mode, err := policyModeTx(w.tx, w.teamID)
	if err != nil {
		return teamClassifier{}, err
	}
	return w.s.classifierFor(w.tx, w.teamID, mode, emails)
}

// createUser validates in, then queues and writes the user.
func (w *writer) createUser(in db.NewUser, emails []db.UserEmail, by db.Actor, cl *teamClassifier) (db.User, error) {
	u, err := w.s.prepareUser(w.teamID, in)
	if err != nil {
		return db.User{}, err
	}
	w.last = u
	if err := w.queueUser(&u, emails, by, cl); err != nil {
		return db.User{}, err
	}
	return u, w.flush()
}

// queueUser classifies a prepared user (unless its type is set; cl, if
// given, is a classifier prepared for a whole batch) and queues its row, its
// email-index rows and its "user.create" audit entry for flush.
func (w *writer) queueUser(u *db.User, emails []db.UserEmail, by db.Actor, cl *teamClassifier) error {
	var view any // the event's resource, when this classification gives its expected type
	if u.Type == "" {
		if cl == nil {
			c, err := w.classifier([]string{u.Email})
			if err != nil {
				return err
			}
			cl = &c
		}
		u.Type = w.s.classifyWith(*cl, u.Email, u.Source)
		// What resourceViews would read back: the expected type is the
		// classification just made (none for an admin).
		exp := u.Type
		if u.AdminRole.IsAdmin() {
			exp = ""
		}
		view = db.UserViewOf(*u, exp)
	}
	d, err := json.Marshal(map[string]string{"email": u.Email, "source": string(u.Source), "type": string(u.Type)})
	if err != nil {
		return err
	}
	if w.pending == nil {
		w.pending = map[string]bool{}
	}
	w.pending[u.ID] = true
	w.newUsers = append(w.newUsers, w.s.userRowFrom(*u))
	// A SCIM client sends a user's emails; every other path indexes the
	// primary email, so an IdP's emails[type eq "work"].value filter finds
	// users that an admin, a product, SSO or directory sync added.
	if u.Source == db.SourceSCIM {
		w.newEmails = append(w.newEmails, emailRows(u.TeamID, u.ID, emails)...)
	} else {
		w.newEmails = append(w.newEmails, *primaryEmailRow(u.TeamID, u.ID, u.Email))
	}
	w.newAudits = append(w.newAudits, auditRow{TeamID: u.TeamID, At: w.s.nowUTC(), ActorKind: string(by.Kind), ActorID: by.ID,
		ActorName: by.Name, Action: "user.create", TargetKind: "user", TargetID: u.ID, Details: string(d), view: view})
	return nil
}

// flush writes the queued users, their email-index rows and audit entries.
func (w *writer) flush() error {
	if len(w.newUsers) > 0 {
		if err := createInParts(w.tx, w.newUsers, 256); err != nil {
			return err
		}
		if err := inParts(len(w.newEmails), 512, func(i, j int) error { return insertEmailRows(w.tx, w.newEmails[i:j]) }); err != nil {
			return err
		}
		if err := w.s.writeAudits(w.tx, w.newAudits); err != nil {
			return err
		}
	}
	w.newUsers, w.newEmails, w.newAudits, w.pending = nil, nil, nil, nil
	return nil
}

// lockUser reads a user under a row lock (PostgreSQL, MariaDB), so
// concurrent writers of one user queue instead of failing the version check;
// SQLite writers are already serialised.
func (w *writer) lockUser(userID string) (db.User, error) {
	lock := ""
	if w.s.dialect != SQLite {
		lock = " FOR UPDATE"
	}
	rows, err := w.tx.Raw("SELECT "+userColumns+" FROM users WHERE users.team_id = ? AND users.id = ?"+lock, w.teamID, userID).Rows()
	if err != nil {
		return db.User{}, err
	}
	found, err := scanUsers(rows, 1)
	if err != nil {
		return db.User{}, err
	}
	if len(found) == 0 {
		return db.User{}, userNotFound(userID)
	}
	return found[0], nil
}

// taken reports whether another user of the team has the lower-cased value
// in column (email_lower or user_name_lower).
func (w *writer) taken(column, value, exceptID string) (bool, error) {
	var n int64
	err := w.tx.Model(&userRow{}).Where("team_id = ? AND "+column+" = ? AND id <> ?", w.teamID, value, exceptID).Count(&n).Error
	return n > 0, err
}

// updateUser is the one read-modify-write of a user: it locks the row, lets
// change edit the user and optionally replace its indexed emails, restores
// the fields that have their own operations, validates, checks uniqueness
// before writing (so a taken email is a precise 409 and, on PostgreSQL, does
// not abort the transaction), writes with a version compare-and-swap, keeps
// the email index in step and audits. It returns the user as it now is and
// the names of the fields that changed.
func (w *writer) updateUser(userID string, ifVersion int64, by db.Actor, change func(*db.User, *[]db.UserEmail) error) (db.User, []string, error) {
	before, err := w.lockUser(userID)
	if err != nil {
		return db.User{}, nil, err
	}
	if ifVersion != 0 && before.Version != ifVersion {
		return db.User{}, nil, db.Errorf(db.ErrStale, "version_mismatch", "user %q has changed (version %d, expected %d)", userID, before.Version, ifVersion)
	}
	u := before
	var emails []db.UserEmail
	if change != nil {
		if err := change(&u, &emails); err != nil {
			return db.User{}, nil, err
		}
	}
	u.ID, u.TeamID, u.Type, u.Source, u.AdminRole = before.ID, before.TeamID, before.Type, before.Source, before.AdminRole
	u.Version, u.CreatedAt = before.Version, before.CreatedAt
	u.Email, u.UserName = strings.TrimSpace(u.Email), strings.TrimSpace(u.UserName)
	u.FirstName, u.LastName = strings.TrimSpace(u.FirstName), strings.TrimSpace(u.LastName)
	w.last = u
	if err := validateUser(&u); err != nil {
		return db.User{}, nil, err
	}
	// R-ADM-1: every path (admin API, CLI, SCIM PUT/PATCH, directory) inherits this.
	if before.AdminRole == db.RolePrimary && u.Status != db.StatusActive && u.Status != before.Status {
		return db.User{}, nil, db.PrimaryInactiveError(before.Email)
	}
	changed := changedUserFields(before, u)
	if len(changed) == 0 {
		return before, nil, nil
	}
	{
		if el := db.NormalizeEmail(u.Email); el != db.NormalizeEmail(before.Email) {
			if t, err := w.taken("email_lower", el, userID); err != nil {
				return db.User{}, nil, err
			} else if t {
				return db.User{}, nil, db.Errorf(db.ErrConflict, "email_taken", "a user with email %q already exists in this team", u.Email)
			}
		}
		if nl := lower(u.UserName); nl != lower(before.UserName) {
			if t, err := w.taken("user_name_lower", nl, userID); err != nil {
				return db.User{}, nil, err
			} else if t {
				return db.User{}, nil, db.Errorf(db.ErrConflict, "username_taken", "a user with userName %q already exists in this team", u.UserName)
			}
		}
		u.Version = before.Version + 1
		u.UpdatedAt = w.s.nowUTC()
		nr := w.s.userRowFrom(u)
		res := w.tx.Model(&userRow{}).Where("id = ? AND version = ?", userID, before.Version).Updates(map[string]any{
			"email": nr.Email, "email_lower": nr.EmailLower, "email_domain": nr.EmailDomain,
			"user_name": nr.UserName, "user_name_lower": nr.UserNameLower, "first_name": nr.FirstName,
			"last_name": nr.LastName, "status": nr.Status, "external_id": nr.ExternalID,
			"attributes": nr.Attributes, "version": nr.Version, "updated_at": nr.UpdatedAt,
		})
		if res.Error != nil {
			return db.User{}, nil, res.Error
		}
		if res.RowsAffected != 1 {
			return db.User{}, nil, db.Errorf(db.ErrStale, "version_mismatch", "user %q changed concurrently", userID)
		}
	}
	switch {
	case emails != nil: // the caller (SCIM) replaces the indexed emails
		if err := w.tx.Where("user_id = ?", userID).Delete(&userEmailRow{}).Error; err != nil {
			return db.User{}, nil, err
		}
		if err := insertEmailRows(w.tx, emailRows(w.teamID, userID, emails)); err != nil {
			return db.User{}, nil, err
		}
	case db.NormalizeEmail(u.Email) != db.NormalizeEmail(before.Email):
		if err := renameIndexedEmail(w.tx, w.teamID, userID, before.Source, db.NormalizeEmail(before.Email), u.Email); err != nil {
			return db.User{}, nil, err
		}
	}
	// A status change to or from inactive is its own event type
	// (user.deactivated, user.reactivated); other changes are user.updated.
	if (u.Status == db.StatusInactive) != (before.Status == db.StatusInactive) {
		// An inactive user holds no group-derived products; reactivated, they get them back.
		if err := w.s.reconcileProducts(w.tx, w.teamID, []string{userID}, by); err != nil {
			return db.User{}, nil, err
		}
	}
	action := "user.update"
	switch {
	case u.Status == db.StatusInactive && before.Status != db.StatusInactive:
		action = "user.deactivate"
	case u.Status != db.StatusInactive && before.Status == db.StatusInactive:
		action = "user.reactivate"
	}
	view, err := w.userView(u)
	if err != nil {
		return db.User{}, nil, err
	}
	return u, changed, w.s.auditViewed(w.tx, w.teamID, by, action, "user", userID, map[string]any{"fields": changed}, view)
}

// userView is u's event resource as resourceViews would read it back in
// this transaction, from the user the writer has just written: the
// classification (policy mode and, in domain mode, the user's domain) is
// read, the user row is not.
func (w *writer) userView(u db.User) (db.UserView, error) {
	var exp db.UserType
	if !u.AdminRole.IsAdmin() {
		cl, err := w.classifier([]string{u.Email})
		if err != nil {
			return db.UserView{}, err
		}
		exp = w.s.classifyWith(cl, u.Email, u.Source)
	}
	return db.UserViewOf(u, exp), nil
}

// deleteUser removes a user from its team and groups (R-ADM-1: never the
// primary admin).
func (w *writer) deleteUser(userID string, by db.Actor) error {
	tx, teamID := w.tx, w.teamID
	var r userRow
	if err := tx.Take(&r, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return userNotFound(userID)
		}
		return err
	}
	if db.Role(r.AdminRole) == db.RolePrimary {
		return db.Errorf(db.ErrRule, "primary_admin", "R-ADM-1: %s is the team's primary admin and cannot be removed; make another admin primary first", r.Email)
	}
	if err := tx.Exec("UPDATE "+quoteTable(w.s.dialect, "groups")+" SET member_count = member_count - 1, version = version + 1 WHERE id IN (SELECT group_id FROM group_members WHERE user_id = ?)", userID).Error; err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&userEmailRow{}).Error; err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&memberRow{}).Error; err != nil {
		return err
	}
	// The member's account fields (R-MEM-4: removing a member removes
	// everything that hangs on them, on every path that deletes a user).
	if err := tx.Where("user_id = ?", userID).Delete(&memberProfileRow{}).Error; err != nil {
		return err
	}
	if _, err := deleteUserProjects(tx, userID); err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&invitationRow{}).Error; err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&externalSubscriptionRow{}).Error; err != nil {
		return err
	}
	if err := tx.Delete(&userRow{}, "id = ?", userID).Error; err != nil {
		return err
	}
	if db.Role(r.AdminRole).IsAdmin() {
		if err := releaseAdmin(tx, r.EmailLower); err != nil {
			return err
		}
	}
	return w.s.audit(tx, teamID, by, "user.delete", "user", userID, map[string]string{"email": r.Email})
}

// --- groups ---

// lockGroup reads a group under a row lock (PostgreSQL, MariaDB).
func (w *writer) lockGroup(groupID string) (groupRow, error) {
	return w.s.getGroupRow(w.s.lockable(w.tx), w.teamID, groupID)
}

// groupNameTaken reports whether another group of the team has the name.
func (w *writer) groupNameTaken(name, exceptID string) (bool, error) {
	var n int64
	err := w.tx.Model(&groupRow{}).Where("team_id = ? AND display_name_lower = ? AND id <> ?", w.teamID, lower(name), exceptID).Count(&n).Error
	return n > 0, err
}

// createGroup validates and inserts a group with its members.
func (w *writer) createGroup(in db.NewGroup, by db.Actor) (db.Group, error) {
	tx, teamID := w.tx, w.teamID
	now := w.s.nowUTC()
	g := db.Group{ID: newID(), TeamID: teamID, DisplayName: in.DisplayName, ExternalID: in.ExternalID,
		Source: in.Source, Attributes: in.Attributes, Version: 1, CreatedAt: now, UpdatedAt: now}
	if g.Source == "" {
		g.Source = db.SourceAdmin
	}
	if err := validateGroup(&g); err != nil {
		return db.Group{}, err
	}
	members := dedupe(in.Members)
	if _, err := policyModeTx(tx, teamID); err != nil {
		return db.Group{}, err
	}
	if len(members) > 1 {
		if err := w.planForValues(); err != nil {
			return db.Group{}, err
		}
	}
	if err := checkMembers(tx, teamID, members); err != nil {
		return db.Group{}, err
	}
	if t, err := w.groupNameTaken(g.DisplayName, g.ID); err != nil {
		return db.Group{}, err
	} else if t {
		return db.Group{}, groupConflict(g.DisplayName)
	}
	g.MemberCount = len(members)
	row := groupRow{ID: g.ID, TeamID: teamID, DisplayName: g.DisplayName, DisplayNameLower: lower(g.DisplayName),
		ExternalID: g.ExternalID, Source: string(g.Source), Attributes: g.Attributes, MemberCount: g.MemberCount,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		if isUniqueViolation(err) {
			return db.Group{}, groupConflict(g.DisplayName)
		}
		return db.Group{}, err
	}
	if err := insertMembers(tx, teamID, g.ID, members); err != nil {
		return db.Group{}, err
	}
	return g, w.s.auditViewed(tx, teamID, by, "group.create", "group", g.ID,
		map[string]any{"displayName": g.DisplayName, "members": len(members)}, db.GroupViewOf(g))
}

// renameGroup applies change to a group's attributes: it locks the row,
// compares the version, restores the fields with their own operations,
// validates, checks the name is free and, if anything changed, writes with a
// version compare-and-swap and audits.
func (w *writer) renameGroup(groupID string, ifVersion int64, by db.Actor, change func(*db.Group) error) (db.Group, error) {
	r, err := w.lockGroup(groupID)
	if err != nil {
		return db.Group{}, err
	}
	if ifVersion != 0 && r.Version != ifVersion {
		return db.Group{}, db.Errorf(db.ErrStale, "version_mismatch", "group %q has changed (version %d, expected %d)", groupID, r.Version, ifVersion)
	}
	before := r.toDomain()
	g := before
	if err := change(&g); err != nil {
		return db.Group{}, err
	}
	g.ID, g.TeamID, g.Source, g.MemberCount, g.Version, g.CreatedAt = before.ID, before.TeamID, before.Source, before.MemberCount, before.Version, before.CreatedAt
	if err := validateGroup(&g); err != nil {
		return db.Group{}, err
	}
	if g.DisplayName == before.DisplayName && g.ExternalID == before.ExternalID && string(g.Attributes) == string(before.Attributes) {
		return before, nil
	}
	if lower(g.DisplayName) != lower(before.DisplayName) {
		if t, err := w.groupNameTaken(g.DisplayName, g.ID); err != nil {
			return db.Group{}, err
		} else if t {
			return db.Group{}, groupConflict(g.DisplayName)
		}
	}
	g.Version++
	g.UpdatedAt = w.s.nowUTC()
	res := w.tx.Model(&groupRow{}).Where("id = ? AND version = ?", before.ID, before.Version).Updates(map[string]any{
		"display_name": g.DisplayName, "display_name_lower": lower(g.DisplayName), "external_id": g.ExternalID,
		"attributes": g.Attributes, "version": g.Version, "updated_at": g.UpdatedAt,
	})
	if res.Error != nil {
		if isUniqueViolation(res.Error) {
			return db.Group{}, groupConflict(g.DisplayName)
		}
		return db.Group{}, res.Error
	}
	if res.RowsAffected != 1 {
		return db.Group{}, db.Errorf(db.ErrStale, "version_mismatch", "group %q changed concurrently", before.ID)
	}
	return g, w.s.auditViewed(w.tx, w.teamID, by, "group.update", "group", before.ID, map[string]string{"displayName": g.DisplayName}, db.GroupViewOf(g))
}

// setMembers makes members the group's exact member set: the one member
// diff (SCIM PUT and PATCH replace, ReplaceMembers, directory groups).
func (w *writer) setMembers(groupID string, members []string, by db.Actor) (db.Group, int, int, error) {
	if _, err := w.lockGroup(groupID); err != nil {
		return db.Group{}, 0, 0, err
	}
	var current []string
	if err := w.tx.Model(&memberRow{}).Where("group_id = ? AND team_id = ?", groupID, w.teamID).Pluck("user_id", &current).Error; err != nil {
		return db.Group{}, 0, 0, err
	}
	add, remove := memberDiff(current, members)
	return w.modifyMembers(groupID, add, remove, by)
}

// memberDiff returns what to add to and remove from have to make it want.
func memberDiff(have, want []string) (add, remove []string) {
	want = dedupe(want)
	wantSet := make(map[string]bool, len(want))
	for _, id := range want {
		wantSet[id] = true
	}
	haveSet := make(map[string]bool, len(have))
	for _, id := range have {
		haveSet[id] = true
		if !wantSet[id] {
			remove = append(remove, id)
		}
	}
	for _, id := range want {
		if !haveSet[id] {
			add = append(add, id)
		}
	}
	return add, remove
}

// modifyMembers removes, then adds, touching only the rows named, so a change
// costs work proportional to its size, not the group's. It returns the group
// and how many members were added and removed.
func (w *writer) modifyMembers(groupID string, add, remove []string, by db.Actor) (db.Group, int, int, error) {
	tx, teamID := w.tx, w.teamID
	r, err := w.lockGroup(groupID)
	if err != nil {
		return db.Group{}, 0, 0, err
	}
	if len(add)+len(remove) > 1 {
		if err := w.planForValues(); err != nil {
			return db.Group{}, 0, 0, err
		}
	}
	if err := checkMembers(tx, teamID, add); err != nil {
		return db.Group{}, 0, 0, err
	}
	removed := 0
	for _, part := range chunks(remove, 1000) {
		in, arg := inStrings(tx, "user_id", part)
		res := tx.Where("group_id = ? AND "+in, groupID, arg).Delete(&memberRow{})
		if res.Error != nil {
			return db.Group{}, 0, 0, res.Error
		}
		removed += int(res.RowsAffected)
	}
	var fresh []string
	for _, part := range chunks(add, 1000) {
		var present []string
		in, arg := inStrings(tx, "user_id", part)
		if err := tx.Model(&memberRow{}).Where("group_id = ? AND "+in, groupID, arg).Pluck("user_id", &present).Error; err != nil {
			return db.Group{}, 0, 0, err
		}
		have := make(map[string]bool, len(present))
		for _, p := range present {
			have[p] = true
		}
		for _, id := range part {
			if !have[id] {
				fresh = append(fresh, id)
			}
		}
	}
	if err := insertMembers(tx, teamID, groupID, fresh); err != nil {
		return db.Group{}, 0, 0, err
	}
	g := r.toDomain()
	if removed == 0 && len(fresh) == 0 {
		return g, 0, 0, nil
	}
	// Group-mapped products follow the membership, in this transaction.
	if err := w.s.reconcileProducts(tx, teamID, append(append([]string(nil), fresh...), remove...), by); err != nil {
		return db.Group{}, 0, 0, err
	}
	g.MemberCount += len(fresh) - removed
	g.Version++
	g.UpdatedAt = w.s.nowUTC()
	if err := tx.Model(&groupRow{}).Where("id = ?", groupID).Updates(map[string]any{
		"member_count": gorm.Expr("member_count + ?", len(fresh)-removed), "version": gorm.Expr("version + 1"), "updated_at": g.UpdatedAt,
	}).Error; err != nil {
		return db.Group{}, 0, 0, err
	}
	return g, len(fresh), removed, w.s.auditViewed(tx, teamID, by, "group.members", "group", groupID,
		map[string]int{"added": len(fresh), "removed": removed}, db.GroupViewOf(g))
}

// deleteGroup removes a group and its memberships; it returns the group's name.
func (w *writer) deleteGroup(groupID string, by db.Actor) (string, error) {
	r, err := w.lockGroup(groupID)
	if err != nil {
		return "", err
	}
	members, err := groupMemberIDs(w.tx, w.teamID, groupID)
	if err != nil {
		return "", err
	}
	if err := w.tx.Where("group_id = ?", groupID).Delete(&productMappingRow{}).Error; err != nil {
		return "", err
	}
	if err := w.tx.Where("group_id = ?", groupID).Delete(&memberRow{}).Error; err != nil {
		return "", err
	}
	if err := w.tx.Delete(&groupRow{}, "id = ?", groupID).Error; err != nil {
		return "", err
	}
	// The deleted group's mapped products go with it.
	if err := w.s.reconcileProducts(w.tx, w.teamID, members, by); err != nil {
		return "", err
	}
	return r.DisplayName, w.s.audit(w.tx, w.teamID, by, "group.delete", "group", groupID, map[string]string{"displayName": r.DisplayName})
}

var _ db.Writer = (*Store)(nil)
