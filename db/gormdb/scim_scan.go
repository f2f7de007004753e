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

// GetSCIMUserExpected implements db.SCIMStore: the user, the team's policy
// mode and whether the user's email domain is approved, in one statement
// (issue 15: GET by id read the user, the policy mode and, in domain mode,
// the domain in three). users.email_domain is stored in the policy's
// normalised form (userRowFrom), the same key classifierFor looks up.
func (s *Store) GetSCIMUserExpected(ctx context.Context, teamID, userID string) (db.User, db.UserType, error) {
	rows, err := s.conn(ctx).Raw("SELECT "+userColumns+", teams.policy_mode, "+
		"EXISTS (SELECT 1 FROM team_domains td WHERE td.team_id = users.team_id AND td.domain = users.email_domain) "+
		"FROM users JOIN teams ON teams.id = users.team_id WHERE users.team_id = ? AND users.id = ?", teamID, userID).Rows()
	if err != nil {
		return db.User{}, "", fmt.Errorf("get user: %w", translate(err))
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return db.User{}, "", fmt.Errorf("get user: %w", translate(err))
		}
		return db.User{}, "", userNotFound(userID)
	}
	var r userRow
	var mode string
	var approved bool
	if err := rows.Scan(&r.ID, &r.TeamID, &r.Email, &r.UserName, &r.FirstName, &r.LastName, &r.Status, &r.Type,
		&r.Source, &r.AdminRole, &r.ExternalID, &r.Attributes, &r.Version, &r.CreatedAt, &r.UpdatedAt, &mode, &approved); err != nil {
		return db.User{}, "", fmt.Errorf("get user: %w", translate(err))
	}
	u := r.toDomain()
	if u.AdminRole.IsAdmin() {
		return u, "", nil
	}
	cl := teamClassifier{mode: db.PolicyMode(mode)}
	if cl.mode == db.PolicyDomain {
		cl.approved = map[string]bool{}
		if approved {
			cl.approved[s.emailDomain(u.Email)] = true
		}
	}
	return u, s.classifyWith(cl, u.Email, u.Source), nil
}

// policyModeTx is teamMode for readers that need only the policy mode: one
// narrow query without gorm's reflection.
func policyModeTx(conn *gorm.DB, teamID string) (db.PolicyMode, error) {
	var mode string
	if err := conn.Raw("SELECT policy_mode FROM teams WHERE id = ?", teamID).Row().Scan(&mode); err != nil {
		if errors.Is(err, sql.ErrNoRows) || errors.Is(err, gorm.ErrRecordNotFound) {
			return "", teamNotFound(teamID)
		}
		return "", err
	}
	return db.PolicyMode(mode), nil
}
