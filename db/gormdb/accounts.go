package gormdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

var _ db.AccountStore = (*Store)(nil)

// Account-level changes (the account ladder, contracts, notices) are audited
// under the account id: the audit log's scope column (team_id) holds the
// account's id for them, so `roster account audit` lists them with
// ListAudit(accountID).

// accountTx runs fn in one transaction. When fn refuses the change with a
// client error, the transaction has rolled back (nothing changed) and the
// refused attempt is audited on its own as action+".refused" with the error's
// code (R-HIE-3, issue 12 "Bad input"). An unknown account is not audited:
// there is no account to audit it under.
func (s *Store) accountTx(ctx context.Context, accountID string, by db.Actor, action, kind, target string, details map[string]string, fn func(tx *gorm.DB) error) error {
	err := s.tx(ctx, fn)
	if err == nil || !db.IsClientError(err) || db.CodeOf(err) == "account_not_found" {
		return err
	}
	d := map[string]string{"code": db.CodeOf(err), "error": errorMessage(err)}
	for k, v := range details {
		d[k] = v
	}
	if aerr := s.tx(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, accountID, by, action+".refused", kind, target, d)
	}); aerr != nil {
		return fmt.Errorf("%w (and auditing the refusal failed: %v)", err, translate(aerr))
	}
	return err
}

func errorMessage(err error) string {
	var de *db.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

func accountNotFound(id string) error {
	return db.Errorf(db.ErrNotFound, "account_not_found", "account %q does not exist", id)
}

// lockAccount reads the account row, locking it on servers that can, so
// writers of account-wide state (ownership, roles) serialise.
func (s *Store) lockAccount(tx *gorm.DB, accountID string) (accountRow, error) {
	var r accountRow
	q := tx
	if s.dialect != SQLite {
		q = q.Clauses(forUpdate())
	}
	if err := q.Take(&r, "id = ?", accountID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, accountNotFound(accountID)
		}
		return r, err
	}
	return r, nil
}

func findMember(tx *gorm.DB, accountID, email string) (accountMemberRow, bool, error) {
	var m accountMemberRow
	err := tx.Take(&m, "account_id = ? AND email_lower = ?", accountID, db.NormalizeEmail(email)).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return m, false, nil
	}
	return m, err == nil, err
}

// actingMember is the person acting on the account ladder: known to the
// account and active (an inactive person holds no power on any ladder).
func actingMember(tx *gorm.DB, accountID, email string) (accountMemberRow, error) {
	m, ok, err := findMember(tx, accountID, email)
	if err != nil {
		return m, err
	}
	if !ok {
		return m, db.Errorf(db.ErrForbidden, "not_account_member", "%s is not a member of this account", email)
	}
	if db.Status(m.Status) != db.StatusActive {
		return m, db.Errorf(db.ErrForbidden, "actor_inactive", "%s is %s and holds no power until reactivated", m.Email, m.Status)
	}
	return m, nil
}

// ensurePerson returns the account's member row for p, creating it (with no
// role) when the person is not yet known to the account (issue 12 #2). The
// names come from p or, failing that, from a user of the account's teams
// with that email.
func (s *Store) ensurePerson(tx *gorm.DB, accountID string, p db.Person) (accountMemberRow, error) {
	if err := db.ValidateEmail(p.Email); err != nil {
		return accountMemberRow{}, err
	}
	for _, t := range []string{p.FirstName, p.LastName} {
		if err := db.CheckText("name", t); err != nil {
			return accountMemberRow{}, err
		}
	}
	m, ok, err := findMember(tx, accountID, p.Email)
	if err != nil || ok {
		return m, err
	}
	first, last := strings.TrimSpace(p.FirstName), strings.TrimSpace(p.LastName)
	if first == "" || last == "" {
		var u userRow
		err := tx.Joins("JOIN teams ON teams.id = users.team_id").
			Where("teams.account_id = ? AND users.email_lower = ?", accountID, db.NormalizeEmail(p.Email)).
			Order("users.created_at").Take(&u).Error
		switch {
		case err == nil:
			first, last = u.FirstName, u.LastName
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return m, err
		}
	}
	now := s.nowUTC()
	m = accountMemberRow{AccountID: accountID, EmailLower: db.NormalizeEmail(p.Email), Email: strings.TrimSpace(p.Email),
		FirstName: first, LastName: last, Role: "", Status: string(db.StatusActive), CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&m).Error; err != nil {
		if isUniqueViolation(err) {
			return m, db.Errorf(db.ErrStale, "member_changed", "%s was added to the account concurrently; retry", p.Email)
		}
		return m, err
	}
	return m, nil
}

