package gormdb

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/roster-dev/roster/db"
)

var _ db.MemberStore = (*Store)(nil)

// memberProfileRow holds a member's account fields beside the user row
// (migration 00010). Deleting the user deletes it (writer.deleteUser).
type memberProfileRow struct {
	UserID       string `gorm:"primaryKey"`
	TeamID       string
	Company      string
	CompanyLower string
	JobRole      string
	JobRoleLower string
	AccessLevel  string
	UpdatedAt    time.Time
}

func (memberProfileRow) TableName() string { return "member_profiles" }

type teamCompanyRow struct {
	TeamID    string `gorm:"primaryKey"`
	NameLower string `gorm:"primaryKey"`
	Name      string
}

func (teamCompanyRow) TableName() string { return "team_companies" }

// validateProfile checks a member's company, role and level.
func validateProfile(company, role string, level db.AccessLevel) error {
	if len(company) > 255 || len(role) > 255 {
		return db.Errorf(db.ErrInvalid, "value_too_long", "company and role are limited to 255 characters")
	}
	if err := db.CheckText("company", company); err != nil {
		return err
	}
	if err := db.CheckText("role", role); err != nil {
		return err
	}
	if !level.Valid() {
		return db.Errorf(db.ErrInvalid, "level_invalid", "level %q is not member, account-admin, executive or standards-admin", level)
	}
	return nil
}

