package gormdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/roster-dev/roster/db"
)

// settingRow is one installation-wide value that processes sharing the
// database tell each other, such as the base URL `roster serve` runs with,
// which the CLI prints in SCIM and API URLs (issue 9 #16c).
type settingRow struct {
	Name      string `gorm:"primaryKey;size:100"` // not "key": a reserved word in MySQL
	Value     string `gorm:"size:2000;not null"`
	UpdatedAt time.Time
}

func (settingRow) TableName() string { return "settings" }

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var r settingRow
	if err := s.conn(ctx).Take(&r, "name = ?", key).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", db.Errorf(db.ErrNotFound, "setting_not_found", "no setting %q", key)
		}
		return "", fmt.Errorf("setting %s: %w", key, translate(err))
	}
	return r.Value, nil
}

// PutSetting stores value under key, replacing any earlier value.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	r := settingRow{Name: key, Value: value, UpdatedAt: s.nowUTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
			DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).Create(&r).Error
	})
	if err != nil {
		return fmt.Errorf("put setting %s: %w", key, err)
	}
	return nil
}
