package gormdb

import (
	"context"
	"errors"
	"strconv"

	"gorm.io/gorm"
)

// foldAt is how many rows of user_count_deltas a team may gather before a
// count folds them into one: summing stays a read of at most about this
// many index entries, whatever the team's size.
const foldAt = 1000

// foldPart is how many ids one DELETE of a fold names.
const foldPart = 500

// userCount is the number of users of a team: the sum of its rows in
// user_count_deltas, which triggers on users keep in the transaction of
// every insert and delete (migration 00068), so it equals
// SELECT COUNT(*) FROM users WHERE team_id = ? after any write, at a cost
// that does not grow with the team. When the team's rows pile up it folds
// them (a small write; a failed fold only leaves the rows for the next).
func (s *Store) userCount(ctx context.Context, teamID string) (int64, error) {
	var r struct {
		N   int64
		Cnt int64
	}
	if err := s.conn(ctx).Raw("SELECT COALESCE(SUM(delta), 0) AS n, COUNT(*) AS cnt FROM user_count_deltas WHERE team_id = ?", teamID).Scan(&r).Error; err != nil {
		return 0, err
	}
	if r.Cnt > foldAt {
		if err := s.foldUserCount(ctx, teamID); err != nil {
			s.log.Warn("fold user count", "team", teamID, "err", err)
		}
	}
	return r.N, nil
}

var errFoldRaced = errors.New("user count fold raced another fold")

// foldUserCount replaces up to foldAt×4 of a team's delta rows by one row of
// their sum, in one transaction. It deletes exactly the rows it read, by id,
// and rolls back if any was already gone (a concurrent fold took it), so no
// row is lost or counted twice. It takes no locking read: a range lock on
// MariaDB deadlocked concurrent creates, which insert rows into the range.
func (s *Store) foldUserCount(ctx context.Context, teamID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var rows []struct {
			ID    int64
			Delta int64
		}
		// Any of the team's rows will do, so no ORDER BY: ordered by id, a
		// million-row backlog (a bulk import leaves a row per user) was
		// sorted in full on SQLite, whose team index is (team_id, delta).
		q := "SELECT id, delta FROM user_count_deltas WHERE team_id = ? LIMIT " + strconv.Itoa(4*foldAt)
		if err := tx.Raw(q, teamID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) < 2 {
			return nil
		}
		var sum int64
		ids := make([]int64, len(rows))
		for i, r := range rows {
			sum += r.Delta
			ids[i] = r.ID
		}
		for i := 0; i < len(ids); i += foldPart {
			part := ids[i:min(i+foldPart, len(ids))]
			// Always foldPart placeholders (the last part repeats its last
			// id; IN ignores the repeat): one statement text, where the ids
			// written into the SQL made every fold a new prepared statement
			// that the store kept for good — about 150 bytes of SQLite
			// memory per folded row, 150 MB after seeding 1,000,000 users.
			// By id alone (the ids are this team's, read above): with
			// team_id in it SQLite's planner, which has no statistics,
			// took the team index and read every row of the backlog for
			// each part — 84 % of the server's CPU while a million-user
			// backlog drained.
			res := tx.Exec("DELETE FROM user_count_deltas WHERE id IN ?", padTo(part, foldPart))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != int64(len(part)) {
				return errFoldRaced // another fold took some of them: roll back, sum nothing twice
			}
		}
		return tx.Exec("INSERT INTO user_count_deltas (team_id, delta) VALUES (?, ?)", teamID, sum).Error
	})
}
