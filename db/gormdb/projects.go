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

var _ db.ProjectStore = (*Store)(nil)

// productRow is one product of a team's catalogue (migration 00011).
type productRow struct {
	TeamID     string `gorm:"primaryKey"`
	ProductKey string `gorm:"primaryKey"`
	Name       string
	IsBase     int
	CreatedAt  time.Time
}

func (productRow) TableName() string { return "products" }

type projectRow struct {
	ID        string `gorm:"primaryKey"`
	TeamID    string
	Name      string
	NameLower string
	CreatedAt time.Time
}

func (projectRow) TableName() string { return "projects" }

type projectMemberRow struct {
	ProjectID string `gorm:"primaryKey"`
	UserID    string `gorm:"primaryKey"`
	TeamID    string
	Level     string
	CreatedAt time.Time
}

func (projectMemberRow) TableName() string { return "project_members" }

type projectAccessRow struct {
	ProjectID  string `gorm:"primaryKey"`
	UserID     string `gorm:"primaryKey"`
	ProductKey string `gorm:"primaryKey"`
	TeamID     string
	Origin     string // db.OriginManual or db.OriginGroup (migration 00048)
}

func (projectAccessRow) TableName() string { return "project_access" }

func (r productRow) toDomain() db.Product {
	return db.Product{Key: r.ProductKey, Name: r.Name, Base: r.IsBase != 0}
}

// seedProducts gives a new team seed 002's catalogue (CreateTeam's transaction).
func seedProducts(tx *gorm.DB, teamID string, now time.Time) error {
	rows := make([]productRow, len(db.DefaultProducts))
	for i, p := range db.DefaultProducts {
		rows[i] = productRow{TeamID: teamID, ProductKey: p.Key, Name: p.Name, CreatedAt: now}
		if p.Base {
			rows[i].IsBase = 1
		}
	}
	return tx.Create(&rows).Error
}

// deleteUserProjects removes a user's project memberships and product
// access (R-MEM-4); the writer's deleteUser calls it. It returns how many
// memberships it removed.
func deleteUserProjects(tx *gorm.DB, userID string) (int64, error) {
	if err := tx.Where("user_id = ?", userID).Delete(&projectAccessRow{}).Error; err != nil {
		return 0, err
	}
	res := tx.Where("user_id = ?", userID).Delete(&projectMemberRow{})
	return res.RowsAffected, res.Error
}

// ListProducts implements db.ProjectStore.
func (s *Store) ListProducts(ctx context.Context, teamID string) ([]db.Product, error) {
	var rows []productRow
	if err := s.conn(ctx).Where("team_id = ?", teamID).Order("is_base DESC, product_key").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list products: %w", translate(err))
	}
	out := make([]db.Product, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// AddProduct implements db.ProjectStore.
func (s *Store) AddProduct(ctx context.Context, teamID string, p db.Product, by db.Actor) (db.Product, error) {
	p.Key, p.Name = strings.TrimSpace(p.Key), strings.TrimSpace(p.Name)
	if !db.ValidProductKey(p.Key) {
		return db.Product{}, db.Errorf(db.ErrInvalid, "product_key_invalid", "product key %q must be lower-case letters, digits and dashes (at most 64)", p.Key)
	}
	if err := validProductName(p.Name); err != nil {
		return db.Product{}, err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&teamRow{}, "id = ?", teamID).Error; err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&productRow{}).Where("team_id = ? AND (product_key = ? OR LOWER(name) = ?)", teamID, p.Key, lower(p.Name)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return db.Errorf(db.ErrConflict, "product_exists", "the team already has a product with key %q or name %q", p.Key, p.Name)
		}
		row := productRow{TeamID: teamID, ProductKey: p.Key, Name: p.Name, CreatedAt: s.nowUTC()}
		if p.Base {
			row.IsBase = 1
			// Nobody has a new product yet: as the base it would take every
			// project member off their projects (R-MEM-4).
			if lacking, err := lacksProduct(tx, teamID, p.Key); err != nil {
				return err
			} else if lacking > 0 {
				return db.Errorf(db.ErrRule, "base_move_would_remove", "the team's projects have %d members and nobody has the new product %s yet; add it without --base, give it to them, then make it the base (R-MEM-4)", lacking, p.Key)
			}
			if err := tx.Model(&productRow{}).Where("team_id = ?", teamID).Update("is_base", 0).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "product.add", "product", p.Key, map[string]any{"name": p.Name, "base": p.Base})
	})
	if err != nil {
		if errors.Is(err, db.ErrNotFound) && db.CodeOf(err) == "not_found" {
			return db.Product{}, db.Errorf(db.ErrNotFound, "team_not_found", "team %q does not exist", teamID)
		}
		return db.Product{}, fmt.Errorf("add product: %w", err)
	}
	return p, nil
}

