package gormdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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

// eventOf is the outbox row of an audit row that has its id; resource is
// the affected resource as the admin API shows it (nil: a kind without a
// view, see resourceViews).
func eventOf(a *auditRow, resource any) (eventRow, error) {
	details := json.RawMessage("{}")
	if strings.TrimSpace(a.Details) != "" && json.Valid([]byte(a.Details)) {
		details = json.RawMessage(a.Details)
	}
	p, err := json.Marshal(map[string]any{
		"target":   map[string]string{"kind": a.TargetKind, "id": a.TargetID},
		"actor":    map[string]string{"kind": a.ActorKind, "id": a.ActorID, "name": a.ActorName},
		"action":   a.Action,
		"details":  details,
		"resource": resource,
	})
	if err != nil {
		return eventRow{}, err
	}
	return eventRow{TeamID: a.TeamID, At: a.At, Type: db.EventTypeOf(a.Action), AuditID: a.ID,
		TargetKind: a.TargetKind, TargetID: a.TargetID, Payload: string(p)}, nil
}

// writeAudits inserts audit rows and, in the same transaction (tx), their
// events, each with its resource's view read in that transaction, and the
// webhook deliveries of those events: the one place audit rows are written
// (the audit helper, the writer's batches and Store.Audit all call it), so
// no audited change lacks its event, and no event its deliveries.
func (s *Store) writeAudits(tx *gorm.DB, rows []auditRow) error {
	if len(rows) == 0 {
		return nil
	}
	if len(rows) == 1 {
		// The common case (one audited change): plain statements, without
		// gorm's reflection (issue 15: it was half of the audit's cost).
		id, err := s.insertReturningID(tx, insertAuditSQL, rows[0].TeamID, rows[0].At, rows[0].ActorKind, rows[0].ActorID,
			rows[0].ActorName, rows[0].Action, rows[0].TargetKind, rows[0].TargetID, rows[0].Details)
		if err != nil {
			return err
		}
		rows[0].ID = id
	} else if err := createInParts(tx, rows, 256); err != nil {
		return err
	}
	views, err := s.resourceViews(tx, rows)
	if err != nil {
		return err
	}
	evs := make([]eventRow, len(rows))
	for i := range rows {
		if rows[i].ID == 0 {
			return fmt.Errorf("audit row without an id after insert")
		}
		v := rows[i].view
		if v == nil {
			v = views[resourceKey{rows[i].TeamID, rows[i].TargetKind, rows[i].TargetID}]
		}
		e, err := eventOf(&rows[i], v)
		if err != nil {
			return err
		}
		evs[i] = e
	}
	if len(evs) == 1 {
		e := &evs[0]
		id, err := s.insertReturningID(tx, insertEventSQL, e.TeamID, e.At, e.Type, e.AuditID, e.TargetKind, e.TargetID, e.Payload)
		if err != nil {
			return err
		}
		e.ID = id
	} else if err := createInParts(tx, evs, 256); err != nil {
		return err
	}
	return s.enqueueDeliveries(tx, evs)
}

const (
	insertAuditSQL = "INSERT INTO audit_log (team_id, at, actor_kind, actor_id, actor_name, action, target_kind, target_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	insertEventSQL = "INSERT INTO events (team_id, at, type, audit_id, target_kind, target_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?)"
)

// insertReturningID runs a one-row INSERT (with ? placeholders) into a table
// whose id is auto-incremented, on tx's connection (so on SQLite's writer
// connection its prepared statement is reused), through the text guard,
// and returns the new row's id.
func (s *Store) insertReturningID(tx *gorm.DB, query string, args ...any) (int64, error) {
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	pool := textGuard{tx.Statement.ConnPool}
	if s.dialect == Postgres {
		var id int64
		err := pool.QueryRowContext(ctx, postgresPlaceholders(query)+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := pool.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// postgresPlaceholders numbers ? placeholders as $1, $2, ... (the
// statements here have no ? inside literals).
func postgresPlaceholders(q string) string {
	var sb strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n))
			continue
		}
		sb.WriteByte(q[i])
	}
	return sb.String()
}

