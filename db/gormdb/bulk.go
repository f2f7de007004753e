package gormdb

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// CreateUsers creates many users of one team in one transaction through the
// writer's batched path (prepareUser, one classifier for the batch,
// queueUser, flush: multi-row INSERTs of the users, their email-index rows,
// audit entries and events), the path a directory batch and team creation
// take. Each user ends exactly as db.UserCreate through Apply leaves it; only
// the statements are fewer. It exists for the scale benchmark's seeder
// (scimbench seed), which must write a million users in minutes; product
// code creates users with Apply. A taken email or userName fails the whole
// batch with db.ErrConflict.
func (s *Store) CreateUsers(ctx context.Context, teamID string, users []db.UserCreate) ([]db.User, error) {
	var out []db.User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The closure may be re-run by SQLite's group commit: start afresh.
		out = make([]db.User, 0, len(users))
		w := &writer{s: s, tx: tx, teamID: teamID}
		emails := make([]string, len(users))
		for i, m := range users {
			u, err := s.prepareUser(teamID, m.User)
			if err != nil {
				return err
			}
			out = append(out, u)
			emails[i] = u.Email
		}
		cl, err := w.classifier(emails)
		if err != nil {
			return err
		}
		for i := range out {
			if err := w.queueUser(&out[i], users[i].Emails, users[i].By, &cl); err != nil {
				return err
			}
		}
		return w.flush()
	})
	if err != nil {
		return nil, fmt.Errorf("create users: %w", translate(err))
	}
	return out, nil
}