// validProductName checks a product's display name.
func validProductName(name string) error {
	if name == "" || len(name) > 255 {
		return db.Errorf(db.ErrInvalid, "product_name_invalid", "a product name of 1 to 255 characters is required")
	}
	return db.CheckText("name", name)
}

// lacksProduct counts the team's project members who do not have key: the
// ones a move of the base mark to key would take off their projects.
func lacksProduct(tx *gorm.DB, teamID, key string) (int64, error) {
	var n int64
	err := tx.Model(&projectMemberRow{}).Where("team_id = ? AND NOT EXISTS (SELECT 1 FROM project_access a"+
		" WHERE a.project_id = project_members.project_id AND a.user_id = project_members.user_id AND a.product_key = ?)", teamID, key).Count(&n).Error
	return n, err
}

// UpdateProduct implements db.ProjectStore.
func (s *Store) UpdateProduct(ctx context.Context, teamID, ref, name string, makeBase bool, by db.Actor) (db.Product, error) {
	name = strings.TrimSpace(name)
	if name != "" {
		if err := validProductName(name); err != nil {
			return db.Product{}, err
		}
	}
	if name == "" && !makeBase {
		return db.Product{}, db.Errorf(db.ErrInvalid, "nothing_to_change", "give a new name or base")
	}
	var out db.Product
	err := s.tx(ctx, func(tx *gorm.DB) error {
		ps, err := s.resolveProducts(tx, teamID, []string{ref})
		if err != nil {
			return err
		}
		out = ps[0]
		details := map[string]any{}
		if name != "" && name != out.Name {
			var n int64
			if err := tx.Model(&productRow{}).Where("team_id = ? AND product_key <> ? AND LOWER(name) = ?", teamID, out.Key, lower(name)).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return db.Errorf(db.ErrConflict, "product_exists", "the team already has a product named %q", name)
			}
			if err := tx.Model(&productRow{}).Where("team_id = ? AND product_key = ?", teamID, out.Key).Update("name", name).Error; err != nil {
				return err
			}
			details["from"], details["name"] = out.Name, name
			out.Name = name
		}
		if makeBase && !out.Base {
			lacking, err := lacksProduct(tx, teamID, out.Key)
			if err != nil {
				return err
			}
			if lacking > 0 {
				return db.Errorf(db.ErrRule, "base_move_would_remove", "%d project members do not have %s; making it the base product would take them off their projects (R-MEM-4): give it to them first", lacking, out.Key)
			}
			if err := tx.Model(&productRow{}).Where("team_id = ?", teamID).Update("is_base", 0).Error; err != nil {
				return err
			}
			if err := tx.Model(&productRow{}).Where("team_id = ? AND product_key = ?", teamID, out.Key).Update("is_base", 1).Error; err != nil {
				return err
			}
			details["base"], out.Base = true, true
		}
		if len(details) == 0 {
			return nil
		}
		return s.audit(tx, teamID, by, "product.update", "product", out.Key, details)
	})
	if err != nil {
		return db.Product{}, fmt.Errorf("update product: %w", err)
	}
	return out, nil
}

// RemoveProduct implements db.ProjectStore (R-MEM-4: the product's access
// goes from every project member in the product's own transaction).
func (s *Store) RemoveProduct(ctx context.Context, teamID, ref string, by db.Actor) (int, error) {
	var revoked int64
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		ps, err := s.resolveProducts(tx, teamID, []string{ref})
		if err != nil {
			return err
		}
		p := ps[0]
		if p.Base {
			return db.Errorf(db.ErrRule, "base_product", "%s is the team's base product, which every project member needs, so it cannot be removed; make another product the base first (roster products rename --product OTHER --base), then remove it", p.Key)
		}
		if err := s.lockProducts(tx, teamID, []string{p.Key}); err != nil {
			return err
		}
		res := tx.Where("team_id = ? AND product_key = ?", teamID, p.Key).Delete(&projectAccessRow{})
		if res.Error != nil {
			return res.Error
		}
		revoked = res.RowsAffected
		for _, row := range []any{&subscriptionRow{}, &externalSubscriptionRow{}, &productMappingRow{}} {
			if err := tx.Where("team_id = ? AND product_key = ?", teamID, p.Key).Delete(row).Error; err != nil {
				return err
			}
		}
		if err := tx.Where("team_id = ? AND product_key = ?", teamID, p.Key).Delete(&productRow{}).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "product.remove", "product", p.Key, map[string]any{"name": p.Name, "revoked": revoked})
	})
	if err != nil {
		return 0, fmt.Errorf("remove product: %w", err)
	}
	return int(revoked), nil
}

