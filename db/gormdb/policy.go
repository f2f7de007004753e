package gormdb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/domain"
	"github.com/roster-dev/roster/rolepolicy"
)

var _ db.PolicyStore = (*Store)(nil)

// expectedStored is the SQL expression of the type the team's stored policy
// expects for the user row u of team @team. It is derived from
// rolepolicy.Rules, the table rolepolicy.Classify evaluates (issue 10 #2: one
// source of truth), for non-admins. Its subqueries do not depend on the row,
// so the database evaluates them once per statement, and the policy it reads
// is the one the statement sees, without a separate read.
var expectedStored = expectedSQL(
	`(SELECT tp.policy_mode FROM teams tp WHERE tp.id = @team)`, "",
	`u.email_domain IN (SELECT td.domain FROM team_domains td WHERE td.team_id = @team)`)

// expectedProposed is the same expression for a policy that is not stored
// (a dry run); it adds its parameters (@pd0, @pd1, ...) to args.
func expectedProposed(p db.Policy, args map[string]any) string {
	in := `1 = 0` // no approved domain matches
	if len(p.Domains) > 0 {
		names := make([]string, len(p.Domains))
		for i, d := range p.Domains {
			names[i] = fmt.Sprintf("@pd%d", i)
			args[names[i][1:]] = d
		}
		in = `u.email_domain IN (` + strings.Join(names, ", ") + `)`
	}
	return expectedSQL("", p.Mode, in)
}

// expectedSQL turns rolepolicy.Rules into a CASE expression for non-admin
// users u: one WHEN per rule, in order (first match wins, like TypeFor).
// modeSQL is the SQL of the policy mode; if it is empty the mode is known
// (mode) and rules of other modes are left out. approvedSQL is the SQL
// condition "u's email domain is approved".
func expectedSQL(modeSQL string, mode db.PolicyMode, approvedSQL string) string {
	var sb strings.Builder
	sb.WriteString("(CASE")
	var prev *rolepolicy.Rule
	for i := range rolepolicy.Rules {
		r := rolepolicy.Rules[i]
		if r.Admin {
			continue // admins are never exceptions; the queries leave them out
		}
		// "not approved" right after the same rule for "approved" is implied
		// by the order (first match wins): leave it out, so each approved
		// domain is bound once per expression.
		implied := r.Domain == rolepolicy.OtherDomain && prev != nil && prev.Domain == rolepolicy.ApprovedDomain &&
			prev.Mode == r.Mode && prev.Source == r.Source
		prev = &rolepolicy.Rules[i]
		var conds []string
		if r.Mode != "" {
			if modeSQL == "" {
				if r.Mode != mode {
					continue
				}
			} else {
				conds = append(conds, modeSQL+" = "+sqlLiteral(string(r.Mode)))
			}
		}
		if r.Source != "" {
			conds = append(conds, "u.source = "+sqlLiteral(string(r.Source)))
		}
		switch r.Domain {
		case rolepolicy.ApprovedDomain:
			conds = append(conds, "("+approvedSQL+")")
		case rolepolicy.OtherDomain:
			if !implied {
				conds = append(conds, "NOT ("+approvedSQL+")")
			}
		}
		if len(conds) == 0 {
			sb.WriteString(" ELSE " + sqlLiteral(string(r.Type)))
			break // an unconditional row ends the table
		}
		sb.WriteString(" WHEN " + strings.Join(conds, " AND ") + " THEN " + sqlLiteral(string(r.Type)))
	}
	sb.WriteString(" END)")
	return sb.String()
}

// sqlLiteral quotes one of the policy table's constants (modes, sources,
// types: lower-case words) as an SQL string.
func sqlLiteral(v string) string {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 'a' || c > 'z' {
			panic("rolepolicy.Rules holds a constant that is not a lower-case word: " + v)
		}
	}
	return "'" + v + "'"
}

