package gormdb

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// Private row structs: the schema. Indexes named explicitly so migrations and
// error messages are stable across dialects.

type accountRow struct {
	ID        string `gorm:"primaryKey;size:36"`
	Name      string `gorm:"size:255;not null"`
	CreatedAt time.Time
}

func (accountRow) TableName() string { return "accounts" }

type teamRow struct {
	ID            string `gorm:"primaryKey;size:36"`
	AccountID     string `gorm:"size:36;not null;index:idx_teams_account"`
	Name          string `gorm:"size:255;not null"`
	PrimaryUserID string `gorm:"size:36;not null"`
	PolicyMode    string `gorm:"size:16;not null;default:default"`
	CreatedAt     time.Time
}

func (teamRow) TableName() string { return "teams" }

type teamDomainRow struct {
	TeamID string `gorm:"primaryKey;size:36"`
	Domain string `gorm:"primaryKey;size:253"`
}

func (teamDomainRow) TableName() string { return "team_domains" }

type userRow struct {
	ID            string `gorm:"primaryKey;size:36"`
	TeamID        string `gorm:"size:36;not null;uniqueIndex:idx_users_team_email,priority:1;uniqueIndex:idx_users_team_username,priority:1;index:idx_users_team_external,priority:1;index:idx_users_team_domain,priority:1"`
	Email         string `gorm:"size:254;not null"`
	EmailLower    string `gorm:"size:254;not null;uniqueIndex:idx_users_team_email,priority:2;index:idx_users_email"`
	EmailDomain   string `gorm:"size:253;not null;index:idx_users_team_domain,priority:2"`
	UserName      string `gorm:"size:255;not null"`
	UserNameLower string `gorm:"size:255;not null;uniqueIndex:idx_users_team_username,priority:2"`
	FirstName     string `gorm:"size:255;not null"`
	LastName      string `gorm:"size:255;not null"`
	Status        string `gorm:"size:16;not null"`
	Type          string `gorm:"size:16;not null"`
	Source        string `gorm:"size:16;not null"`
	AdminRole     string `gorm:"size:16;not null;default:''"`
	ExternalID    string `gorm:"size:255;not null;default:'';index:idx_users_team_external,priority:2"`
	Attributes    []byte
	Version       int64 `gorm:"not null"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (userRow) TableName() string { return "users" }

// adminPersonRow pins every admin (by email) to one account: R-ADM-2 enforced
// by a primary key, so two concurrent assignments in two accounts cannot both win.
type adminPersonRow struct {
	EmailLower string `gorm:"primaryKey;size:254"`
	AccountID  string `gorm:"size:36;not null"`
}

func (adminPersonRow) TableName() string { return "admin_persons" }

type groupRow struct {
	ID               string `gorm:"primaryKey;size:36"`
	TeamID           string `gorm:"size:36;not null;uniqueIndex:idx_groups_team_name,priority:1;index:idx_groups_team_external,priority:1"`
	DisplayName      string `gorm:"size:255;not null"`
	DisplayNameLower string `gorm:"size:255;not null;uniqueIndex:idx_groups_team_name,priority:2"`
	ExternalID       string `gorm:"size:255;not null;default:'';index:idx_groups_team_external,priority:2"`
	Source           string `gorm:"size:16;not null"`
	Attributes       []byte
	MemberCount      int   `gorm:"not null;default:0"`
	Version          int64 `gorm:"not null"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (groupRow) TableName() string { return "groups" }

type memberRow struct {
	GroupID string `gorm:"primaryKey;size:36"`
	UserID  string `gorm:"primaryKey;size:36;index:idx_members_user"`
	TeamID  string `gorm:"size:36;not null"`
}

func (memberRow) TableName() string { return "group_members" }

type tokenRow struct {
	ID         string `gorm:"primaryKey;size:36"`
	TeamID     string `gorm:"size:36;not null;index:idx_tokens_team"`
	Kind       string `gorm:"size:16;not null"`
	UserID     string `gorm:"size:36;not null;default:''"`
	Prefix     string `gorm:"size:16;not null"`
	Hash       string `gorm:"size:64;not null;uniqueIndex:idx_tokens_hash"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "tokens" }

type auditRow struct {
	ID         int64     `gorm:"primaryKey;autoIncrement"`
	TeamID     string    `gorm:"size:36;not null;index:idx_audit_team,priority:1"`
	At         time.Time `gorm:"not null"`
	ActorKind  string    `gorm:"size:16;not null"`
	ActorID    string    `gorm:"size:64;not null"`
	ActorName  string    `gorm:"size:255;not null"`
	Action     string    `gorm:"size:64;not null"`
	TargetKind string    `gorm:"size:32;not null"`
	TargetID   string    `gorm:"size:64;not null"`
	Details    string    `gorm:"type:text"`

	// view is the affected resource's view when the writer already holds
	// it (issue 15: the user or group it has just written), so writeAudits
	// need not read it back; nil: writeAudits reads it (resourceViews).
	// Unexported, so gorm neither stores nor reads it.
	view any
}

func (auditRow) TableName() string { return "audit_log" }

type contractRow struct {
	ID                  string `gorm:"primaryKey;size:36"`
	AccountID           string `gorm:"size:36;not null"`
	Name                string `gorm:"size:255;not null"`
	Number              string `gorm:"size:64;not null"`
	ContractManager     string `gorm:"size:254;not null"`
	SoftwareCoordinator string `gorm:"size:254;not null"`
	Products            string `gorm:"not null"` // comma-separated
	Seats               int    `gorm:"not null"`
	CreatedAt           time.Time
}

func (contractRow) TableName() string { return "contracts" }

func (r *userRow) toDomain() db.User {
	return db.User{
		ID: r.ID, TeamID: r.TeamID, UserName: r.UserName, Email: r.Email, FirstName: r.FirstName,
		LastName: r.LastName, Status: db.Status(r.Status), Type: db.UserType(r.Type),
		Source: db.Source(r.Source), AdminRole: db.Role(r.AdminRole), ExternalID: r.ExternalID,
		Attributes: r.Attributes, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// userRowFrom is the row of u, with email_domain in the role policy's
// normalised form (domain.EmailDomain) on every path that writes one.
func (s *Store) userRowFrom(u db.User) userRow {
	return userRow{
		ID: u.ID, TeamID: u.TeamID, Email: u.Email, EmailLower: db.NormalizeEmail(u.Email),
		EmailDomain: s.emailDomain(u.Email), UserName: u.UserName, UserNameLower: lower(u.UserName),
		FirstName: u.FirstName, LastName: u.LastName, Status: string(u.Status), Type: string(u.Type),
		Source: string(u.Source), AdminRole: string(u.AdminRole), ExternalID: u.ExternalID,
		Attributes: u.Attributes, Version: u.Version, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func (r *groupRow) toDomain() db.Group {
	return db.Group{
		ID: r.ID, TeamID: r.TeamID, DisplayName: r.DisplayName, ExternalID: r.ExternalID,
		Source: db.Source(r.Source), Attributes: r.Attributes, MemberCount: r.MemberCount,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

func (r *tokenRow) toDomain() db.Token {
	h, _ := hex.DecodeString(r.Hash)
	t := db.Token{ID: r.ID, TeamID: r.TeamID, Kind: db.TokenKind(r.Kind), UserID: r.UserID,
		Prefix: r.Prefix, Hash: h, CreatedAt: r.CreatedAt.UTC(), LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt}
	return t
}

func (r *auditRow) toDomain() db.AuditEntry {
	return db.AuditEntry{ID: r.ID, TeamID: r.TeamID, At: r.At.UTC(),
		Actor:  db.Actor{Kind: db.ActorKind(r.ActorKind), ID: r.ActorID, Name: r.ActorName},
		Action: r.Action, TargetKind: r.TargetKind, TargetID: r.TargetID, Details: r.Details}
}

func (r *contractRow) toDomain() db.Contract {
	products := []string{}
	if r.Products != "" {
		products = strings.Split(r.Products, ",")
	}
	return db.Contract{ID: r.ID, AccountID: r.AccountID, Number: r.Number, ContractManager: r.ContractManager,
		SoftwareCoordinator: r.SoftwareCoordinator, Products: products, Seats: r.Seats, CreatedAt: r.CreatedAt.UTC()}
}

type accountMemberRow struct {
	AccountID  string `gorm:"primaryKey;size:36"`
	EmailLower string `gorm:"primaryKey;size:254"`
	Email      string `gorm:"size:254;not null"`
	FirstName  string `gorm:"size:255;not null"`
	LastName   string `gorm:"size:255;not null"`
	Role       string `gorm:"size:32;not null"`
	Status     string `gorm:"size:16;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (accountMemberRow) TableName() string { return "account_members" }

func (r *accountMemberRow) toDomain() db.AccountMember {
	return db.AccountMember{AccountID: r.AccountID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		Role: db.AccountRole(r.Role), Status: db.Status(r.Status)}
}

type contractUserRow struct {
	ContractID string `gorm:"primaryKey;size:36"`
	EmailLower string `gorm:"primaryKey;size:254"`
	AccountID  string `gorm:"size:36;not null"`
	Email      string `gorm:"size:254;not null"`
	AddedAt    time.Time
}

func (contractUserRow) TableName() string { return "contract_users" }
