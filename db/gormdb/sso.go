package gormdb

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

var _ db.SSOStore = (*Store)(nil)

// ssoConfigRow is one team's SSO configuration. Lists are JSON: they are
// small, always read whole and never queried by element.
type ssoConfigRow struct {
	TeamID              string `gorm:"primaryKey;size:36"`
	IdPMetadataXML      string `gorm:"type:text"`
	IdPMetadataURL      string `gorm:"size:2048;not null;default:''"`
	IdPEntityID         string `gorm:"size:1024;not null;default:''"`
	MetadataRefreshedAt *time.Time
	MetadataError       string `gorm:"size:1024;not null;default:''"`
	MetadataErrorAt     *time.Time
	TrustedCerts        string `gorm:"type:text"`
	Domains             string `gorm:"type:text"`
	AttributePreset     string `gorm:"size:16;not null;default:'generic'"`
	Attributes          string `gorm:"type:text"`
	JIT                 bool   `gorm:"not null;default:false"`
	AllowIdPInitiated   bool   `gorm:"not null;default:false"`
	EnforceSSO          bool   `gorm:"not null;default:false"`
	AllowSHA1           bool   `gorm:"not null;default:false"`
	ClockSkewMillis     int64  `gorm:"not null;default:0"`
	Version             int64  `gorm:"not null"`
	UpdatedAt           time.Time
}

func (ssoConfigRow) TableName() string { return "sso_configs" }

type ssoKeyRow struct {
	ID            string `gorm:"primaryKey;size:36"`
	TeamID        string `gorm:"size:36;not null;index:idx_sso_keys_team"`
	PrivateKeyPEM string `gorm:"type:text"`
	CertPEM       string `gorm:"type:text"`
	CreatedAt     time.Time
}

func (ssoKeyRow) TableName() string { return "sso_keys" }

type ssoRequestRow struct {
	RelayState string    `gorm:"primaryKey;size:64"`
	TeamID     string    `gorm:"size:36;not null"`
	RequestID  string    `gorm:"size:128;not null"`
	ReturnTo   string    `gorm:"size:2048;not null;default:''"`
	TestBy     string    `gorm:"size:36;not null;default:''"`
	ExpiresAt  time.Time `gorm:"not null;index:idx_sso_requests_expires"`
}

func (ssoRequestRow) TableName() string { return "sso_requests" }

// ssoAssertionRow is the replay cache: one row per assertion ID seen, kept
// until the assertion could no longer be accepted anyway.
type ssoAssertionRow struct {
	TeamID      string    `gorm:"primaryKey;size:36"`
	AssertionID string    `gorm:"primaryKey;size:255"`
	ExpiresAt   time.Time `gorm:"not null;index:idx_sso_assertions_expires"`
}

func (ssoAssertionRow) TableName() string { return "sso_assertions" }

type ssoSessionRow struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	TeamID    string    `gorm:"size:36;not null"`
	UserID    string    `gorm:"size:36;not null;index:idx_sso_sessions_user"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index:idx_sso_sessions_expires"`
}

func (ssoSessionRow) TableName() string { return "sso_sessions" }

