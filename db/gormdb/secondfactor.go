package gormdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// consoleTOTPRow is a user's authenticator enrolment (migration 00046);
// sealed is the console's AES-256-GCM ciphertext of the secret.
type consoleTOTPRow struct {
	TeamID      string `gorm:"primaryKey;size:36"`
	UserID      string `gorm:"primaryKey;size:36"`
	Sealed      []byte `gorm:"not null"`
	ConfirmedAt *time.Time
	LastStep    int64 `gorm:"not null"`
	CreatedAt   time.Time
}

func (consoleTOTPRow) TableName() string { return "console_totp" }

// consoleRecoveryRow is one recovery code's SHA-256 (hex), spent once.
type consoleRecoveryRow struct {
	TeamID string `gorm:"primaryKey;size:36"`
	UserID string `gorm:"primaryKey;size:36"`
	Hash   string `gorm:"primaryKey;size:64"`
	UsedAt *time.Time
}

func (consoleRecoveryRow) TableName() string { return "console_recovery_codes" }

var _ db.SecondFactorStore = (*Store)(nil)

func totpNotEnrolled() error {
	return db.Errorf(db.ErrNotFound, "totp_not_enrolled", "no authenticator app is set up")
}

// takeUser reads a team's user inside tx.
func takeUser(tx *gorm.DB, teamID, userID string) (userRow, error) {
	var u userRow
	if err := tx.Take(&u, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return u, userNotFound(userID)
		}
		return u, err
	}
	return u, nil
}

// StartTOTP implements db.SecondFactorStore.
func (s *Store) StartTOTP(ctx context.Context, t db.TOTP, recoveryHashes [][]byte, by db.Actor) error {
	if len(t.Sealed) == 0 || len(t.Sealed) > 512 || len(recoveryHashes) == 0 || len(recoveryHashes) > 20 {
		return db.Errorf(db.ErrInvalid, "totp_invalid", "an enrolment needs a sealed secret and 1 to 20 recovery codes")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := takeUser(tx, t.TeamID, t.UserID)
		if err != nil {
			return err
		}
		var cur consoleTOTPRow
		err = tx.Take(&cur, "team_id = ? AND user_id = ?", t.TeamID, t.UserID).Error
		if err == nil && cur.ConfirmedAt != nil {
			return db.Errorf(db.ErrConflict, "totp_enrolled", "an authenticator app is already set up for %s: turn it off first", u.Email)
		}
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err := tx.Where("team_id = ? AND user_id = ?", t.TeamID, t.UserID).Delete(&consoleRecoveryRow{}).Error; err != nil {
			return err
		}
		if err := tx.Save(&consoleTOTPRow{TeamID: t.TeamID, UserID: t.UserID, Sealed: t.Sealed, CreatedAt: s.nowUTC()}).Error; err != nil {
			return err
		}
		for _, h := range recoveryHashes {
			if err := tx.Create(&consoleRecoveryRow{TeamID: t.TeamID, UserID: t.UserID, Hash: fmt.Sprintf("%x", h)}).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, t.TeamID, by, "console.totp.start", "user", t.UserID, map[string]string{"email": u.Email})
	})
	if err != nil {
		return fmt.Errorf("start totp: %w", err)
	}
	return nil
}

// GetTOTP implements db.SecondFactorStore.
func (s *Store) GetTOTP(ctx context.Context, teamID, userID string) (db.TOTP, error) {
	var r consoleTOTPRow
	err := s.conn(ctx).Take(&r, "team_id = ? AND user_id = ?", teamID, userID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return db.TOTP{}, totpNotEnrolled()
	}
	if err != nil {
		return db.TOTP{}, fmt.Errorf("get totp: %w", translate(err))
	}
	t := db.TOTP{TeamID: r.TeamID, UserID: r.UserID, Sealed: r.Sealed, LastStep: r.LastStep, CreatedAt: r.CreatedAt.UTC()}
	if r.ConfirmedAt != nil {
		at := r.ConfirmedAt.UTC()
		t.ConfirmedAt = &at
	}
	return t, nil
}

// ConfirmTOTP implements db.SecondFactorStore.
func (s *Store) ConfirmTOTP(ctx context.Context, teamID, userID string, step int64, at time.Time, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := takeUser(tx, teamID, userID)
		if err != nil {
			return err
		}
		when := at.UTC().Truncate(time.Millisecond)
		res := tx.Model(&consoleTOTPRow{}).Where("team_id = ? AND user_id = ? AND confirmed_at IS NULL", teamID, userID).
			Updates(map[string]any{"confirmed_at": when, "last_step": step})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return db.Errorf(db.ErrConflict, "totp_not_pending", "there is no authenticator set-up waiting for confirmation")
		}
		return s.audit(tx, teamID, by, "console.totp.enable", "user", userID, map[string]string{"email": u.Email})
	})
	if err != nil {
		return fmt.Errorf("confirm totp: %w", err)
	}
	return nil
}

// UseTOTPStep implements db.SecondFactorStore.
func (s *Store) UseTOTPStep(ctx context.Context, teamID, userID string, step int64) error {
	res := s.conn(ctx).Model(&consoleTOTPRow{}).
		Where("team_id = ? AND user_id = ? AND confirmed_at IS NOT NULL AND last_step < ?", teamID, userID, step).
		Update("last_step", step)
	if res.Error != nil {
		return fmt.Errorf("use totp step: %w", translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return db.Errorf(db.ErrConflict, "totp_replayed", "this code was already used; wait for the next one")
	}
	return nil
}

// UseRecoveryCode implements db.SecondFactorStore.
func (s *Store) UseRecoveryCode(ctx context.Context, teamID, userID string, hash []byte, at time.Time) (int, error) {
	remaining := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := takeUser(tx, teamID, userID)
		if err != nil {
			return err
		}
		res := tx.Model(&consoleRecoveryRow{}).Where("team_id = ? AND user_id = ? AND hash = ? AND used_at IS NULL", teamID, userID, fmt.Sprintf("%x", hash)).
			Update("used_at", at.UTC().Truncate(time.Millisecond))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return db.Errorf(db.ErrNotFound, "recovery_code_invalid", "this recovery code is unknown or already used")
		}
		var n int64
		if err := tx.Model(&consoleRecoveryRow{}).Where("team_id = ? AND user_id = ? AND used_at IS NULL", teamID, userID).Count(&n).Error; err != nil {
			return err
		}
		remaining = int(n)
		return s.audit(tx, teamID, db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email}, "console.totp.recovery_code", "user", userID,
			map[string]string{"email": u.Email, "remaining": fmt.Sprint(n)})
	})
	if err != nil {
		return 0, fmt.Errorf("use recovery code: %w", err)
	}
	return remaining, nil
}

// DeleteTOTP implements db.SecondFactorStore.
func (s *Store) DeleteTOTP(ctx context.Context, teamID, userID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := takeUser(tx, teamID, userID)
		if err != nil {
			return err
		}
		res := tx.Where("team_id = ? AND user_id = ?", teamID, userID).Delete(&consoleTOTPRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return totpNotEnrolled()
		}
		if err := tx.Where("team_id = ? AND user_id = ?", teamID, userID).Delete(&consoleRecoveryRow{}).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "console.totp.disable", "user", userID, map[string]string{"email": u.Email})
	})
	if err != nil {
		return fmt.Errorf("delete totp: %w", err)
	}
	return nil
}
