package gormdb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

var _ db.ProductMappingStore = (*Store)(nil)

// productMappingRow maps a group to a product on a project (migration 00048).
type productMappingRow struct {
	ID         string `gorm:"primaryKey"`
	TeamID     string
	GroupID    string
	ProjectID  string
	ProductKey string
	CreatedAt  time.Time
}

func (productMappingRow) TableName() string { return "product_mappings" }

// findGroupRef resolves a group id or display name (case-insensitive) in the team.
func findGroupRef(tx *gorm.DB, teamID, ref string) (groupRow, error) {
	var rows []groupRow
	if err := tx.Where("team_id = ? AND (id = ? OR display_name_lower = ?)", teamID, ref, lower(ref)).Order("id").Limit(2).Find(&rows).Error; err != nil {
		return groupRow{}, err
	}
	for _, r := range rows {
		if r.ID == ref {
			return r, nil
		}
	}
	if len(rows) == 0 {
		return groupRow{}, db.Errorf(db.ErrNotFound, "group_not_found", "the team has no group %q", ref)
	}
	return rows[0], nil
}

// groupMemberIDs lists a group's member ids.
func groupMemberIDs(tx *gorm.DB, teamID, groupID string) ([]string, error) {
	var ids []string
	err := tx.Model(&memberRow{}).Where("group_id = ? AND team_id = ?", groupID, teamID).Pluck("user_id", &ids).Error
	return ids, err
}

// MapGroup implements db.ProductMappingStore.
func (s *Store) MapGroup(ctx context.Context, teamID, group, project, product string, by db.Actor) (db.ProductMapping, error) {
	var id string
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		g, err := findGroupRef(tx, teamID, strings.TrimSpace(group))
		if err != nil {
			return err
		}
		p, err := findProject(tx, teamID, strings.TrimSpace(project))
		if err != nil {
			return err
		}
		ps, err := s.resolveProducts(tx, teamID, []string{product})
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return db.Errorf(db.ErrInvalid, "product_required", "give the product to map")
		}
		var existing []productMappingRow
		if err := tx.Where("team_id = ? AND group_id = ? AND project_id = ? AND product_key = ?", teamID, g.ID, p.ID, ps[0].Key).Find(&existing).Error; err != nil {
			return err
		}
		if len(existing) > 0 {
			id = existing[0].ID
		} else {
			row := productMappingRow{ID: newID(), TeamID: teamID, GroupID: g.ID, ProjectID: p.ID, ProductKey: ps[0].Key, CreatedAt: s.nowUTC()}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			id = row.ID
		}
		members, err := groupMemberIDs(tx, teamID, g.ID)
		if err != nil {
			return err
		}
		if err := s.reconcileProducts(tx, teamID, members, by); err != nil {
			return err
		}
		if len(existing) > 0 {
			return nil
		}
		// Audited after the reconcile, so the event's resource has the
		// mapping's member and waiting counts as the API answers them.
		return s.audit(tx, teamID, by, "product.mapping.add", "product_mapping", id, map[string]string{
			"group": g.ID, "project": p.ID, "product": ps[0].Key})
	})
	if err != nil {
		return db.ProductMapping{}, fmt.Errorf("map group: %w", err)
	}
	ms, err := s.mappings(s.conn(ctx), teamID, id)
	if err != nil {
		return db.ProductMapping{}, fmt.Errorf("map group: %w", translate(err))
	}
	return ms[0], nil
}

// UnmapGroup implements db.ProductMappingStore.
func (s *Store) UnmapGroup(ctx context.Context, teamID, mappingID string, by db.Actor) error {
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		var row productMappingRow
		if err := tx.Take(&row, "team_id = ? AND id = ?", teamID, mappingID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.Errorf(db.ErrNotFound, "mapping_not_found", "the team has no product mapping %q", mappingID)
			}
			return err
		}
		if err := tx.Delete(&productMappingRow{}, "id = ?", row.ID).Error; err != nil {
			return err
		}
		members, err := groupMemberIDs(tx, teamID, row.GroupID)
		if err != nil {
			return err
		}
		if err := s.reconcileProducts(tx, teamID, members, by); err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "product.mapping.remove", "product_mapping", row.ID, map[string]string{
			"group": row.GroupID, "project": row.ProjectID, "product": row.ProductKey})
	})
	if err != nil {
		return fmt.Errorf("unmap group: %w", err)
	}
	return nil
}