func ssoConfigFromRow(r ssoConfigRow) (db.SSOConfig, error) {
	c := db.SSOConfig{TeamID: r.TeamID, IdPMetadataXML: r.IdPMetadataXML, IdPMetadataURL: r.IdPMetadataURL,
		IdPEntityID: r.IdPEntityID, MetadataRefreshedAt: utcPtr(r.MetadataRefreshedAt), MetadataError: r.MetadataError,
		MetadataErrorAt: utcPtr(r.MetadataErrorAt), AttributePreset: r.AttributePreset, JIT: r.JIT,
		AllowIdPInitiated: r.AllowIdPInitiated, EnforceSSO: r.EnforceSSO, AllowSHA1: r.AllowSHA1,
		ClockSkew: time.Duration(r.ClockSkewMillis) * time.Millisecond, Version: r.Version, UpdatedAt: r.UpdatedAt.UTC()}
	for _, f := range []struct {
		s string
		v any
	}{{r.TrustedCerts, &c.TrustedCerts}, {r.Domains, &c.Domains}, {r.Attributes, &c.Attributes}} {
		if f.s == "" {
			continue
		}
		if err := json.Unmarshal([]byte(f.s), f.v); err != nil {
			return db.SSOConfig{}, fmt.Errorf("decode sso config: %w", err)
		}
	}
	for i := range c.TrustedCerts {
		c.TrustedCerts[i].NotAfter = c.TrustedCerts[i].NotAfter.UTC()
	}
	return c, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func ssoConfigToRow(c db.SSOConfig) (ssoConfigRow, error) {
	r := ssoConfigRow{TeamID: c.TeamID, IdPMetadataXML: c.IdPMetadataXML, IdPMetadataURL: c.IdPMetadataURL,
		IdPEntityID: c.IdPEntityID, MetadataRefreshedAt: utcPtr(c.MetadataRefreshedAt), MetadataError: c.MetadataError,
		MetadataErrorAt: utcPtr(c.MetadataErrorAt), AttributePreset: c.AttributePreset, JIT: c.JIT,
		AllowIdPInitiated: c.AllowIdPInitiated, EnforceSSO: c.EnforceSSO, AllowSHA1: c.AllowSHA1,
		ClockSkewMillis: c.ClockSkew.Milliseconds(), Version: c.Version, UpdatedAt: c.UpdatedAt}
	for _, f := range []struct {
		dst *string
		v   any
	}{{&r.TrustedCerts, c.TrustedCerts}, {&r.Domains, c.Domains}, {&r.Attributes, c.Attributes}} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return ssoConfigRow{}, err
		}
		*f.dst = string(b)
	}
	if len(r.IdPMetadataURL) > 2048 {
		return ssoConfigRow{}, db.Errorf(db.ErrInvalid, "metadata_url_too_long", "the metadata URL is longer than 2048 characters")
	}
	return r, nil
}

func ssoNotConfigured(teamID string) error {
	return db.Errorf(db.ErrNotFound, "sso_not_configured", "team %q has no SSO configuration", teamID)
}

// GetSSOConfig implements db.SSOStore.
func (s *Store) GetSSOConfig(ctx context.Context, teamID string) (db.SSOConfig, error) {
	var r ssoConfigRow
	if err := s.conn(ctx).Take(&r, "team_id = ?", teamID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.SSOConfig{}, ssoNotConfigured(teamID)
		}
		return db.SSOConfig{}, fmt.Errorf("get sso config: %w", translate(err))
	}
	return ssoConfigFromRow(r)
}

// PutSSOConfig implements db.SSOStore.
func (s *Store) PutSSOConfig(ctx context.Context, c db.SSOConfig, ifVersion int64, by db.Actor, action string, details any) (db.SSOConfig, error) {
	var out db.SSOConfig
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.lockTeam(tx, c.TeamID); err != nil {
			return err
		}
		var cur ssoConfigRow
		err := tx.Take(&cur, "team_id = ?", c.TeamID).Error
		exists := err == nil
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if ifVersion != 0 && (!exists || cur.Version != ifVersion) {
			return db.Errorf(db.ErrStale, "sso_config_changed", "the SSO configuration changed since it was read")
		}
		c.Version = cur.Version + 1
		c.UpdatedAt = s.nowUTC()
		row, err := ssoConfigToRow(c)
		if err != nil {
			return err
		}
		if exists {
			err = tx.Model(&ssoConfigRow{}).Where("team_id = ?", c.TeamID).Select("*").Updates(&row).Error
		} else {
			err = tx.Create(&row).Error
		}
		if err != nil {
			return err
		}
		if err := s.audit(tx, c.TeamID, by, action, "sso", c.TeamID, details); err != nil {
			return err
		}
		out, err = ssoConfigFromRow(row)
		return err
	})
	if err != nil {
		return db.SSOConfig{}, fmt.Errorf("put sso config: %w", err)
	}
	return out, nil
}

// DeleteSSOConfig implements db.SSOStore.
func (s *Store) DeleteSSOConfig(ctx context.Context, teamID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("team_id = ?", teamID).Delete(&ssoConfigRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ssoNotConfigured(teamID)
		}
		return s.audit(tx, teamID, by, "sso.delete", "sso", teamID, nil)
	})
	if err != nil {
		return fmt.Errorf("delete sso config: %w", err)
	}
	return nil
}