type resourceKey struct{ team, kind, id string }

// viewKinds are the audit target kinds with a view: every kind the store
// audits. An audit row of any other kind is refused (Store.Audit with an
// unknown kind is a caller's mistake), so no event carries a null resource.
var viewKinds = map[string]bool{"user": true, "group": true, "team": true, "policy": true, "token": true, "webhook": true,
	"directory_run": true, "directory": true, "sso": true, "sso_key": true, "product": true, "project": true,
	"product_mapping": true, "account": true, "account_member": true, "contract": true}

// SetSSOView gives the store the renderer of a team's SSO configuration as
// the admin API shows it (sso.New calls it with sso.Service.Renderer): the
// resource of sso.* and sso.key.* events, which needs the base URL the
// store does not know.
func (s *Store) SetSSOView(v db.SSOViewer) { s.ssoView.Store(v) }

// resourceViews reads, in tx, the resource of each audit row as the admin
// API shows it: user (also invitation.*, member.*, role.*, console.* and
// subscription.external/internal_seat events, which target a user), group,
// team and policy (the team view, which carries the policy), token,
// webhook, directory_run, directory (the connection), sso and sso_key (the
// team's SSO view, whose sp.keys the key events change), product (also
// subscription.added), project, product_mapping, and on an account
// account, account_member (the role view) and contract. A target that
// does not exist (deleted, or a refused create) gets db.DeletedView. One
// query per kind and team for the team kinds, whatever the count.
func (s *Store) resourceViews(tx *gorm.DB, rows []auditRow) (map[resourceKey]any, error) {
	out := map[resourceKey]any{}
	want := map[resourceKey]bool{}
	ids := map[[2]string][]string{} // (team, kind) -> ids
	for _, r := range rows {
		if r.view != nil {
			continue
		}
		k := resourceKey{r.TeamID, r.TargetKind, r.TargetID}
		if !viewKinds[r.TargetKind] {
			return nil, db.Errorf(db.ErrInvalid, "target_kind_invalid", "audit target kind %q has no resource view", r.TargetKind)
		}
		if !want[k] {
			want[k] = true
			ids[[2]string{r.TeamID, r.TargetKind}] = append(ids[[2]string{r.TeamID, r.TargetKind}], r.TargetID)
		}
	}
	for tk, list := range ids {
		team, kind := tk[0], tk[1]
		for _, part := range chunks(list, 500) {
			if err := s.loadViews(tx, team, kind, part, out); err != nil {
				return nil, err
			}
		}
	}
	for k := range want {
		if _, ok := out[k]; !ok {
			out[k] = db.DeletedView{Kind: k.kind, ID: k.id, Deleted: true}
		}
	}
	return out, nil
}

