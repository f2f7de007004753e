package gormdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/roster-dev/roster/db"
)

var _ db.DirectoryStore = (*Store)(nil)

type dirConnRow struct {
	ID          string `gorm:"primaryKey;size:36"`
	TeamID      string `gorm:"size:36;not null;index:idx_dirconn_team"`
	Kind        string `gorm:"size:16;not null"`
	URL         string `gorm:"size:512;not null"`
	StartTLS    bool   `gorm:"not null"`
	BindDN      string `gorm:"size:1024;not null"`
	PasswordRef string `gorm:"type:text;not null"`
	BaseDN      string `gorm:"size:1024;not null"`
	UserFilter  string `gorm:"type:text"`
	GroupFilter string `gorm:"type:text"`
	Mapping     string `gorm:"type:text"`
	CAPEM       string `gorm:"type:text"`
	TLSPin      string `gorm:"size:64;not null;default:''"`
	IntervalSec int64  `gorm:"not null"`
	DeleteLimit int    `gorm:"not null;default:0"`
	Enabled     bool   `gorm:"not null"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (dirConnRow) TableName() string { return "directory_connections" }

type dirCursorRow struct {
	ConnectionID string `gorm:"primaryKey;size:36"`
	Cookie       []byte
	ScopeHash    string `gorm:"size:64;not null"`
	FullAt       time.Time
	UpdatedAt    time.Time
}

func (dirCursorRow) TableName() string { return "directory_cursors" }

type dirAnchorRow struct {
	ConnectionID string `gorm:"primaryKey;size:36;index:idx_diranchor_dn,priority:1"`
	Anchor       string `gorm:"primaryKey;size:64"`
	Kind         string `gorm:"size:8;not null"`
	TargetID     string `gorm:"size:36;not null;index:idx_diranchor_target"`
	DN           string `gorm:"type:text"`
	DNHash       string `gorm:"size:64;not null;index:idx_diranchor_dn,priority:2"`
	Hash         string `gorm:"size:64;not null"`
}

func (dirAnchorRow) TableName() string { return "directory_anchors" }

type dirRunRow struct {
	ID           int64     `gorm:"primaryKey;autoIncrement"`
	ConnectionID string    `gorm:"size:36;not null;index:idx_dirrun_conn"`
	TeamID       string    `gorm:"size:36;not null;index:idx_dirrun_team"`
	Mode         string    `gorm:"size:8;not null"`
	DryRun       bool      `gorm:"not null"`
	StartedAt    time.Time `gorm:"not null"`
	DurationMS   int64     `gorm:"not null"`
	Counts       string    `gorm:"type:text"`
	Error        string    `gorm:"type:text"`
}

func (dirRunRow) TableName() string { return "directory_runs" }

func dnHash(dn string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(dn))))
	return hex.EncodeToString(h[:])
}

func (r dirConnRow) toDomain() db.DirectoryConnection {
	c := db.DirectoryConnection{ID: r.ID, TeamID: r.TeamID, Kind: db.DirectoryKind(r.Kind), URL: r.URL, StartTLS: r.StartTLS,
		BindDN: r.BindDN, PasswordRef: r.PasswordRef, BaseDN: r.BaseDN, UserFilter: r.UserFilter, GroupFilter: r.GroupFilter,
		CAPEM: r.CAPEM, TLSPin: r.TLSPin, Interval: time.Duration(r.IntervalSec) * time.Second, DeleteLimit: r.DeleteLimit,
		Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.Mapping != "" {
		_ = json.Unmarshal([]byte(r.Mapping), &c.Mapping)
	}
	return c
}

func (r dirAnchorRow) toDomain() db.DirectoryAnchor {
	return db.DirectoryAnchor{ConnectionID: r.ConnectionID, Anchor: r.Anchor, Kind: r.Kind, TargetID: r.TargetID, DN: r.DN, Hash: r.Hash}
}

func dirConnNotFound(id string) error {
	return db.Errorf(db.ErrNotFound, "directory_not_found", "directory connection %q does not exist in this team", id)
}

// CreateDirectoryConnection implements db.DirectoryStore. It refuses a
// plaintext password reference (R: secrets never stored in plaintext).
func (s *Store) CreateDirectoryConnection(ctx context.Context, c db.DirectoryConnection, by db.Actor) (db.DirectoryConnection, error) {
	if !c.Kind.Valid() {
		return db.DirectoryConnection{}, db.Errorf(db.ErrInvalid, "kind_invalid", "kind %q is not ad or openldap", c.Kind)
	}
	ref := c.PasswordRef
	if !(strings.HasPrefix(ref, "file:") || strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "enc:")) {
		return db.DirectoryConnection{}, db.Errorf(db.ErrInvalid, "password_ref_invalid", "the bind password must be a file:, env: or enc: reference, never plaintext")
	}
	if c.URL == "" || c.BaseDN == "" {
		return db.DirectoryConnection{}, db.Errorf(db.ErrInvalid, "directory_invalid", "url and base DN are required")
	}
	now := s.nowUTC()
	c.ID, c.CreatedAt, c.UpdatedAt = newID(), now, now
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	mapping := ""
	if len(c.Mapping) > 0 {
		b, _ := json.Marshal(c.Mapping)
		mapping = string(b)
	}
	row := dirConnRow{ID: c.ID, TeamID: c.TeamID, Kind: string(c.Kind), URL: c.URL, StartTLS: c.StartTLS, BindDN: c.BindDN,
		PasswordRef: c.PasswordRef, BaseDN: c.BaseDN, UserFilter: c.UserFilter, GroupFilter: c.GroupFilter, Mapping: mapping,
		CAPEM: c.CAPEM, TLSPin: c.TLSPin, IntervalSec: int64(c.Interval / time.Second), DeleteLimit: c.DeleteLimit,
		Enabled: c.Enabled, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, c.TeamID); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, c.TeamID, by, "directory.create", "directory", c.ID,
			map[string]string{"kind": string(c.Kind), "url": c.URL, "baseDN": c.BaseDN})
	})
	if err != nil {
		return db.DirectoryConnection{}, fmt.Errorf("create directory connection: %w", err)
	}
	return c, nil
}

// GetDirectoryConnection implements db.DirectoryStore.
func (s *Store) GetDirectoryConnection(ctx context.Context, teamID, id string) (db.DirectoryConnection, error) {
	var r dirConnRow
	if err := s.conn(ctx).Take(&r, "team_id = ? AND id = ?", teamID, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.DirectoryConnection{}, dirConnNotFound(id)
		}
		return db.DirectoryConnection{}, fmt.Errorf("get directory connection: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListDirectoryConnections implements db.DirectoryStore.
func (s *Store) ListDirectoryConnections(ctx context.Context, teamID string) ([]db.DirectoryConnection, error) {
	var rows []dirConnRow
	q := s.conn(ctx)
	if teamID != "" {
		q = q.Where("team_id = ?", teamID)
	}
	if err := q.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list directory connections: %w", translate(err))
	}
	out := make([]db.DirectoryConnection, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// DeleteDirectoryConnection implements db.DirectoryStore. The synced users
// stay; only the link (anchors), cursor and history go.
func (s *Store) DeleteDirectoryConnection(ctx context.Context, teamID, id string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("team_id = ? AND id = ?", teamID, id).Delete(&dirConnRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return dirConnNotFound(id)
		}
		for _, m := range []any{&dirCursorRow{}, &dirAnchorRow{}, &dirRunRow{}} {
			if err := tx.Where("connection_id = ?", id).Delete(m).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, teamID, by, "directory.delete", "directory", id, nil)
	})
	if err != nil {
		return fmt.Errorf("delete directory connection: %w", err)
	}
	return nil
}

// DirectoryCursor implements db.DirectoryStore.
func (s *Store) DirectoryCursor(ctx context.Context, connID string) (db.DirectoryCursor, error) {
	var r dirCursorRow
	if err := s.conn(ctx).Take(&r, "connection_id = ?", connID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.DirectoryCursor{}, nil
		}
		return db.DirectoryCursor{}, fmt.Errorf("directory cursor: %w", translate(err))
	}
	return db.DirectoryCursor{Cookie: r.Cookie, ScopeHash: r.ScopeHash, FullAt: r.FullAt.UTC()}, nil
}

// ResetDirectoryCursor implements db.DirectoryStore.
func (s *Store) ResetDirectoryCursor(ctx context.Context, connID string) error {
	if err := s.conn(ctx).Where("connection_id = ?", connID).Delete(&dirCursorRow{}).Error; err != nil {
		return fmt.Errorf("reset directory cursor: %w", translate(err))
	}
	return nil
}

func anchorsIn(tx *gorm.DB, connID string, anchors []string) (map[string]dirAnchorRow, error) {
	out := make(map[string]dirAnchorRow, len(anchors))
	for _, part := range chunks(dedupe(anchors), 1000) {
		var rows []dirAnchorRow
		if err := tx.Where("connection_id = ? AND anchor IN ?", connID, part).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.Anchor] = r
		}
	}
	return out, nil
}

// DirectoryAnchors implements db.DirectoryStore.
func (s *Store) DirectoryAnchors(ctx context.Context, connID string, anchors []string) (map[string]db.DirectoryAnchor, error) {
	rows, err := anchorsIn(s.conn(ctx), connID, anchors)
	if err != nil {
		return nil, fmt.Errorf("directory anchors: %w", translate(err))
	}
	out := make(map[string]db.DirectoryAnchor, len(rows))
	for k, r := range rows {
		out[k] = r.toDomain()
	}
	return out, nil
}

// DirectoryAnchorsByDN implements db.DirectoryStore.
func (s *Store) DirectoryAnchorsByDN(ctx context.Context, connID string, dns []string) (map[string]db.DirectoryAnchor, error) {
	hashes := make([]string, 0, len(dns))
	for _, d := range dns {
		hashes = append(hashes, dnHash(d))
	}
	out := make(map[string]db.DirectoryAnchor, len(dns))
	for _, part := range chunks(dedupe(hashes), 1000) {
		var rows []dirAnchorRow
		if err := s.conn(ctx).Where("connection_id = ? AND dn_hash IN ?", connID, part).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("directory anchors by DN: %w", translate(err))
		}
		for _, r := range rows {
			out[strings.ToLower(strings.TrimSpace(r.DN))] = r.toDomain()
		}
	}
	return out, nil
}

// DirectoryAnchorsWithDN implements db.DirectoryStore.
func (s *Store) DirectoryAnchorsWithDN(ctx context.Context, connID string, dns []string) ([]db.DirectoryAnchor, error) {
	hashes := make([]string, 0, len(dns))
	for _, d := range dns {
		hashes = append(hashes, dnHash(d))
	}
	var out []db.DirectoryAnchor
	for _, part := range chunks(dedupe(hashes), 1000) {
		var rows []dirAnchorRow
		if err := s.conn(ctx).Where("connection_id = ? AND dn_hash IN ?", connID, part).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("directory anchors with DN: %w", translate(err))
		}
		for _, r := range rows {
			out = append(out, r.toDomain())
		}
	}
	return out, nil
}

// EachDirectoryAnchor implements db.DirectoryStore with keyset pages, so
// memory stays bounded however many anchors a connection has.
func (s *Store) EachDirectoryAnchor(ctx context.Context, connID, kind string, fn func(db.DirectoryAnchor) error) error {
	after := ""
	for {
		var rows []dirAnchorRow
		q := s.conn(ctx).Where("connection_id = ? AND anchor > ?", connID, after)
		if kind != "" {
			q = q.Where("kind = ?", kind)
		}
		if err := q.Order("anchor").Limit(2000).Find(&rows).Error; err != nil {
			return fmt.Errorf("each directory anchor: %w", translate(err))
		}
		for _, r := range rows {
			if err := fn(r.toDomain()); err != nil {
				return err
			}
		}
		if len(rows) < 2000 {
			return nil
		}
		after = rows[len(rows)-1].Anchor
	}
}

// CountDirectoryAnchors implements db.DirectoryStore.
func (s *Store) CountDirectoryAnchors(ctx context.Context, connID, kind string) (int, error) {
	var n int64
	q := s.conn(ctx).Model(&dirAnchorRow{}).Where("connection_id = ?", connID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count directory anchors: %w", translate(err))
	}
	return int(n), nil
}

// RecordDirectoryRun implements db.DirectoryStore.
func (s *Store) RecordDirectoryRun(ctx context.Context, r db.DirectoryRun) (db.DirectoryRun, error) {
	b, _ := json.Marshal(r.Counts)
	row := dirRunRow{ConnectionID: r.ConnectionID, TeamID: r.TeamID, Mode: r.Mode, DryRun: r.DryRun,
		StartedAt: r.StartedAt.UTC().Truncate(time.Millisecond), DurationMS: r.Duration.Milliseconds(), Counts: string(b), Error: r.Error}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return r, fmt.Errorf("record directory run: %w", translate(err))
	}
	r.ID = row.ID
	return r, nil
}

// ListDirectoryRuns implements db.DirectoryStore.
func (s *Store) ListDirectoryRuns(ctx context.Context, teamID, connID string, limit int) ([]db.DirectoryRun, error) {
	if limit <= 0 {
		limit = 20
	}
	q := s.conn(ctx).Where("team_id = ?", teamID)
	if connID != "" {
		q = q.Where("connection_id = ?", connID)
	}
	var rows []dirRunRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list directory runs: %w", translate(err))
	}
	out := make([]db.DirectoryRun, len(rows))
	for i, r := range rows {
		out[i] = db.DirectoryRun{ID: r.ID, ConnectionID: r.ConnectionID, TeamID: r.TeamID, Mode: r.Mode, DryRun: r.DryRun,
			StartedAt: r.StartedAt.UTC(), Duration: time.Duration(r.DurationMS) * time.Millisecond, Error: r.Error}
		_ = json.Unmarshal([]byte(r.Counts), &out[i].Counts)
	}
	return out, nil
}

var (
	localDirLocksMu sync.Mutex
	localDirLocks   = map[string]bool{}
)

// TryLockDirectory implements db.DirectoryStore: a session-level
// pg_try_advisory_lock on a dedicated connection (PostgreSQL), GET_LOCK
// (MySQL), or a process-local lock (SQLite, which is single-node anyway).
func (s *Store) TryLockDirectory(ctx context.Context, connID string) (func(), bool, error) {
	switch s.dialect {
	case Postgres, MySQL:
		sqlDB, err := s.db.DB()
		if err != nil {
			return nil, false, unavailable(err)
		}
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			return nil, false, unavailable(err)
		}
		var ok bool
		var unlockSQL string
		var arg any
		if s.dialect == Postgres {
			h := fnv.New64a()
			h.Write([]byte("roster-directory:" + connID))
			key := int64(h.Sum64())
			arg = key
			err = c.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok)
			unlockSQL = "SELECT pg_advisory_unlock($1)"
		} else {
			name := "roster-dir-" + connID
			arg = name
			var got int
			err = c.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got)
			ok = got == 1
			unlockSQL = "SELECT RELEASE_LOCK(?)"
		}
		if err != nil {
			c.Close()
			return nil, false, fmt.Errorf("lock directory: %w", translate(err))
		}
		if !ok {
			c.Close()
			return nil, false, nil
		}
		return func() {
			c.ExecContext(context.Background(), unlockSQL, arg)
			c.Close()
		}, true, nil
	}
	localDirLocksMu.Lock()
	defer localDirLocksMu.Unlock()
	key := fmt.Sprintf("%p/%s", s, connID)
	if localDirLocks[key] {
		return nil, false, nil
	}
	localDirLocks[key] = true
	return func() {
		localDirLocksMu.Lock()
		delete(localDirLocks, key)
		localDirLocksMu.Unlock()
	}, true, nil
}

var errDryRun = errors.New("dry run: roll back")

// ApplyDirectoryBatch implements db.DirectoryStore. Every user and group
// change goes through the store's one writer (writer.go): users are created
// by its bulk queue (so the role policy classifies them exactly as on every
// other path, R-POL-2/R-POL-3), updated under its row lock and version
// compare-and-swap, removed by its delete; groups are created, renamed,
// diffed and deleted by it. The cursor is written last, all in one
// transaction: a failure leaves nothing half-applied.
func (s *Store) ApplyDirectoryBatch(ctx context.Context, conn db.DirectoryConnection, b db.DirectoryBatch, by db.Actor) (db.DirectoryResult, error) {
	var res db.DirectoryResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res = db.DirectoryResult{}
		a := dirApply{s: s, tx: tx, w: &writer{s: s, tx: tx, teamID: conn.TeamID}, conn: conn, by: by, res: &res}
		if err := a.run(b); err != nil {
			return err
		}
		if b.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return res, nil
	}
	if err != nil {
		return db.DirectoryResult{}, fmt.Errorf("apply directory batch: %w", err)
	}
	return res, nil
}

type dirApply struct {
	s    *Store
	tx   *gorm.DB
	w    *writer // the one write path; anchors and the cursor are the batch's own
	conn db.DirectoryConnection
	by   db.Actor
	res  *db.DirectoryResult

	// anchors of the users queued in w, written in bulk after them (see flushNew)
	newAnchors []dirAnchorRow
}

func (a *dirApply) change(c db.DirectoryChange) { a.res.Changes = append(a.res.Changes, c) }

func (a *dirApply) run(b db.DirectoryBatch) error {
	tx, teamID := a.tx, a.conn.TeamID
	_, mode, err := teamMode(tx, teamID)
	if err != nil {
		return err
	}
	// An entry with a value the database cannot hold (a NUL, invalid UTF-8:
	// a binary identifier, a mangled name) is a per-entry skip, reported; it
	// must not fail the whole batch, so the rest of the directory still syncs
	// (issue 9 #11). The LDAP mapping already cleans attribute text; this
	// guards every caller of the store.
	users := b.Users[:0:0]
	for _, u := range b.Users {
		if err := checkTexts("a directory value:", map[string]string{"anchor": u.Anchor, "DN": u.DN,
			"email": u.Email, "userName": u.UserName, "first name": u.FirstName, "last name": u.LastName}); err != nil {
			a.res.Counts.Skipped++
			a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: printable(u.Anchor), Email: printable(u.Email), Detail: err.Error()})
			continue
		}
		users = append(users, u)
	}
	b.Users = users
	groups := b.Groups[:0:0]
	for _, g := range b.Groups {
		if err := checkTexts("a directory value: the group's", map[string]string{"anchor": g.Anchor, "DN": g.DN, "name": g.DisplayName}); err != nil {
			a.change(db.DirectoryChange{Action: "skip", Kind: "group", Anchor: printable(g.Anchor), Detail: err.Error()})
			continue
		}
		g.Members = validTexts(g.Members) // an anchor that is not text was never stored
		groups = append(groups, g)
	}
	b.Groups = groups
	b.DeleteUsers, b.DeleteGroups = validTexts(b.DeleteUsers), validTexts(b.DeleteGroups)
	batchEmails := make([]string, len(b.Users))
	for i, u := range b.Users {
		batchEmails[i] = u.Email
	}
	policy, err := a.s.classifierFor(tx, teamID, mode, batchEmails)
	if err != nil {
		return err
	}
	var keys []string
	for _, u := range b.Users {
		keys = append(keys, u.Anchor)
	}
	keys = append(keys, b.DeleteUsers...)
	anchors, err := anchorsIn(tx, a.conn.ID, keys)
	if err != nil {
		return err
	}
	// users the batch has not linked yet may already exist (SCIM, admin): match by email
	var emails, names []string
	for _, u := range b.Users {
		if _, ok := anchors[u.Anchor]; !ok {
			emails = append(emails, db.NormalizeEmail(u.Email))
			names = append(names, lower(u.UserName))
		}
	}
	byEmail := map[string]userRow{}
	for _, part := range chunks(dedupe(emails), 1000) {
		var rows []userRow
		if err := tx.Where("team_id = ? AND email_lower IN ?", teamID, part).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			byEmail[r.EmailLower] = r
		}
	}
	takenNames := map[string]bool{}
	for _, part := range chunks(dedupe(names), 1000) {
		var got []string
		if err := tx.Model(&userRow{}).Where("team_id = ? AND user_name_lower IN ?", teamID, part).Pluck("user_name_lower", &got).Error; err != nil {
			return err
		}
		for _, n := range got {
			takenNames[n] = true
		}
	}
	// rows of anchored users whose attributes changed
	var changedIDs []string
	for _, u := range b.Users {
		if r, ok := anchors[u.Anchor]; ok && r.Kind == "user" && r.Hash != u.Hash {
			changedIDs = append(changedIDs, r.TargetID)
		}
	}
	current := map[string]userRow{}
	for _, part := range chunks(changedIDs, 1000) {
		var rows []userRow
		if err := tx.Where("team_id = ? AND id IN ?", teamID, part).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			current[r.ID] = r
		}
	}
	for _, u := range b.Users {
		if err := a.user(u, policy, anchors, byEmail, takenNames, current); err != nil {
			return err
		}
	}
	if err := a.flushNew(); err != nil {
		return err
	}
	for _, anc := range dedupe(b.DeleteUsers) {
		r, ok := anchors[anc]
		if !ok || r.Kind != "user" {
			continue
		}
		if err := a.deleteUser(r); err != nil {
			return err
		}
	}
	for _, g := range b.Groups {
		if err := a.group(g); err != nil {
			return err
		}
	}
	if len(b.DeleteGroups) > 0 {
		gAnchors, err := anchorsIn(tx, a.conn.ID, b.DeleteGroups)
		if err != nil {
			return err
		}
		for _, anc := range dedupe(b.DeleteGroups) {
			if r, ok := gAnchors[anc]; ok && r.Kind == "group" {
				if err := a.deleteGroup(r); err != nil {
					return err
				}
			}
		}
	}
	if b.Cursor != nil {
		row := dirCursorRow{ConnectionID: a.conn.ID, Cookie: b.Cursor.Cookie, ScopeHash: b.Cursor.ScopeHash,
			FullAt: b.Cursor.FullAt.UTC().Truncate(time.Millisecond), UpdatedAt: a.s.nowUTC()}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"cookie", "scope_hash", "full_at", "updated_at"})}).Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// printable is an identifier that is not text, made safe to report.
func printable(v string) string { return strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", ""), "?") }

// checkTexts checks named values with db.CheckText, in name order.
func checkTexts(of string, fields map[string]string) error {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := db.CheckText(of+" "+n, fields[n]); err != nil {
			return err
		}
	}
	return nil
}

// validTexts drops the values db.CheckText refuses.
func validTexts(vs []string) []string {
	out := vs[:0:0]
	for _, v := range vs {
		if db.CheckText("", v) == nil {
			out = append(out, v)
		}
	}
	return out
}

func statusOf(u db.DirectoryUser) db.Status {
	if u.Disabled {
		return db.StatusInactive
	}
	return db.StatusActive
}

func (a *dirApply) saveAnchor(anchor, kind, target, dn, hash string) error {
	row := dirAnchorRow{ConnectionID: a.conn.ID, Anchor: anchor, Kind: kind, TargetID: target, DN: dn, DNHash: dnHash(dn), Hash: hash}
	return a.tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}, {Name: "anchor"}},
		DoUpdates: clause.AssignmentColumns([]string{"kind", "target_id", "dn", "dn_hash", "hash"})}).Create(&row).Error
}

func (a *dirApply) user(u db.DirectoryUser, policy teamClassifier, anchors map[string]dirAnchorRow, byEmail map[string]userRow,
	takenNames map[string]bool, current map[string]userRow) error {
	if err := db.ValidateEmail(u.Email); err != nil {
		a.res.Counts.Skipped++
		a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: "no valid email"})
		return nil
	}
	if r, ok := anchors[u.Anchor]; ok && r.Kind == "user" {
		if r.Hash == u.Hash {
			if r.DN != u.DN {
				if err := a.saveAnchor(u.Anchor, "user", r.TargetID, u.DN, u.Hash); err != nil {
					return err
				}
			}
			a.res.Counts.Unchanged++
			return nil
		}
		cur, ok := current[r.TargetID]
		if !ok {
			// the linked user was removed by an admin: link afresh below
			delete(anchors, u.Anchor)
			return a.user(u, policy, anchors, byEmail, takenNames, current)
		}
		return a.update(u, cur, "update", &r)
	}
	if r, ok := byEmail[db.NormalizeEmail(u.Email)]; ok {
		if a.w.pending[r.ID] {
			a.res.Counts.Skipped++
			a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: "another directory entry has this email"})
			return nil
		}
		// one person, one user: link the SCIM/admin user instead of duplicating it
		return a.update(u, r, "link", nil)
	}
	name := u.UserName
	if name == "" || takenNames[lower(name)] {
		name = u.Email
	}
	nu, err := a.s.prepareUser(a.conn.TeamID, db.NewUser{Email: u.Email, UserName: name, FirstName: u.FirstName,
		LastName: u.LastName, Status: statusOf(u), Source: db.SourceDirectory})
	if err != nil {
		a.res.Counts.Skipped++
		a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: err.Error()})
		return nil
	}
	if err := a.w.queueUser(&nu, nil, a.by, &policy); err != nil {
		return err
	}
	takenNames[lower(nu.UserName)] = true
	byEmail[db.NormalizeEmail(nu.Email)] = userRow{ID: nu.ID} // pending: a second entry with this email is skipped
	a.res.Counts.Created++
	a.change(db.DirectoryChange{Action: "create", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: string(nu.Type)})
	a.newAnchors = append(a.newAnchors, dirAnchorRow{ConnectionID: a.conn.ID, Anchor: u.Anchor, Kind: "user", TargetID: nu.ID,
		DN: u.DN, DNHash: dnHash(u.DN), Hash: u.Hash})
	return nil
}

// flushNew writes the users queued in the writer, then their anchors.
func (a *dirApply) flushNew() error {
	if err := a.w.flush(); err != nil {
		return err
	}
	if len(a.newAnchors) > 0 {
		if err := a.tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}, {Name: "anchor"}},
			DoUpdates: clause.AssignmentColumns([]string{"kind", "target_id", "dn", "dn_hash", "hash"})}).CreateInBatches(a.newAnchors, 200).Error; err != nil {
			return err
		}
	}
	a.newAnchors = nil
	return nil
}

// update writes the directory-owned fields (email, names, status) of an
// existing user through the writer (row lock, version compare-and-swap,
// uniqueness, email index, audit). The user's type, admin role, source and
// SCIM attributes are never touched. The primary admin is never deactivated
// (R-ADM-1): the rest of the entry applies and the run reports a conflict. A
// change the writer refuses (email taken, invalid value) skips the entry.
func (a *dirApply) update(u db.DirectoryUser, r userRow, action string, prev *dirAnchorRow) error {
	var before db.User
	keptPrimary := false
	after, changed, err := a.w.updateUser(r.ID, 0, a.by, func(cur *db.User, _ *[]db.UserEmail) error {
		before = *cur
		cur.Email, cur.FirstName, cur.LastName = strings.TrimSpace(u.Email), strings.TrimSpace(u.FirstName), strings.TrimSpace(u.LastName)
		if st := statusOf(u); before.AdminRole != db.RolePrimary {
			cur.Status = st
		} else if st != db.StatusActive && before.Status == db.StatusActive {
			keptPrimary = true
		}
		// the directory owns userName only of the users it created
		if before.Source == db.SourceDirectory && u.UserName != "" && lower(u.UserName) != lower(before.UserName) {
			t, err := a.w.taken("user_name_lower", lower(u.UserName), before.ID)
			if err != nil {
				return err
			}
			if !t {
				cur.UserName = strings.TrimSpace(u.UserName)
			}
		}
		// userName follows the email when it was the email
		if db.NormalizeEmail(cur.Email) != db.NormalizeEmail(before.Email) && lower(before.UserName) == db.NormalizeEmail(before.Email) {
			cur.UserName = cur.Email
		}
		return nil
	})
	if de := (*db.Error)(nil); errors.As(err, &de) && (de.Kind == db.ErrConflict || de.Kind == db.ErrInvalid) {
		detail := err.Error()
		if de.Code == "email_taken" {
			detail = "email taken by another user"
		}
		a.res.Counts.Skipped++
		a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: detail})
		return a.keepDN(prev, u)
	}
	if err != nil {
		return err
	}
	if keptPrimary {
		a.res.Counts.Conflicts++
		detail := "the primary admin is kept active (R-ADM-1); make another admin primary to let the directory deactivate this user"
		a.change(db.DirectoryChange{Action: "conflict", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: detail})
		if err := a.s.audit(a.tx, r.TeamID, a.by, "directory.conflict", "user", r.ID, map[string]string{"dn": u.DN, "refused": "deactivate", "reason": "primary_admin_inactive"}); err != nil {
			return err
		}
	}
	switch {
	case keptPrimary && len(changed) == 0:
		// counted as a conflict only
	case len(changed) == 0:
		a.res.Counts.Unchanged++
	case before.Status != db.StatusInactive && after.Status == db.StatusInactive:
		a.res.Counts.Deactivated++
		a.change(db.DirectoryChange{Action: "deactivate", Kind: "user", Anchor: u.Anchor, Email: u.Email})
	default:
		a.res.Counts.Updated++
		a.change(db.DirectoryChange{Action: action, Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: strings.Join(changed, ",")})
	}
	return a.saveAnchor(u.Anchor, "user", r.ID, u.DN, u.Hash)
}

// keepDN records where a linked entry now is when its update was skipped:
// the anchor keeps its old attribute hash (so the next run tries the update
// again) but takes the new DN, so groups resolve the entry by where it is.
func (a *dirApply) keepDN(prev *dirAnchorRow, u db.DirectoryUser) error {
	if prev == nil || prev.DN == u.DN {
		return nil
	}
	return a.saveAnchor(u.Anchor, "user", prev.TargetID, u.DN, prev.Hash)
}

func (a *dirApply) deleteUser(r dirAnchorRow) error {
	var ur userRow
	err := a.tx.Take(&ur, "team_id = ? AND id = ?", a.conn.TeamID, r.TargetID).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		// already gone
	case err != nil:
		return err
	case db.Role(ur.AdminRole).IsAdmin():
		// an admin is never removed by a directory; an admin decides (R-ADM-1)
		a.res.Counts.Skipped++
		a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: r.Anchor, Email: ur.Email, Detail: "admin kept; unlinked"})
	default:
		if err := a.w.deleteUser(r.TargetID, a.by); err != nil {
			return err
		}
		a.res.Counts.Deleted++
		a.change(db.DirectoryChange{Action: "delete", Kind: "user", Anchor: r.Anchor, Email: ur.Email})
	}
	return a.tx.Where("connection_id = ? AND anchor = ?", a.conn.ID, r.Anchor).Delete(&dirAnchorRow{}).Error
}

func (a *dirApply) group(g db.DirectoryGroup) error {
	tx, teamID := a.tx, a.conn.TeamID
	anchors, err := anchorsIn(tx, a.conn.ID, []string{g.Anchor})
	if err != nil {
		return err
	}
	var gr groupRow
	r, linked := anchors[g.Anchor]
	if linked {
		if err := tx.Take(&gr, "team_id = ? AND id = ?", teamID, r.TargetID).Error; err != nil {
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			linked = false
		}
	}
	if linked && r.Hash == g.Hash {
		if r.DN != g.DN {
			return a.saveAnchor(g.Anchor, "group", gr.ID, g.DN, g.Hash)
		}
		return nil
	}
	name := strings.TrimSpace(g.DisplayName)
	if !linked {
		err := tx.Take(&gr, "team_id = ? AND display_name_lower = ?", teamID, lower(name)).Error
		switch {
		case err == nil:
			a.change(db.DirectoryChange{Action: "group.link", Kind: "group", Anchor: g.Anchor, Name: name})
		case errors.Is(err, gorm.ErrRecordNotFound):
			ng, err := a.w.createGroup(db.NewGroup{DisplayName: name, Source: db.SourceDirectory}, a.by)
			if de := (*db.Error)(nil); errors.As(err, &de) && de.Kind == db.ErrInvalid {
				a.change(db.DirectoryChange{Action: "skip", Kind: "group", Anchor: g.Anchor, Name: name, Detail: err.Error()})
				return nil
			}
			if err != nil {
				return err
			}
			gr.ID = ng.ID
			a.res.Counts.GroupsCreated++
			a.change(db.DirectoryChange{Action: "group.create", Kind: "group", Anchor: g.Anchor, Name: name})
		default:
			return err
		}
	} else if gr.DisplayName != name {
		_, err := a.w.renameGroup(gr.ID, 0, a.by, func(cur *db.Group) error { cur.DisplayName = name; return nil })
		switch de := (*db.Error)(nil); {
		case errors.As(err, &de) && (de.Kind == db.ErrConflict || de.Kind == db.ErrInvalid):
			// another group has the name (or it is not valid): keep the current name
		case err != nil:
			return err
		default:
			a.res.Counts.GroupsUpdated++
			a.change(db.DirectoryChange{Action: "group.rename", Kind: "group", Anchor: g.Anchor, Name: name})
		}
	}
	// members: resolve user anchors to user ids; the writer diffs them
	var want []string
	for _, part := range chunks(dedupe(g.Members), 1000) {
		var ids []string
		if err := tx.Model(&dirAnchorRow{}).Where("connection_id = ? AND kind = ? AND anchor IN ?", a.conn.ID, "user", part).Pluck("target_id", &ids).Error; err != nil {
			return err
		}
		want = append(want, ids...)
	}
	_, added, removed, err := a.w.setMembers(gr.ID, want, a.by)
	if err != nil {
		return err
	}
	if added > 0 || removed > 0 {
		if linked {
			a.res.Counts.GroupsUpdated++
		}
		a.res.Counts.MembersAdded += added
		a.res.Counts.MembersRemoved += removed
		a.change(db.DirectoryChange{Action: "group.members", Kind: "group", Anchor: g.Anchor, Name: name,
			Detail: fmt.Sprintf("+%d -%d", added, removed)})
	}
	return a.saveAnchor(g.Anchor, "group", gr.ID, g.DN, g.Hash)
}

func (a *dirApply) deleteGroup(r dirAnchorRow) error {
	name, err := a.w.deleteGroup(r.TargetID, a.by)
	switch {
	case errors.Is(err, db.ErrNotFound):
		// already gone
	case err != nil:
		return err
	default:
		a.res.Counts.GroupsDeleted++
		a.change(db.DirectoryChange{Action: "group.delete", Kind: "group", Anchor: r.Anchor, Name: name})
	}
	return a.tx.Where("connection_id = ? AND anchor = ?", a.conn.ID, r.Anchor).Delete(&dirAnchorRow{}).Error
}
