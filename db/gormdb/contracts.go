package gormdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// Classic user management (001): contracts, their contract manager and
// software coordinator, and their users (R-CLS-1..4). Changes are audited
// under the account id (see accounts.go).

func contractNotFound(number string) error {
	return db.Errorf(db.ErrNotFound, "contract_not_found", "contract %q does not exist in this account", number)
}

func findContract(tx *gorm.DB, accountID, number string) (contractRow, error) {
	var r contractRow
	if err := tx.Take(&r, "account_id = ? AND number = ?", accountID, number).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, contractNotFound(number)
		}
		return r, err
	}
	return r, nil
}

func (s *Store) lockContract(tx *gorm.DB, accountID, number string) (contractRow, error) {
	q := tx
	if s.dialect != SQLite {
		q = q.Clauses(forUpdate())
	}
	return findContract(q, accountID, number)
}

func cleanProducts(in []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range in {
		p = strings.TrimSpace(p)
		if p == "" || seen[p] {
			continue
		}
		if strings.Contains(p, ",") || len(p) > 100 {
			return nil, db.Errorf(db.ErrInvalid, "product_invalid", "product %q: names have no commas and at most 100 characters", p)
		}
		if err := db.CheckText("product", p); err != nil {
			return nil, err
		}
		seen[p] = true
		out = append(out, p)
	}
	return out, nil
}

// CreateContract implements db.AccountStore (R-CLS-1): one contract manager,
// named by email and created as a person of the account when not yet known;
// no software coordinator until the contract manager assigns one.
func (s *Store) CreateContract(ctx context.Context, in db.NewContract, by db.Actor) (db.Contract, error) {
	in.Number = strings.TrimSpace(in.Number)
	var out db.Contract
	err := s.accountTx(ctx, in.AccountID, by, "contract.create", "contract", in.Number, map[string]string{"number": in.Number}, func(tx *gorm.DB) error {
		if _, err := s.lockAccount(tx, in.AccountID); err != nil {
			return err
		}
		if in.Number == "" || len(in.Number) > 64 {
			return db.Errorf(db.ErrInvalid, "number_invalid", "a contract number is required (at most 64 characters)")
		}
		if err := db.CheckText("number", in.Number); err != nil {
			return err
		}
		if in.Seats < 0 {
			return db.Errorf(db.ErrInvalid, "seats_invalid", "seats cannot be negative")
		}
		products, err := cleanProducts(in.Products)
		if err != nil {
			return err
		}
		if _, err := findContract(tx, in.AccountID, in.Number); err == nil {
			return db.Errorf(db.ErrConflict, "contract_exists", "contract %s already exists in this account", in.Number)
		} else if db.CodeOf(err) != "contract_not_found" {
			return err
		}
		cm, err := s.ensurePerson(tx, in.AccountID, in.ContractManager)
		if err != nil {
			return err
		}
		r := contractRow{ID: newID(), AccountID: in.AccountID, Name: in.Number, Number: in.Number, ContractManager: cm.Email,
			Products: strings.Join(products, ","), Seats: in.Seats, CreatedAt: s.nowUTC()}
		if err := tx.Create(&r).Error; err != nil {
			if isUniqueViolation(err) {
				return db.Errorf(db.ErrConflict, "contract_exists", "contract %s already exists in this account", in.Number)
			}
			return err
		}
		out = r.toDomain()
		return s.audit(tx, in.AccountID, by, "contract.create", "contract", r.Number,
			map[string]string{"number": r.Number, "contract_manager": cm.Email, "products": r.Products, "seats": fmt.Sprint(r.Seats)})
	})
	if err != nil {
		return db.Contract{}, fmt.Errorf("create contract: %w", err)
	}
	return out, nil
}

