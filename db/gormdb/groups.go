package gormdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

func groupNotFound(id string) error {
	return db.Errorf(db.ErrNotFound, "group_not_found", "group %q does not exist in this team", id)
}

func validateGroup(g *db.Group) error {
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	if g.DisplayName == "" {
		return db.Errorf(db.ErrInvalid, "display_name_required", "group displayName is required")
	}
	if len(g.DisplayName) > 255 || len(g.ExternalID) > 255 {
		return db.Errorf(db.ErrInvalid, "value_too_long", "displayName and externalId are limited to 255 characters")
	}
	return nil
}

func groupConflict(name string) error {
	return db.Errorf(db.ErrConflict, "group_name_taken", "a group named %q already exists in this team", name)
}

// CreateGroup implements db.Store.
func (s *Store) CreateGroup(ctx context.Context, teamID string, in db.NewGroup, by db.Actor) (db.Group, error) {
	now := s.nowUTC()
	g := db.Group{ID: newID(), TeamID: teamID, DisplayName: in.DisplayName, ExternalID: in.ExternalID,
		Source: in.Source, Attributes: in.Attributes, Version: 1, CreatedAt: now, UpdatedAt: now}
	if g.Source == "" {
		g.Source = db.SourceAdmin
	}
	if err := validateGroup(&g); err != nil {
		return db.Group{}, err
	}
	members := dedupe(in.Members)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, teamID); err != nil {
			return err
		}
		if err := checkMembers(tx, teamID, members); err != nil {
			return err
		}
		g.MemberCount = len(members)
		row := groupRow{ID: g.ID, TeamID: teamID, DisplayName: g.DisplayName, DisplayNameLower: lower(g.DisplayName),
			ExternalID: g.ExternalID, Source: string(g.Source), Attributes: g.Attributes, MemberCount: g.MemberCount,
			Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			if isUniqueViolation(err) {
				return groupConflict(g.DisplayName)
			}
			return err
		}
		if err := insertMembers(tx, teamID, g.ID, members); err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "group.create", "group", g.ID,
			map[string]any{"displayName": g.DisplayName, "members": len(members)})
	})
	if err != nil {
		return db.Group{}, fmt.Errorf("create group: %w", err)
	}
	return g, nil
}

// checkMembers proves every id is a user of the team (no cross-tenant references).
func checkMembers(tx *gorm.DB, teamID string, ids []string) error {
	for _, part := range chunks(ids, 1000) {
		var n int64
		if err := tx.Model(&userRow{}).Where("team_id = ? AND id IN ?", teamID, part).Count(&n).Error; err != nil {
			return err
		}
		if int(n) != len(part) {
			return db.Errorf(db.ErrInvalid, "member_not_found", "a member is not a user of this team")
		}
	}
	return nil
}

func insertMembers(tx *gorm.DB, teamID, groupID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rows := make([]memberRow, len(ids))
	for i, id := range ids {
		rows[i] = memberRow{GroupID: groupID, UserID: id, TeamID: teamID}
	}
	return tx.CreateInBatches(rows, 500).Error
}

func (s *Store) getGroupRow(tx *gorm.DB, teamID, groupID string) (groupRow, error) {
	var r groupRow
	if err := tx.Take(&r, "team_id = ? AND id = ?", teamID, groupID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, groupNotFound(groupID)
		}
		return r, err
	}
	return r, nil
}

// GetGroup implements db.Store.
func (s *Store) GetGroup(ctx context.Context, teamID, groupID string) (db.Group, error) {
	r, err := s.getGroupRow(s.conn(ctx), teamID, groupID)
	if err != nil {
		return db.Group{}, fmt.Errorf("get group: %w", translate(err))
	}
	return r.toDomain(), nil
}

