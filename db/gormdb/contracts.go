package gormdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// CreateContract implements db.Store (R-CLS-1: one contract manager and one
// software coordinator per contract).
func (s *Store) CreateContract(ctx context.Context, c db.Contract, by db.Actor) (db.Contract, error) {
	if strings.TrimSpace(c.Name) == "" {
		return db.Contract{}, db.Errorf(db.ErrInvalid, "name_required", "contract name is required")
	}
	for _, e := range []string{c.ContractManager, c.SoftwareCoordinator} {
		if err := db.ValidateEmail(e); err != nil {
			return db.Contract{}, err
		}
	}
	c.ID, c.CreatedAt = newID(), s.nowUTC()
	row := contractRow{ID: c.ID, AccountID: c.AccountID, Name: c.Name, ContractManager: c.ContractManager,
		SoftwareCoordinator: c.SoftwareCoordinator, CreatedAt: c.CreatedAt}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&accountRow{}, "id = ?", c.AccountID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.Errorf(db.ErrNotFound, "account_not_found", "account %q does not exist", c.AccountID)
			}
			return err
		}
		return tx.Create(&row).Error
	})
	if err != nil {
		return db.Contract{}, fmt.Errorf("create contract: %w", err)
	}
	return c, nil
}

// GetContract implements db.Store.
func (s *Store) GetContract(ctx context.Context, accountID, contractID string) (db.Contract, error) {
	var r contractRow
	if err := s.conn(ctx).Take(&r, "account_id = ? AND id = ?", accountID, contractID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.Contract{}, db.Errorf(db.ErrNotFound, "contract_not_found", "contract %q does not exist", contractID)
		}
		return db.Contract{}, fmt.Errorf("get contract: %w", translate(err))
	}
	return r.toDomain(), nil
}

// SetContractManager implements db.Store (R-CLS-2); it touches no admin role (R-ADM-8).
func (s *Store) SetContractManager(ctx context.Context, accountID, contractID, current, next string, by db.Actor) (db.Contract, error) {
	if err := db.ValidateEmail(next); err != nil {
		return db.Contract{}, err
	}
	var out db.Contract
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r contractRow
		if err := tx.Take(&r, "account_id = ? AND id = ?", accountID, contractID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.Errorf(db.ErrNotFound, "contract_not_found", "contract %q does not exist", contractID)
			}
			return err
		}
		if db.NormalizeEmail(r.ContractManager) != db.NormalizeEmail(current) {
			return db.Errorf(db.ErrForbidden, "not_contract_manager", "R-CLS-2: only the current contract manager can hand the role on")
		}
		res := tx.Model(&contractRow{}).Where("id = ? AND contract_manager = ?", contractID, r.ContractManager).Update("contract_manager", next)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return db.Errorf(db.ErrStale, "contract_changed", "the contract changed concurrently")
		}
		r.ContractManager = next
		out = r.toDomain()
		return nil
	})
	if err != nil {
		return db.Contract{}, fmt.Errorf("set contract manager: %w", err)
	}
	return out, nil
}