// setMemberRole is the compare-and-swap of one member's role.
func (s *Store) setMemberRole(tx *gorm.DB, accountID, emailLower string, want, was db.AccountRole) error {
	res := tx.Model(&accountMemberRow{}).Where("account_id = ? AND email_lower = ? AND role = ?", accountID, emailLower, string(was)).
		Updates(map[string]any{"role": string(want), "updated_at": s.nowUTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return db.Errorf(db.ErrStale, "role_changed", "the account roles changed concurrently; reload and retry")
	}
	return nil
}

// GetAccount implements db.AccountStore.
func (s *Store) GetAccount(ctx context.Context, accountID string) (db.AccountInfo, error) {
	info, err := s.accountInfo(s.conn(ctx), accountID)
	if err != nil {
		return db.AccountInfo{}, fmt.Errorf("get account: %w", translate(err))
	}
	return info, nil
}

func (s *Store) accountInfo(tx *gorm.DB, accountID string) (db.AccountInfo, error) {
	var a accountRow
	if err := tx.Take(&a, "id = ?", accountID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.AccountInfo{}, accountNotFound(accountID)
		}
		return db.AccountInfo{}, err
	}
	info := db.AccountInfo{Account: db.Account{ID: a.ID, Name: a.Name, CreatedAt: a.CreatedAt.UTC()}, Views: []db.AccountView{}}
	var owner accountMemberRow
	if err := tx.Where("account_id = ? AND role = ?", accountID, string(db.AccountOwner)).Take(&owner).Error; err == nil {
		info.Owner = owner.Email
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return info, err
	}
	var teams, contracts int64
	if err := tx.Model(&teamRow{}).Where("account_id = ?", accountID).Count(&teams).Error; err != nil {
		return info, err
	}
	if err := tx.Model(&contractRow{}).Where("account_id = ?", accountID).Count(&contracts).Error; err != nil {
		return info, err
	}
	if teams > 0 {
		info.Views = append(info.Views, db.ViewTeam)
	}
	if contracts > 0 {
		info.Views = append(info.Views, db.ViewClassic)
	}
	return info, nil
}

// ListAccountMembers implements db.AccountStore: the people the account
// knows, the owner first, then by role and email.
func (s *Store) ListAccountMembers(ctx context.Context, accountID string) ([]db.AccountMember, error) {
	if _, err := s.accountInfo(s.conn(ctx), accountID); err != nil {
		return nil, fmt.Errorf("list account members: %w", translate(err))
	}
	var rows []accountMemberRow
	if err := s.conn(ctx).Where("account_id = ?", accountID).Order("email_lower").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list account members: %w", translate(err))
	}
	out := make([]db.AccountMember, 0, len(rows))
	for level := 4; level >= 0; level-- {
		for i := range rows {
			if db.AccountRole(rows[i].Role).Level() == level {
				out = append(out, rows[i].toDomain())
			}
		}
	}
	return out, nil
}

