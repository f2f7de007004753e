package gormdb

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// claimAdmin pins the person (by email) to the account as an admin (R-ADM-2):
// a person may administer several teams, but all in one account.
func claimAdmin(tx *gorm.DB, email, accountID string) error {
	key := db.NormalizeEmail(email)
	var p adminPersonRow
	err := tx.Take(&p, "email_lower = ?", key).Error
	switch {
	case err == nil:
		if p.AccountID != accountID {
			return db.Errorf(db.ErrRule, "admin_other_account", "R-ADM-2: %s is already an admin in another account; a person can be an admin in one account only", email)
		}
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		if err := tx.Create(&adminPersonRow{EmailLower: key, AccountID: accountID}).Error; err != nil {
			if isUniqueViolation(err) {
				return db.Errorf(db.ErrRule, "admin_other_account", "R-ADM-2: %s became an admin elsewhere at the same time; retry", email)
			}
			return err
		}
		return nil
	default:
		return err
	}
}

// releaseAdmin unpins a person who no longer holds any admin role.
func releaseAdmin(tx *gorm.DB, emailLower string) error {
	var n int64
	if err := tx.Model(&userRow{}).Where("email_lower = ? AND admin_role <> ''", emailLower).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return tx.Delete(&adminPersonRow{}, "email_lower = ?", emailLower).Error
}

// SetAdminRole implements db.Store through the writer (db.UserSetRole),
// enforcing R-ADM-1..R-ADM-5 in one transaction.
func (s *Store) SetAdminRole(ctx context.Context, teamID, actingUserID, targetUserID string, role db.Role, by db.Actor) error {
	if _, err := s.apply1(ctx, teamID, db.UserSetRole{ActingUserID: actingUserID, UserID: targetUserID, Role: role, By: by}); err != nil {
		return fmt.Errorf("set admin role: %w", err)
	}
	return nil
}

// setAdminRole applies db.UserSetRole: the team is locked, each role write
// is a compare-and-swap on the role it replaces (and bumps the version),
// and R-ADM-5's primary handover is a compare-and-swap on the team.
func (w *writer) setAdminRole(actingUserID, targetUserID string, role db.Role, by db.Actor) error {
	s, tx, teamID := w.s, w.tx, w.teamID
	err := func() error {
		team, err := s.lockTeam(tx, teamID)
		if err != nil {
			return err
		}
		var acting, target userRow
		if err := tx.Take(&acting, "team_id = ? AND id = ?", teamID, actingUserID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.Errorf(db.ErrForbidden, "not_admin", "the acting user is not an admin of this team")
			}
			return err
		}
		if err := tx.Take(&target, "team_id = ? AND id = ?", teamID, targetUserID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return userNotFound(targetUserID)
			}
			return err
		}
		from, actor := db.Role(target.AdminRole), db.Role(acting.AdminRole)
		if err := db.CheckActingAdmin(acting.toDomain()); err != nil {
			if !actor.IsAdmin() {
				return db.Errorf(db.ErrForbidden, "not_admin", "R-ADM-4: %s is not an admin of this team and cannot assign roles", acting.Email)
			}
			return err
		}
		if from == role {
			return nil
		}
		if err := db.CheckRoleChange(actor, from, role, target.Email); err != nil {
			return err
		}
		if role == db.RolePrimary && db.Status(target.Status) != db.StatusActive {
			// R-ADM-1: the team must keep a working primary admin.
			return db.Errorf(db.ErrRule, "primary_requires_active", "R-ADM-1: %s is %s; only an active secondary admin can become primary admin, so reactivate them first", target.Email, target.Status)
		}
		now := s.nowUTC()
		setRole := func(id string, want, was db.Role) error {
			res := tx.Model(&userRow{}).Where("id = ? AND admin_role = ?", id, string(was)).
				Updates(map[string]any{"admin_role": string(want), "version": gorm.Expr("version + 1"), "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return db.Errorf(db.ErrStale, "role_changed", "the admin roles changed concurrently; reload and retry")
			}
			return nil
		}
		if !from.IsAdmin() {
			if err := claimAdmin(tx, target.Email, team.AccountID); err != nil {
				return err
			}
		}
		details := map[string]string{"email": target.Email, "role": roleName(role), "previous": roleName(from)}
		if role == db.RolePrimary {
			// R-ADM-5: the old primary becomes secondary, atomically, with a
			// compare-and-swap on the team so two concurrent changes cannot both win.
			old := team.PrimaryUserID
			res := tx.Model(&teamRow{}).Where("id = ? AND primary_user_id = ?", teamID, old).Update("primary_user_id", targetUserID)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return db.Errorf(db.ErrStale, "primary_changed", "the primary admin changed concurrently; reload and retry")
			}
			if err := setRole(old, db.RoleSecondary, db.RolePrimary); err != nil {
				return err
			}
			details["previous_primary"] = old
		}
		if err := setRole(targetUserID, role, from); err != nil {
			return err
		}
		if !role.IsAdmin() {
			if err := releaseAdmin(tx, target.EmailLower); err != nil {
				return err
			}
		}
		return s.audit(tx, teamID, by, "admin.set", "user", targetUserID, details)
	}()
	return err
}

func roleName(r db.Role) string {
	if r == db.RoleNone {
		return "none"
	}
	return string(r)
}

// ListAdmins implements db.Store.
func (s *Store) ListAdmins(ctx context.Context, teamID string) ([]db.User, error) {
	var rows []userRow
	if err := s.conn(ctx).Where("team_id = ? AND admin_role <> ''", teamID).Order("email_lower").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list admins: %w", translate(err))
	}
	out := make([]db.User, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
