package gormdb

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

type consoleSessionRow struct {
	Hash       string `gorm:"primaryKey;size:64"`
	TeamID     string `gorm:"size:36;not null"`
	UserID     string `gorm:"size:36;not null"`
	Method     string `gorm:"size:16;not null"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

func (consoleSessionRow) TableName() string { return "console_sessions" }

type consoleLinkRow struct {
	Hash      string `gorm:"primaryKey;size:64"`
	TeamID    string `gorm:"size:36;not null"`
	UserID    string `gorm:"size:36;not null"`
	Purpose   string `gorm:"size:16;not null"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (consoleLinkRow) TableName() string { return "console_links" }

type consoleSettingsRow struct {
	TeamID           string `gorm:"primaryKey;size:36"`
	AdminDestination string `gorm:"size:255;not null"`
	UserDestination  string `gorm:"size:255;not null"`
	UpdatedAt        time.Time
}

func (consoleSettingsRow) TableName() string { return "console_settings" }

type consolePasswordRow struct {
	TeamID    string `gorm:"primaryKey;size:36"`
	UserID    string `gorm:"primaryKey;size:36"`
	Hash      string `gorm:"size:255;not null"`
	UpdatedAt time.Time
}

func (consolePasswordRow) TableName() string { return "console_passwords" }

var _ db.ConsoleStore = (*Store)(nil)

func linkInvalid() error {
	return db.Errorf(db.ErrNotFound, "login_link_invalid", "this sign-in link is unknown, expired or already used")
}

// CreateLoginLink implements db.ConsoleStore.
func (s *Store) CreateLoginLink(ctx context.Context, l db.LoginLink, by db.Actor) error {
	if len(l.Hash) != 32 {
		return db.Errorf(db.ErrInvalid, "token_hash", "a link hash must be 32 bytes (SHA-256)")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var u userRow
		if err := tx.Take(&u, "team_id = ? AND id = ?", l.TeamID, l.UserID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return userNotFound(l.UserID)
			}
			return err
		}
		du := u.toDomain()
		action := "console.login_link.create"
		switch l.Purpose {
		case "", db.LinkSignIn:
			l.Purpose = db.LinkSignIn
			if err := db.CheckActingAdmin(du); err != nil {
				return err
			}
		case db.LinkReset, db.LinkSecondFactor:
			action = "console.reset_link.create"
			if l.Purpose == db.LinkSecondFactor {
				action = "console.second_factor.pending"
			}
			if du.Status != db.StatusActive {
				return db.Errorf(db.ErrForbidden, "user_inactive", "%s is %s", du.Email, du.Status)
			}
		default:
			return db.Errorf(db.ErrInvalid, "link_purpose", "link purpose %q is not signin, reset or second_factor", l.Purpose)
		}
		row := consoleLinkRow{Hash: hex.EncodeToString(l.Hash), TeamID: l.TeamID, UserID: l.UserID, Purpose: l.Purpose,
			CreatedAt: l.CreatedAt.UTC(), ExpiresAt: l.ExpiresAt.UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, l.TeamID, by, action, "user", l.UserID,
			map[string]string{"email": du.Email, "expires_at": row.ExpiresAt.Format(time.RFC3339)})
	})
	if err != nil {
		return fmt.Errorf("create login link: %w", err)
	}
	return nil
}

// UseLoginLink implements db.ConsoleStore: one conditional UPDATE decides
// which of two concurrent uses wins.
func (s *Store) UseLoginLink(ctx context.Context, hash []byte, purpose string, now time.Time) (db.LoginLink, error) {
	h := hex.EncodeToString(hash)
	now = now.UTC().Truncate(time.Millisecond)
	var l db.LoginLink
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&consoleLinkRow{}).Where("hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", h, purpose, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return linkInvalid()
		}
		var r consoleLinkRow
		if err := tx.Take(&r, "hash = ?", h).Error; err != nil {
			return err
		}
		l = db.LoginLink{Hash: hash, TeamID: r.TeamID, UserID: r.UserID, Purpose: r.Purpose, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
		var u userRow
		if err := tx.Take(&u, "team_id = ? AND id = ?", r.TeamID, r.UserID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return linkInvalid()
			}
			return err
		}
		if purpose != db.LinkSignIn {
			return nil
		}
		return s.audit(tx, r.TeamID, db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email}, "console.sign_in", "user", u.ID,
			map[string]string{"method": "link"})
	})
	if err != nil {
		var de *db.Error
		if errors.As(err, &de) {
			return db.LoginLink{}, err
		}
		return db.LoginLink{}, fmt.Errorf("use login link: %w", translate(err))
	}
	return l, nil
}

// CreateConsoleSession implements db.ConsoleStore.
func (s *Store) CreateConsoleSession(ctx context.Context, se db.ConsoleSession) error {
	row := consoleSessionRow{Hash: hex.EncodeToString(se.Hash), TeamID: se.TeamID, UserID: se.UserID, Method: se.Method,
		CreatedAt: se.CreatedAt.UTC(), LastSeenAt: se.CreatedAt.UTC(), ExpiresAt: se.ExpiresAt.UTC()}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create console session: %w", translate(err))
	}
	return nil
}

func sessionNotFound() error {
	return db.Errorf(db.ErrNotFound, "session_not_found", "no such session, or it has ended")
}