// SetAccountRole implements db.AccountStore (R-HIE-1, R-HIE-2, R-HIE-3).
func (s *Store) SetAccountRole(ctx context.Context, accountID, actingEmail string, target db.Person, role db.AccountRole, by db.Actor) (db.AccountMember, error) {
	var out db.AccountMember
	details := map[string]string{"email": target.Email, "role": role.String(), "as": actingEmail}
	err := s.accountTx(ctx, accountID, by, "account.role.set", "account_member", db.NormalizeEmail(target.Email), details, func(tx *gorm.DB) error {
		if _, err := s.lockAccount(tx, accountID); err != nil {
			return err
		}
		if role == db.AccountOwner {
			return db.Errorf(db.ErrRule, "owner_not_assignable", "R-HIE-2: the owner role is never assigned by a role change; the owner transfers ownership instead (R-OWN-3)")
		}
		if role != db.AccountRoleNone && role.Level() == 0 {
			return db.Errorf(db.ErrInvalid, "role_invalid", "unknown account role %q", role)
		}
		actor, err := actingMember(tx, accountID, actingEmail)
		if err != nil {
			return err
		}
		ar := db.AccountRole(actor.Role)
		if !db.Can(db.AccountPrincipal(ar), db.ActAccountSetRole) {
			return db.Refusal(actor.Email+" ("+ar.String()+")", db.ActAccountSetRole)
		}
		if role.Level() >= ar.Level() {
			return db.Errorf(db.ErrForbidden, "role_not_lower", "R-HIE-2: %s (%s) can only assign roles lower than their own, not %s", actor.Email, ar, role)
		}
		m, err := s.ensurePerson(tx, accountID, target)
		if err != nil {
			return err
		}
		from := db.AccountRole(m.Role)
		if from == db.AccountOwner {
			return db.Errorf(db.ErrRule, "owner_role_fixed", "R-OWN-3: %s is the owner; ownership moves only by the owner's transfer", m.Email)
		}
		if from.Level() >= ar.Level() {
			return db.Errorf(db.ErrForbidden, "role_not_lower", "R-HIE-2: %s is %s, not below %s (%s); only a higher role changes it", m.Email, from, actor.Email, ar)
		}
		if from != role {
			if err := s.setMemberRole(tx, accountID, m.EmailLower, role, from); err != nil {
				return err
			}
			m.Role = string(role)
		}
		out = m.toDomain()
		return s.audit(tx, accountID, by, "account.role.set", "account_member", m.EmailLower,
			map[string]string{"email": m.Email, "role": role.String(), "previous": from.String(), "as": actor.Email})
	})
	if err != nil {
		return db.AccountMember{}, fmt.Errorf("set account role: %w", err)
	}
	return out, nil
}

// TransferOwnership implements db.AccountStore (R-OWN-3): a compare-and-swap
// on both rows, under the account's row lock, so two concurrent transfers
// cannot both win and the account never has zero or two owners (R-OWN-1).
func (s *Store) TransferOwnership(ctx context.Context, accountID, actingEmail string, to db.Person, by db.Actor) (db.AccountInfo, error) {
	var out db.AccountInfo
	details := map[string]string{"to": to.Email, "as": actingEmail}
	err := s.accountTx(ctx, accountID, by, "account.ownership.transfer", "account", accountID, details, func(tx *gorm.DB) error {
		if _, err := s.lockAccount(tx, accountID); err != nil {
			return err
		}
		actor, err := actingMember(tx, accountID, actingEmail)
		if err != nil {
			return err
		}
		if db.AccountRole(actor.Role) != db.AccountOwner {
			return db.Errorf(db.ErrForbidden, "not_owner", "R-OWN-3: only the account's owner transfers ownership; %s is %s", actor.Email, db.AccountRole(actor.Role))
		}
		next, err := s.ensurePerson(tx, accountID, to)
		if err != nil {
			return err
		}
		if next.EmailLower == actor.EmailLower {
			return db.Errorf(db.ErrRule, "already_owner", "%s already owns the account", actor.Email)
		}
		if db.Status(next.Status) != db.StatusActive {
			return db.Errorf(db.ErrRule, "owner_requires_active", "R-OWN-1: %s is %s; the owner must be an active member, so reactivate them first", next.Email, next.Status)
		}
		if err := s.setMemberRole(tx, accountID, actor.EmailLower, db.AccountSecondaryOwner, db.AccountOwner); err != nil {
			return err
		}
		if err := s.setMemberRole(tx, accountID, next.EmailLower, db.AccountOwner, db.AccountRole(next.Role)); err != nil {
			return err
		}
		if err := s.audit(tx, accountID, by, "account.ownership.transfer", "account", accountID,
			map[string]string{"from": actor.Email, "to": next.Email, "previous_role": db.AccountRole(next.Role).String()}); err != nil {
			return err
		}
		out, err = s.accountInfo(tx, accountID)
		return err
	})
	if err != nil {
		return db.AccountInfo{}, fmt.Errorf("transfer ownership: %w", err)
	}
	return out, nil
}