// AddMembers implements db.MemberStore: every row is checked first and
// reported per row; then all users are created through the one writer
// (UserCreate, status pending) with their profiles in one transaction.
func (s *Store) AddMembers(ctx context.Context, teamID string, rows []db.NewMember, by db.Actor) ([]db.TeamMember, error) {
	if len(rows) == 0 {
		return nil, db.Errorf(db.ErrInvalid, "emails_required", "no members given")
	}
	if len(rows) > db.MembersAddMax {
		return nil, db.Errorf(db.ErrInvalid, "too_many_members", "%d members given; one request takes at most %d", len(rows), db.MembersAddMax)
	}
	if _, err := s.GetTeam(ctx, teamID); err != nil {
		return nil, err
	}
	var bad []db.RowError
	seen := map[string]int{}
	var lowers []string
	for i := range rows {
		r := &rows[i]
		r.Email, r.Company, r.JobRole = strings.TrimSpace(r.Email), strings.TrimSpace(r.Company), strings.TrimSpace(r.JobRole)
		if r.Level == "" {
			r.Level = db.LevelMember
		}
		rowErr := func(err error) {
			bad = append(bad, db.RowError{Row: i + 1, Email: r.Email, Code: db.CodeOf(err), Message: clientText(err)})
		}
		if err := db.ValidateEmail(r.Email); err != nil {
			rowErr(err)
			continue
		}
		if err := validateProfile(r.Company, r.JobRole, r.Level); err != nil {
			rowErr(err)
			continue
		}
		defaultNames(r)
		if err := validateNames(r.FirstName, r.LastName); err != nil {
			rowErr(err)
			continue
		}
		l := db.NormalizeEmail(r.Email)
		if first, dup := seen[l]; dup {
			rowErr(db.Errorf(db.ErrInvalid, "duplicate_in_list", "%s is listed twice (rows %d and %d)", r.Email, first, i+1))
			continue
		}
		seen[l] = i + 1
		lowers = append(lowers, l)
	}
	for _, part := range chunks(lowers, 500) {
		var taken []string
		if err := s.conn(ctx).Model(&userRow{}).Where("team_id = ? AND email_lower IN ?", teamID, part).Pluck("email_lower", &taken).Error; err != nil {
			return nil, fmt.Errorf("add members: %w", translate(err))
		}
		for _, t := range taken {
			i := seen[t] - 1
			bad = append(bad, db.RowError{Row: i + 1, Email: rows[i].Email, Code: "already_member", Message: fmt.Sprintf("%s is already in the team", rows[i].Email)})
		}
	}
	if len(bad) > 0 {
		return nil, rowErrors(bad)
	}
	out := make([]db.TeamMember, len(rows))
	err := s.tx(ctx, func(tx *gorm.DB) error {
		w := &writer{s: s, tx: tx, teamID: teamID}
		now := s.nowUTC()
		profiles := make([]memberProfileRow, len(rows))
		for i, r := range rows {
			a, err := w.apply(db.UserCreate{User: db.NewUser{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
				Status: db.StatusPending, Source: db.SourceAdmin}, By: by})
			if err != nil {
				var de *db.Error
				if errors.As(err, &de) {
					return rowErrors([]db.RowError{{Row: i + 1, Email: r.Email, Code: de.Code, Message: de.Message}})
				}
				return err
			}
			out[i] = db.TeamMember{User: a.User, Company: r.Company, JobRole: r.JobRole, Level: r.Level}
			profiles[i] = memberProfileRow{UserID: a.User.ID, TeamID: teamID, Company: r.Company, CompanyLower: lower(r.Company),
				JobRole: r.JobRole, JobRoleLower: lower(r.JobRole), AccessLevel: string(r.Level), UpdatedAt: now}
		}
		if err := createInParts(tx, profiles, 256); err != nil {
			return err
		}
		var withCompany []string
		companies := make([]string, 0, len(profiles))
		for _, p := range profiles {
			if p.CompanyLower != "" { // '' is the column's default on a new user row
				withCompany = append(withCompany, p.UserID)
				companies = append(companies, p.Company)
			}
		}
		if err := setCompanySortKeys(tx, withCompany); err != nil {
			return err
		}
		if err := addCompanies(tx, teamID, companies); err != nil {
			return err
		}
		for _, p := range profiles {
			if err := s.audit(tx, teamID, by, "member.add", "user", p.UserID, map[string]string{
				"company": p.Company, "role": p.JobRole, "level": p.AccessLevel}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	return out, nil
}

// defaultNames fills the names a pasted address list does not carry (a
// user needs both): the address's local part and its domain, until the
// member or an admin sets real ones.
func defaultNames(r *db.NewMember) {
	r.FirstName, r.LastName = strings.TrimSpace(r.FirstName), strings.TrimSpace(r.LastName)
	at := strings.LastIndexByte(r.Email, '@')
	if r.FirstName == "" {
		r.FirstName = r.Email[:at]
	}
	if r.LastName == "" {
		r.LastName = r.Email[at+1:]
	}
}

// rowErrors is the refusal of a multi-row request: conflict when every bad
// row is an address already in the team, invalid otherwise.
func rowErrors(bad []db.RowError) error {
	kind := db.ErrConflict
	for _, b := range bad {
		if b.Code != "already_member" {
			kind = db.ErrInvalid
		}
	}
	return &db.RowErrors{Err: db.Errorf(kind, "rows_refused", "%d of the rows were refused; nothing was added", len(bad)), Rows: bad}
}

// clientText is a domain error's client message.
func clientText(err error) string {
	var de *db.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return "invalid row"
}

// setCompanySortKeys copies the members' lowercased companies from their
// profiles onto their user rows (users.company_lower, migration 00049), in
// the profiles' transaction, so the members list sorts and filters by
// company on an index instead of sorting the team behind a LEFT JOIN.
// Profiles are written only by AddMembers and EditMembers, which call this
// after writing them: one statement per 500 members (a correlated subquery,
// which SQLite, PostgreSQL and MariaDB all take in an UPDATE of another
// table), not one per member.
func setCompanySortKeys(tx *gorm.DB, userIDs []string) error {
	for _, part := range chunks(userIDs, 500) {
		if err := tx.Exec("UPDATE users SET company_lower = (SELECT mp.company_lower FROM member_profiles mp WHERE mp.user_id = users.id)"+
			" WHERE id IN ?", part).Error; err != nil {
			return err
		}
	}
	return nil
}

// addCompanies puts companies on the team's list (kept by the members that
// name them), one statement per 200 distinct companies; the first spelling
// of a company (by its lowercased name) stays.
func addCompanies(tx *gorm.DB, teamID string, names []string) error {
	seen := map[string]bool{}
	var rows []teamCompanyRow
	for _, name := range names {
		if name == "" || seen[lower(name)] {
			continue
		}
		seen[lower(name)] = true
		rows = append(rows, teamCompanyRow{TeamID: teamID, NameLower: lower(name), Name: name})
	}
	if len(rows) == 0 {
		return nil
	}
	return createInParts(tx.Clauses(clause.OnConflict{DoNothing: true}), rows, 256)
}

// EditMembers implements db.MemberStore (R-MEM-2).
func (s *Store) EditMembers(ctx context.Context, teamID string, userIDs []string, edit db.MemberEdit, by db.Actor) ([]db.TeamMember, []db.Overwrite, error) {
	userIDs = dedupe(userIDs)
	if len(userIDs) == 0 {
		return nil, nil, db.Errorf(db.ErrInvalid, "members_required", "no members given")
	}
	if edit.Company == nil && edit.JobRole == nil && edit.Level == nil {
		return nil, nil, db.Errorf(db.ErrInvalid, "edit_empty", "give at least one of company, role, level")
	}
	var out []db.TeamMember
	var over []db.Overwrite
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out, over = nil, nil // a transaction may run twice (groupCommit)
		now := s.nowUTC()
		var companies []string
		for _, id := range userIDs {
			m, err := s.getMember(tx, teamID, id)
			if err != nil {
				return err
			}
			before := m
			if edit.Company != nil {
				m.Company = strings.TrimSpace(*edit.Company)
			}
			if edit.JobRole != nil {
				m.JobRole = strings.TrimSpace(*edit.JobRole)
			}
			if edit.Level != nil {
				m.Level = *edit.Level
			}
			if err := validateProfile(m.Company, m.JobRole, m.Level); err != nil {
				return err
			}
			changed := map[string][2]string{}
			for _, f := range []struct {
				name     string
				from, to string
			}{{"company", before.Company, m.Company}, {"role", before.JobRole, m.JobRole}, {"level", string(before.Level), string(m.Level)}} {
				if f.from != f.to {
					changed[f.name] = [2]string{f.from, f.to}
					over = append(over, db.Overwrite{UserID: id, Email: m.User.Email, Field: f.name, From: f.from, To: f.to})
				}
			}
			row := memberProfileRow{UserID: id, TeamID: teamID, Company: m.Company, CompanyLower: lower(m.Company),
				JobRole: m.JobRole, JobRoleLower: lower(m.JobRole), AccessLevel: string(m.Level), UpdatedAt: now}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"company", "company_lower", "job_role", "job_role_lower", "access_level", "updated_at"})}).
				Create(&row).Error; err != nil {
				return err
			}
			companies = append(companies, m.Company)
			if len(changed) > 0 {
				if err := s.audit(tx, teamID, by, "member.edit", "user", id, changed); err != nil {
					return err
				}
			}
			out = append(out, m)
		}
		// after the loop: every profile is written (userIDs are deduped)
		if err := setCompanySortKeys(tx, userIDs); err != nil {
			return err
		}
		return addCompanies(tx, teamID, companies)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("edit members: %w", err)
	}
	return out, over, nil
}

