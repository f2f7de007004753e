package gormdb

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// eventRow is one row of the transactional outbox (migration 00030).
type eventRow struct {
	ID         int64     `gorm:"primaryKey;autoIncrement"`
	TeamID     string    `gorm:"size:36;not null"`
	At         time.Time `gorm:"not null"`
	Type       string    `gorm:"size:64;not null"`
	AuditID    int64     `gorm:"not null"`
	TargetKind string    `gorm:"size:32;not null"`
	TargetID   string    `gorm:"size:64;not null"`
	Payload    string    `gorm:"type:text;not null"`
}

func (eventRow) TableName() string { return "events" }

// eventVerbs turn an audit action's verb into the event's past tense.
var eventVerbs = map[string]string{"create": "created", "update": "updated", "delete": "deleted",
	"deactivate": "deactivated", "set": "changed", "revoke": "revoked", "add": "added", "retire": "retired",
	"members": "members_changed", "set_type": "type_changed", "revert_exception": "exception_reverted",
	"domains": "domains_changed", "conflict": "conflict"}

// eventType names the event of an audit action: "user.create" becomes
// "user.created", "admin.set" becomes "role.changed".
func eventType(action string) string {
	if action == "admin.set" {
		return "role.changed"
	}
	i := strings.LastIndexByte(action, '.')
	if i < 0 {
		return action
	}
	if v, ok := eventVerbs[action[i+1:]]; ok {
		return action[:i+1] + v
	}
	return action
}

// eventOf is the outbox row of an audit row that has its id.
func eventOf(a *auditRow) (eventRow, error) {
	details := json.RawMessage("{}")
	if strings.TrimSpace(a.Details) != "" && json.Valid([]byte(a.Details)) {
		details = json.RawMessage(a.Details)
	}
	p, err := json.Marshal(map[string]any{
		"target":  map[string]string{"kind": a.TargetKind, "id": a.TargetID},
		"actor":   map[string]string{"kind": a.ActorKind, "id": a.ActorID, "name": a.ActorName},
		"action":  a.Action,
		"details": details,
	})
	if err != nil {
		return eventRow{}, err
	}
	return eventRow{TeamID: a.TeamID, At: a.At, Type: eventType(a.Action), AuditID: a.ID,
		TargetKind: a.TargetKind, TargetID: a.TargetID, Payload: string(p)}, nil
}

// writeAudits inserts audit rows and, in the same transaction (tx), their
// events: the one place audit rows are written (the audit helper, the
// writer's batches and Store.Audit all call it), so no audited change
// lacks its event.
func writeAudits(tx *gorm.DB, rows []auditRow) error {
	if len(rows) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(rows, 200).Error; err != nil {
		return err
	}
	evs := make([]eventRow, len(rows))
	for i := range rows {
		if rows[i].ID == 0 {
			return fmt.Errorf("audit row without an id after insert")
		}
		e, err := eventOf(&rows[i])
		if err != nil {
			return err
		}
		evs[i] = e
	}
	return tx.CreateInBatches(evs, 200).Error
}

// ListEvents implements db.Store.
func (s *Store) ListEvents(ctx context.Context, teamID string, after int64, limit int) ([]db.Event, error) {
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		limit = 1000
	}
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("team_id = ? AND id > ?", teamID, after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list events: %w", translate(err))
	}
	out := make([]db.Event, len(rows))
	for i, r := range rows {
		out[i] = db.Event{ID: r.ID, TeamID: r.TeamID, At: r.At.UTC(), Type: r.Type, AuditID: r.AuditID,
			TargetKind: r.TargetKind, TargetID: r.TargetID, Payload: r.Payload}
	}
	return out, nil
}
