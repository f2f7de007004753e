package gormdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

var _ db.SeatStore = (*Store)(nil)

type subscriptionRow struct {
	ID         string `gorm:"primaryKey"`
	TeamID     string
	ProductKey string
	Seats      int
	CreatedAt  time.Time
}

func (subscriptionRow) TableName() string { return "subscriptions" }

type externalSubscriptionRow struct {
	UserID     string `gorm:"primaryKey"`
	ProductKey string `gorm:"primaryKey"`
	TeamID     string
	// InternalSeat is 1 when the external subscriber holds an internal seat
	// anyway (migration 00042), so their access survives the external
	// subscription's end.
	InternalSeat int
}

func (externalSubscriptionRow) TableName() string { return "external_subscriptions" }

// seatsOf is a product's seats (nil: no subscription, no limit), how many
// users use one (access to it and no external subscription, or an external
// one with an internal seat anyway) and how many users with access hold an
// external subscription, in tx.
func seatsOf(tx *gorm.DB, teamID, key string) (*int, int, int, error) {
	var subs []subscriptionRow
	if err := tx.Where("team_id = ? AND product_key = ?", teamID, key).Find(&subs).Error; err != nil {
		return nil, 0, 0, err
	}
	var seats *int
	if len(subs) > 0 {
		n := 0
		for _, s := range subs {
			n += s.Seats
		}
		seats = &n
	}
	var used, external int64
	if err := tx.Raw("SELECT COUNT(DISTINCT a.user_id) FROM project_access a WHERE a.team_id = ? AND a.product_key = ?"+
		" AND NOT EXISTS (SELECT 1 FROM external_subscriptions e WHERE e.user_id = a.user_id AND e.product_key = a.product_key AND e.internal_seat = 0)", teamID, key).Scan(&used).Error; err != nil {
		return nil, 0, 0, err
	}
	if err := tx.Raw("SELECT COUNT(DISTINCT a.user_id) FROM project_access a JOIN external_subscriptions e ON e.user_id = a.user_id AND e.product_key = a.product_key"+
		" WHERE a.team_id = ? AND a.product_key = ?", teamID, key).Scan(&external).Error; err != nil {
		return nil, 0, 0, err
	}
	return seats, int(used), int(external), nil
}

// seatTx runs fn in a transaction that may take seats (R-MEM-5). Its seat
// check (checkSeats) locks the products' rows and then counts, so on
// MariaDB the transaction reads at READ COMMITTED: under InnoDB's default
// REPEATABLE READ the count would read the snapshot taken at the
// transaction's first read, before a concurrent grant that committed while
// this one waited for the lock. PostgreSQL reads at READ COMMITTED by
// default; SQLite's one writer serialises seat-taking transactions anyway.
func (s *Store) seatTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.dialect != MySQL {
		return s.tx(ctx, fn)
	}
	return translate(s.db.WithContext(ctx).Transaction(fn, &sql.TxOptions{Isolation: sql.LevelReadCommitted}))
}

