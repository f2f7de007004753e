package main

import (
	"context"
	"time"

	"github.com/roster-dev/roster/db"
)

// userView is a user as the CLI and the admin API show it.
type userView struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	UserName   string    `json:"user_name"`
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	Status     string    `json:"status"`
	Type       string    `json:"type"`
	Source     string    `json:"source"`
	AdminRole  string    `json:"admin_role"`
	Exception  bool      `json:"exception"`
	Expected   string    `json:"expected_type,omitempty"`
	ExternalID string    `json:"external_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// userViews renders users with their role-policy exception flags.
func userViews(ctx context.Context, s db.Store, teamID string, users []db.User) ([]userView, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	expected, err := s.ExpectedTypes(ctx, teamID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]userView, len(users))
	for i, u := range users {
		exp := expected[u.ID]
		out[i] = userView{ID: u.ID, Email: u.Email, UserName: u.UserName, FirstName: u.FirstName, LastName: u.LastName,
			Status: string(u.Status), Type: string(u.Type), Source: string(u.Source), AdminRole: string(u.AdminRole),
			Exception: u.Exception(exp), Expected: string(exp), ExternalID: u.ExternalID,
			CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	}
	return out, nil
}

func userViewOf(ctx context.Context, s db.Store, u db.User) (userView, error) {
	v, err := userViews(ctx, s, u.TeamID, []db.User{u})
	if err != nil {
		return userView{}, err
	}
	return v[0], nil
}

// teamView is a team as the CLI and API show it.
type teamView struct {
	ID           string    `json:"id"`
	AccountID    string    `json:"account_id"`
	Name         string    `json:"name"`
	PrimaryAdmin string    `json:"primary_admin_id"`
	PolicyMode   string    `json:"policy_mode"`
	Domains      []string  `json:"policy_domains"`
	CreatedAt    time.Time `json:"created_at"`
}

func teamViewOf(t db.Team) teamView {
	d := t.Policy.Domains
	if d == nil {
		d = []string{}
	}
	return teamView{ID: t.ID, AccountID: t.AccountID, Name: t.Name, PrimaryAdmin: t.PrimaryUserID,
		PolicyMode: string(t.Policy.Mode), Domains: d, CreatedAt: t.CreatedAt}
}

// tokenView never includes the secret or its hash.
type tokenView struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Prefix     string     `json:"prefix"`
	UserID     string     `json:"user_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func tokenViewOf(t db.Token) tokenView {
	return tokenView{ID: t.ID, Kind: string(t.Kind), Prefix: t.Prefix, UserID: t.UserID, CreatedAt: t.CreatedAt,
		LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// auditView is an audit entry.
type auditView struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorKind  string    `json:"actor_kind"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	TargetKind string    `json:"target_kind"`
	TargetID   string    `json:"target_id"`
	Details    string    `json:"details,omitempty"`
}

func auditViewOf(a db.AuditEntry) auditView {
	return auditView{ID: a.ID, At: a.At, ActorKind: string(a.Actor.Kind), ActorID: a.Actor.ID, ActorName: a.Actor.Name,
		Action: a.Action, TargetKind: a.TargetKind, TargetID: a.TargetID, Details: a.Details}
}