// ListSSOConfigs implements db.SSOStore.
func (s *Store) ListSSOConfigs(ctx context.Context) ([]db.SSOConfig, error) {
	var rows []ssoConfigRow
	if err := s.conn(ctx).Order("team_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list sso configs: %w", translate(err))
	}
	out := make([]db.SSOConfig, 0, len(rows))
	for _, r := range rows {
		c, err := ssoConfigFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SSOKeys implements db.SSOStore.
func (s *Store) SSOKeys(ctx context.Context, teamID string) ([]db.SSOKey, error) {
	out, err := ssoKeys(s.conn(ctx), teamID)
	if err != nil {
		return nil, fmt.Errorf("list sso keys: %w", translate(err))
	}
	return out, nil
}

// ssoKeys is the team's SP keys, the signing (newest) key first.
func ssoKeys(conn *gorm.DB, teamID string) ([]db.SSOKey, error) {
	var rows []ssoKeyRow
	if err := conn.Where("team_id = ?", teamID).Order("created_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]db.SSOKey, len(rows))
	for i, r := range rows {
		out[i] = db.SSOKey{ID: r.ID, TeamID: r.TeamID, PrivateKeyPEM: r.PrivateKeyPEM, CertPEM: r.CertPEM, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// AddSSOKey implements db.SSOStore.
func (s *Store) AddSSOKey(ctx context.Context, k db.SSOKey, by db.Actor) error {
	if k.ID == "" {
		k.ID = newID()
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.nowUTC()
	}
	k.CreatedAt = k.CreatedAt.UTC().Truncate(time.Millisecond)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.lockTeam(tx, k.TeamID); err != nil {
			return err
		}
		// The newest key signs: keep creation times strictly increasing
		// even when the clock has not moved (a coarse or frozen clock).
		var newest ssoKeyRow
		err := tx.Where("team_id = ?", k.TeamID).Order("created_at DESC").Limit(1).Find(&newest).Error
		if err != nil {
			return err
		}
		if newest.ID != "" && !k.CreatedAt.After(newest.CreatedAt) {
			k.CreatedAt = newest.CreatedAt.Add(time.Millisecond)
		}
		if err := tx.Create(&ssoKeyRow{ID: k.ID, TeamID: k.TeamID, PrivateKeyPEM: k.PrivateKeyPEM, CertPEM: k.CertPEM,
			CreatedAt: k.CreatedAt.UTC()}).Error; err != nil {
			return err
		}
		return s.audit(tx, k.TeamID, by, "sso.key.add", "sso_key", k.ID, nil)
	})
	if err != nil {
		return fmt.Errorf("add sso key: %w", err)
	}
	return nil
}

// DeleteSSOKey implements db.SSOStore.
func (s *Store) DeleteSSOKey(ctx context.Context, teamID, keyID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.lockTeam(tx, teamID); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&ssoKeyRow{}).Where("team_id = ?", teamID).Count(&n).Error; err != nil {
			return err
		}
		res := tx.Where("team_id = ? AND id = ?", teamID, keyID).Delete(&ssoKeyRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return db.Errorf(db.ErrNotFound, "sso_key_not_found", "SP key %q does not exist in this team", keyID)
		}
		if n <= 1 {
			return db.Errorf(db.ErrRule, "last_sso_key", "the team's only SP key cannot be retired; rotate first")
		}
		return s.audit(tx, teamID, by, "sso.key.retire", "sso_key", keyID, nil)
	})
	if err != nil {
		return fmt.Errorf("retire sso key: %w", err)
	}
	return nil
}

// PutSSORequest implements db.SSOStore.
func (s *Store) PutSSORequest(ctx context.Context, r db.SSORequest) error {
	row := ssoRequestRow{RelayState: r.RelayState, TeamID: r.TeamID, RequestID: r.RequestID, ReturnTo: r.ReturnTo,
		TestBy: r.TestBy, ExpiresAt: r.ExpiresAt.UTC()}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("put sso request: %w", translate(err))
	}
	return nil
}

// TakeSSORequest implements db.SSOStore. The delete decides who wins when
// the same RelayState arrives twice at once: only one caller deletes the row.
func (s *Store) TakeSSORequest(ctx context.Context, teamID, relayState string, now time.Time) (db.SSORequest, error) {
	notFound := db.Errorf(db.ErrNotFound, "sso_request_not_found", "no sign-in in progress for this RelayState")
	var out db.SSORequest
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r ssoRequestRow
		if err := tx.Take(&r, "relay_state = ? AND team_id = ?", relayState, teamID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return notFound
			}
			return err
		}
		res := tx.Where("relay_state = ?", relayState).Delete(&ssoRequestRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 || !now.Before(r.ExpiresAt) {
			return notFound
		}
		out = db.SSORequest{RelayState: r.RelayState, TeamID: r.TeamID, RequestID: r.RequestID, ReturnTo: r.ReturnTo,
			TestBy: r.TestBy, ExpiresAt: r.ExpiresAt.UTC()}
		return nil
	})
	if err != nil {
		return db.SSORequest{}, fmt.Errorf("take sso request: %w", err)
	}
	return out, nil
}

