package gormdb

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/roster-dev/roster/db"
)

// throttleRow is one failed attempt (migration 00047).
type throttleRow struct {
	ID  int64     `gorm:"primaryKey;autoIncrement"`
	Key string    `gorm:"column:key_hash;size:64;not null"`
	At  time.Time `gorm:"not null"`
}

func (throttleRow) TableName() string { return "console_throttle" }

var _ db.ThrottleStore = (*Store)(nil)

// RecordFailure implements db.ThrottleStore.
func (s *Store) RecordFailure(ctx context.Context, key []byte, at, since time.Time) (int, error) {
	k := hex.EncodeToString(key)
	if err := s.conn(ctx).Where("key_hash = ? AND at < ?", k, since.UTC()).Delete(&throttleRow{}).Error; err != nil {
		return 0, fmt.Errorf("record failure: %w", translate(err))
	}
	if err := s.conn(ctx).Create(&throttleRow{Key: k, At: at.UTC().Truncate(time.Millisecond)}).Error; err != nil {
		return 0, fmt.Errorf("record failure: %w", translate(err))
	}
	return s.CountFailures(ctx, key, since)
}

// CountFailures implements db.ThrottleStore.
func (s *Store) CountFailures(ctx context.Context, key []byte, since time.Time) (int, error) {
	var n int64
	if err := s.conn(ctx).Model(&throttleRow{}).Where("key_hash = ? AND at >= ?", hex.EncodeToString(key), since.UTC()).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count failures: %w", translate(err))
	}
	return int(n), nil
}

// ClearFailures implements db.ThrottleStore.
func (s *Store) ClearFailures(ctx context.Context, key []byte) error {
	if err := s.conn(ctx).Where("key_hash = ?", hex.EncodeToString(key)).Delete(&throttleRow{}).Error; err != nil {
		return fmt.Errorf("clear failures: %w", translate(err))
	}
	return nil
}
