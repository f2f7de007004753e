package gormdb

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

var _ db.SCIMStore = (*Store)(nil)

// userEmailRow indexes one value of a user's multi-valued SCIM emails so
// filters such as emails[type eq "work"].value eq "x" are an index lookup.
type userEmailRow struct {
	UserID     string `gorm:"primaryKey;size:36"`
	Position   int    `gorm:"primaryKey"`
	TeamID     string `gorm:"size:36;not null;index:idx_user_emails_lookup,priority:1"`
	ValueLower string `gorm:"size:254;not null;index:idx_user_emails_lookup,priority:2"`
	TypeLower  string `gorm:"size:32;not null;default:''"`
	Value      string `gorm:"size:254;not null"`
	Type       string `gorm:"size:32;not null;default:''"`
	IsPrimary  bool   `gorm:"not null;default:false"`
}

func (userEmailRow) TableName() string { return "user_emails" }

func emailRows(teamID, userID string, emails []db.UserEmail) []userEmailRow {
	rows := make([]userEmailRow, 0, len(emails))
	for i, e := range emails {
		v := strings.TrimSpace(e.Value)
		if v == "" {
			continue
		}
		if len(v) > 254 {
			v = v[:254]
		}
		t := strings.TrimSpace(e.Type)
		if len(t) > 32 {
			t = t[:32]
		}
		rows = append(rows, userEmailRow{UserID: userID, Position: i, TeamID: teamID, ValueLower: strings.ToLower(v),
			TypeLower: strings.ToLower(t), Value: v, Type: t, IsPrimary: e.Primary})
	}
	return rows
}

// insertEmailRows inserts a user's email index rows in one statement
// (without gorm's reflection: it was a quarter of CreateSCIMUser's own CPU).
func insertEmailRows(tx *gorm.DB, rows []userEmailRow) error {
	if len(rows) == 0 {
		return nil
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO user_emails (user_id, position, team_id, value_lower, type_lower, value, type, is_primary) VALUES ")
	args := make([]any, 0, 8*len(rows))
	for i, r := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, r.UserID, r.Position, r.TeamID, r.ValueLower, r.TypeLower, r.Value, r.Type, r.IsPrimary)
	}
	return tx.Exec(sb.String(), args...).Error
}

// CreateSCIMUser implements db.SCIMStore through the one writer, indexing
// the client's emails.
func (s *Store) CreateSCIMUser(ctx context.Context, teamID string, in db.NewUser, emails []db.UserEmail, by db.Actor) (db.User, error) {
	a, err := s.apply1(ctx, teamID, db.UserCreate{User: in, Emails: emails, By: by})
	if err != nil {
		return db.User{}, fmt.Errorf("create user: %w", err)
	}
	return a.User, nil
}

// UpdateSCIMUser implements db.SCIMStore: UpdateUser that may also replace
// the user's indexed emails, in the same transaction.
func (s *Store) UpdateSCIMUser(ctx context.Context, teamID, userID string, ifVersion int64, by db.Actor, change func(*db.User, *[]db.UserEmail) error) (db.User, error) {
	a, err := s.apply1(ctx, teamID, db.UserUpdate{UserID: userID, IfVersion: ifVersion, Change: change, By: by})
	if err != nil {
		return db.User{}, fmt.Errorf("update user: %w", err)
	}
	return a.User, nil
}

// UserEmails implements db.SCIMStore.
func (s *Store) UserEmails(ctx context.Context, teamID string, userIDs []string) (map[string][]db.UserEmail, error) {
	out := make(map[string][]db.UserEmail, len(userIDs))
	for _, part := range chunks(dedupe(userIDs), 1000) {
		var rows []userEmailRow
		in, arg := inStrings(s.db, "user_id", part)
		if err := s.conn(ctx).Where("team_id = ? AND "+in, teamID, arg).Order("user_id, position").Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("user emails: %w", translate(err))
		}
		for _, r := range rows {
			out[r.UserID] = append(out[r.UserID], db.UserEmail{Value: r.Value, Type: r.Type, Primary: r.IsPrimary})
		}
	}
	return out, nil
}

// GroupsOfUsers implements db.SCIMStore.
func (s *Store) GroupsOfUsers(ctx context.Context, teamID string, userIDs []string) (map[string][]db.Group, error) {
	out := make(map[string][]db.Group, len(userIDs))
	for _, part := range chunks(dedupe(userIDs), 1000) {
		in, arg := inStrings(s.db, "m.user_id", part)
		q := "SELECT m.user_id, g.id, g.display_name FROM group_members m JOIN " + quoteTable(s.dialect, "groups") +
			" g ON g.id = m.group_id WHERE m.team_id = ? AND " + in + " ORDER BY m.user_id, g.id"
		rows, err := s.conn(ctx).Raw(q, teamID, arg).Rows()
		if err != nil {
			return nil, fmt.Errorf("groups of users: %w", translate(err))
		}
		for rows.Next() {
			var userID string
			g := db.Group{TeamID: teamID}
			if err := rows.Scan(&userID, &g.ID, &g.DisplayName); err != nil {
				rows.Close()
				return nil, fmt.Errorf("groups of users: %w", translate(err))
			}
			out[userID] = append(out[userID], g)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("groups of users: %w", translate(err))
		}
	}
	return out, nil
}