// ListContracts implements db.AccountStore.
func (s *Store) ListContracts(ctx context.Context, accountID string) ([]db.Contract, error) {
	if _, err := s.accountInfo(s.conn(ctx), accountID); err != nil {
		return nil, fmt.Errorf("list contracts: %w", translate(err))
	}
	var rows []contractRow
	if err := s.conn(ctx).Where("account_id = ?", accountID).Order("number").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list contracts: %w", translate(err))
	}
	out := make([]db.Contract, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// GetContract implements db.AccountStore.
func (s *Store) GetContract(ctx context.Context, accountID, number string) (db.Contract, error) {
	r, err := findContract(s.conn(ctx), accountID, number)
	if err != nil {
		return db.Contract{}, fmt.Errorf("get contract: %w", translate(err))
	}
	return r.toDomain(), nil
}

// lockAsContractManager locks the account and the contract and requires
// the acting member to be the contract's current manager; refusal is the
// rule's message (contract number, actor's email).
func (s *Store) lockAsContractManager(tx *gorm.DB, accountID, number, actingEmail, refusal string) (contractRow, accountMemberRow, error) {
	if _, err := s.lockAccount(tx, accountID); err != nil {
		return contractRow{}, accountMemberRow{}, err
	}
	c, err := s.lockContract(tx, accountID, number)
	if err != nil {
		return contractRow{}, accountMemberRow{}, err
	}
	actor, err := contractActor(tx, accountID, actingEmail)
	if err != nil {
		return contractRow{}, accountMemberRow{}, err
	}
	if actor.EmailLower != db.NormalizeEmail(c.ContractManager) {
		return contractRow{}, accountMemberRow{}, db.Errorf(db.ErrForbidden, "not_contract_manager", refusal, c.Number, actor.Email)
	}
	return c, actor, nil
}

// contractActor checks that actingEmail is an active member of the account
// (an inactive person holds no power on any ladder).
func contractActor(tx *gorm.DB, accountID, actingEmail string) (accountMemberRow, error) {
	return actingMember(tx, accountID, actingEmail)
}

// SetContractManager implements db.AccountStore (R-CLS-2, R-ADM-8): only the
// current contract manager hands the role on, by a compare-and-swap on the
// contract row. The new contract manager is made a secondary admin of every
// team of the account that holds users of the contract (if none, of the
// account's first team), created as a user there when needed; an admin
// keeps a higher role, and nobody's primary role changes. The former
// contract manager keeps their team roles.
func (s *Store) SetContractManager(ctx context.Context, accountID, number, actingEmail string, next db.Person, by db.Actor) (db.Contract, error) {
	var out db.Contract
	details := map[string]string{"number": number, "to": next.Email, "as": actingEmail}
	err := s.accountTx(ctx, accountID, by, "contract.manager.set", "contract", number, details, func(tx *gorm.DB) error {
		c, actor, err := s.lockAsContractManager(tx, accountID, number, actingEmail, "R-CLS-2: only the current contract manager of %s hands the role on; %s is not")
		if err != nil {
			return err
		}
		p, err := s.ensurePerson(tx, accountID, next)
		if err != nil {
			return err
		}
		if p.EmailLower == actor.EmailLower {
			out = c.toDomain()
			return nil
		}
		res := tx.Model(&contractRow{}).Where("id = ? AND contract_manager = ?", c.ID, c.ContractManager).Update("contract_manager", p.Email)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return db.Errorf(db.ErrStale, "contract_changed", "the contract changed concurrently; reload and retry")
		}
		teams, err := s.teamsServing(tx, c)
		if err != nil {
			return err
		}
		for _, teamID := range teams {
			if err := s.makeSecondaryAdmin(tx, accountID, teamID, p, by, c.Number); err != nil {
				return err
			}
		}
		prev := c.ContractManager
		c.ContractManager = p.Email
		out = c.toDomain()
		return s.audit(tx, accountID, by, "contract.manager.set", "contract", c.Number,
			map[string]string{"number": c.Number, "contract_manager": p.Email, "previous": prev, "secondary_admin_of": strings.Join(teams, ",")})
	})
	if err != nil {
		return db.Contract{}, fmt.Errorf("set contract manager: %w", err)
	}
	return out, nil
}