func (s *Store) loadViews(tx *gorm.DB, team, kind string, ids []string, out map[resourceKey]any) error {
	put := func(id string, v any) { out[resourceKey{team, kind, id}] = v }
	switch kind {
	case "user":
		var us []userRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&us).Error; err != nil {
			return err
		}
		if len(us) == 0 {
			return nil
		}
		_, mode, err := teamMode(tx, team)
		if err != nil {
			return err
		}
		emails := make([]string, len(us))
		for i := range us {
			emails[i] = us[i].Email
		}
		cl, err := s.classifierFor(tx, team, mode, emails)
		if err != nil {
			return err
		}
		for i := range us {
			u := us[i].toDomain()
			var exp db.UserType
			if !u.AdminRole.IsAdmin() {
				exp = s.classifyWith(cl, u.Email, u.Source)
			}
			put(u.ID, db.UserViewOf(u, exp))
		}
	case "group":
		var gs []groupRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&gs).Error; err != nil {
			return err
		}
		for i := range gs {
			put(gs[i].ID, db.GroupViewOf(gs[i].toDomain()))
		}
	case "team", "policy":
		for _, id := range ids {
			var r teamRow
			if err := tx.Where("id = ?", id).Limit(1).Find(&r).Error; err != nil {
				return err
			}
			if r.ID == "" {
				continue
			}
			p, err := loadPolicy(tx, &r)
			if err != nil {
				return err
			}
			put(id, db.TeamViewOf(db.Team{ID: r.ID, AccountID: r.AccountID, Name: r.Name, PrimaryUserID: r.PrimaryUserID,
				Policy: p, CreatedAt: r.CreatedAt.UTC()}))
		}
	case "token":
		var ts []tokenRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&ts).Error; err != nil {
			return err
		}
		for i := range ts {
			put(ts[i].ID, db.TokenViewOf(ts[i].toDomain()))
		}
	case "directory_run":
		var rs []dirRunRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&rs).Error; err != nil {
			return err
		}
		for i := range rs {
			put(strconv.FormatInt(rs[i].ID, 10), db.DirectoryRunViewOf(rs[i].toDomain()))
		}
	case "directory":
		var cs []dirConnRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&cs).Error; err != nil {
			return err
		}
		for i := range cs {
			put(cs[i].ID, db.DirectoryConnectionViewOf(cs[i].toDomain()))
		}
	case "sso", "sso_key":
		// The team's SSO view (GET /teams/{team}/sso), once per team.
		var r ssoConfigRow
		if err := tx.Where("team_id = ?", team).Limit(1).Find(&r).Error; err != nil {
			return err
		}
		if r.TeamID == "" {
			return nil
		}
		c, err := ssoConfigFromRow(r)
		if err != nil {
			return err
		}
		keys, err := ssoKeys(tx, team)
		if err != nil {
			return err
		}
		render, _ := s.ssoView.Load().(db.SSOViewer)
		if render == nil {
			return errors.New("sso change on a store without an SSO renderer (sso.New gives it one: Store.SetSSOView)")
		}
		v := render(c, keys)
		for _, id := range ids {
			put(id, v)
		}
	case "product":
		var ps []productRow
		if err := tx.Where("team_id = ? AND product_key IN ?", team, ids).Find(&ps).Error; err != nil {
			return err
		}
		for i := range ps {
			put(ps[i].ProductKey, db.ProductViewOf(ps[i].toDomain()))
		}
	case "project":
		var ps []projectRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&ps).Error; err != nil {
			return err
		}
		for i := range ps {
			put(ps[i].ID, db.ProjectViewOf(db.Project{ID: ps[i].ID, TeamID: ps[i].TeamID, Name: ps[i].Name}))
		}
	case "product_mapping":
		for _, id := range ids {
			ms, err := s.mappings(tx, team, id)
			if db.IsClientError(err) {
				continue // removed: DeletedView
			}
			if err != nil {
				return err
			}
			put(id, db.ProductMappingViewOf(ms[0]))
		}
	case "account":
		for _, id := range ids {
			info, err := s.accountInfo(tx, id)
			if db.IsClientError(err) {
				continue
			}
			if err != nil {
				return err
			}
			put(id, db.AccountInfoViewOf(info))
		}
	case "account_member":
		var ms []accountMemberRow
		if err := tx.Where("account_id = ? AND email_lower IN ?", team, ids).Find(&ms).Error; err != nil {
			return err
		}
		for i := range ms {
			put(ms[i].EmailLower, db.AccountRoleViewOf(ms[i].toDomain()))
		}
	case "contract":
		var cs []contractRow
		if err := tx.Where("account_id = ? AND number IN ?", team, ids).Find(&cs).Error; err != nil {
			return err
		}
		for i := range cs {
			put(cs[i].Number, db.ContractViewOf(cs[i].toDomain()))
		}
	case "webhook":
		var ws []webhookEndpointRow
		if err := tx.Where("team_id = ? AND id IN ?", team, ids).Find(&ws).Error; err != nil {
			return err
		}
		for i := range ws {
			put(ws[i].ID, db.WebhookViewOf(ws[i].toDomain()))
		}
	}
	return nil
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
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

func (r *eventRow) toDomain() db.Event {
	return db.Event{ID: r.ID, TeamID: r.TeamID, At: r.At.UTC(), Type: r.Type, AuditID: r.AuditID,
		TargetKind: r.TargetKind, TargetID: r.TargetID, Payload: r.Payload}
}