// FindProduct implements db.ProjectStore.
func (s *Store) FindProduct(ctx context.Context, teamID, ref string) (db.Product, error) {
	ps, err := s.resolveProducts(s.conn(ctx), teamID, []string{ref})
	if err != nil {
		return db.Product{}, err
	}
	return ps[0], nil
}

// resolveProducts maps keys or names (case-insensitive) to the team's
// products; an unknown one (or another team's) is ErrNotFound.
func (s *Store) resolveProducts(conn *gorm.DB, teamID string, refs []string) ([]db.Product, error) {
	var rows []productRow
	if err := conn.Where("team_id = ?", teamID).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	var out []db.Product
	seen := map[string]bool{}
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			continue
		}
		found := false
		for _, r := range rows {
			if r.ProductKey == strings.ToLower(ref) || strings.EqualFold(r.Name, ref) {
				if !seen[r.ProductKey] {
					seen[r.ProductKey] = true
					out = append(out, r.toDomain())
				}
				found = true
				break
			}
		}
		if !found {
			return nil, db.Errorf(db.ErrNotFound, "product_not_found", "the team has no product %q", ref)
		}
	}
	return out, nil
}

// CreateProject implements db.ProjectStore.
func (s *Store) CreateProject(ctx context.Context, teamID, name string, by db.Actor) (db.Project, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 255 {
		return db.Project{}, db.Errorf(db.ErrInvalid, "project_name_invalid", "a project name of 1 to 255 characters is required")
	}
	if err := db.CheckText("name", name); err != nil {
		return db.Project{}, err
	}
	row := projectRow{ID: newID(), TeamID: teamID, Name: name, NameLower: lower(name), CreatedAt: s.nowUTC()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&teamRow{}, "id = ?", teamID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.Errorf(db.ErrNotFound, "team_not_found", "team %q does not exist", teamID)
			}
			return err
		}
		var n int64
		if err := tx.Model(&projectRow{}).Where("team_id = ? AND name_lower = ?", teamID, row.NameLower).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return db.Errorf(db.ErrConflict, "project_exists", "the team already has a project named %q", name)
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "project.create", "project", row.ID, map[string]string{"name": name})
	})
	if err != nil {
		return db.Project{}, fmt.Errorf("create project: %w", err)
	}
	return db.Project{ID: row.ID, TeamID: teamID, Name: name}, nil
}

// ListProjects implements db.ProjectStore.
func (s *Store) ListProjects(ctx context.Context, teamID string) ([]db.Project, error) {
	var rows []projectRow
	if err := s.conn(ctx).Where("team_id = ?", teamID).Order("name_lower, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list projects: %w", translate(err))
	}
	out := make([]db.Project, len(rows))
	for i, r := range rows {
		out[i] = db.Project{ID: r.ID, TeamID: r.TeamID, Name: r.Name}
	}
	return out, nil
}

// FindProject implements db.ProjectStore.
func (s *Store) FindProject(ctx context.Context, teamID, ref string) (db.Project, error) {
	p, err := findProject(s.conn(ctx), teamID, ref)
	if err != nil {
		return db.Project{}, fmt.Errorf("find project: %w", translate(err))
	}
	return p, nil
}

func findProject(conn *gorm.DB, teamID, ref string) (db.Project, error) {
	var rows []projectRow
	if err := conn.Where("team_id = ? AND (id = ? OR name_lower = ?)", teamID, ref, lower(ref)).Limit(2).Find(&rows).Error; err != nil {
		return db.Project{}, err
	}
	if len(rows) == 0 {
		return db.Project{}, db.Errorf(db.ErrNotFound, "project_not_found", "the team has no project %q", ref)
	}
	r := rows[0]
	return db.Project{ID: r.ID, TeamID: r.TeamID, Name: r.Name}, nil
}