// PatchGroup implements db.SCIMStore through the one writer: the
// attribute change, then the member replacement (one diff) or the adds and
// removes, in one transaction.
func (s *Store) PatchGroup(ctx context.Context, teamID, groupID string, ifVersion int64, by db.Actor, change func(*db.Group) error, add, remove []string, replace *[]string) (db.Group, error) {
	if change == nil {
		change = func(*db.Group) error { return nil }
	}
	muts := []db.Mutation{db.GroupRename{GroupID: groupID, IfVersion: ifVersion, Change: change, By: by}}
	switch {
	case replace != nil:
		muts = append(muts, db.GroupSetMembers{GroupID: groupID, Members: *replace, By: by})
	case len(add) > 0 || len(remove) > 0:
		muts = append(muts, db.GroupModifyMembers{GroupID: groupID, Add: add, Remove: remove, By: by})
	}
	out, err := s.Apply(ctx, teamID, muts...)
	if err != nil {
		return db.Group{}, fmt.Errorf("patch group: %w", err)
	}
	return out[len(out)-1].Group, nil
}

// SearchUsers implements db.SCIMStore.
func (s *Store) SearchUsers(ctx context.Context, teamID string, q db.Query) ([]db.User, int, error) {
	b := &sqlBuilder{d: s.dialect, kind: "users"}
	where, args, err := b.where(teamID, q)
	if err != nil {
		return nil, 0, err
	}
	total := -1
	if !q.SkipTotal && q.Filter == nil {
		// The whole team: its count, kept by the database (userCount), not
		// a COUNT(*) over every user on each page.
		n, err := s.userCount(ctx, teamID)
		if err != nil {
			return nil, 0, fmt.Errorf("search users: %w", translate(err))
		}
		total = int(n)
	}
	count := func() (err error) {
		total, err = s.countMatches(ctx, "users", b, where, args, teamID, q)
		return err
	}
	counted := q.SkipTotal || q.Filter == nil
	if q.Limit <= 0 || total == 0 {
		if !counted {
			if err := count(); err != nil {
				return nil, 0, err
			}
		}
		return []db.User{}, total, nil
	}
	order, err := b.order(q)
	if err != nil {
		return nil, 0, err
	}
	var out []db.User
	if q.Offset > 0 {
		out, err = s.deferredUserPage(ctx, where, args, order, q)
	} else {
		out, err = s.queryUsers(ctx, where+" ORDER BY "+order+" LIMIT "+strconv.Itoa(q.Limit), args, min(q.Limit, 8))
	}
	if err != nil {
		return nil, 0, fmt.Errorf("search users: %w", translate(err))
	}
	if !counted {
		if n, ok := totalFromPage(q, len(out)); ok {
			total = n
		} else if err := count(); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// totalFromPage is a filtered query's total when its page tells it: a page
// by offset that is not full and not empty (or the first page, empty) ends
// the matches, so no COUNT(*) is needed. A lookup by userName or displayName
// (how Entra ID and Okta find a resource before each change) is then one
// query instead of two. A keyset page (q.After) cannot tell: its total counts
// the matches before the cursor too.
func totalFromPage(q db.Query, n int) (int, bool) {
	if q.After != "" || n >= q.Limit || (n == 0 && q.Offset > 0) {
		return 0, false
	}
	return q.Offset + n, true
}

// SearchGroups implements db.SCIMStore.
func (s *Store) SearchGroups(ctx context.Context, teamID string, q db.Query) ([]db.Group, int, error) {
	b := &sqlBuilder{d: s.dialect, kind: "groups"}
	where, args, err := b.where(teamID, q)
	if err != nil {
		return nil, 0, err
	}
	total := -1
	count := func() (err error) {
		total, err = s.countMatches(ctx, "groups", b, where, args, teamID, q)
		return err
	}
	if q.Limit <= 0 {
		if !q.SkipTotal {
			if err := count(); err != nil {
				return nil, 0, err
			}
		}
		return []db.Group{}, total, nil
	}
	order, err := b.order(q)
	if err != nil {
		return nil, 0, err
	}
	var rows []groupRow
	var err2 error
	if q.Offset > 0 {
		err2 = s.deferredPage(ctx, &rows, "groups", where, args, order, q)
	} else {
		err2 = s.conn(ctx).Where(where, args...).Order(order).Limit(q.Limit).Find(&rows).Error
	}
	if err := err2; err != nil {
		return nil, 0, fmt.Errorf("search groups: %w", translate(err))
	}
	if !q.SkipTotal {
		if n, ok := totalFromPage(q, len(rows)); ok {
			total = n
		} else if err := count(); err != nil {
			return nil, 0, err
		}
	}
	out := make([]db.Group, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, total, nil
}

// countMatches counts the rows of table (users or groups) that the whole
// query matches: its total.
func (s *Store) countMatches(ctx context.Context, table string, b *sqlBuilder, where string, args []any, teamID string, q db.Query) (int, error) {
	cwhere, cargs, err := countWhere(b, where, args, teamID, q)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.conn(ctx).Raw("SELECT COUNT(*) FROM "+quoteTable(s.dialect, table)+" WHERE "+cwhere, cargs...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("search %s: %w", table, translate(err))
	}
	return int(n), nil
}

// countWhere is the condition the total counts: the whole query's matches.
// A keyset position (q.After) only says where the page starts, so the total
// of a cursor page is the same as the first page's (RFC 9865 totalResults).
func countWhere(b *sqlBuilder, where string, args []any, teamID string, q db.Query) (string, []any, error) {
	if q.After == "" {
		return where, args, nil
	}
	q.After = ""
	cb := &sqlBuilder{d: b.d, kind: b.kind}
	return cb.where(teamID, q)
}

// deferredPage reads an OFFSET page in two steps: the ids from the index (a
// covering scan), then only those rows. OFFSET over full rows would read and
// decode every skipped row. table is the bare table name.
func (s *Store) deferredPage(ctx context.Context, dst any, table, where string, args []any, order string, q db.Query) error {
	var ids []string
	t := quoteTable(s.dialect, table)
	page, pargs := s.limitOffset(args, q.Limit, q.Offset)
	if err := s.conn(ctx).Raw("SELECT "+t+".id FROM "+t+" WHERE "+where+" ORDER BY "+order+page, pargs...).Scan(&ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	switch rows := dst.(type) {
	case *[]userRow:
		if err := s.conn(ctx).Where("id IN ?", ids).Find(rows).Error; err != nil {
			return err
		}
		sort.Slice(*rows, func(a, b int) bool { return pos[(*rows)[a].ID] < pos[(*rows)[b].ID] })
	case *[]groupRow:
		if err := s.conn(ctx).Where("id IN ?", ids).Find(rows).Error; err != nil {
			return err
		}
		sort.Slice(*rows, func(a, b int) bool { return pos[(*rows)[a].ID] < pos[(*rows)[b].ID] })
	}
	return nil
}

// deferredUserPage is deferredPage for users in one statement: the page's
// ids come from a derived table (a covering index scan past the offset) and
// only those rows are joined and scanned by hand.
func (s *Store) deferredUserPage(ctx context.Context, where string, args []any, order string, q db.Query) ([]db.User, error) {
	page, pargs := s.limitOffset(args, q.Limit, q.Offset)
	rows, err := s.conn(ctx).Raw("SELECT "+userColumns+" FROM (SELECT users.id FROM users WHERE "+where+" ORDER BY "+order+
		page+") page JOIN users ON users.id = page.id ORDER BY "+order, pargs...).Rows()
	if err != nil {
		return nil, err
	}
	return scanUsers(rows, q.Limit)
}

// ExpectedTypesOf is ExpectedTypes for users the caller already holds: one
// query (the team's policy) instead of re-reading the users.
func (s *Store) ExpectedTypesOf(ctx context.Context, teamID string, users []db.User) (map[string]db.UserType, error) {
	out := make(map[string]db.UserType, len(users))
	conn := s.conn(ctx)
	mode, err := policyModeTx(conn, teamID)
	if err != nil {
		return nil, fmt.Errorf("expected types: %w", translate(err))
	}
	emails := make([]string, 0, len(users))
	for _, u := range users {
		emails = append(emails, u.Email)
	}
	cl, err := s.classifierFor(conn, teamID, mode, emails)
	if err != nil {
		return nil, fmt.Errorf("expected types: %w", translate(err))
	}
	for _, u := range users {
		if u.TeamID != teamID || u.AdminRole.IsAdmin() {
			continue
		}
		out[u.ID] = s.classifyWith(cl, u.Email, u.Source)
	}
	return out, nil
}

// lockable makes the next read lock its rows until the transaction ends
// (SELECT ... FOR UPDATE) on dialects that have row locks.
func (s *Store) lockable(tx *gorm.DB) *gorm.DB {
	if s.dialect == SQLite {
		return tx
	}
	return tx.Clauses(forUpdate())
}