// RemoveMember implements db.MemberStore: the one writer's UserDelete,
// which also drops the member's profile, plus a member.remove audit entry,
// in one transaction (R-MEM-4).
func (s *Store) RemoveMember(ctx context.Context, teamID, userID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		m, err := s.getMember(tx, teamID, userID)
		if err != nil {
			return err
		}
		var projects, grants int64
		if err := tx.Model(&projectMemberRow{}).Where("user_id = ?", userID).Count(&projects).Error; err != nil {
			return err
		}
		if err := tx.Model(&projectAccessRow{}).Where("user_id = ?", userID).Count(&grants).Error; err != nil {
			return err
		}
		w := &writer{s: s, tx: tx, teamID: teamID}
		if _, err := w.apply(db.UserDelete{UserID: userID, By: by}); err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "member.remove", "user", userID, map[string]any{"email": m.User.Email,
			"projects_removed": projects, "product_access_revoked": grants})
	})
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return nil
}

// GetMember implements db.MemberStore.
func (s *Store) GetMember(ctx context.Context, teamID, userID string) (db.TeamMember, error) {
	m, err := s.getMember(s.conn(ctx), teamID, userID)
	if err != nil {
		return db.TeamMember{}, fmt.Errorf("get member: %w", translate(err))
	}
	return m, nil
}

func (s *Store) getMember(conn *gorm.DB, teamID, userID string) (db.TeamMember, error) {
	rows, err := conn.Raw(memberSelect+" WHERE users.team_id = ? AND users.id = ?", teamID, userID).Rows()
	if err != nil {
		return db.TeamMember{}, err
	}
	ms, err := scanMembers(rows)
	if err != nil {
		return db.TeamMember{}, err
	}
	if len(ms) == 0 {
		return db.TeamMember{}, userNotFound(userID)
	}
	return ms[0], nil
}