// FindGroup implements db.Store.
func (s *Store) FindGroup(ctx context.Context, teamID string, key db.GroupKey) (db.Group, error) {
	q := s.conn(ctx).Where("team_id = ?", teamID)
	switch {
	case key.DisplayName != "":
		q = q.Where("display_name_lower = ?", lower(key.DisplayName))
	case key.ExternalID != "":
		q = q.Where("external_id = ?", key.ExternalID)
	default:
		return db.Group{}, db.Errorf(db.ErrInvalid, "key_required", "a group lookup needs a displayName or externalId")
	}
	var r groupRow
	if err := q.Order("id").Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.Group{}, db.Errorf(db.ErrNotFound, "group_not_found", "no such group in this team")
		}
		return db.Group{}, fmt.Errorf("find group: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListGroups implements db.Store.
func (s *Store) ListGroups(ctx context.Context, teamID string, page db.Page) ([]db.Group, error) {
	var rows []groupRow
	q := s.conn(ctx).Where("team_id = ?", teamID)
	if page.After != "" {
		q = q.Where("id > ?", page.After)
	}
	if err := q.Order("id").Limit(limitOf(page)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list groups: %w", translate(err))
	}
	out := make([]db.Group, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// UpdateGroup implements db.Store.
func (s *Store) UpdateGroup(ctx context.Context, teamID, groupID string, ifVersion int64, by db.Actor, change func(*db.Group) error) (db.Group, error) {
	var out db.Group
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := s.getGroupRow(tx, teamID, groupID)
		if err != nil {
			return err
		}
		if ifVersion != 0 && r.Version != ifVersion {
			return db.Errorf(db.ErrStale, "version_mismatch", "group %q has changed (version %d, expected %d)", groupID, r.Version, ifVersion)
		}
		g, err := s.changeGroupTx(tx, teamID, r.toDomain(), by, change)
		out = g
		return err
	})
	if err != nil {
		return db.Group{}, fmt.Errorf("update group: %w", err)
	}
	return out, nil
}

// DeleteGroup implements db.Store.
func (s *Store) DeleteGroup(ctx context.Context, teamID, groupID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := s.getGroupRow(tx, teamID, groupID)
		if err != nil {
			return err
		}
		if err := tx.Where("group_id = ?", groupID).Delete(&memberRow{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&groupRow{}, "id = ?", groupID).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "group.delete", "group", groupID, map[string]string{"displayName": r.DisplayName})
	})
	if err != nil {
		return fmt.Errorf("delete group: %w", err)
	}
	return nil
}

// ModifyMembers implements db.Store: removes, then adds, touching only the
// rows named, so a change costs work proportional to its size, not the group's.
func (s *Store) ModifyMembers(ctx context.Context, teamID, groupID string, add, remove []string, by db.Actor) (db.Group, error) {
	var out db.Group
	err := s.tx(ctx, func(tx *gorm.DB) error {
		g, err := s.modifyMembers(tx, teamID, groupID, dedupe(add), dedupe(remove), by)
		out = g
		return err
	})
	if err != nil {
		return db.Group{}, fmt.Errorf("modify members: %w", err)
	}
	return out, nil
}

func (s *Store) modifyMembers(tx *gorm.DB, teamID, groupID string, add, remove []string, by db.Actor) (db.Group, error) {
	r, err := s.getGroupRow(tx, teamID, groupID)
	if err != nil {
		return db.Group{}, err
	}
	if err := checkMembers(tx, teamID, add); err != nil {
		return db.Group{}, err
	}
	removed := 0
	for _, part := range chunks(remove, 1000) {
		res := tx.Where("group_id = ? AND user_id IN ?", groupID, part).Delete(&memberRow{})
		if res.Error != nil {
			return db.Group{}, res.Error
		}
		removed += int(res.RowsAffected)
	}
	var fresh []string
	for _, part := range chunks(add, 1000) {
		var present []string
		if err := tx.Model(&memberRow{}).Where("group_id = ? AND user_id IN ?", groupID, part).Pluck("user_id", &present).Error; err != nil {
			return db.Group{}, err
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
		return db.Group{}, err
	}
	g := r.toDomain()
	if removed == 0 && len(fresh) == 0 {
		return g, nil
	}
	g.MemberCount += len(fresh) - removed
	g.Version++
	g.UpdatedAt = s.nowUTC()
	if err := tx.Model(&groupRow{}).Where("id = ?", groupID).Updates(map[string]any{
		"member_count": gorm.Expr("member_count + ?", len(fresh)-removed), "version": gorm.Expr("version + 1"), "updated_at": g.UpdatedAt,
	}).Error; err != nil {
		return db.Group{}, err
	}
	return g, s.audit(tx, teamID, by, "group.members", "group", groupID, map[string]int{"added": len(fresh), "removed": removed})
}

// ReplaceMembers implements db.Store as a diff against the current members.
func (s *Store) ReplaceMembers(ctx context.Context, teamID, groupID string, members []string, by db.Actor) (db.Group, error) {
	var out db.Group
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var current []string
		if err := tx.Model(&memberRow{}).Where("group_id = ? AND team_id = ?", groupID, teamID).Pluck("user_id", &current).Error; err != nil {
			return err
		}
		want := dedupe(members)
		wantSet := make(map[string]bool, len(want))
		for _, id := range want {
			wantSet[id] = true
		}
		curSet := make(map[string]bool, len(current))
		var remove, add []string
		for _, id := range current {
			curSet[id] = true
			if !wantSet[id] {
				remove = append(remove, id)
			}
		}
		for _, id := range want {
			if !curSet[id] {
				add = append(add, id)
			}
		}
		g, err := s.modifyMembers(tx, teamID, groupID, add, remove, by)
		out = g
		return err
	})
	if err != nil {
		return db.Group{}, fmt.Errorf("replace members: %w", err)
	}
	return out, nil
}