// normalizeDomains checks and canonicalises a domain list for storage. The
// callers (CLI, API) normalise with rolepolicy.NormalizeDomain and report
// precise errors; this is the store's own guard, so nothing unmatchable is
// ever stored.
func (s *Store) normalizeDomains(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, raw := range in {
		d, err := domain.Normalize(raw)
		if err != nil {
			return nil, err
		}
		d = domain.EmailDomain(d)
		if !plausibleDomain(d) {
			return nil, db.Errorf(db.ErrInvalid, "domain_invalid", "domain %q is not a valid domain name", raw)
		}
		out = append(out, d)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// capDomains refuses a policy over db.MaxPolicyDomains distinct domains.
func capDomains(ds []string) error {
	if len(ds) > db.MaxPolicyDomains {
		return db.Errorf(db.ErrInvalid, "too_many_domains", "a policy holds at most %d approved domains; %d given", db.MaxPolicyDomains, len(ds))
	}
	return nil
}

func plausibleDomain(d string) bool {
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validMode(m db.PolicyMode) error {
	if m != db.PolicyDefault && m != db.PolicyDomain {
		return db.Errorf(db.ErrInvalid, "mode_invalid", "policy mode %q is not default or domain", m)
	}
	return nil
}

// SetPolicy implements db.PolicyStore.
func (s *Store) SetPolicy(ctx context.Context, teamID string, p db.Policy, by db.Actor) (db.Policy, error) {
	if err := validMode(p.Mode); err != nil {
		return db.Policy{}, err
	}
	domains, err := s.normalizeDomains(p.Domains)
	if err != nil {
		return db.Policy{}, err
	}
	if err := capDomains(domains); err != nil {
		return db.Policy{}, err
	}
	out := db.Policy{Mode: p.Mode, Domains: domains}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		return s.writePolicyTx(tx, teamID, func(old db.Policy) (db.Policy, error) { return out, nil }, by, "policy.set")
	})
	if err != nil {
		return db.Policy{}, fmt.Errorf("set policy: %w", err)
	}
	return out, nil
}

// ModifyPolicyDomains implements db.PolicyStore.
func (s *Store) ModifyPolicyDomains(ctx context.Context, teamID string, add, remove []string, by db.Actor) (db.Policy, error) {
	addN, err := s.normalizeDomains(add)
	if err != nil {
		return db.Policy{}, err
	}
	remN, err := s.normalizeDomains(remove)
	if err != nil {
		return db.Policy{}, err
	}
	if len(addN)+len(remN) == 0 {
		return db.Policy{}, db.Errorf(db.ErrInvalid, "domains_required", "no domains to add or remove")
	}
	var out db.Policy
	err = s.tx(ctx, func(tx *gorm.DB) error {
		return s.writePolicyTx(tx, teamID, func(old db.Policy) (db.Policy, error) {
			next := db.Policy{Mode: old.Mode}
			for _, d := range old.Domains {
				if !slices.Contains(remN, d) {
					next.Domains = append(next.Domains, d)
				}
			}
			next.Domains = append(next.Domains, addN...)
			slices.Sort(next.Domains)
			next.Domains = slices.Compact(next.Domains)
			out = next
			return next, nil
		}, by, "policy.domains")
	})
	if err != nil {
		return db.Policy{}, fmt.Errorf("modify policy domains: %w", err)
	}
	return out, nil
}

// writePolicyTx locks the team, computes the next policy from the current
// one, enforces R-POL-6 and writes the mode and the domain diff. No user row
// is read or written (R-POL-5).
func (s *Store) writePolicyTx(tx *gorm.DB, teamID string, next func(db.Policy) (db.Policy, error), by db.Actor, action string) error {
	team, err := s.lockTeam(tx, teamID)
	if err != nil {
		return err
	}
	old, err := loadPolicy(tx, &team)
	if err != nil {
		return err
	}
	p, err := next(old)
	if err != nil {
		return err
	}
	if err := capDomains(p.Domains); err != nil {
		return err
	}
	if p.Mode == db.PolicyDomain && len(p.Domains) == 0 {
		if old.Mode == db.PolicyDomain && len(old.Domains) > 0 {
			return db.Errorf(db.ErrRule, "last_domain", "R-POL-6: a domain-based policy must keep at least one approved domain; add another before removing %s", strings.Join(old.Domains, ", "))
		}
		return db.Errorf(db.ErrRule, "domain_required", "R-POL-6: a domain-based policy needs at least one approved domain")
	}
	if old.Mode != p.Mode {
		if err := tx.Model(&teamRow{}).Where("id = ?", teamID).Update("policy_mode", string(p.Mode)).Error; err != nil {
			return err
		}
	}
	var gone, added []string
	for _, d := range old.Domains {
		if !slices.Contains(p.Domains, d) {
			gone = append(gone, d)
		}
	}
	for _, d := range p.Domains {
		if !slices.Contains(old.Domains, d) {
			added = append(added, d)
		}
	}
	for _, part := range chunks(gone, 500) {
		if err := tx.Where("team_id = ? AND domain IN ?", teamID, part).Delete(&teamDomainRow{}).Error; err != nil {
			return err
		}
	}
	if len(added) > 0 {
		rows := make([]teamDomainRow, len(added))
		for i, d := range added {
			rows[i] = teamDomainRow{TeamID: teamID, Domain: d}
		}
		if err := createInParts(tx, rows, 512); err != nil {
			return err
		}
	}
	if old.Mode == p.Mode && len(gone) == 0 && len(added) == 0 {
		return nil // nothing changed, nothing to audit
	}
	return s.audit(tx, teamID, by, action, "policy", teamID, map[string]any{
		"mode": p.Mode, "domains": nonNil(p.Domains), "previous_mode": old.Mode, "previous_domains": nonNil(old.Domains),
		"added": nonNil(added), "removed": nonNil(gone)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PreviewPolicy implements db.PolicyStore.
func (s *Store) PreviewPolicy(ctx context.Context, teamID string, p db.Policy, page db.Page) (db.PolicyPreview, error) {
	if err := validMode(p.Mode); err != nil {
		return db.PolicyPreview{}, err
	}
	domains, err := s.normalizeDomains(p.Domains)
	if err != nil {
		return db.PolicyPreview{}, err
	}
	// The cap also bounds the dry run's SQL: each statement (the counts, the
	// page) binds each proposed domain twice, at most 2,000 parameters plus
	// a few, inside SQLite's 32,766 (3.32+; the drivers Roster links
	// bundle 3.4x) and the 65,535 of PostgreSQL and MariaDB. 20,000 domains
	// overflowed SQLite's limit, and the database error was a 500.
	if err := capDomains(domains); err != nil {
		return db.PolicyPreview{}, err
	}
	p.Domains = domains
	out := db.PolicyPreview{Policy: p}
	g := s.conn(ctx)
	if _, _, err := teamMode(g, teamID); err != nil {
		return out, fmt.Errorf("preview policy: %w", translate(err))
	}
	args := map[string]any{"team": teamID}
	prop := expectedProposed(p, args)
	// Proposed exceptions, those among them that are not exceptions now, and
	// the exceptions now.
	var c struct{ Total, Becoming, Now int64 }
	q := `SELECT ` +
		`COALESCE(SUM(CASE WHEN u.type <> ` + prop + ` THEN 1 ELSE 0 END), 0) AS total, ` +
		`COALESCE(SUM(CASE WHEN u.type <> ` + prop + ` AND u.type = ` + expectedStored + ` THEN 1 ELSE 0 END), 0) AS becoming, ` +
		`COALESCE(SUM(CASE WHEN u.type <> ` + expectedStored + ` THEN 1 ELSE 0 END), 0) AS now ` +
		`FROM users u WHERE u.team_id = @team AND u.admin_role = ''`
	if err := g.Raw(q, args).Scan(&c).Error; err != nil {
		return out, fmt.Errorf("preview policy: %w", translate(err))
	}
	out.Exceptions, out.Becoming = int(c.Total), int(c.Becoming)
	out.Cleared = int(c.Now) - (int(c.Total) - int(c.Becoming))
	where := `u.type <> ` + prop + ` AND u.type = ` + expectedStored
	users, err := s.exceptionsPage(g, prop, where, args, "", page)
	if err != nil {
		return out, fmt.Errorf("preview policy: %w", err)
	}
	out.Users = users
	return out, nil
}

// exceptionsPage lists users of team @team (not admins) matching where, with
// expected computed by expr, ordered by id from page.After.
func (s *Store) exceptionsPage(g *gorm.DB, expr, where string, args map[string]any, typ db.UserType, page db.Page) ([]db.Exception, error) {
	q := `SELECT u.id, u.email, u.first_name, u.last_name, u.source, u.type, ` + expr + ` AS expected ` +
		`FROM users u WHERE u.team_id = @team AND u.admin_role = '' AND ` + where
	if typ != "" {
		q += ` AND u.type = @typ`
		args["typ"] = string(typ)
	}
	if page.After != "" {
		q += ` AND u.id > @after`
		args["after"] = page.After
	}
	q += ` ORDER BY u.id LIMIT @limit`
	args["limit"] = limitOf(page)
	rows, err := g.Raw(q, args).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []db.Exception{}
	for rows.Next() {
		var e db.Exception
		var src, cur, exp string
		if err := rows.Scan(&e.UserID, &e.Email, &e.FirstName, &e.LastName, &src, &cur, &exp); err != nil {
			return nil, translate(err)
		}
		e.Source, e.Current, e.Expected = db.Source(src), db.UserType(cur), db.UserType(exp)
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

func validFilter(t db.UserType) error {
	if t != "" && t != db.TypeStandard && t != db.TypeExternal {
		return db.Errorf(db.ErrInvalid, "type_invalid", "type filter %q is not all, standard or external", t)
	}
	return nil
}

// ListExceptions implements db.PolicyStore.
func (s *Store) ListExceptions(ctx context.Context, teamID string, q db.ExceptionQuery) ([]db.Exception, error) {
	if err := validFilter(q.Type); err != nil {
		return nil, err
	}
	g := s.conn(ctx)
	if _, _, err := teamMode(g, teamID); err != nil {
		return nil, fmt.Errorf("list exceptions: %w", translate(err))
	}
	out, err := s.exceptionsPage(g, expectedStored, `u.type <> `+expectedStored, map[string]any{"team": teamID}, q.Type, db.Page{After: q.After, Limit: q.Limit})
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	return out, nil
}

// CountExceptions implements db.PolicyStore.
func (s *Store) CountExceptions(ctx context.Context, teamID string) (db.ExceptionCounts, error) {
	g := s.conn(ctx)
	if _, _, err := teamMode(g, teamID); err != nil {
		return db.ExceptionCounts{}, fmt.Errorf("count exceptions: %w", translate(err))
	}
	var c struct{ Standard, External int64 }
	q := `SELECT COALESCE(SUM(CASE WHEN u.type = 'standard' THEN 1 ELSE 0 END), 0) AS standard, ` +
		`COALESCE(SUM(CASE WHEN u.type = 'external' THEN 1 ELSE 0 END), 0) AS external ` +
		`FROM users u WHERE u.team_id = @team AND u.admin_role = '' AND u.type <> ` + expectedStored
	if err := g.Raw(q, map[string]any{"team": teamID}).Scan(&c).Error; err != nil {
		return db.ExceptionCounts{}, fmt.Errorf("count exceptions: %w", translate(err))
	}
	return db.ExceptionCounts{Total: int(c.Standard + c.External), Standard: int(c.Standard), External: int(c.External)}, nil
}

// typeRow is a user with its expected type, read inside a type change.
type typeRow struct {
	ID, Email, Type, AdminRole, Expected string
}

// ChangeUserTypes implements db.PolicyStore through the writer (db.UserSetTypes).
func (s *Store) ChangeUserTypes(ctx context.Context, teamID string, userIDs []string, t db.UserType, by db.Actor) (db.TypeChange, error) {
	a, err := s.apply1(ctx, teamID, db.UserSetTypes{UserIDs: userIDs, Type: t, By: by})
	if err != nil {
		return db.TypeChange{}, fmt.Errorf("change user types: %w", err)
	}
	return a.Types, nil
}

// RevertExceptions implements db.PolicyStore through the writer (db.UserSetTypes).
func (s *Store) RevertExceptions(ctx context.Context, teamID string, userIDs []string, by db.Actor) (db.TypeChange, error) {
	a, err := s.apply1(ctx, teamID, db.UserSetTypes{UserIDs: userIDs, Revert: true, By: by})
	if err != nil {
		return db.TypeChange{}, fmt.Errorf("revert exceptions: %w", err)
	}
	return a.Types, nil
}

// setTypes sets each user's type (m.Type, or the expected type if m.Revert)
// under the team's lock, refusing admins (R-ADM-9) and unknown ids, and
// warns for each change that makes a matching user an exception (R-POL-8).
// Each changed user's version is bumped, so a writer holding the old
// version is refused (compare-and-swap).
func (w *writer) setTypes(m db.UserSetTypes) (db.TypeChange, error) {
	s, tx, teamID, by := w.s, w.tx, w.teamID, m.By
	action, target := "user.set_type", func(typeRow) db.UserType { return m.Type }
	if m.Revert {
		action, target = "user.revert_exception", func(r typeRow) db.UserType { return db.UserType(r.Expected) }
	} else if m.Type != db.TypeStandard && m.Type != db.TypeExternal {
		return db.TypeChange{}, db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not standard or external", m.Type)
	}
	ids := dedupe(m.UserIDs)
	if len(ids) == 0 {
		return db.TypeChange{}, db.Errorf(db.ErrInvalid, "users_required", "no users given")
	}
	out := db.TypeChange{Users: make([]db.UserTypeChange, 0, len(ids))}
	if _, err := s.lockTeam(tx, teamID); err != nil { // the policy cannot change under us
		return db.TypeChange{}, err
	}
	now := s.nowUTC()
	for _, part := range chunks(ids, 500) {
		var rows []typeRow
		q := `SELECT u.id, u.email, u.type, u.admin_role, ` + expectedStored + ` AS expected ` +
			`FROM users u WHERE u.team_id = @team AND u.id IN @ids`
		if err := tx.Raw(q, map[string]any{"team": teamID, "ids": part}).Scan(&rows).Error; err != nil {
			return db.TypeChange{}, err
		}
		if len(rows) != len(part) {
			return db.TypeChange{}, db.Errorf(db.ErrNotFound, "user_not_found", "some of the users do not exist in this team")
		}
		byTarget := map[db.UserType][]string{}
		for _, r := range rows {
			if db.Role(r.AdminRole).IsAdmin() {
				return db.TypeChange{}, db.Errorf(db.ErrRule, "admin_not_classified", "R-ADM-9: %s is an admin; admins are never classified", r.Email)
			}
			to := target(r)
			from, exp := db.UserType(r.Type), db.UserType(r.Expected)
			c := db.UserTypeChange{UserID: r.ID, Email: r.Email, From: from, To: to, Expected: exp, Exception: to != exp}
			out.Users = append(out.Users, c)
			if from == to {
				continue
			}
			byTarget[to] = append(byTarget[to], r.ID)
			if c.Exception && from == exp {
				out.Warnings = append(out.Warnings, db.Warning{Code: "creates_exception", UserID: r.ID,
					Message: fmt.Sprintf("R-POL-8: %s matched the role policy (%s); as %s the user is now a role-policy exception", r.Email, exp, to)})
			}
			if err := s.audit(tx, teamID, by, action, "user", r.ID, map[string]any{
				"email": r.Email, "type": to, "previous": from, "expected": exp, "exception": c.Exception}); err != nil {
				return db.TypeChange{}, err
			}
		}
		for _, to := range []db.UserType{db.TypeStandard, db.TypeExternal} {
			if len(byTarget[to]) == 0 {
				continue
			}
			if err := tx.Model(&userRow{}).Where("team_id = ? AND id IN ?", teamID, byTarget[to]).
				Updates(map[string]any{"type": string(to), "version": gorm.Expr("version + 1"), "updated_at": now}).Error; err != nil {
				return db.TypeChange{}, err
			}
		}
	}
	// keep the caller's order
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(out.Users, func(a, b db.UserTypeChange) int { return pos[a.UserID] - pos[b.UserID] })
	return out, nil
}

// UsageReport implements db.PolicyStore, streaming with a database cursor.
func (s *Store) UsageReport(ctx context.Context, teamID string, fn func(db.UsageRow) error) error {
	g := s.conn(ctx)
	if _, _, err := teamMode(g, teamID); err != nil {
		return fmt.Errorf("usage report: %w", translate(err))
	}
	// Product access, external subscriptions and internal seats per user
	// (issue 11 #9): aggregated in the same streamed query, per row.
	agg := "group_concat(DISTINCT %s)"
	switch s.dialect {
	case Postgres:
		agg = "string_agg(DISTINCT %s, ',')"
	case MySQL:
		agg = "GROUP_CONCAT(DISTINCT %s SEPARATOR ',')"
	}
	access := `(SELECT ` + fmt.Sprintf(agg, "a.product_key") + ` FROM project_access a WHERE a.user_id = u.id)`
	external := `(SELECT ` + fmt.Sprintf(agg, "e.product_key") + ` FROM external_subscriptions e WHERE e.user_id = u.id)`
	seats := `(SELECT ` + fmt.Sprintf(agg, "a.product_key") + ` FROM project_access a WHERE a.user_id = u.id AND NOT EXISTS` +
		` (SELECT 1 FROM external_subscriptions e WHERE e.user_id = a.user_id AND e.product_key = a.product_key AND e.internal_seat = 0))`
	q := `SELECT u.id, u.email, u.first_name, u.last_name, u.status, u.type, u.source, u.admin_role, ` +
		expectedStored + ` AS expected, u.created_at, ` + access + `, ` + external + `, ` + seats + ` ` +
		`FROM users u WHERE u.team_id = @team ORDER BY u.email_lower`
	rows, err := g.Raw(q, map[string]any{"team": teamID}).Rows()
	if err != nil {
		return fmt.Errorf("usage report: %w", translate(err))
	}
	defer rows.Close()
	var (
		r                                db.UsageRow
		status, typ, src, role, expected string
		created                          sql.NullTime
		accessKeys, extKeys, seatKeys    sql.NullString
	)
	for rows.Next() {
		if err := rows.Scan(&r.UserID, &r.Email, &r.FirstName, &r.LastName, &status, &typ, &src, &role, &expected, &created, &accessKeys, &extKeys, &seatKeys); err != nil {
			return fmt.Errorf("usage report: %w", translate(err))
		}
		r.Status, r.Type, r.Source, r.AdminRole = db.Status(status), db.UserType(typ), db.Source(src), db.Role(role)
		r.External = r.Type == db.TypeExternal
		r.Exception = !r.AdminRole.IsAdmin() && typ != expected
		r.CreatedAt = time.Time{}
		if created.Valid {
			r.CreatedAt = created.Time.UTC()
		}
		r.Products, r.ExternalProducts, r.Seats = keyList(accessKeys), keyList(extKeys), keyList(seatKeys)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("usage report: %w", translate(err))
	}
	return nil
}

// keyList splits an aggregated, comma-separated list of product keys (keys
// hold no comma) into a sorted slice, empty when NULL.
func keyList(v sql.NullString) []string {
	if !v.Valid || v.String == "" {
		return []string{}
	}
	out := strings.Split(v.String, ",")
	sort.Strings(out)
	return out
}