// projectProducts resolves refs and checks the base product is among them.
func (s *Store) projectProducts(tx *gorm.DB, teamID string, refs []string) (keys []string, hasBase bool, err error) {
	ps, err := s.resolveProducts(tx, teamID, refs)
	if err != nil {
		return nil, false, err
	}
	for _, p := range ps {
		keys = append(keys, p.Key)
		hasBase = hasBase || p.Base
	}
	sort.Strings(keys)
	// The seat locks now, before this transaction writes anything, so
	// concurrent grants queue here rather than deadlock over their inserts.
	return keys, hasBase, s.lockProducts(tx, teamID, keys)
}

// AddProjectMember implements db.ProjectStore. A person not in the team is
// created through the one writer with source product, pending, and
// classified by the team's policy (R-POL-2).
func (s *Store) AddProjectMember(ctx context.Context, teamID, projectID string, in db.NewProjectMember, by db.Actor) (db.ProjectMember, bool, error) {
	if in.Level == "" {
		in.Level = db.ProjectMemberLevel
	}
	if in.Level != db.ProjectMemberLevel && in.Level != db.ProjectAdminLevel {
		return db.ProjectMember{}, false, db.Errorf(db.ErrInvalid, "project_level_invalid", "project level %q is not member or admin", in.Level)
	}
	var out db.ProjectMember
	created := false
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		p, err := findProject(tx, teamID, projectID)
		if err != nil {
			return err
		}
		keys, hasBase, err := s.projectProducts(tx, teamID, in.Products)
		if err != nil {
			return err
		}
		if !hasBase {
			return db.Errorf(db.ErrInvalid, "base_product_required", "a project member needs the team's base product (R-MEM-4); add it to the products")
		}
		var urows []userRow
		if err := tx.Where("team_id = ? AND email_lower = ?", teamID, db.NormalizeEmail(in.Email)).Limit(1).Find(&urows).Error; err != nil {
			return err
		}
		var u db.User
		if len(urows) == 1 {
			u = urows[0].toDomain()
		} else {
			if err := db.ValidateEmail(in.Email); err != nil {
				return err
			}
			nm := db.NewMember{Email: strings.TrimSpace(in.Email), FirstName: in.FirstName, LastName: in.LastName}
			defaultNames(&nm)
			w := &writer{s: s, tx: tx, teamID: teamID}
			a, err := w.apply(db.UserCreate{User: db.NewUser{Email: nm.Email, FirstName: nm.FirstName, LastName: nm.LastName,
				Status: db.StatusPending, Source: db.SourceProduct}, By: by})
			if err != nil {
				return err
			}
			u, created = a.User, true
		}
		var n int64
		if err := tx.Model(&projectMemberRow{}).Where("project_id = ? AND user_id = ?", p.ID, u.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return db.Errorf(db.ErrConflict, "already_on_project", "%s is already on project %q; use set-access to change products", u.Email, p.Name)
		}
		if err := tx.Create(&projectMemberRow{ProjectID: p.ID, UserID: u.ID, TeamID: teamID, Level: string(in.Level), CreatedAt: s.nowUTC()}).Error; err != nil {
			return err
		}
		if err := writeAccess(tx, teamID, p.ID, u.ID, keys, nil); err != nil {
			return err
		}
		if err := s.checkSeats(tx, teamID, keys); err != nil {
			return err
		}
		out = db.ProjectMember{ProjectID: p.ID, User: u, Level: in.Level, Products: keys}
		return s.audit(tx, teamID, by, "project.member.add", "user", u.ID, map[string]any{
			"project": p.ID, "level": in.Level, "products": keys, "created": created})
	})
	if err != nil {
		return db.ProjectMember{}, false, fmt.Errorf("add project member: %w", err)
	}
	return out, created, nil
}

// writeAccess replaces a project member's products with keys; those in
// group keep origin group (a mapping gave them), the rest are manual.
func writeAccess(tx *gorm.DB, teamID, projectID, userID string, keys []string, group map[string]bool) error {
	if err := tx.Where("project_id = ? AND user_id = ?", projectID, userID).Delete(&projectAccessRow{}).Error; err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	rows := make([]projectAccessRow, len(keys))
	for i, k := range keys {
		rows[i] = projectAccessRow{ProjectID: projectID, UserID: userID, ProductKey: k, TeamID: teamID, Origin: db.OriginManual}
		if group[k] {
			rows[i].Origin = db.OriginGroup
		}
	}
	return tx.Create(&rows).Error
}

