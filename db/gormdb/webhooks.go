package gormdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// webhookEndpointRow is a registered endpoint (migration 00041).
type webhookEndpointRow struct {
	ID            string `gorm:"primaryKey;size:36"`
	TeamID        string `gorm:"size:36;not null"`
	URL           string `gorm:"type:text;not null"`
	Events        string `gorm:"type:text;not null"`
	SealedSecret  string `gorm:"type:text;not null"`
	Enabled       bool   `gorm:"not null"`
	DisabledAt    *time.Time
	LastSuccessAt *time.Time
	CreatedAt     time.Time `gorm:"not null"`
}

func (webhookEndpointRow) TableName() string { return "webhook_endpoints" }

func (r *webhookEndpointRow) toDomain() db.WebhookEndpoint {
	var ev []string
	if r.Events != "" {
		ev = strings.Split(r.Events, ",")
	}
	return db.WebhookEndpoint{ID: r.ID, TeamID: r.TeamID, URL: r.URL, Events: ev, SealedSecret: r.SealedSecret,
		Enabled: r.Enabled, DisabledAt: utcPtr(r.DisabledAt), LastSuccessAt: utcPtr(r.LastSuccessAt), CreatedAt: r.CreatedAt.UTC()}
}

type webhookDeliveryRow struct {
	ID            string    `gorm:"primaryKey;size:36"`
	TeamID        string    `gorm:"size:36;not null"`
	EndpointID    string    `gorm:"size:36;not null"`
	EventID       int64     `gorm:"not null"`
	EventType     string    `gorm:"size:64;not null"`
	Status        string    `gorm:"size:16;not null"`
	Attempts      int       `gorm:"not null"`
	NextAttemptAt time.Time `gorm:"not null"`
	LeaseOwner    string    `gorm:"size:64;not null"`
	LeaseUntil    *time.Time
	LastStatus    int       `gorm:"not null"`
	LastError     string    `gorm:"size:255;not null"`
	ReplayOf      string    `gorm:"size:36;not null"`
	CreatedAt     time.Time `gorm:"not null"`
	UpdatedAt     time.Time `gorm:"not null"`
}

func (webhookDeliveryRow) TableName() string { return "webhook_deliveries" }