const memberSelect = "SELECT " + userColumns + ", COALESCE(mp.company, ''), COALESCE(mp.job_role, ''), COALESCE(mp.access_level, 'member')" +
	" FROM users LEFT JOIN member_profiles mp ON mp.user_id = users.id"

func scanMembers(rows *sql.Rows) ([]db.TeamMember, error) {
	defer rows.Close()
	var out []db.TeamMember
	for rows.Next() {
		var r userRow
		var m db.TeamMember
		var level string
		if err := rows.Scan(&r.ID, &r.TeamID, &r.Email, &r.UserName, &r.FirstName, &r.LastName, &r.Status, &r.Type,
			&r.Source, &r.AdminRole, &r.ExternalID, &r.Attributes, &r.Version, &r.CreatedAt, &r.UpdatedAt,
			&m.Company, &m.JobRole, &level); err != nil {
			return nil, err
		}
		m.User, m.Level = r.toDomain(), db.AccessLevel(level)
		out = append(out, m)
	}
	return out, rows.Err()
}

// sortExpr is the SQL expression each sort column orders by; users.id
// breaks ties, so the keyset cursor is (value, id).
func (s *Store) sortExpr(col string) (string, bool) {
	concat := "LOWER(users.last_name || ' ' || users.first_name)"
	if s.dialect == MySQL {
		concat = "LOWER(CONCAT(users.last_name, ' ', users.first_name))"
	}
	e, ok := map[string]string{
		"":           "users.email_lower",
		"email":      "users.email_lower",
		"name":       concat,
		"first_name": "LOWER(users.first_name)",
		"last_name":  "LOWER(users.last_name)",
		"company":    "users.company_lower", // = COALESCE(mp.company_lower, ''), kept by setCompanySortKeys
		"role":       "COALESCE(mp.job_role_lower, '')",
		"level":      "COALESCE(mp.access_level, 'member')",
		"status":     "users.status",
		"type":       "users.type",
		"source":     "users.source",
		"admin_role": "users.admin_role",
	}[col]
	return e, ok
}

// likePattern is a case-insensitive substring pattern with '!' escaping.
func likePattern(q string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// userFilters is the WHERE of a member-like list (members, project members,
// invitations: each selects FROM users LEFT JOIN member_profiles mp):
// the team, q as a case-insensitive substring of email, names, company and
// role, and the exact filters that are set (R-MEM-6).
func userFilters(teamID, q string, status db.Status, typ db.UserType, source db.Source, company string) ([]string, []any) {
	where := []string{"users.team_id = ?"}
	args := []any{teamID}
	if q != "" {
		p := likePattern(strings.TrimSpace(q))
		where = append(where, "(users.email_lower LIKE ? ESCAPE '!' OR LOWER(users.first_name) LIKE ? ESCAPE '!' OR LOWER(users.last_name) LIKE ? ESCAPE '!'"+
			" OR COALESCE(mp.company_lower, '') LIKE ? ESCAPE '!' OR COALESCE(mp.job_role_lower, '') LIKE ? ESCAPE '!')")
		args = append(args, p, p, p, p, p)
	}
	if status != "" {
		where, args = append(where, "users.status = ?"), append(args, string(status))
	}
	if typ != "" {
		where, args = append(where, "users.type = ?"), append(args, string(typ))
	}
	if source != "" {
		where, args = append(where, "users.source = ?"), append(args, string(source))
	}
	if company != "" {
		where, args = append(where, "users.company_lower = ?"), append(args, lower(company))
	}
	return where, args
}

// keysetRows runs selectFrom (a "SELECT cols FROM ..." naming users) with
// where, ordered by expr and users.id in one direction and keyset-paged
// after the cursor (sort value, id): one SQL query whose first column is
// the sort value; it fetches limit+1 rows so the caller knows whether a
// next page exists.
func (s *Store) keysetRows(conn *gorm.DB, selectFrom string, where []string, args []any, expr string, desc bool, after string, limit int) (*sql.Rows, error) {
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	if after != "" {
		v, id, err := decodeMemberCursor(after)
		if err != nil {
			return nil, err
		}
		where = append(where, "("+expr+" "+cmp+" ? OR ("+expr+" = ? AND users.id "+cmp+" ?))")
		args = append(args, v, v, id)
	}
	full := strings.Replace(selectFrom, "SELECT ", "SELECT "+expr+" AS sort_value, ", 1) +
		" WHERE " + strings.Join(where, " AND ") + " ORDER BY sort_value " + dir + ", users.id " + dir + fmt.Sprintf(" LIMIT %d", limit+1)
	rows, err := conn.Raw(full, args...).Rows()
	return rows, translate(err)
}

// keysetPage cuts the limit+1 rows keysetRows fetched to one page: the
// first limit (never nil) and, when there were more, the cursor after the
// last of them (its sort value and id).
func keysetPage[T any](rows []T, sortValues []string, limit int, id func(T) string) ([]T, string) {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) <= limit {
		return rows, ""
	}
	return rows[:limit], encodeMemberCursor(sortValues[limit-1], id(rows[limit-1]))
}

