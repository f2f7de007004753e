package gormdb

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// CreateToken implements db.Store. Only the hash is stored.
func (s *Store) CreateToken(ctx context.Context, t db.Token, by db.Actor) (db.Token, error) {
	if len(t.Hash) != 32 {
		return db.Token{}, db.Errorf(db.ErrInvalid, "token_hash", "a token hash must be 32 bytes (SHA-256)")
	}
	if t.Kind != db.TokenSCIM && t.Kind != db.TokenAdmin {
		return db.Token{}, db.Errorf(db.ErrInvalid, "token_kind", "token kind %q is not scim or admin", t.Kind)
	}
	t.ID = newID()
	t.CreatedAt = s.nowUTC()
	row := tokenRow{ID: t.ID, TeamID: t.TeamID, Kind: string(t.Kind), UserID: t.UserID, Prefix: t.Prefix,
		Hash: hex.EncodeToString(t.Hash), CreatedAt: t.CreatedAt}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, t.TeamID); err != nil {
			return err
		}
		if t.Kind == db.TokenAdmin {
			var u userRow
			if err := tx.Take(&u, "team_id = ? AND id = ?", t.TeamID, t.UserID).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return userNotFound(t.UserID)
				}
				return err
			}
			// An admin token acts as its admin, who must hold power now (issue 9 #1).
			if err := db.CheckActingAdmin(u.toDomain()); err != nil {
				return err
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, t.TeamID, by, "token.create", "token", t.ID, map[string]string{"kind": string(t.Kind), "prefix": t.Prefix})
	})
	if err != nil {
		return db.Token{}, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

// TokenByHash implements db.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (db.Token, error) {
	var r tokenRow
	if err := s.conn(ctx).Take(&r, "hash = ? AND revoked_at IS NULL", hex.EncodeToString(hash)).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.Token{}, db.ErrNotFound
		}
		return db.Token{}, fmt.Errorf("token by hash: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListTokens implements db.Store.
func (s *Store) ListTokens(ctx context.Context, teamID string) ([]db.Token, error) {
	var rows []tokenRow
	if err := s.conn(ctx).Where("team_id = ?", teamID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", translate(err))
	}
	out := make([]db.Token, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// RevokeToken implements db.Store.
func (s *Store) RevokeToken(ctx context.Context, teamID, tokenID string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&tokenRow{}).Where("team_id = ? AND id = ? AND revoked_at IS NULL", teamID, tokenID).Update("revoked_at", s.nowUTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return db.Errorf(db.ErrNotFound, "token_not_found", "token %q does not exist in this team or is already revoked", tokenID)
		}
		return s.audit(tx, teamID, by, "token.revoke", "token", tokenID, nil)
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// TouchToken implements db.Store; it writes at most once a minute per token.
func (s *Store) TouchToken(ctx context.Context, tokenID string, at time.Time) error {
	at = at.UTC().Truncate(time.Millisecond)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&tokenRow{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", tokenID, at.Add(-time.Minute)).
			Update("last_used_at", at).Error
	})
	if err != nil {
		return fmt.Errorf("touch token: %w", translate(err))
	}
	return nil
}
