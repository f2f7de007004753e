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

// CreateUser implements db.Store through the one writer.
func (s *Store) CreateUser(ctx context.Context, teamID string, in db.NewUser, by db.Actor) (db.User, error) {
	a, err := s.apply1(ctx, teamID, db.UserCreate{User: in, By: by})
	if err != nil {
		return db.User{}, fmt.Errorf("create user: %w", err)
	}
	return a.User, nil
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

// UpdateUser implements db.Store through the one writer.
func (s *Store) UpdateUser(ctx context.Context, teamID, userID string, ifVersion int64, by db.Actor, change func(*db.User) error) (db.User, error) {
	a, err := s.apply1(ctx, teamID, db.UserUpdate{UserID: userID, IfVersion: ifVersion, By: by,
		Change: func(u *db.User, _ *[]db.UserEmail) error { return change(u) }})
	if err != nil {
		return db.User{}, fmt.Errorf("update user: %w", err)
	}
	return a.User, nil
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
	if _, err := s.apply1(ctx, teamID, db.UserDelete{UserID: userID, By: by}); err != nil {
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
