package gormdb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// CreateTeam implements db.Store.
func (s *Store) CreateTeam(ctx context.Context, in db.NewTeam, by db.Actor) (db.Team, db.User, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return db.Team{}, db.User{}, db.Errorf(db.ErrInvalid, "name_required", "team name is required")
	}
	if err := validateNames(in.PrimaryFirstName, in.PrimaryLastName); err != nil {
		return db.Team{}, db.User{}, err
	}
	if err := db.ValidateEmail(in.PrimaryEmail); err != nil {
		return db.Team{}, db.User{}, err
	}
	now := s.nowUTC()
	team := teamRow{ID: newID(), AccountID: in.AccountID, Name: in.Name, PolicyMode: string(db.PolicyDefault), CreatedAt: now}
	email := strings.TrimSpace(in.PrimaryEmail)
	u := db.User{ID: newID(), TeamID: team.ID, Email: email, UserName: email,
		FirstName: strings.TrimSpace(in.PrimaryFirstName), LastName: strings.TrimSpace(in.PrimaryLastName),
		Status: db.StatusActive, Source: db.SourceAdmin, AdminRole: db.RolePrimary, Version: 1,
		CreatedAt: now, UpdatedAt: now}
	u.Type = s.classify(db.Policy{Mode: db.PolicyDefault}, email, db.SourceAdmin, true)
	team.PrimaryUserID = u.ID
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if team.AccountID == "" {
			name := strings.TrimSpace(in.AccountName)
			if name == "" {
				name = in.Name
			}
			team.AccountID = newID()
			if err := tx.Create(&accountRow{ID: team.AccountID, Name: name, CreatedAt: now}).Error; err != nil {
				return err
			}
			// R-OWN-1: the new account's owner is the purchaser (the
			// primary admin) unless another owner is named.
			owner := db.Person{Email: email, FirstName: u.FirstName, LastName: u.LastName}
			if in.OwnerEmail != "" && db.NormalizeEmail(in.OwnerEmail) != db.NormalizeEmail(email) {
				owner = db.Person{Email: in.OwnerEmail}
			}
			m, err := s.ensurePerson(tx, team.AccountID, owner)
			if err != nil {
				return err
			}
			if err := s.setMemberRole(tx, team.AccountID, m.EmailLower, db.AccountOwner, db.AccountRoleNone); err != nil {
				return err
			}
			if err := s.audit(tx, team.AccountID, by, "account.create", "account", team.AccountID,
				map[string]string{"name": name, "owner": m.Email}); err != nil {
				return err
			}
		} else if err := tx.Take(&accountRow{}, "id = ?", team.AccountID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return db.Errorf(db.ErrNotFound, "account_not_found", "account %q does not exist", team.AccountID)
			}
			return err
		}
		if err := claimAdmin(tx, email, team.AccountID); err != nil {
			return err
		}
		if err := tx.Create(&team).Error; err != nil {
			return err
		}
		// every new team starts with seed 002's product catalogue (issue 11 #5)
		if err := seedProducts(tx, team.ID, now); err != nil {
			return err
		}
		if err := s.audit(tx, team.ID, by, "team.create", "team", team.ID,
			map[string]string{"name": team.Name, "primary_admin": email}); err != nil {
			return err
		}
		// the primary admin is written like every user (the writer's row,
		// email index and user.create audit; issue 10 #1): the email index
		// lets an IdP's emails[type eq "work"].value filter find it (issue 9 #12)
		w := &writer{s: s, tx: tx, teamID: team.ID}
		if err := w.queueUser(&u, nil, by, nil); err != nil {
			return err
		}
		return w.flush()
	})
	if err != nil {
		return db.Team{}, db.User{}, fmt.Errorf("create team: %w", err)
	}
	return db.Team{ID: team.ID, AccountID: team.AccountID, Name: team.Name, PrimaryUserID: u.ID,
		Policy: db.Policy{Mode: db.PolicyDefault}, CreatedAt: now}, u, nil
}

// GetTeam implements db.Store.
func (s *Store) GetTeam(ctx context.Context, teamID string) (db.Team, error) {
	var r teamRow
	if err := s.conn(ctx).Take(&r, "id = ?", teamID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.Team{}, teamNotFound(teamID)
		}
		return db.Team{}, fmt.Errorf("get team: %w", translate(err))
	}
	p, err := loadPolicy(s.conn(ctx), &r)
	if err != nil {
		return db.Team{}, fmt.Errorf("get team: %w", translate(err))
	}
	return db.Team{ID: r.ID, AccountID: r.AccountID, Name: r.Name, PrimaryUserID: r.PrimaryUserID,
		Policy: p, CreatedAt: r.CreatedAt.UTC()}, nil
}

// ListTeams implements db.Store.
func (s *Store) ListTeams(ctx context.Context) ([]db.Team, error) {
	var rows []teamRow
	if err := s.conn(ctx).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list teams: %w", translate(err))
	}
	out := make([]db.Team, 0, len(rows))
	for _, r := range rows {
		out = append(out, db.Team{ID: r.ID, AccountID: r.AccountID, Name: r.Name,
			PrimaryUserID: r.PrimaryUserID, Policy: db.Policy{Mode: db.PolicyMode(r.PolicyMode)}, CreatedAt: r.CreatedAt.UTC()})
	}
	return out, nil
}

func teamNotFound(id string) error {
	return db.Errorf(db.ErrNotFound, "team_not_found", "team %q does not exist", id)
}

// lockTeam reads the team row inside tx, locking it on servers that can, so
// writers of team-wide state (primary admin, policy) serialise.
func (s *Store) lockTeam(tx *gorm.DB, teamID string) (teamRow, error) {
	var r teamRow
	q := tx
	if s.dialect != SQLite {
		q = q.Clauses(forUpdate())
	}
	if err := q.Take(&r, "id = ?", teamID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, teamNotFound(teamID)
		}
		return r, err
	}
	return r, nil
}

func loadPolicy(tx *gorm.DB, r *teamRow) (db.Policy, error) {
	p := db.Policy{Mode: db.PolicyMode(r.PolicyMode)}
	if err := tx.Model(&teamDomainRow{}).Where("team_id = ?", r.ID).Order("domain").Pluck("domain", &p.Domains).Error; err != nil {
		return p, err
	}
	return p, nil
}

// teamMode reads a team's row and policy mode (and proves the team exists).
// It never reads the approved domains: classification reads only the ones
// it needs (classifierFor).
func teamMode(tx *gorm.DB, teamID string) (teamRow, db.PolicyMode, error) {
	var r teamRow
	if err := tx.Take(&r, "id = ?", teamID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, "", teamNotFound(teamID)
		}
		return r, "", err
	}
	return r, db.PolicyMode(r.PolicyMode), nil
}

func validateNames(first, last string) error {
	if strings.TrimSpace(first) == "" {
		return db.Errorf(db.ErrInvalid, "first_name_required", "first name is required")
	}
	if strings.TrimSpace(last) == "" {
		return db.Errorf(db.ErrInvalid, "last_name_required", "last name is required")
	}
	if len(first) > 255 || len(last) > 255 {
		return db.Errorf(db.ErrInvalid, "name_too_long", "names are limited to 255 characters")
	}
	return nil
}