// groupGrants is the set of a project member's products of origin group.
func groupGrants(tx *gorm.DB, projectID, userID string) (map[string]bool, error) {
	var keys []string
	if err := tx.Model(&projectAccessRow{}).Where("project_id = ? AND user_id = ? AND origin = ?", projectID, userID, db.OriginGroup).Pluck("product_key", &keys).Error; err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// takeProjectMember reads a project member's row (404 not_on_project).
func takeProjectMember(tx *gorm.DB, p db.Project, userID string) (projectMemberRow, error) {
	var pm projectMemberRow
	if err := tx.Take(&pm, "project_id = ? AND user_id = ?", p.ID, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return pm, db.Errorf(db.ErrNotFound, "not_on_project", "the user is not on project %q", p.Name)
		}
		return pm, err
	}
	return pm, nil
}

// refuseLastAdmin refuses (last_project_admin) to take the admin level from
// email when they are the project's only admin. It locks the project row
// first, so a removal (SetProjectAccess) and a demotion (SetProjectLevel)
// of the project's two admins cannot both pass.
func (s *Store) refuseLastAdmin(tx *gorm.DB, p db.Project, email, why string) error {
	var locked projectRow
	if err := s.lockable(tx).Take(&locked, "id = ?", p.ID).Error; err != nil {
		return err
	}
	var admins int64
	if err := tx.Model(&projectMemberRow{}).Where("project_id = ? AND level = ?", p.ID, string(db.ProjectAdminLevel)).Count(&admins).Error; err != nil {
		return err
	}
	if admins <= 1 {
		return db.Errorf(db.ErrRule, "last_project_admin", "%s is the last admin of project %q; %s; make another member admin first", email, p.Name, why)
	}
	return nil
}

// SetProjectAccess implements db.ProjectStore (R-MEM-4).
func (s *Store) SetProjectAccess(ctx context.Context, teamID, projectID, userID string, products []string, by db.Actor) (db.ProjectMember, bool, error) {
	var out db.ProjectMember
	removed := false
	err := s.seatTx(ctx, func(tx *gorm.DB) error {
		p, err := findProject(tx, teamID, projectID)
		if err != nil {
			return err
		}
		pm, err := takeProjectMember(tx, p, userID)
		if err != nil {
			return err
		}
		keys, hasBase, err := s.projectProducts(tx, teamID, products)
		if err != nil {
			return err
		}
		var ur userRow
		if err := tx.Take(&ur, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
			return err
		}
		out = db.ProjectMember{ProjectID: p.ID, User: ur.toDomain(), Level: db.ProjectLevel(pm.Level), Products: keys}
		// A product a group mapping gave cannot be revoked by hand: the
		// mapping would give it back at the next change (docs/members.md).
		group, err := groupGrants(tx, p.ID, userID)
		if err != nil {
			return err
		}
		for k := range group {
			if !contains(keys, k) {
				return db.Errorf(db.ErrConflict, "granted_by_group", "%s has %s on project %q through a group mapping; remove the user from the group or remove the mapping (roster products unmap-group)", ur.Email, k, p.Name)
			}
		}
		if hasBase {
			if err := writeAccess(tx, teamID, p.ID, userID, keys, group); err != nil {
				return err
			}
			if err := s.checkSeats(tx, teamID, keys); err != nil {
				return err
			}
			return s.audit(tx, teamID, by, "project.access.set", "user", userID, map[string]any{"project": p.ID, "products": keys})
		}
		if db.ProjectLevel(pm.Level) == db.ProjectAdminLevel {
			if err := s.refuseLastAdmin(tx, p, ur.Email, "turning off the base product would remove them"); err != nil {
				return err
			}
		}
		if err := writeAccess(tx, teamID, p.ID, userID, nil, nil); err != nil {
			return err
		}
		if err := tx.Delete(&projectMemberRow{}, "project_id = ? AND user_id = ?", p.ID, userID).Error; err != nil {
			return err
		}
		removed, out.Products = true, []string{}
		return s.audit(tx, teamID, by, "project.member.remove", "user", userID, map[string]string{"project": p.ID, "reason": "base product turned off"})
	})
	if err != nil {
		return db.ProjectMember{}, false, fmt.Errorf("set project access: %w", err)
	}
	return out, removed, nil
}