// teamsServing is DOMAIN.md's reconciliation of R-CLS-2: the account's teams
// that hold users of the contract (a team user whose email is a user of the
// contract), or, if none, the account's first team.
func (s *Store) teamsServing(tx *gorm.DB, c contractRow) ([]string, error) {
	var ids []string
	err := tx.Model(&userRow{}).Distinct("users.team_id").
		Joins("JOIN teams ON teams.id = users.team_id").
		Joins("JOIN contract_users ON contract_users.email_lower = users.email_lower").
		Where("teams.account_id = ? AND contract_users.contract_id = ?", c.AccountID, c.ID).
		Order("users.team_id").Pluck("users.team_id", &ids).Error
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	var first teamRow
	err = tx.Where("account_id = ?", c.AccountID).Order("created_at, id").Take(&first).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []string{first.ID}, nil
}

// makeSecondaryAdmin makes p a secondary admin of the team (R-CLS-2),
// creating them as a team user through the applier when they are not one.
// An admin already (any role) keeps their role.
func (s *Store) makeSecondaryAdmin(tx *gorm.DB, accountID, teamID string, p accountMemberRow, by db.Actor, number string) error {
	var u userRow
	err := tx.Take(&u, "team_id = ? AND email_lower = ?", teamID, p.EmailLower).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if strings.TrimSpace(p.FirstName) == "" || strings.TrimSpace(p.LastName) == "" {
			return db.Errorf(db.ErrInvalid, "names_required", "R-CLS-2: %s becomes a secondary admin of team %s and must be created there; give their first and last name", p.Email, teamID)
		}
		w := &writer{s: s, tx: tx, teamID: teamID}
		nu, err := w.createUser(db.NewUser{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName, Source: db.SourceAdmin}, nil, by, nil)
		if err != nil {
			return err
		}
		u = s.userRowFrom(nu)
	case err != nil:
		return err
	}
	if db.Role(u.AdminRole).IsAdmin() {
		return nil
	}
	if err := claimAdmin(tx, u.Email, accountID); err != nil {
		return err
	}
	res := tx.Model(&userRow{}).Where("id = ? AND admin_role = ''", u.ID).
		Updates(map[string]any{"admin_role": string(db.RoleSecondary), "version": gorm.Expr("version + 1"), "updated_at": s.nowUTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return db.Errorf(db.ErrStale, "role_changed", "the admin roles changed concurrently; reload and retry")
	}
	return s.audit(tx, teamID, by, "admin.set", "user", u.ID,
		map[string]string{"email": u.Email, "role": string(db.RoleSecondary), "previous": "none", "reason": "R-CLS-2: contract manager of " + number})
}

// SetSoftwareCoordinator implements db.AccountStore (R-CLS-3, R-CLS-4): only
// the contract's manager assigns it; no team admin role changes.
func (s *Store) SetSoftwareCoordinator(ctx context.Context, accountID, number, actingEmail string, coord db.Person, by db.Actor) (db.Contract, error) {
	var out db.Contract
	details := map[string]string{"number": number, "to": coord.Email, "as": actingEmail}
	err := s.accountTx(ctx, accountID, by, "contract.coordinator.set", "contract", number, details, func(tx *gorm.DB) error {
		c, _, err := s.lockAsContractManager(tx, accountID, number, actingEmail, "R-CLS-3: only the contract manager of %s assigns its software coordinator; %s is not")
		if err != nil {
			return err
		}
		p, err := s.ensurePerson(tx, accountID, coord)
		if err != nil {
			return err
		}
		res := tx.Model(&contractRow{}).Where("id = ? AND software_coordinator = ?", c.ID, c.SoftwareCoordinator).Update("software_coordinator", p.Email)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return db.Errorf(db.ErrStale, "contract_changed", "the contract changed concurrently; reload and retry")
		}
		prev := c.SoftwareCoordinator
		c.SoftwareCoordinator = p.Email
		out = c.toDomain()
		return s.audit(tx, accountID, by, "contract.coordinator.set", "contract", c.Number,
			map[string]string{"number": c.Number, "software_coordinator": p.Email, "previous": prev})
	})
	if err != nil {
		return db.Contract{}, fmt.Errorf("set software coordinator: %w", err)
	}
	return out, nil
}

