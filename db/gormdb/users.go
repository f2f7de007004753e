package gormdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

func validStatus(st db.Status) bool {
	return st == db.StatusActive || st == db.StatusInactive || st == db.StatusPending
}

func validateUser(u *db.User) error {
	if err := validateNames(u.FirstName, u.LastName); err != nil {
		return err
	}
	if err := db.ValidateEmail(u.Email); err != nil {
		return err
	}
	if strings.TrimSpace(u.UserName) == "" {
		return db.Errorf(db.ErrInvalid, "username_required", "userName is required")
	}
	if len(u.UserName) > 255 || len(u.ExternalID) > 255 {
		return db.Errorf(db.ErrInvalid, "value_too_long", "userName and externalId are limited to 255 characters")
	}
	if !validStatus(u.Status) {
		return db.Errorf(db.ErrInvalid, "status_invalid", "status %q is not active, inactive or pending", u.Status)
	}
	return nil
}

// CreateUser implements db.Store.
func (s *Store) CreateUser(ctx context.Context, teamID string, in db.NewUser, by db.Actor) (db.User, error) {
	u, err := s.prepareUser(teamID, in)
	if err != nil {
		return db.User{}, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		_, mode, err := teamMode(tx, teamID)
		if err != nil {
			return err
		}
		cl, err := s.classifierFor(tx, teamID, mode, []string{u.Email})
		if err != nil {
			return err
		}
		return s.insertUserTx(tx, cl, &u, by)
	})
	if err != nil {
		if errors.Is(err, db.ErrConflict) {
			return db.User{}, s.explainUserConflict(ctx, teamID, u)
		}
		return db.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// prepareUser validates in and fills defaults; it does not touch the database.
func (s *Store) prepareUser(teamID string, in db.NewUser) (db.User, error) {
	now := s.nowUTC()
	u := db.User{ID: newID(), TeamID: teamID, Email: strings.TrimSpace(in.Email), UserName: strings.TrimSpace(in.UserName),
		FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName), Status: in.Status,
		Source: in.Source, ExternalID: in.ExternalID, Attributes: in.Attributes, Type: in.Type,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	if u.UserName == "" {
		u.UserName = u.Email
	}
	if u.Status == "" {
		u.Status = db.StatusActive
	}
	if !u.Source.Valid() {
		return db.User{}, db.Errorf(db.ErrInvalid, "source_invalid", "source %q is not scim, directory, sso, admin or product", in.Source)
	}
	if u.Type != "" && u.Type != db.TypeStandard && u.Type != db.TypeExternal {
		return db.User{}, db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not standard or external", in.Type)
	}
	if err := validateUser(&u); err != nil {
		return db.User{}, err
	}
	return u, nil
}

// insertUserTx classifies (unless u.Type is set), inserts and audits a
// prepared user inside tx. Feature areas reuse it for batches (directory sync)
// and just-in-time provisioning so every path classifies the same way.
func (s *Store) insertUserTx(tx *gorm.DB, cl teamClassifier, u *db.User, by db.Actor) error {
	if u.Type == "" {
		u.Type = s.classifyWith(cl, u.Email, u.Source)
	}
	row := s.userRowFrom(*u)
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	// SCIM writes a user's emails itself; every other path indexes the
	// primary email, so an IdP's emails[type eq "work"].value filter finds
	// users that an admin, a product, SSO or directory sync added.
	if u.Source != db.SourceSCIM {
		if err := tx.Create(primaryEmailRow(u.TeamID, u.ID, u.Email)).Error; err != nil {
			return err
		}
	}
	return s.audit(tx, u.TeamID, by, "user.create", "user", u.ID,
		map[string]string{"email": u.Email, "source": string(u.Source), "type": string(u.Type)})
}

// explainUserConflict turns a unique-index violation into a precise error.
func (s *Store) explainUserConflict(ctx context.Context, teamID string, u db.User) error {
	var n int64
	s.conn(ctx).Model(&userRow{}).Where("team_id = ? AND email_lower = ? AND id <> ?", teamID, db.NormalizeEmail(u.Email), u.ID).Count(&n)
	if n > 0 {
		return db.Errorf(db.ErrConflict, "email_taken", "a user with email %q already exists in this team", u.Email)
	}
	return db.Errorf(db.ErrConflict, "username_taken", "a user with userName %q already exists in this team", u.UserName)
}

func userNotFound(id string) error {
	return db.Errorf(db.ErrNotFound, "user_not_found", "user %q does not exist in this team", id)
}

// GetUser implements db.Store.
func (s *Store) GetUser(ctx context.Context, teamID, userID string) (db.User, error) {
	var r userRow
	if err := s.conn(ctx).Take(&r, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.User{}, userNotFound(userID)
		}
		return db.User{}, fmt.Errorf("get user: %w", translate(err))
	}
	return r.toDomain(), nil
}