// TouchConsoleSession implements db.ConsoleStore.
func (s *Store) TouchConsoleSession(ctx context.Context, hash []byte, now time.Time, idle time.Duration) (db.ConsoleSession, error) {
	h := hex.EncodeToString(hash)
	now = now.UTC().Truncate(time.Millisecond)
	var r consoleSessionRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&consoleSessionRow{}).
			Where("hash = ? AND revoked_at IS NULL AND expires_at > ? AND last_seen_at > ?", h, now, now.Add(-idle)).
			Update("last_seen_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return sessionNotFound()
		}
		return tx.Take(&r, "hash = ?", h).Error
	})
	if err != nil {
		var de *db.Error
		if errors.As(err, &de) {
			return db.ConsoleSession{}, err
		}
		return db.ConsoleSession{}, fmt.Errorf("touch console session: %w", translate(err))
	}
	return db.ConsoleSession{Hash: hash, TeamID: r.TeamID, UserID: r.UserID, Method: r.Method, CreatedAt: r.CreatedAt.UTC(),
		LastSeenAt: r.LastSeenAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// RevokeConsoleSession implements db.ConsoleStore.
func (s *Store) RevokeConsoleSession(ctx context.Context, hash []byte, now time.Time) error {
	err := s.conn(ctx).Model(&consoleSessionRow{}).Where("hash = ? AND revoked_at IS NULL", hex.EncodeToString(hash)).
		Update("revoked_at", now.UTC().Truncate(time.Millisecond)).Error
	if err != nil {
		return fmt.Errorf("revoke console session: %w", translate(err))
	}
	return nil
}

// RevokeUserConsoleSessions implements db.ConsoleStore.
func (s *Store) RevokeUserConsoleSessions(ctx context.Context, teamID, userID string, now time.Time) (int, error) {
	res := s.conn(ctx).Model(&consoleSessionRow{}).Where("team_id = ? AND user_id = ? AND revoked_at IS NULL", teamID, userID).
		Update("revoked_at", now.UTC().Truncate(time.Millisecond))
	if res.Error != nil {
		return 0, fmt.Errorf("revoke console sessions: %w", translate(res.Error))
	}
	return int(res.RowsAffected), nil
}

// GetConsoleSettings implements db.ConsoleStore.
func (s *Store) GetConsoleSettings(ctx context.Context, teamID string) (db.ConsoleSettings, error) {
	var r consoleSettingsRow
	err := s.conn(ctx).Take(&r, "team_id = ?", teamID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return db.ConsoleSettings{TeamID: teamID}, nil
	}
	if err != nil {
		return db.ConsoleSettings{}, fmt.Errorf("get console settings: %w", translate(err))
	}
	return db.ConsoleSettings{TeamID: r.TeamID, AdminDestination: r.AdminDestination, UserDestination: r.UserDestination}, nil
}

// consolePath accepts "" or a path under /console/ with no scheme, host,
// query or dot segment, so a destination can never send a user elsewhere.
func consolePath(field, p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/console/") || strings.ContainsAny(p, "?#\\") || strings.Contains(p, "//") ||
		strings.Contains(p, "/.") || len(p) > 255 {
		return db.Errorf(db.ErrInvalid, "destination_invalid", "%s must be a path under /console/", field)
	}
	return db.CheckText(field, p)
}

// SetConsoleSettings implements db.ConsoleStore.
func (s *Store) SetConsoleSettings(ctx context.Context, c db.ConsoleSettings, by db.Actor) error {
	if err := consolePath("admin destination", c.AdminDestination); err != nil {
		return err
	}
	if err := consolePath("user destination", c.UserDestination); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, c.TeamID); err != nil {
			return err
		}
		row := consoleSettingsRow{TeamID: c.TeamID, AdminDestination: c.AdminDestination, UserDestination: c.UserDestination, UpdatedAt: s.nowUTC()}
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, c.TeamID, by, "console.settings", "team", c.TeamID,
			map[string]string{"admin_destination": c.AdminDestination, "user_destination": c.UserDestination})
	})
	if err != nil {
		var de *db.Error
		if errors.As(err, &de) {
			return err
		}
		return fmt.Errorf("set console settings: %w", translate(err))
	}
	return nil
}

// SetConsolePassword implements db.ConsoleStore.
func (s *Store) SetConsolePassword(ctx context.Context, teamID, userID, hash string, by db.Actor) error {
	if hash == "" || len(hash) > 255 {
		return db.Errorf(db.ErrInvalid, "password_hash", "a password hash is 1 to 255 characters")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var u userRow
		if err := tx.Take(&u, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return userNotFound(userID)
			}
			return err
		}
		if err := tx.Save(&consolePasswordRow{TeamID: teamID, UserID: userID, Hash: hash, UpdatedAt: s.nowUTC()}).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "console.password.set", "user", userID, map[string]string{"email": u.Email})
	})
	if err != nil {
		return fmt.Errorf("set console password: %w", err)
	}
	return nil
}

// ConsolePassword implements db.ConsoleStore.
func (s *Store) ConsolePassword(ctx context.Context, teamID, userID string) (string, error) {
	var r consolePasswordRow
	err := s.conn(ctx).Take(&r, "team_id = ? AND user_id = ?", teamID, userID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", db.Errorf(db.ErrNotFound, "password_not_set", "no password is set")
	}
	if err != nil {
		return "", fmt.Errorf("console password: %w", translate(err))
	}
	return r.Hash, nil
}

// AuditConsole implements db.ConsoleStore.
func (s *Store) AuditConsole(ctx context.Context, teamID string, by db.Actor, action, userID string, details map[string]string) error {
	if !strings.HasPrefix(action, "console.") {
		return db.Errorf(db.ErrInvalid, "audit_action", "console audit actions start with console.")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, teamID); err != nil {
			return err
		}
		return s.audit(tx, teamID, by, action, "user", userID, details)
	})
	if err != nil {
		return fmt.Errorf("audit console event: %w", err)
	}
	return nil
}