// SetProjectLevel implements db.ProjectStore: a project member's level
// (seed 002). Demoting the project's last admin is refused
// (last_project_admin), the rule SetProjectAccess keeps for removal
// (refuseLastAdmin locks the project row, so concurrent demotions and
// removals of its admins cannot all pass).
func (s *Store) SetProjectLevel(ctx context.Context, teamID, projectID, userID string, level db.ProjectLevel, by db.Actor) (db.ProjectMember, error) {
	if level != db.ProjectMemberLevel && level != db.ProjectAdminLevel {
		return db.ProjectMember{}, db.Errorf(db.ErrInvalid, "project_level_invalid", "project level %q is not member or admin", level)
	}
	var out db.ProjectMember
	err := s.seatTx(ctx, func(tx *gorm.DB) error { // read committed on MariaDB: the admin count after the lock sees committed demotions
		p, err := findProject(tx, teamID, projectID)
		if err != nil {
			return err
		}
		pm, err := takeProjectMember(tx, p, userID)
		if err != nil {
			return err
		}
		var ur userRow
		if err := tx.Take(&ur, "team_id = ? AND id = ?", teamID, userID).Error; err != nil {
			return err
		}
		var keys []string
		if err := tx.Model(&projectAccessRow{}).Where("project_id = ? AND user_id = ?", p.ID, userID).Order("product_key").Pluck("product_key", &keys).Error; err != nil {
			return err
		}
		if keys == nil {
			keys = []string{}
		}
		out = db.ProjectMember{ProjectID: p.ID, User: ur.toDomain(), Level: level, Products: keys}
		from := db.ProjectLevel(pm.Level)
		if from == level {
			return nil // nothing changes: no audit row, no event
		}
		if from == db.ProjectAdminLevel {
			if err := s.refuseLastAdmin(tx, p, ur.Email, "demoting them would leave it without one"); err != nil {
				return err
			}
		}
		if err := tx.Model(&projectMemberRow{}).Where("project_id = ? AND user_id = ?", p.ID, userID).Update("level", string(level)).Error; err != nil {
			return err
		}
		return s.audit(tx, teamID, by, "project.member.level.set", "user", userID, map[string]any{"project": p.ID, "from": from, "level": level})
	})
	if err != nil {
		return db.ProjectMember{}, fmt.Errorf("set project level: %w", err)
	}
	return out, nil
}

// ListProjectMembers implements db.ProjectStore.
func (s *Store) ListProjectMembers(ctx context.Context, teamID, projectID string) ([]db.ProjectMember, error) {
	conn := s.conn(ctx)
	p, err := findProject(conn, teamID, projectID)
	if err != nil {
		return nil, fmt.Errorf("list project members: %w", translate(err))
	}
	out, err := s.projectMembers(conn, teamID, "project_members.project_id = ?", p.ID)
	if err != nil {
		return nil, fmt.Errorf("list project members: %w", translate(err))
	}
	return out, nil
}

