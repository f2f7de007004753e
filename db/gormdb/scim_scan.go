package gormdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// The SCIM read paths (GET by id, filters, list pages) scan users by hand:
// gorm's reflection-based scanning cost as much CPU as SQLite itself on a
// page of 100 users. The columns are exactly userRow's.
const userColumns = "users.id, users.team_id, users.email, users.user_name, users.first_name, users.last_name, " +
	"users.status, users.type, users.source, users.admin_role, users.external_id, users.attributes, " +
	"users.version, users.created_at, users.updated_at"

// scanUsers reads rows of userColumns into domain users (what userRow.toDomain gives).
func scanUsers(rows *sql.Rows, capacity int) ([]db.User, error) {
	defer rows.Close()
	out := make([]db.User, 0, capacity)
	for rows.Next() {
		var r userRow
		if err := rows.Scan(&r.ID, &r.TeamID, &r.Email, &r.UserName, &r.FirstName, &r.LastName, &r.Status, &r.Type,
			&r.Source, &r.AdminRole, &r.ExternalID, &r.Attributes, &r.Version, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, r.toDomain())
	}
	return out, rows.Err()
}

// queryUsers runs a SELECT of userColumns with the given tail (WHERE ...).
func (s *Store) queryUsers(ctx context.Context, tail string, args []any, capacity int) ([]db.User, error) {
	rows, err := s.conn(ctx).Raw("SELECT "+userColumns+" FROM users WHERE "+tail, args...).Rows()
	if err != nil {
		return nil, err
	}
	return scanUsers(rows, capacity)
}

// GetSCIMUser implements db.SCIMStore.
func (s *Store) GetSCIMUser(ctx context.Context, teamID, userID string) (db.User, error) {
	us, err := s.queryUsers(ctx, "users.team_id = ? AND users.id = ?", []any{teamID, userID}, 1)
	if err != nil {
		return db.User{}, fmt.Errorf("get user: %w", translate(err))
	}
	if len(us) == 0 {
		return db.User{}, userNotFound(userID)
	}
	return us[0], nil
}

// policyModeTx is teamMode for readers that need only the policy mode: one
// narrow query without gorm's reflection.
func policyModeTx(conn *gorm.DB, teamID string) (db.PolicyMode, error) {
	var mode string
	res := conn.Raw("SELECT policy_mode FROM teams WHERE id = ?", teamID).Scan(&mode)
	if err := res.Error; err != nil {
		if errors.Is(err, sql.ErrNoRows) || errors.Is(err, gorm.ErrRecordNotFound) {
			return "", teamNotFound(teamID)
		}
		return "", err
	}
	if res.RowsAffected == 0 {
		return "", teamNotFound(teamID)
	}
	return db.PolicyMode(mode), nil
}