// contractScope checks R-CLS-3 for the classic view's users: the operator
// (actingEmail "") or an active contract manager or software coordinator of
// this very contract.
func contractScope(tx *gorm.DB, c contractRow, actingEmail string) error {
	if actingEmail == "" {
		return nil
	}
	actor, err := contractActor(tx, c.AccountID, actingEmail)
	if err != nil {
		return err
	}
	if actor.EmailLower == db.NormalizeEmail(c.ContractManager) || actor.EmailLower == db.NormalizeEmail(c.SoftwareCoordinator) {
		return nil
	}
	return db.Errorf(db.ErrForbidden, "outside_contract", "R-CLS-3: %s manages users of their own contracts only, not of %s", actor.Email, c.Number)
}

// AddContractUser implements db.AccountStore: a user of the classic view
// only; no team user is created (R-CLS-4).
func (s *Store) AddContractUser(ctx context.Context, accountID, number, actingEmail, email string, by db.Actor) error {
	return s.contractUserTx(ctx, accountID, number, actingEmail, email, by, "contract.user.add", func(tx *gorm.DB, c contractRow) error {
		if err := db.ValidateEmail(email); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&contractUserRow{}).Where("contract_id = ? AND email_lower = ?", c.ID, db.NormalizeEmail(email)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return db.Errorf(db.ErrConflict, "contract_user_exists", "%s is already a user of contract %s", email, c.Number)
		}
		return tx.Create(&contractUserRow{ContractID: c.ID, EmailLower: db.NormalizeEmail(email), AccountID: accountID,
			Email: strings.TrimSpace(email), AddedAt: s.nowUTC()}).Error
	})
}

// RemoveContractUser implements db.AccountStore.
func (s *Store) RemoveContractUser(ctx context.Context, accountID, number, actingEmail, email string, by db.Actor) error {
	return s.contractUserTx(ctx, accountID, number, actingEmail, email, by, "contract.user.remove", func(tx *gorm.DB, c contractRow) error {
		res := tx.Delete(&contractUserRow{}, "contract_id = ? AND email_lower = ?", c.ID, db.NormalizeEmail(email))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return db.Errorf(db.ErrNotFound, "contract_user_not_found", "%s is not a user of contract %s", email, c.Number)
		}
		return nil
	})
}

// contractUserTx is the shared frame of adding and removing a contract's
// user: in one account transaction it locks the account, finds the contract,
// checks R-CLS-3's scope for actingEmail, runs change and writes the audit
// row of action ("contract.user.add" or "contract.user.remove"); a refusal
// is audited by accountTx like every account change.
func (s *Store) contractUserTx(ctx context.Context, accountID, number, actingEmail, email string, by db.Actor, action string, change func(tx *gorm.DB, c contractRow) error) error {
	details := map[string]string{"number": number, "email": email, "as": actingEmail}
	err := s.accountTx(ctx, accountID, by, action, "contract", number, details, func(tx *gorm.DB) error {
		if _, err := s.lockAccount(tx, accountID); err != nil {
			return err
		}
		c, err := findContract(tx, accountID, number)
		if err != nil {
			return err
		}
		if err := contractScope(tx, c, actingEmail); err != nil {
			return err
		}
		if err := change(tx, c); err != nil {
			return err
		}
		return s.audit(tx, accountID, by, action, "contract", c.Number, map[string]string{"number": c.Number, "email": email})
	})
	if err != nil {
		// "add contract user", "remove contract user"
		verb := strings.TrimPrefix(action, "contract.user.")
		return fmt.Errorf("%s contract user: %w", verb, err)
	}
	return nil
}

// ListContractUsers implements db.AccountStore; a software coordinator sees
// only their own contract's users (R-CLS-3).
func (s *Store) ListContractUsers(ctx context.Context, accountID, number, actingEmail string) ([]db.ContractUser, error) {
	var out []db.ContractUser
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.accountInfo(tx, accountID); err != nil {
			return err
		}
		c, err := findContract(tx, accountID, number)
		if err != nil {
			return err
		}
		if err := contractScope(tx, c, actingEmail); err != nil {
			return err
		}
		var rows []contractUserRow
		if err := tx.Where("contract_id = ?", c.ID).Order("email_lower").Find(&rows).Error; err != nil {
			return err
		}
		out = make([]db.ContractUser, len(rows))
		for i, r := range rows {
			out[i] = db.ContractUser{Email: r.Email, AddedAt: r.AddedAt.UTC()}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list contract users: %w", translate(err))
	}
	return out, nil
}