// SetAccountMemberStatus implements db.AccountStore. The owner stays active
// (like the primary admin, R-ADM-1): transfer ownership first.
func (s *Store) SetAccountMemberStatus(ctx context.Context, accountID, email string, st db.Status, by db.Actor) (db.AccountMember, error) {
	var out db.AccountMember
	err := s.accountTx(ctx, accountID, by, "account.member.status", "account_member", db.NormalizeEmail(email), map[string]string{"status": string(st)}, func(tx *gorm.DB) error {
		if _, err := s.lockAccount(tx, accountID); err != nil {
			return err
		}
		if st != db.StatusActive && st != db.StatusInactive {
			return db.Errorf(db.ErrInvalid, "status_invalid", "status must be active or inactive")
		}
		m, ok, err := findMember(tx, accountID, email)
		if err != nil {
			return err
		}
		if !ok {
			return db.Errorf(db.ErrNotFound, "member_not_found", "%s is not a member of this account", email)
		}
		if db.AccountRole(m.Role) == db.AccountOwner && st != db.StatusActive {
			return db.Errorf(db.ErrRule, "owner_must_stay_active", "R-OWN-1: %s owns the account and must stay active; transfer ownership first", m.Email)
		}
		prev := m.Status
		if err := tx.Model(&accountMemberRow{}).Where("account_id = ? AND email_lower = ?", accountID, m.EmailLower).
			Updates(map[string]any{"status": string(st), "updated_at": s.nowUTC()}).Error; err != nil {
			return err
		}
		m.Status = string(st)
		out = m.toDomain()
		return s.audit(tx, accountID, by, "account.member.status", "account_member", m.EmailLower,
			map[string]string{"email": m.Email, "status": string(st), "previous": prev})
	})
	if err != nil {
		return db.AccountMember{}, fmt.Errorf("set account member status: %w", err)
	}
	return out, nil
}

// Notify implements db.AccountStore: the notice is an audit entry
// "notice.<kind>" addressed (details "to") to whoever holds the role the
// notice belongs to at the time of writing, in the same transaction that
// reads that role — the owner for renewal and invoice notices (R-OWN-1; a
// secondary owner gets none, R-OWN-2), the contract's software coordinator
// for release notices (001). The events outbox (issue 14) delivers them.
func (s *Store) Notify(ctx context.Context, accountID string, kind db.NoticeKind, contract string, by db.Actor) (db.Notice, error) {
	n := db.Notice{AccountID: accountID, Kind: kind, Contract: contract}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		info, err := s.accountInfo(tx, accountID)
		if err != nil {
			return err
		}
		switch kind {
		case db.NoticeRenewal, db.NoticeInvoice:
			n.To = info.Owner
		case db.NoticeRelease:
			c, err := findContract(tx, accountID, contract)
			if err != nil {
				return err
			}
			if c.SoftwareCoordinator == "" {
				return db.Errorf(db.ErrRule, "no_software_coordinator", "contract %s has no software coordinator to send release notices to", c.Number)
			}
			n.To = c.SoftwareCoordinator
		default:
			return db.Errorf(db.ErrInvalid, "notice_invalid", "unknown notice kind %q (renewal, invoice or release)", kind)
		}
		if n.To == "" {
			return db.Errorf(db.ErrRule, "no_owner", "R-OWN-1: account %s has no owner to notify", accountID)
		}
		d := map[string]string{"to": n.To, "kind": string(kind)}
		if contract != "" {
			d["contract"] = contract
		}
		return s.audit(tx, accountID, by, "notice."+string(kind), "account", accountID, d)
	})
	if err != nil {
		return db.Notice{}, fmt.Errorf("notify: %w", translate(err))
	}
	return n, nil
}