// MarkSSOAssertion implements db.SSOStore. The primary key makes the check
// and the record one atomic step across replicas; an expired row for the
// same ID (an IdP reusing IDs long after) is replaced.
func (s *Store) MarkSSOAssertion(ctx context.Context, teamID, assertionID string, expiresAt, now time.Time) error {
	if assertionID == "" || len(assertionID) > 255 {
		return db.Errorf(db.ErrInvalid, "assertion_id_invalid", "the assertion ID is empty or too long")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error { return markSSOUse(tx, teamID, assertionID, expiresAt, now) })
	if err != nil {
		if errors.Is(err, db.ErrConflict) {
			return errReplayed()
		}
		return fmt.Errorf("mark sso assertion: %w", err)
	}
	return nil
}

func errReplayed() error {
	return db.Errorf(db.ErrConflict, "assertion_replayed", "the assertion was already used")
}

// markSSOUse records one replay key in tx; a unique violation (the key is
// recorded and unexpired) is a replay.
func markSSOUse(tx *gorm.DB, teamID, key string, expiresAt, now time.Time) error {
	if err := tx.Where("team_id = ? AND assertion_id = ? AND expires_at <= ?", teamID, key, now.UTC()).
		Delete(&ssoAssertionRow{}).Error; err != nil {
		return err
	}
	if err := tx.Create(&ssoAssertionRow{TeamID: teamID, AssertionID: key, ExpiresAt: expiresAt.UTC()}).Error; err != nil {
		if isUniqueViolation(err) {
			return errReplayed()
		}
		return err
	}
	return nil
}

// SSOStamp implements db.SSOStore: the configuration's version and the key
// ids, in one query.
func (s *Store) SSOStamp(ctx context.Context, teamID string) (db.SSOStamp, error) {
	var rows []struct {
		Version int64
		KeyID   *string
	}
	err := s.conn(ctx).Table("sso_configs AS c").Select("c.version AS version, k.id AS key_id").
		Joins("LEFT JOIN sso_keys k ON k.team_id = c.team_id").Where("c.team_id = ?", teamID).
		Order("k.created_at DESC, k.id DESC").Scan(&rows).Error
	if err != nil {
		return db.SSOStamp{}, fmt.Errorf("sso stamp: %w", translate(err))
	}
	if len(rows) == 0 {
		return db.SSOStamp{}, ssoNotConfigured(teamID)
	}
	st := db.SSOStamp{Version: rows[0].Version}
	for _, r := range rows {
		if r.KeyID != nil {
			st.KeyIDs = append(st.KeyIDs, *r.KeyID)
		}
	}
	return st, nil
}

// SignInSSO implements db.SSOStore: a verified sign-in's writes in one
// transaction instead of one per step (issue 15).
func (s *Store) SignInSSO(ctx context.Context, in db.SSOSignIn) (db.SSOSignedIn, error) {
	if in.Match == nil {
		return db.SSOSignedIn{}, db.Errorf(db.ErrInvalid, "match_required", "a sign-in needs its Match")
	}
	for _, u := range in.Used {
		if u.Key == "" || len(u.Key) > 255 {
			return db.SSOSignedIn{}, db.Errorf(db.ErrInvalid, "assertion_id_invalid", "the assertion ID is empty or too long")
		}
	}
	var out db.SSOSignedIn
	var w *writer
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out, w = db.SSOSignedIn{}, nil // a group commit may run this again
		for _, u := range in.Used {
			if err := markSSOUse(tx, in.TeamID, u.Key, u.ExpiresAt, in.Now); err != nil {
				return err
			}
		}
		var rows []userRow
		if err := tx.Where("team_id = ? AND email_lower = ?", in.TeamID, db.NormalizeEmail(in.Email)).Order("id").Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		var found db.User
		if len(rows) > 0 {
			found = rows[0].toDomain()
		}
		create, by, err := in.Match(found, len(rows) > 0)
		if err != nil {
			return err
		}
		out.User = found
		if create != nil {
			w = &writer{s: s, tx: tx, teamID: in.TeamID}
			a, err := w.apply(db.UserCreate{User: *create, By: by})
			if err != nil {
				return err
			}
			if err := w.flush(); err != nil {
				return err
			}
			out.User, out.Created = a.User, true
		} else if len(rows) == 0 {
			return db.Errorf(db.ErrInvalid, "user_required", "Match neither found nor created a user")
		}
		se := in.Session
		se.TeamID, se.UserID = in.TeamID, out.User.ID
		// The user's row as this transaction knows it, so startSession need
		// not read it again: the one found, or for a created user its id and
		// the status the writer gave it (a JIT sign-in re-read it before).
		var known *userRow
		if !out.Created {
			known = &rows[0]
		} else if out.User.Status != db.StatusPending {
			known = &userRow{ID: out.User.ID, Status: string(out.User.Status)} // nothing to accept
		}
		u, accepted, err := s.startSession(tx, se, known)
		if err != nil {
			return err
		}
		if accepted {
			out.User = u
		}
		return nil
	})
	if err != nil {
		return db.SSOSignedIn{}, s.explain(ctx, in.TeamID, err, w)
	}
	return out, nil
}

