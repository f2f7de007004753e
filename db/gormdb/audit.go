package gormdb

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// Audit implements db.Store.
func (s *Store) Audit(ctx context.Context, e db.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.nowUTC()
	}
	r := auditRow{TeamID: e.TeamID, At: e.At.UTC(), ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID,
		ActorName: e.Actor.Name, Action: e.Action, TargetKind: e.TargetKind, TargetID: e.TargetID, Details: e.Details}
	if err := s.tx(ctx, func(tx *gorm.DB) error { return s.writeAudits(tx, []auditRow{r}) }); err != nil {
		return fmt.Errorf("audit: %w", translate(err))
	}
	return nil
}

// ListAudit implements db.Store.
func (s *Store) ListAudit(ctx context.Context, teamID string, q db.AuditQuery) ([]db.AuditEntry, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var rows []auditRow
	tx := s.conn(ctx).Where("team_id = ?", teamID)
	if q.BeforeID > 0 {
		tx = tx.Where("id < ?", q.BeforeID)
	}
	if err := tx.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list audit: %w", translate(err))
	}
	out := make([]db.AuditEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}