// ProductMappings implements db.ProductMappingStore.
func (s *Store) ProductMappings(ctx context.Context, teamID string) ([]db.ProductMapping, error) {
	out, err := s.mappings(s.conn(ctx), teamID, "")
	if err != nil {
		return nil, fmt.Errorf("product mappings: %w", translate(err))
	}
	return out, nil
}

// mappings lists the team's mappings (only id, if given) with their
// member and waiting counts.
func (s *Store) mappings(conn *gorm.DB, teamID, id string) ([]db.ProductMapping, error) {
	q := "SELECT m.id, m.group_id, g.display_name, m.project_id, p.name, m.product_key, m.created_at," +
		" (SELECT COUNT(*) FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id = m.group_id AND u.status <> ?)," +
		" (SELECT COUNT(*) FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id = m.group_id AND u.status <> ?" +
		" AND NOT EXISTS (SELECT 1 FROM project_access a WHERE a.project_id = m.project_id AND a.user_id = gm.user_id AND a.product_key = m.product_key))" +
		" FROM product_mappings m JOIN " + quoteTable(s.dialect, "groups") + " g ON g.id = m.group_id JOIN projects p ON p.id = m.project_id WHERE m.team_id = ?"
	args := []any{string(db.StatusInactive), string(db.StatusInactive), teamID}
	if id != "" {
		q, args = q+" AND m.id = ?", append(args, id)
	}
	rows, err := conn.Raw(q+" ORDER BY g.display_name_lower, p.name_lower, m.product_key, m.id", args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []db.ProductMapping{}
	for rows.Next() {
		m := db.ProductMapping{TeamID: teamID}
		if err := rows.Scan(&m.ID, &m.GroupID, &m.GroupName, &m.ProjectID, &m.ProjectName, &m.Product, &m.CreatedAt, &m.Members, &m.Waiting); err != nil {
			return nil, err
		}
		m.CreatedAt = m.CreatedAt.UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if id != "" && len(out) == 0 {
		return nil, db.Errorf(db.ErrNotFound, "mapping_not_found", "the team has no product mapping %q", id)
	}
	return out, nil
}

// reconcileProducts is the one place group mappings turn into product
// access: for each of users it makes the origin-group grants match the
// team's mappings of the groups the user is an active member of, in tx
// (the writer's transaction, or a mapping's). A wanted grant beyond the
// product's seats is not made (the mapping reports it as waiting, R-MEM-5);
// a user not on a mapped project joins it at level member with the base
// product (origin group); an origin-manual grant is never touched, and the
// base product stays while the member has any manual grant on the project.
func (s *Store) reconcileProducts(tx *gorm.DB, teamID string, users []string, by db.Actor) error {
	users = dedupe(users)
	if len(users) == 0 {
		return nil
	}
	// One probe in tx, so it sees what the transaction sees on any replica:
	// 0 = the team has no mappings and no group grants (nothing to do, the
	// common case: one query, not two), 1 = no mappings but group grants
	// left to revoke, 2 = mappings.
	var probe int
	if err := tx.Raw("SELECT CASE WHEN EXISTS (SELECT 1 FROM product_mappings WHERE team_id = ?) THEN 2"+
		" WHEN EXISTS (SELECT 1 FROM project_access WHERE team_id = ? AND origin = ?) THEN 1 ELSE 0 END",
		teamID, teamID, db.OriginGroup).Scan(&probe).Error; err != nil || probe == 0 {
		return err
	}
	var maps []productMappingRow
	if probe == 2 {
		if err := tx.Where("team_id = ?", teamID).Find(&maps).Error; err != nil {
			return err
		}
	}
	var base []string
	if err := tx.Model(&productRow{}).Where("team_id = ? AND is_base = 1", teamID).Pluck("product_key", &base).Error; err != nil {
		return err
	}
	type pu struct{ project, user string }
	for _, part := range chunks(users, 500) {
		want := map[pu]map[string]bool{}
		if len(maps) > 0 {
			var rows []struct{ ProjectID, UserID, ProductKey string }
			if err := tx.Raw("SELECT DISTINCT m.project_id, gm.user_id, m.product_key FROM product_mappings m"+
				" JOIN group_members gm ON gm.group_id = m.group_id JOIN users u ON u.id = gm.user_id"+
				" WHERE m.team_id = ? AND gm.user_id IN ? AND u.status <> ?", teamID, part, string(db.StatusInactive)).Scan(&rows).Error; err != nil {
				return err
			}
			for _, r := range rows {
				k := pu{r.ProjectID, r.UserID}
				if want[k] == nil {
					want[k] = map[string]bool{}
				}
				want[k][r.ProductKey] = true
			}
		}
		var have []projectAccessRow
		if err := tx.Where("team_id = ? AND user_id IN ?", teamID, part).Find(&have).Error; err != nil {
			return err
		}
		haveBy := map[pu]map[string]string{} // product -> origin
		for _, a := range have {
			k := pu{a.ProjectID, a.UserID}
			if haveBy[k] == nil {
				haveBy[k] = map[string]string{}
			}
			haveBy[k][a.ProductKey] = a.Origin
		}
		var members []projectMemberRow
		if err := tx.Where("team_id = ? AND user_id IN ?", teamID, part).Find(&members).Error; err != nil {
			return err
		}
		onProject := map[pu]bool{}
		for _, m := range members {
			onProject[pu{m.ProjectID, m.UserID}] = true
		}
		keys := map[pu]bool{}
		for k := range want {
			keys[k] = true
		}
		for k, ps := range haveBy {
			for _, o := range ps {
				if o == db.OriginGroup {
					keys[k] = true
				}
			}
		}
		order := make([]pu, 0, len(keys))
		for k := range keys {
			order = append(order, k)
		}
		sort.Slice(order, func(i, j int) bool {
			if order[i].project != order[j].project {
				return order[i].project < order[j].project
			}
			return order[i].user < order[j].user
		})
		for _, k := range order {
			if err := s.reconcileOne(tx, teamID, k.project, k.user, base, onProject[k], want[k], haveBy[k], by); err != nil {
				return err
			}
		}
	}
	return nil
}

// reconcileOne applies reconcileProducts to one (project, user).
func (s *Store) reconcileOne(tx *gorm.DB, teamID, projectID, userID string, base []string, on bool, want map[string]bool, have map[string]string, by db.Actor) error {
	if have == nil {
		have = map[string]string{}
	}
	manual := false
	for _, o := range have {
		manual = manual || o == db.OriginManual
	}
	// Revoke the group grants no mapping wants any more.
	var revoked []string
	for k, o := range have {
		if o != db.OriginGroup || want[k] {
			continue
		}
		if len(base) == 1 && k == base[0] && (len(want) > 0 || manual) {
			if len(want) == 0 { // kept for the member's manual grants: it is theirs now
				if err := tx.Model(&projectAccessRow{}).Where("project_id = ? AND user_id = ? AND product_key = ?", projectID, userID, k).Update("origin", db.OriginManual).Error; err != nil {
					return err
				}
			}
			continue
		}
		revoked = append(revoked, k)
	}
	sort.Strings(revoked)
	if len(revoked) > 0 {
		if err := tx.Where("project_id = ? AND user_id = ? AND product_key IN ?", projectID, userID, revoked).Delete(&projectAccessRow{}).Error; err != nil {
			return err
		}
	}
	if on && len(base) == 1 && contains(revoked, base[0]) {
		// The member was on the project only through the group.
		if err := tx.Where("project_id = ? AND user_id = ?", projectID, userID).Delete(&projectAccessRow{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&projectMemberRow{}, "project_id = ? AND user_id = ?", projectID, userID).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "project.member.remove", "user", userID, map[string]any{"project": projectID, "reason": "group mapping", "revoked": revoked})
	}
	// Grant what the mappings want and the member lacks, seats allowing.
	var grant []string
	for k := range want {
		if _, ok := have[k]; !ok {
			grant = append(grant, k)
		}
	}
	sort.Strings(grant)
	joined := false
	if !on && len(grant) > 0 {
		if len(base) != 1 {
			return db.Errorf(db.ErrRule, "base_product", "the team has no base product")
		}
		ok, err := s.grantSeat(tx, teamID, projectID, userID, base[0], true)
		if err != nil || !ok {
			return err // no seat of the base product: the member waits
		}
		joined = true
		grant = remove(grant, base[0])
	}
	var granted []string
	for _, k := range grant {
		ok, err := s.grantSeat(tx, teamID, projectID, userID, k, false)
		if err != nil {
			return err
		}
		if ok {
			granted = append(granted, k)
		}
	}
	switch {
	case joined:
		return s.audit(tx, teamID, by, "project.member.add", "user", userID, map[string]any{
			"project": projectID, "level": db.ProjectMemberLevel, "products": append(base[:1:1], granted...), "via": "group"})
	case len(granted) > 0 || len(revoked) > 0:
		return s.audit(tx, teamID, by, "project.access.set", "user", userID, map[string]any{
			"project": projectID, "granted": granted, "revoked": revoked, "via": "group"})
	}
	return nil
}

// grantSeat writes one origin-group grant (and, with join, the project
// membership) if the product has a seat left; it reports whether it did.
func (s *Store) grantSeat(tx *gorm.DB, teamID, projectID, userID, key string, join bool) (bool, error) {
	if err := s.lockProducts(tx, teamID, []string{key}); err != nil {
		return false, err
	}
	seats, used, _, err := seatsOf(tx, teamID, key)
	if err != nil {
		return false, err
	}
	if seats != nil {
		var uses int64 // the user may already use a seat of key elsewhere
		if err := tx.Model(&projectAccessRow{}).Where("team_id = ? AND user_id = ? AND product_key = ?", teamID, userID, key).Count(&uses).Error; err != nil {
			return false, err
		}
		if uses == 0 && used >= *seats {
			var ext int64
			if err := tx.Model(&externalSubscriptionRow{}).Where("user_id = ? AND product_key = ? AND internal_seat = 0", userID, key).Count(&ext).Error; err != nil {
				return false, err
			}
			if ext == 0 {
				return false, nil
			}
		}
	}
	if join {
		if err := tx.Create(&projectMemberRow{ProjectID: projectID, UserID: userID, TeamID: teamID, Level: string(db.ProjectMemberLevel), CreatedAt: s.nowUTC()}).Error; err != nil {
			return false, err
		}
	}
	return true, tx.Create(&projectAccessRow{ProjectID: projectID, UserID: userID, ProductKey: key, TeamID: teamID, Origin: db.OriginGroup}).Error
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func remove(xs []string, x string) []string {
	out := xs[:0:0]
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// MapGroupRef resolves a mapping by its group, project and product refs
// (as MapGroup takes them) to its id; none is ErrNotFound mapping_not_found.
func (s *Store) MapGroupRef(ctx context.Context, teamID, group, project, product string) (string, error) {
	conn := s.conn(ctx)
	g, err := findGroupRef(conn, teamID, strings.TrimSpace(group))
	if err != nil {
		return "", err
	}
	p, err := findProject(conn, teamID, strings.TrimSpace(project))
	if err != nil {
		return "", err
	}
	ps, err := s.resolveProducts(conn, teamID, []string{product})
	if err != nil {
		return "", err
	}
	var ids []string
	if err := conn.Model(&productMappingRow{}).Where("team_id = ? AND group_id = ? AND project_id = ? AND product_key = ?", teamID, g.ID, p.ID, ps[0].Key).Pluck("id", &ids).Error; err != nil {
		return "", translate(err)
	}
	if len(ids) == 0 {
		return "", db.Errorf(db.ErrNotFound, "mapping_not_found", "group %q is not mapped to %s on project %q", g.DisplayName, ps[0].Key, p.Name)
	}
	return ids[0], nil
}