// CreateSSOSession implements db.SSOStore.
// A session is a sign-in: a pending member's first one makes them active
// and accepts their invitation, in the session's own transaction (R-MEM-3),
// through the one writer (acceptInvitation).
func (s *Store) CreateSSOSession(ctx context.Context, se db.SSOSession) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		_, _, err := s.startSession(tx, se, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("create sso session: %w", err)
	}
	return nil
}

// startSession stores a session in tx and, if its user is a pending
// member, accepts their invitation (R-MEM-3); accepted says so and u is
// then the user as updated. known, if set, is the user's row as read in tx
// (so it need not be read again).
func (s *Store) startSession(tx *gorm.DB, se db.SSOSession, known *userRow) (u db.User, accepted bool, err error) {
	row := ssoSessionRow{Hash: hex.EncodeToString(se.Hash), TeamID: se.TeamID, UserID: se.UserID,
		CreatedAt: se.CreatedAt.UTC(), ExpiresAt: se.ExpiresAt.UTC()}
	if err := tx.Create(&row).Error; err != nil {
		return db.User{}, false, err
	}
	var users []userRow
	if known != nil {
		if known.ID == se.UserID && known.Status == string(db.StatusPending) {
			users = append(users, *known)
		}
	} else if err := tx.Where("team_id = ? AND id = ? AND status = ?", se.TeamID, se.UserID, string(db.StatusPending)).Limit(1).Find(&users).Error; err != nil {
		return db.User{}, false, err
	}
	if len(users) == 0 {
		return db.User{}, false, nil
	}
	u, err = s.acceptInvitation(tx, se.TeamID, users[0], "sso")
	return u, err == nil, err
}

// GetSSOSession implements db.SSOStore.
func (s *Store) GetSSOSession(ctx context.Context, hash []byte, now time.Time) (db.SSOSession, error) {
	var r ssoSessionRow
	if err := s.conn(ctx).Take(&r, "hash = ? AND expires_at > ?", hex.EncodeToString(hash), now.UTC()).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.SSOSession{}, db.Errorf(db.ErrNotFound, "session_not_found", "no such session")
		}
		return db.SSOSession{}, fmt.Errorf("get sso session: %w", translate(err))
	}
	h, _ := hex.DecodeString(r.Hash)
	return db.SSOSession{Hash: h, TeamID: r.TeamID, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// DeleteSSOSession implements db.SSOStore.
func (s *Store) DeleteSSOSession(ctx context.Context, hash []byte) error {
	if err := s.conn(ctx).Where("hash = ?", hex.EncodeToString(hash)).Delete(&ssoSessionRow{}).Error; err != nil {
		return fmt.Errorf("delete sso session: %w", translate(err))
	}
	return nil
}

// PurgeSSO implements db.SSOStore.
func (s *Store) PurgeSSO(ctx context.Context, now time.Time) error {
	n := now.UTC()
	return s.tx(ctx, func(tx *gorm.DB) error {
		for _, m := range []any{&ssoRequestRow{}, &ssoAssertionRow{}, &ssoSessionRow{}} {
			if err := tx.Where("expires_at <= ?", n).Delete(m).Error; err != nil {
				return err
			}
		}
		return nil
	})
}