// ListMembers implements db.Store.
func (s *Store) ListMembers(ctx context.Context, teamID, groupID string, page db.Page) ([]db.Member, error) {
	q := s.conn(ctx).Table("group_members AS m").Select("m.user_id AS user_id, u.email AS email").
		Joins("JOIN users u ON u.id = m.user_id").Where("m.group_id = ? AND m.team_id = ?", groupID, teamID)
	if page.After != "" {
		q = q.Where("m.user_id > ?", page.After)
	}
	var out []db.Member
	if err := q.Order("m.user_id").Limit(limitOf(page)).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list members: %w", translate(err))
	}
	return out, nil
}

// UserGroups implements db.Store.
func (s *Store) UserGroups(ctx context.Context, teamID, userID string) ([]db.Group, error) {
	var rows []groupRow
	if err := s.conn(ctx).Where("team_id = ? AND id IN (SELECT group_id FROM group_members WHERE user_id = ? AND team_id = ?)", teamID, userID, teamID).
		Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("user groups: %w", translate(err))
	}
	out := make([]db.Group, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// changeGroupTx applies change to a group's attributes inside tx: the fields
// with their own operations are restored, the result validated, and, if
// anything changed, written with a version compare-and-swap and audited. It
// returns the group as it now is. UpdateGroup and SCIM's PatchGroup share it.
func (s *Store) changeGroupTx(tx *gorm.DB, teamID string, before db.Group, by db.Actor, change func(*db.Group) error) (db.Group, error) {
	g := before
	if err := change(&g); err != nil {
		return before, err
	}
	g.ID, g.TeamID, g.Source, g.MemberCount, g.Version, g.CreatedAt = before.ID, before.TeamID, before.Source, before.MemberCount, before.Version, before.CreatedAt
	if err := validateGroup(&g); err != nil {
		return before, err
	}
	if g.DisplayName == before.DisplayName && g.ExternalID == before.ExternalID && string(g.Attributes) == string(before.Attributes) {
		return before, nil
	}
	g.Version++
	g.UpdatedAt = s.nowUTC()
	res := tx.Model(&groupRow{}).Where("id = ? AND version = ?", before.ID, before.Version).Updates(map[string]any{
		"display_name": g.DisplayName, "display_name_lower": lower(g.DisplayName), "external_id": g.ExternalID,
		"attributes": g.Attributes, "version": g.Version, "updated_at": g.UpdatedAt,
	})
	if res.Error != nil {
		if isUniqueViolation(res.Error) {
			return before, groupConflict(g.DisplayName)
		}
		return before, res.Error
	}
	if res.RowsAffected != 1 {
		return before, db.Errorf(db.ErrStale, "version_mismatch", "group %q changed concurrently", before.ID)
	}
	return g, s.audit(tx, teamID, by, "group.update", "group", before.ID, map[string]string{"displayName": g.DisplayName})
}