// FindUser implements db.Store.
func (s *Store) FindUser(ctx context.Context, teamID string, key db.UserKey) (db.User, error) {
	q := s.conn(ctx).Where("team_id = ?", teamID)
	switch {
	case key.Email != "":
		q = q.Where("email_lower = ?", db.NormalizeEmail(key.Email))
	case key.UserName != "":
		q = q.Where("user_name_lower = ?", lower(key.UserName))
	case key.ExternalID != "":
		q = q.Where("external_id = ?", key.ExternalID)
	default:
		return db.User{}, db.Errorf(db.ErrInvalid, "key_required", "a user lookup needs an email, userName or externalId")
	}
	var r userRow
	if err := q.Order("id").Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.User{}, db.Errorf(db.ErrNotFound, "user_not_found", "no such user in this team")
		}
		return db.User{}, fmt.Errorf("find user: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListUsers implements db.Store.
func (s *Store) ListUsers(ctx context.Context, teamID string, page db.Page) ([]db.User, error) {
	var rows []userRow
	q := s.conn(ctx).Where("team_id = ?", teamID)
	if page.After != "" {
		q = q.Where("id > ?", page.After)
	}
	if err := q.Order("id").Limit(limitOf(page)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", translate(err))
	}
	out := make([]db.User, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// CountUsers implements db.Store.
func (s *Store) CountUsers(ctx context.Context, teamID string) (int, error) {
	var n int64
	if err := s.conn(ctx).Model(&userRow{}).Where("team_id = ?", teamID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", translate(err))
	}
	return int(n), nil
}

// UpdateUser implements db.Store.
func (s *Store) UpdateUser(ctx context.Context, teamID, userID string, ifVersion int64, by db.Actor, change func(*db.User) error) (db.User, error) {
	return s.updateUser(ctx, teamID, userID, ifVersion, by, func(u *db.User, _ *[]db.UserEmail) error { return change(u) })
}

// updateUser is the one read-modify-write of a user: it locks the row
// (PostgreSQL, MariaDB) so concurrent updates of one user queue instead of
// failing the version check (SQLite writers are already serialised), lets
// change edit the user and optionally replace its indexed emails, restores
// the fields that have their own operations, validates, writes with a version
// compare-and-swap, keeps the email index in step and audits.
func (s *Store) updateUser(ctx context.Context, teamID, userID string, ifVersion int64, by db.Actor, change func(*db.User, *[]db.UserEmail) error) (db.User, error) {
	var out db.User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Lock the row (PostgreSQL, MariaDB) so concurrent PATCHes of one user
		// queue instead of failing the version check; SQLite writers are
		// already serialised.
		lock := ""
		if s.dialect != SQLite {
			lock = " FOR UPDATE"
		}
		rows, err := tx.Raw("SELECT "+userColumns+" FROM users WHERE users.team_id = ? AND users.id = ?"+lock, teamID, userID).Rows()
		if err != nil {
			return err
		}
		found, err := scanUsers(rows, 1)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return userNotFound(userID)
		}
		before := found[0]
		if ifVersion != 0 && before.Version != ifVersion {
			return db.Errorf(db.ErrStale, "version_mismatch", "user %q has changed (version %d, expected %d)", userID, before.Version, ifVersion)
		}
		u := before
		var emails []db.UserEmail
		if err := change(&u, &emails); err != nil {
			return err
		}
		out = u // for explaining a conflict after rollback
		u.ID, u.TeamID, u.Type, u.Source, u.AdminRole = before.ID, before.TeamID, before.Type, before.Source, before.AdminRole
		u.Version, u.CreatedAt = before.Version, before.CreatedAt
		u.Email, u.UserName = strings.TrimSpace(u.Email), strings.TrimSpace(u.UserName)
		u.FirstName, u.LastName = strings.TrimSpace(u.FirstName), strings.TrimSpace(u.LastName)
		if err := validateUser(&u); err != nil {
			return err
		}
		// R-ADM-1: every path (admin API, CLI, SCIM PUT/PATCH) inherits this.
		if before.AdminRole == db.RolePrimary && u.Status != db.StatusActive && u.Status != before.Status {
			return db.PrimaryInactiveError(before.Email)
		}
		changed := changedUserFields(before, u)
		if len(changed) == 0 {
			out = before
			return nil
		}
		u.Version = before.Version + 1
		u.UpdatedAt = s.nowUTC()
		nr := s.userRowFrom(u)
		res := tx.Model(&userRow{}).Where("id = ? AND version = ?", userID, before.Version).Updates(map[string]any{
			"email": nr.Email, "email_lower": nr.EmailLower, "email_domain": nr.EmailDomain,
			"user_name": nr.UserName, "user_name_lower": nr.UserNameLower, "first_name": nr.FirstName,
			"last_name": nr.LastName, "status": nr.Status, "external_id": nr.ExternalID,
			"attributes": nr.Attributes, "version": nr.Version, "updated_at": nr.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return db.Errorf(db.ErrStale, "version_mismatch", "user %q changed concurrently", userID)
		}
		switch {
		case emails != nil: // the caller (SCIM) replaces the indexed emails
			if err := tx.Where("user_id = ?", userID).Delete(&userEmailRow{}).Error; err != nil {
				return err
			}
			if err := insertEmailRows(tx, emailRows(teamID, userID, emails)); err != nil {
				return err
			}
		case nr.EmailLower != db.NormalizeEmail(before.Email):
			if err := renameIndexedEmail(tx, teamID, userID, before.Source, db.NormalizeEmail(before.Email), nr.Email); err != nil {
				return err
			}
		}
		out = u
		return s.audit(tx, teamID, by, "user.update", "user", userID, map[string]any{"fields": changed})
	})
	if err != nil {
		if errors.Is(err, db.ErrConflict) {
			var de *db.Error
			if !errors.As(err, &de) {
				return db.User{}, s.explainUserConflict(ctx, teamID, out)
			}
		}
		return db.User{}, fmt.Errorf("update user: %w", err)
	}
	return out, nil
}

func changedUserFields(a, b db.User) []string {
	var f []string
	add := func(name string, changed bool) {
		if changed {
			f = append(f, name)
		}
	}
	add("email", a.Email != b.Email)
	add("userName", a.UserName != b.UserName)
	add("firstName", a.FirstName != b.FirstName)
	add("lastName", a.LastName != b.LastName)
	add("status", a.Status != b.Status)
	add("externalId", a.ExternalID != b.ExternalID)
	add("attributes", string(a.Attributes) != string(b.Attributes))
	return f
}

// DeleteUser implements db.Store.
func (s *Store) DeleteUser(ctx context.Context, teamID, userID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error { return s.deleteUserTx(tx, teamID, userID, by) })
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// quoteTable quotes a table name that is a reserved word in MySQL 8/MariaDB ("groups").
func quoteTable(d Dialect, name string) string {
	if d == MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// SetUserTypes implements db.Store.
func (s *Store) SetUserTypes(ctx context.Context, teamID string, userIDs []string, t db.UserType, by db.Actor) error {
	if t != db.TypeStandard && t != db.TypeExternal {
		return db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not standard or external", t)
	}
	ids := dedupe(userIDs)
	if len(ids) == 0 {
		return db.Errorf(db.ErrInvalid, "users_required", "no users given")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.nowUTC()
		for _, part := range chunks(ids, 500) {
			var rows []userRow
			if err := tx.Select("id", "email", "type", "admin_role").Where("team_id = ? AND id IN ?", teamID, part).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) != len(part) {
				return db.Errorf(db.ErrNotFound, "user_not_found", "some of the users do not exist in this team")
			}
			var change []string
			for _, r := range rows {
				if db.Role(r.AdminRole).IsAdmin() {
					return db.Errorf(db.ErrRule, "admin_not_classified", "R-ADM-9: %s is an admin; admins are never classified", r.Email)
				}
				if r.Type != string(t) {
					change = append(change, r.ID)
				}
			}
			if len(change) == 0 {
				continue
			}
			if err := tx.Model(&userRow{}).Where("team_id = ? AND id IN ?", teamID, change).
				Updates(map[string]any{"type": string(t), "version": gorm.Expr("version + 1"), "updated_at": now}).Error; err != nil {
				return err
			}
			for _, id := range change {
				if err := s.audit(tx, teamID, by, "user.set_type", "user", id, map[string]string{"type": string(t)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set user types: %w", err)
	}
	return nil
}

// deleteUserTx removes a user from its team and groups inside tx (R-ADM-1:
// never the primary admin). Feature areas reuse it (directory deletes).
func (s *Store) deleteUserTx(tx *gorm.DB, teamID, userID string, by db.Actor) error {
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
	if err := tx.Exec("UPDATE "+quoteTable(s.dialect, "groups")+" SET member_count = member_count - 1, version = version + 1 WHERE id IN (SELECT group_id FROM group_members WHERE user_id = ?)", userID).Error; err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&userEmailRow{}).Error; err != nil {
		return err
	}
	if err := tx.Where("user_id = ?", userID).Delete(&memberRow{}).Error; err != nil {
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
	return s.audit(tx, teamID, by, "user.delete", "user", userID, map[string]string{"email": r.Email})
}

// ExpectedTypes implements db.Store by running the injected classifier on each
// user's email and source under the team's current policy.
func (s *Store) ExpectedTypes(ctx context.Context, teamID string, userIDs []string) (map[string]db.UserType, error) {
	out := make(map[string]db.UserType, len(userIDs))
	g := s.conn(ctx)
	_, mode, err := teamMode(g, teamID)
	if err != nil {
		return nil, fmt.Errorf("expected types: %w", translate(err))
	}
	for _, part := range chunks(dedupe(userIDs), 1000) {
		var rows []userRow
		if err := g.Select("id", "email", "source", "admin_role").Where("team_id = ? AND id IN ?", teamID, part).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("expected types: %w", translate(err))
		}
		emails := make([]string, len(rows))
		for i, r := range rows {
			emails[i] = r.Email
		}
		cl, err := s.classifierFor(g, teamID, mode, emails)
		if err != nil {
			return nil, fmt.Errorf("expected types: %w", translate(err))
		}
		for _, r := range rows {
			if db.Role(r.AdminRole).IsAdmin() {
				continue
			}
			out[r.ID] = s.classifyWith(cl, r.Email, db.Source(r.Source))
		}
	}
	return out, nil
}

// primaryEmailRow is the email-index row of a user's primary email.
func primaryEmailRow(teamID, userID, email string) *userEmailRow {
	return &userEmailRow{UserID: userID, Position: 0, TeamID: teamID, ValueLower: db.NormalizeEmail(email),
		TypeLower: "work", Value: email, Type: "work", IsPrimary: true}
}

// renameIndexedEmail keeps the email index in step when a user's primary
// email changes outside SCIM (an admin edit, directory sync). A non-SCIM
// user's index is exactly its primary email, so it is rewritten whole (which
// also repairs a user that was never indexed); a SCIM user's other emails
// stay as its client sent them.
func renameIndexedEmail(tx *gorm.DB, teamID, userID string, src db.Source, oldLower, email string) error {
	if src != db.SourceSCIM {
		if err := tx.Where("user_id = ?", userID).Delete(&userEmailRow{}).Error; err != nil {
			return err
		}
		return tx.Create(primaryEmailRow(teamID, userID, email)).Error
	}
	return tx.Model(&userEmailRow{}).Where("user_id = ? AND value_lower = ?", userID, oldLower).
		Updates(map[string]any{"value": email, "value_lower": db.NormalizeEmail(email)}).Error
}