// QueryProjectMembers implements db.ProjectStore: one SQL query,
// keyset-paged on (sort value, user id) like QueryMembers, then the page's
// product access.
func (s *Store) QueryProjectMembers(ctx context.Context, teamID, projectID string, q db.ProjectMemberQuery) (db.ProjectMemberPage, error) {
	expr, ok := s.sortExpr(q.Sort)
	if q.Sort == "level" {
		expr = "project_members.level"
	}
	if !ok {
		return db.ProjectMemberPage{}, db.Errorf(db.ErrInvalid, "sort_invalid", "sort %q is not one of %s", q.Sort, strings.Join(db.ProjectMemberSortColumns, ", "))
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return db.ProjectMemberPage{}, err
	}
	conn := s.conn(ctx)
	p, err := findProject(conn, teamID, projectID)
	if err != nil {
		return db.ProjectMemberPage{}, fmt.Errorf("query project members: %w", translate(err))
	}
	where, args := userFilters(teamID, q.Q, q.Status, q.Type, q.Source, q.Company)
	where, args = append(where, "project_members.project_id = ?"), append(args, p.ID)
	if q.Level != "" {
		where, args = append(where, "project_members.level = ?"), append(args, string(q.Level))
	}
	if q.Product != "" {
		ps, err := s.resolveProducts(conn, teamID, []string{q.Product})
		if err != nil {
			return db.ProjectMemberPage{}, err
		}
		where = append(where, "EXISTS (SELECT 1 FROM project_access pa WHERE pa.project_id = project_members.project_id AND pa.user_id = users.id AND pa.product_key = ?)")
		args = append(args, ps[0].Key)
	}
	rows, err := s.keysetRows(conn, "SELECT "+userColumns+", project_members.level FROM project_members JOIN users ON users.id = project_members.user_id"+
		" LEFT JOIN member_profiles mp ON mp.user_id = users.id", where, args, expr, q.Desc, q.After, limit)
	if err != nil {
		return db.ProjectMemberPage{}, fmt.Errorf("query project members: %w", err)
	}
	defer rows.Close()
	var out []db.ProjectMember
	var sortValues []string
	for rows.Next() {
		var r userRow
		var sv, level string
		if err := rows.Scan(&sv, &r.ID, &r.TeamID, &r.Email, &r.UserName, &r.FirstName, &r.LastName, &r.Status, &r.Type,
			&r.Source, &r.AdminRole, &r.ExternalID, &r.Attributes, &r.Version, &r.CreatedAt, &r.UpdatedAt, &level); err != nil {
			return db.ProjectMemberPage{}, fmt.Errorf("query project members: %w", translate(err))
		}
		out = append(out, db.ProjectMember{ProjectID: p.ID, User: r.toDomain(), Level: db.ProjectLevel(level), Products: []string{}})
		sortValues = append(sortValues, sv)
	}
	if err := rows.Err(); err != nil {
		return db.ProjectMemberPage{}, fmt.Errorf("query project members: %w", translate(err))
	}
	var page db.ProjectMemberPage
	page.Members, page.Next = keysetPage(out, sortValues, limit, func(m db.ProjectMember) string { return m.User.ID })
	ids := make([]string, len(page.Members))
	idx := map[string]int{}
	for i, m := range page.Members {
		ids[i], idx[m.User.ID] = m.User.ID, i
	}
	if len(ids) > 0 {
		var access []projectAccessRow
		if err := conn.Where("project_id = ? AND user_id IN ?", p.ID, ids).Order("product_key").Find(&access).Error; err != nil {
			return db.ProjectMemberPage{}, fmt.Errorf("query project members: %w", translate(err))
		}
		for _, a := range access {
			page.Members[idx[a.UserID]].Products = append(page.Members[idx[a.UserID]].Products, a.ProductKey)
		}
	}
	return page, nil
}

// UserProjects implements db.ProjectStore.
func (s *Store) UserProjects(ctx context.Context, teamID, userID string) ([]db.ProjectMember, error) {
	out, err := s.projectMembers(s.conn(ctx), teamID, "project_members.user_id = ?", userID)
	if err != nil {
		return nil, fmt.Errorf("user projects: %w", translate(err))
	}
	return out, nil
}

func (s *Store) projectMembers(conn *gorm.DB, teamID, cond string, arg string) ([]db.ProjectMember, error) {
	rows, err := conn.Raw("SELECT "+userColumns+", project_members.project_id, project_members.level FROM project_members"+
		" JOIN users ON users.id = project_members.user_id WHERE project_members.team_id = ? AND "+cond+
		" ORDER BY users.email_lower, project_members.project_id", teamID, arg).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []db.ProjectMember{}
	for rows.Next() {
		var r userRow
		var pm db.ProjectMember
		var level string
		if err := rows.Scan(&r.ID, &r.TeamID, &r.Email, &r.UserName, &r.FirstName, &r.LastName, &r.Status, &r.Type,
			&r.Source, &r.AdminRole, &r.ExternalID, &r.Attributes, &r.Version, &r.CreatedAt, &r.UpdatedAt, &pm.ProjectID, &level); err != nil {
			return nil, err
		}
		pm.User, pm.Level, pm.Products = r.toDomain(), db.ProjectLevel(level), []string{}
		out = append(out, pm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var access []projectAccessRow
	q := conn.Where("team_id = ?", teamID)
	if strings.HasPrefix(cond, "project_members.project_id") {
		q = q.Where("project_id = ?", arg)
	} else {
		q = q.Where("user_id = ?", arg)
	}
	if err := q.Order("product_key").Find(&access).Error; err != nil {
		return nil, err
	}
	idx := map[[2]string]int{}
	for i, pm := range out {
		idx[[2]string{pm.ProjectID, pm.User.ID}] = i
	}
	for _, a := range access {
		if i, ok := idx[[2]string{a.ProjectID, a.UserID}]; ok {
			out[i].Products = append(out[i].Products, a.ProductKey)
		}
	}
	return out, nil
}