// pageLimit checks a list's limit (default 100, at most 1000).
func pageLimit(limit int) (int, error) {
	if limit <= 0 {
		return 100, nil
	}
	if limit > 1000 {
		return 0, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be from 1 to 1000")
	}
	return limit, nil
}

// QueryMembers implements db.MemberStore: one SQL query, keyset-paged on
// (sort value, id).
func (s *Store) QueryMembers(ctx context.Context, teamID string, q db.MemberQuery) (db.MemberPage, error) {
	expr, ok := s.sortExpr(q.Sort)
	if !ok {
		return db.MemberPage{}, db.Errorf(db.ErrInvalid, "sort_invalid", "sort %q is not one of %s", q.Sort, strings.Join(db.MemberSortColumns, ", "))
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return db.MemberPage{}, err
	}
	where, args := userFilters(teamID, q.Q, q.Status, q.Type, q.Source, q.Company)
	if q.Level != "" {
		where, args = append(where, "COALESCE(mp.access_level, 'member') = ?"), append(args, string(q.Level))
	}
	switch q.Admin {
	case "":
	case "admin":
		where = append(where, "users.admin_role <> ''")
	case "user":
		where = append(where, "users.admin_role = ''")
	default:
		return db.MemberPage{}, db.Errorf(db.ErrInvalid, "admin_filter_invalid", "admin must be admin or user")
	}
	if q.Product != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM project_access pa WHERE pa.team_id = users.team_id AND pa.user_id = users.id AND pa.product_key = ?)"),
			append(args, q.Product)
	}
	rows, err := s.keysetRows(s.conn(ctx), memberSelect, where, args, expr, q.Desc, q.After, limit)
	if err != nil {
		return db.MemberPage{}, fmt.Errorf("query members: %w", err)
	}
	defer rows.Close()
	var ms []db.TeamMember
	var sortValues []string
	for rows.Next() {
		var r userRow
		var m db.TeamMember
		var level, sv string
		if err := rows.Scan(&sv, &r.ID, &r.TeamID, &r.Email, &r.UserName, &r.FirstName, &r.LastName, &r.Status, &r.Type,
			&r.Source, &r.AdminRole, &r.ExternalID, &r.Attributes, &r.Version, &r.CreatedAt, &r.UpdatedAt,
			&m.Company, &m.JobRole, &level); err != nil {
			return db.MemberPage{}, fmt.Errorf("query members: %w", translate(err))
		}
		m.User, m.Level = r.toDomain(), db.AccessLevel(level)
		ms = append(ms, m)
		sortValues = append(sortValues, sv)
	}
	if err := rows.Err(); err != nil {
		return db.MemberPage{}, fmt.Errorf("query members: %w", translate(err))
	}
	var page db.MemberPage
	page.Members, page.Next = keysetPage(ms, sortValues, limit, func(m db.TeamMember) string { return m.User.ID })
	return page, nil
}

func encodeMemberCursor(v, id string) string {
	b, _ := json.Marshal([2]string{v, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeMemberCursor(c string) (string, string, error) {
	var p [2]string
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil || p[1] == "" {
		return "", "", db.Errorf(db.ErrInvalid, "cursor_invalid", "after is not a cursor this list returned")
	}
	return p[0], p[1], nil
}

// ListCompanies implements db.MemberStore.
func (s *Store) ListCompanies(ctx context.Context, teamID string) ([]string, error) {
	var names []string
	if err := s.conn(ctx).Model(&teamCompanyRow{}).Where("team_id = ?", teamID).Order("name_lower").Pluck("name", &names).Error; err != nil {
		return nil, fmt.Errorf("list companies: %w", translate(err))
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}