// lockProducts takes the row locks of the team's products keys (sorted, so
// two transactions lock in one order and never deadlock on them) until the
// transaction ends: every transaction that takes seats of a product holds
// its lock while it counts, so two cannot both take the last seat
// (R-MEM-5). SQLite needs none (one writer).
func (s *Store) lockProducts(tx *gorm.DB, teamID string, keys []string) error {
	if s.dialect == SQLite || len(keys) == 0 {
		return nil
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	var locked []string
	return tx.Raw("SELECT product_key FROM products WHERE team_id = ? AND product_key IN ? ORDER BY product_key FOR UPDATE", teamID, sorted).Scan(&locked).Error
}

// checkSeats refuses (inside the granting transaction, which then rolls
// back) when any of keys now uses more seats than its subscriptions give.
// It locks the products first (lockProducts), so the count it makes cannot
// race another grant's; the transaction must be a seatTx.
func (s *Store) checkSeats(tx *gorm.DB, teamID string, keys []string) error {
	if err := s.lockProducts(tx, teamID, keys); err != nil {
		return err
	}
	for _, k := range keys {
		seats, used, _, err := seatsOf(tx, teamID, k)
		if err != nil {
			return err
		}
		if seats != nil && used > *seats {
			return db.Errorf(db.ErrRule, "seats_exhausted", "all %d seats of %s are in use (R-MEM-5); add a subscription or mark an external subscription", *seats, k)
		}
	}
	return nil
}

// AddSubscription implements db.SeatStore.
func (s *Store) AddSubscription(ctx context.Context, teamID, product string, seats int, by db.Actor) error {
	if seats < 1 {
		return db.Errorf(db.ErrInvalid, "seats_invalid", "seats must be a positive integer")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ps, err := s.resolveProducts(tx, teamID, []string{product})
		if err != nil {
			return err
		}
		row := subscriptionRow{ID: newID(), TeamID: teamID, ProductKey: ps[0].Key, Seats: seats, CreatedAt: s.nowUTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		// A subscription added after access was granted: the grants stay;
		// the report shows used > seats and new grants are refused.
		return s.audit(tx, teamID, by, "subscription.add", "product", row.ProductKey, map[string]any{"seats": seats})
	})
	if err != nil {
		return fmt.Errorf("add subscription: %w", err)
	}
	return nil
}

// SetExternalSubscription implements db.SeatStore. Marking keeps an
// internal seat the user already holds; unmarking keeps the user's access
// and needs a free internal seat unless they held one anyway.
func (s *Store) SetExternalSubscription(ctx context.Context, teamID, userID, product string, on bool, by db.Actor) error {
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		key, ext, err := s.userProductSeat(tx, teamID, userID, product)
		if err != nil {
			return err
		}
		switch {
		case on && ext == nil:
			if err := tx.Create(&externalSubscriptionRow{UserID: userID, ProductKey: key, TeamID: teamID}).Error; err != nil {
				return err
			}
		case !on && ext != nil:
			if err := tx.Where("user_id = ? AND product_key = ?", userID, key).Delete(&externalSubscriptionRow{}).Error; err != nil {
				return err
			}
			if err := s.checkSeats(tx, teamID, []string{key}); err != nil {
				return err
			}
		}
		return s.audit(tx, teamID, by, "subscription.external", "user", userID, map[string]any{"product": key, "on": on})
	})
	if err != nil {
		return fmt.Errorf("set external subscription: %w", err)
	}
	return nil
}

// SetInternalSeat implements db.SeatStore.
func (s *Store) SetInternalSeat(ctx context.Context, teamID, userID, product string, on bool, by db.Actor) error {
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		key, ext, err := s.userProductSeat(tx, teamID, userID, product)
		if err != nil {
			return err
		}
		if ext == nil {
			return db.Errorf(db.ErrRule, "not_external", "the user holds no external subscription to %s, so their access to it already uses an internal seat (R-MEM-5)", key)
		}
		flag := 0
		if on {
			flag = 1
		}
		if err := tx.Model(&externalSubscriptionRow{}).Where("user_id = ? AND product_key = ?", userID, key).Update("internal_seat", flag).Error; err != nil {
			return err
		}
		if on && ext.InternalSeat == 0 {
			if err := s.checkSeats(tx, teamID, []string{key}); err != nil {
				return err
			}
		}
		return s.audit(tx, teamID, by, "subscription.internal_seat", "user", userID, map[string]any{"product": key, "on": on})
	})
	if err != nil {
		return fmt.Errorf("set internal seat: %w", err)
	}
	return nil
}

// userProductSeat resolves the team's user and product (each ErrNotFound
// when missing or another team's) and reads the user's external
// subscription to it (nil: none), under the product's seat lock.
func (s *Store) userProductSeat(tx *gorm.DB, teamID, userID, product string) (string, *externalSubscriptionRow, error) {
	if err := tx.Take(&userRow{}, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", nil, userNotFound(userID)
		}
		return "", nil, err
	}
	ps, err := s.resolveProducts(tx, teamID, []string{product})
	if err != nil {
		return "", nil, err
	}
	key := ps[0].Key
	if err := s.lockProducts(tx, teamID, []string{key}); err != nil {
		return "", nil, err
	}
	var rows []externalSubscriptionRow
	if err := tx.Where("user_id = ? AND product_key = ?", userID, key).Limit(1).Find(&rows).Error; err != nil {
		return "", nil, err
	}
	if len(rows) == 0 {
		return key, nil, nil
	}
	return key, &rows[0], nil
}

// Seats implements db.SeatStore.
func (s *Store) Seats(ctx context.Context, teamID string) ([]db.SeatUsage, error) {
	ps, err := s.ListProducts(ctx, teamID)
	if err != nil {
		return nil, err
	}
	out := make([]db.SeatUsage, len(ps))
	conn := s.conn(ctx)
	for i, p := range ps {
		seats, used, ext, err := seatsOf(conn, teamID, p.Key)
		if err != nil {
			return nil, fmt.Errorf("seats: %w", translate(err))
		}
		out[i] = db.SeatUsage{Product: p.Key, Seats: seats, Used: used, External: ext}
	}
	return out, nil
}