func (r *webhookDeliveryRow) toDomain() db.WebhookDelivery {
	return db.WebhookDelivery{ID: r.ID, TeamID: r.TeamID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType,
		Status: r.Status, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt.UTC(), LastStatus: r.LastStatus,
		LastError: r.LastError, ReplayOf: r.ReplayOf, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

type webhookAttemptRow struct {
	DeliveryID     string    `gorm:"primaryKey;size:36"`
	N              int       `gorm:"primaryKey"`
	At             time.Time `gorm:"not null"`
	Owner          string    `gorm:"size:64;not null"`
	Status         int       `gorm:"not null"`
	Error          string    `gorm:"size:255;not null"`
	DurationMS     int64     `gorm:"column:duration_ms;not null"`
	ResponsePrefix string    `gorm:"type:text;not null"`
}

func (webhookAttemptRow) TableName() string { return "webhook_attempts" }

var errWebhookNotFound = db.Errorf(db.ErrNotFound, "webhook_not_found", "no such webhook endpoint in this team")
var errDeliveryNotFound = db.Errorf(db.ErrNotFound, "delivery_not_found", "no such webhook delivery in this team")

// enqueueDeliveries queues, in the events' own transaction, one delivery
// per (event, enabled endpoint of its team whose filter takes it); an
// account-scoped event's teams are every team of the account.
func (s *Store) enqueueDeliveries(tx *gorm.DB, evs []eventRow) error {
	owners := map[string]bool{} // the events' team or account ids
	var accounts []string
	for _, e := range evs {
		if !owners[e.TeamID] && db.AccountScoped(e.Type) {
			accounts = append(accounts, e.TeamID)
		}
		owners[e.TeamID] = true
	}
	// An account-scoped event (account.*, contract.*, notice.*: stored
	// under the account id) goes to the endpoints of every team of the
	// account, each filter deciding: the teams are the account's only
	// endpoints, and an account owner watching any of them expects to see
	// the account's changes (README "Events").
	var teams []teamRow
	if len(accounts) > 0 {
		if err := tx.Select("id", "account_id").Where("account_id IN ?", accounts).Find(&teams).Error; err != nil {
			return err
		}
	}
	recipients := map[string][]string{} // owner id -> team ids whose endpoints get its events
	ids := map[string]bool{}
	for t := range owners {
		recipients[t] = []string{t}
		ids[t] = true
	}
	for _, t := range teams {
		if t.ID != t.AccountID {
			recipients[t.AccountID] = append(recipients[t.AccountID], t.ID)
			ids[t.ID] = true
		}
	}
	all := make([]string, 0, len(ids))
	for t := range ids {
		all = append(all, t)
	}
	// Most teams have no enabled endpoint: a plain existence check first,
	// without gorm's reflection (issue 15: the Find was 3 % of a create).
	var n int
	if err := tx.Raw("SELECT COUNT(*) FROM webhook_endpoints WHERE team_id IN ? AND enabled = ?", all, true).Row().Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	var eps []webhookEndpointRow
	if err := tx.Where("team_id IN ? AND enabled = ?", all, true).Find(&eps).Error; err != nil {
		return err
	}
	if len(eps) == 0 {
		return nil
	}
	byTeam := map[string][]int{}
	for i := range eps {
		byTeam[eps[i].TeamID] = append(byTeam[eps[i].TeamID], i)
	}
	now := s.nowUTC()
	var ds []webhookDeliveryRow
	for _, e := range evs {
		for _, team := range recipients[e.TeamID] {
			for _, i := range byTeam[team] {
				if eps[i].toDomain().Wants(e.Type) {
					ds = append(ds, webhookDeliveryRow{ID: newID(), TeamID: team, EndpointID: eps[i].ID, EventID: e.ID,
						EventType: e.Type, Status: db.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
				}
			}
		}
	}
	if len(ds) == 0 {
		return nil
	}
	return createInParts(tx, ds, 256)
}

// CreateWebhook implements db.WebhookStore.
func (s *Store) CreateWebhook(ctx context.Context, teamID string, in db.NewWebhook, by db.Actor) (db.WebhookEndpoint, error) {
	if err := db.ValidateWebhookURL(in.URL); err != nil {
		return db.WebhookEndpoint{}, err
	}
	events := dedupe(in.Events)
	if err := db.ValidateWebhookEvents(events); err != nil {
		return db.WebhookEndpoint{}, err
	}
	if !strings.HasPrefix(in.SealedSecret, "v1:") {
		return db.WebhookEndpoint{}, db.Errorf(db.ErrInvalid, "secret_invalid", "a webhook needs a sealed secret (db.NewWebhookSecret)")
	}
	r := webhookEndpointRow{ID: newID(), TeamID: teamID, URL: in.URL, Events: strings.Join(events, ","),
		SealedSecret: in.SealedSecret, Enabled: true, CreatedAt: s.nowUTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, teamID); err != nil {
			return err
		}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "webhook.create", "webhook", r.ID, map[string]any{"url": r.URL, "events": events})
	})
	if err != nil {
		return db.WebhookEndpoint{}, fmt.Errorf("create webhook: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListWebhooks implements db.WebhookStore.
func (s *Store) ListWebhooks(ctx context.Context, teamID string) ([]db.WebhookEndpoint, error) {
	var rows []webhookEndpointRow
	if err := s.conn(ctx).Where("team_id = ?", teamID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list webhooks: %w", translate(err))
	}
	out := make([]db.WebhookEndpoint, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

func (s *Store) webhookTx(tx *gorm.DB, teamID, id string) (webhookEndpointRow, error) {
	var r webhookEndpointRow
	if err := tx.Where("team_id = ? AND id = ?", teamID, id).Limit(1).Find(&r).Error; err != nil {
		return r, err
	}
	if r.ID == "" {
		return r, errWebhookNotFound
	}
	return r, nil
}

// DeleteWebhook implements db.WebhookStore.
func (s *Store) DeleteWebhook(ctx context.Context, teamID, endpointID string, by db.Actor) (db.WebhookEndpoint, error) {
	var r webhookEndpointRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if r, err = s.webhookTx(tx, teamID, endpointID); err != nil {
			return err
		}
		var dids []string
		if err := tx.Model(&webhookDeliveryRow{}).Where("endpoint_id = ?", r.ID).Pluck("id", &dids).Error; err != nil {
			return err
		}
		for _, part := range chunks(dids, 500) {
			if err := tx.Where("delivery_id IN ?", part).Delete(&webhookAttemptRow{}).Error; err != nil {
				return err
			}
		}
		if err := tx.Where("endpoint_id = ?", r.ID).Delete(&webhookDeliveryRow{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&r).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "webhook.delete", "webhook", r.ID, map[string]string{"url": r.URL})
	})
	if err != nil {
		return db.WebhookEndpoint{}, fmt.Errorf("delete webhook: %w", translate(err))
	}
	return r.toDomain(), nil
}

// EnableWebhook implements db.WebhookStore.
func (s *Store) EnableWebhook(ctx context.Context, teamID, endpointID string, by db.Actor) (db.WebhookEndpoint, error) {
	var r webhookEndpointRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if r, err = s.webhookTx(tx, teamID, endpointID); err != nil {
			return err
		}
		if r.Enabled {
			return nil
		}
		r.Enabled, r.DisabledAt = true, nil
		if err := tx.Model(&webhookEndpointRow{}).Where("id = ?", r.ID).Updates(map[string]any{"enabled": true, "disabled_at": nil}).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "webhook.enable", "webhook", r.ID, map[string]string{"url": r.URL})
	})
	if err != nil {
		return db.WebhookEndpoint{}, fmt.Errorf("enable webhook: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListDeliveries implements db.WebhookStore.
func (s *Store) ListDeliveries(ctx context.Context, teamID string, q db.DeliveryQuery) ([]db.WebhookDelivery, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	g := s.conn(ctx).Where("team_id = ?", teamID)
	if q.EndpointID != "" {
		g = g.Where("endpoint_id = ?", q.EndpointID)
	}
	if q.EventID != 0 {
		g = g.Where("event_id = ?", q.EventID)
	}
	var rows []webhookDeliveryRow
	if err := g.Order("created_at DESC, event_id DESC, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list deliveries: %w", translate(err))
	}
	out := make([]db.WebhookDelivery, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// DeliveryAttempts implements db.WebhookStore.
func (s *Store) DeliveryAttempts(ctx context.Context, teamID, deliveryID string) ([]db.WebhookAttempt, error) {
	g := s.conn(ctx)
	var d webhookDeliveryRow
	if err := g.Where("team_id = ? AND id = ?", teamID, deliveryID).Limit(1).Find(&d).Error; err != nil {
		return nil, fmt.Errorf("delivery attempts: %w", translate(err))
	}
	if d.ID == "" {
		return nil, errDeliveryNotFound
	}
	var rows []webhookAttemptRow
	if err := g.Where("delivery_id = ?", d.ID).Order("n").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("delivery attempts: %w", translate(err))
	}
	out := make([]db.WebhookAttempt, len(rows))
	for i, r := range rows {
		out[i] = db.WebhookAttempt{DeliveryID: r.DeliveryID, N: r.N, At: r.At.UTC(), Owner: r.Owner, Status: r.Status,
			Error: r.Error, DurationMS: r.DurationMS, ResponsePrefix: r.ResponsePrefix}
	}
	return out, nil
}

// replay queues event ev to endpoint ep as a new delivery due now.
func (s *Store) replay(tx *gorm.DB, teamID string, ep webhookEndpointRow, eventID int64, replayOf string, by db.Actor) (webhookDeliveryRow, error) {
	// The team's events and its account's (which its endpoints receive too).
	var team teamRow
	if err := tx.Select("id", "account_id").Where("id = ?", teamID).Limit(1).Find(&team).Error; err != nil {
		return webhookDeliveryRow{}, err
	}
	var ev eventRow
	if err := tx.Where("team_id IN ? AND id = ?", []string{teamID, team.AccountID}, eventID).Limit(1).Find(&ev).Error; err != nil {
		return webhookDeliveryRow{}, err
	}
	if ev.ID == 0 {
		return webhookDeliveryRow{}, db.Errorf(db.ErrNotFound, "event_not_found", "no such event in this team")
	}
	if !ep.Enabled {
		return webhookDeliveryRow{}, db.Errorf(db.ErrRule, "webhook_disabled", "the endpoint is disabled; enable it first")
	}
	now := s.nowUTC()
	d := webhookDeliveryRow{ID: newID(), TeamID: teamID, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type,
		Status: db.DeliveryPending, NextAttemptAt: now, ReplayOf: replayOf, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&d).Error; err != nil {
		return d, err
	}
	return d, s.audit(tx, teamID, by, "webhook.replay", "webhook", ep.ID, map[string]any{"event_id": ev.ID, "delivery_id": d.ID, "replay_of": replayOf})
}

// ReplayDelivery implements db.WebhookStore.
func (s *Store) ReplayDelivery(ctx context.Context, teamID, deliveryID string, by db.Actor) (db.WebhookDelivery, error) {
	var d webhookDeliveryRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var old webhookDeliveryRow
		if err := tx.Where("team_id = ? AND id = ?", teamID, deliveryID).Limit(1).Find(&old).Error; err != nil {
			return err
		}
		if old.ID == "" {
			return errDeliveryNotFound
		}
		ep, err := s.webhookTx(tx, teamID, old.EndpointID)
		if err != nil {
			return err
		}
		d, err = s.replay(tx, teamID, ep, old.EventID, old.ID, by)
		return err
	})
	if err != nil {
		return db.WebhookDelivery{}, fmt.Errorf("replay delivery: %w", translate(err))
	}
	return d.toDomain(), nil
}

// ReplayEvent implements db.WebhookStore.
func (s *Store) ReplayEvent(ctx context.Context, teamID, endpointID string, eventID int64, by db.Actor) (db.WebhookDelivery, error) {
	var d webhookDeliveryRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ep, err := s.webhookTx(tx, teamID, endpointID)
		if err != nil {
			return err
		}
		d, err = s.replay(tx, teamID, ep, eventID, "", by)
		return err
	})
	if err != nil {
		return db.WebhookDelivery{}, fmt.Errorf("replay event: %w", translate(err))
	}
	return d.toDomain(), nil
}

// ClaimDeliveries implements db.WebhookDispatchStore: candidates are read
// without locks, then each is taken by one conditional UPDATE (status still
// pending and due, lease absent or expired) that only one dispatcher can win; this
// works the same on SQLite, PostgreSQL and MariaDB.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]db.DeliveryJob, error) {
	if limit <= 0 {
		limit = 10
	}
	now = now.UTC().Truncate(time.Millisecond)
	until := now.Add(lease)
	g := s.conn(ctx)
	var cand []string
	err := g.Model(&webhookDeliveryRow{}).
		Joins("JOIN webhook_endpoints ON webhook_endpoints.id = webhook_deliveries.endpoint_id").
		Where("webhook_deliveries.status = ? AND webhook_deliveries.next_attempt_at <= ? AND (webhook_deliveries.lease_until IS NULL OR webhook_deliveries.lease_until < ?) AND webhook_endpoints.enabled = ?",
			db.DeliveryPending, now, now, true).
		Order("webhook_deliveries.next_attempt_at, webhook_deliveries.event_id, webhook_deliveries.id").Limit(2*limit).
		Pluck("webhook_deliveries.id", &cand).Error
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", translate(err))
	}
	var jobs []db.DeliveryJob
	for _, id := range cand {
		if len(jobs) == limit {
			break
		}
		res := g.Model(&webhookDeliveryRow{}).
			// The candidate read is not locked: between it and this UPDATE
			// another dispatcher may have made the attempt and rescheduled
			// it, so the row must still be due as well as unleased.
			Where("id = ? AND status = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)", id, db.DeliveryPending, now, now).
			Updates(map[string]any{"lease_owner": owner, "lease_until": until})
		if res.Error != nil {
			return jobs, fmt.Errorf("claim deliveries: %w", translate(res.Error))
		}
		if res.RowsAffected != 1 {
			continue // another dispatcher took it
		}
		j, err := s.jobOf(g, id)
		if err != nil {
			return jobs, fmt.Errorf("claim deliveries: %w", translate(err))
		}
		j.LeaseUntil = until
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func (s *Store) jobOf(g *gorm.DB, id string) (db.DeliveryJob, error) {
	var d webhookDeliveryRow
	if err := g.Take(&d, "id = ?", id).Error; err != nil {
		return db.DeliveryJob{}, err
	}
	var ep webhookEndpointRow
	if err := g.Take(&ep, "id = ?", d.EndpointID).Error; err != nil {
		return db.DeliveryJob{}, err
	}
	var ev eventRow
	if err := g.Take(&ev, "id = ?", d.EventID).Error; err != nil {
		return db.DeliveryJob{}, err
	}
	return db.DeliveryJob{Delivery: d.toDomain(), URL: ep.URL, SealedSecret: ep.SealedSecret, Event: ev.toDomain()}, nil
}

// FinishAttempt implements db.WebhookDispatchStore.
func (s *Store) FinishAttempt(ctx context.Context, owner string, job db.DeliveryJob, r db.AttemptResult) error {
	d := job.Delivery
	n := d.Attempts + 1
	status, next := db.DeliveryPending, d.NextAttemptAt
	switch {
	case r.Delivered:
		status = db.DeliveryDelivered
	case r.NextAt == nil:
		status = db.DeliveryFailed
	default:
		next = r.NextAt.UTC().Truncate(time.Millisecond)
	}
	a := r.Attempt
	if len(a.ResponsePrefix) > db.WebhookResponsePrefix {
		a.ResponsePrefix = a.ResponsePrefix[:db.WebhookResponsePrefix]
	}
	a.ResponsePrefix = strings.ToValidUTF8(strings.ReplaceAll(a.ResponsePrefix, "\x00", ""), "")
	if len(a.Error) > 255 {
		a.Error = a.Error[:255]
	}
	at := a.At.UTC().Truncate(time.Millisecond)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&webhookDeliveryRow{}).Where("id = ? AND lease_owner = ? AND attempts = ? AND status = ?", d.ID, owner, d.Attempts, db.DeliveryPending).
			Updates(map[string]any{"attempts": n, "status": status, "next_attempt_at": next, "last_status": a.Status,
				"last_error": a.Error, "lease_owner": "", "lease_until": nil, "updated_at": s.nowUTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return db.Errorf(db.ErrConflict, "lease_lost", "the delivery's lease is no longer held by %s", owner)
		}
		if err := tx.Create(&webhookAttemptRow{DeliveryID: d.ID, N: n, At: at, Owner: owner, Status: a.Status,
			Error: a.Error, DurationMS: a.DurationMS, ResponsePrefix: a.ResponsePrefix}).Error; err != nil {
			return err
		}
		switch status {
		case db.DeliveryDelivered:
			return tx.Model(&webhookEndpointRow{}).Where("id = ?", d.EndpointID).Update("last_success_at", at).Error
		case db.DeliveryFailed:
			return s.disableIfFailing(tx, d, at)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish attempt: %w", translate(err))
	}
	return nil
}

// disableIfFailing disables the delivery's endpoint when it had no success
// since the delivery was created: it failed the whole retry schedule. The
// audit row makes the webhook.disabled event for the team's admins.
func (s *Store) disableIfFailing(tx *gorm.DB, d db.WebhookDelivery, at time.Time) error {
	var ep webhookEndpointRow
	if err := tx.Where("id = ?", d.EndpointID).Limit(1).Find(&ep).Error; err != nil {
		return err
	}
	if ep.ID == "" || !ep.Enabled || (ep.LastSuccessAt != nil && !ep.LastSuccessAt.Before(d.CreatedAt)) {
		return nil
	}
	if err := tx.Model(&webhookEndpointRow{}).Where("id = ?", ep.ID).Updates(map[string]any{"enabled": false, "disabled_at": at}).Error; err != nil {
		return err
	}
	return s.audit(tx, ep.TeamID, db.Actor{Kind: db.ActorWebhooks, ID: "dispatcher", Name: "webhook dispatcher"},
		"webhook.disable", "webhook", ep.ID, map[string]any{"url": ep.URL, "delivery_id": d.ID, "attempts": d.Attempts + 1})
}

var (
	_ db.WebhookStore         = (*Store)(nil)
	_ db.WebhookDispatchStore = (*Store)(nil)
)

// PruneDeliveries implements db.WebhookPruneStore.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ids []string
	if err := s.conn(ctx).Model(&webhookDeliveryRow{}).Where("status IN ? AND updated_at < ?",
		[]string{db.DeliveryDelivered, db.DeliveryFailed}, before.UTC()).Order("updated_at").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", translate(err))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		n = 0
		if err := tx.Where("delivery_id IN ?", ids).Delete(&webhookAttemptRow{}).Error; err != nil {
			return err
		}
		// The status check again: a replica may have replayed nothing into
		// these rows, but a row is only ever deleted finished.
		r := tx.Where("id IN ? AND status IN ?", ids, []string{db.DeliveryDelivered, db.DeliveryFailed}).Delete(&webhookDeliveryRow{})
		n = int(r.RowsAffected)
		return r.Error
	})
	if err != nil {
		return 0, fmt.Errorf("prune deliveries: %w", translate(err))
	}
	return n, nil
}

// PruneEvents implements db.WebhookPruneStore.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ids []int64
	if err := s.conn(ctx).Model(&eventRow{}).Where("at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id)",
		before.UTC()).Order("id").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("prune events: %w", translate(err))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r := tx.Where("id IN ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id)", ids).Delete(&eventRow{})
		n = int(r.RowsAffected)
		return r.Error
	})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", translate(err))
	}
	return n, nil
}
