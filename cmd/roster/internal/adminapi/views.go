package adminapi

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// UserView is a user as the CLI and the admin API show it; the shape is
// db's, shared with the event payloads the store writes.
type UserView = db.UserView

// ExpectedTyper is the one store method the user views need.
type ExpectedTyper interface {
	ExpectedTypes(ctx context.Context, teamID string, userIDs []string) (map[string]db.UserType, error)
}

// UserViews renders users with their role-policy exception flags.
func UserViews(ctx context.Context, s ExpectedTyper, teamID string, users []db.User) ([]UserView, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	expected, err := s.ExpectedTypes(ctx, teamID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]UserView, len(users))
	for i, u := range users {
		out[i] = db.UserViewOf(u, expected[u.ID])
	}
	return out, nil
}

func UserViewOf(ctx context.Context, s ExpectedTyper, u db.User) (UserView, error) {
	v, err := UserViews(ctx, s, u.TeamID, []db.User{u})
	if err != nil {
		return UserView{}, err
	}
	return v[0], nil
}

// TeamView is a team as the CLI and API show it (db's shape, shared with events).
type TeamView = db.TeamView

// TeamViewOf is db.TeamViewOf.
func TeamViewOf(t db.Team) TeamView { return db.TeamViewOf(t) }

// TokenView never includes the secret or its hash (db's shape, shared with events).
type TokenView = db.TokenView

// TokenViewOf is db.TokenViewOf.
func TokenViewOf(t db.Token) TokenView { return db.TokenViewOf(t) }

// AuditView is an audit entry.
type AuditView struct {
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

func AuditViewOf(a db.AuditEntry) AuditView {
	return AuditView{ID: a.ID, At: a.At, ActorKind: string(a.Actor.Kind), ActorID: a.Actor.ID, ActorName: a.Actor.Name,
		Action: a.Action, TargetKind: a.TargetKind, TargetID: a.TargetID, Details: a.Details}
}

// EventView is an event (issue 14 #4) as GET /events and `roster events`
// show it; payload is the JSON object the store wrote with the change.
type EventView struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	Type       string          `json:"type"`
	TargetKind string          `json:"target_kind"`
	TargetID   string          `json:"target_id"`
	Payload    json.RawMessage `json:"payload"`
}

func EventViewOf(e db.Event) EventView {
	p := json.RawMessage(e.Payload)
	if !json.Valid(p) {
		p = json.RawMessage("{}")
	}
	return EventView{ID: e.ID, At: e.At, Type: e.Type, TargetKind: e.TargetKind, TargetID: e.TargetID, Payload: p}
}

// EventsPageMax is the largest page of GET /events (and `roster events list --limit`).
const EventsPageMax = 1000

// PolicyView is a team's policy as the CLI and the admin API show it.
type PolicyView struct {
	TeamID     string              `json:"team_id"`
	Mode       string              `json:"mode"`
	Domains    []string            `json:"domains"`
	Exceptions ExceptionCountsView `json:"exceptions"`
}

type ExceptionCountsView struct {
	Total    int `json:"total"`
	Standard int `json:"standard"`
	External int `json:"external"`
}

// PolicyPreviewView is the outcome of a dry run.
type PolicyPreviewView struct {
	DryRun     bool                 `json:"dry_run"`
	TeamID     string               `json:"team_id"`
	Mode       string               `json:"mode"`
	Domains    []string             `json:"domains"`
	Exceptions PolicyPreviewSummary `json:"exceptions"`
	Users      []ExceptionView      `json:"users"` // the users that would become exceptions (a page)
	Next       string               `json:"next,omitempty"`
}

type PolicyPreviewSummary struct {
	Total    int `json:"total"`    // exceptions under the proposed policy
	Becoming int `json:"becoming"` // of them, users that are not exceptions now
	Cleared  int `json:"cleared"`  // exceptions now that would no longer be
}

// ExceptionView is one role-policy exception.
type ExceptionView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Source    string `json:"source"`
	Current   string `json:"current"`
	Expected  string `json:"expected"`
}

func ExceptionViews(es []db.Exception) []ExceptionView {
	out := make([]ExceptionView, len(es))
	for i, e := range es {
		out[i] = ExceptionView{ID: e.UserID, Email: e.Email, FirstName: e.FirstName, LastName: e.LastName,
			Source: string(e.Source), Current: string(e.Current), Expected: string(e.Expected)}
	}
	return out
}

// TypeChangeView is the outcome of a type change or a revert.
type TypeChangeView struct {
	Users    []UserTypeChangeView `json:"users"`
	Warnings []WarningView        `json:"warnings"`
}

type UserTypeChangeView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	From      string `json:"from"`
	To        string `json:"to"`
	Expected  string `json:"expected"`
	Exception bool   `json:"exception"`
}

type WarningView struct {
	Code    string `json:"code"`
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	Message string `json:"message"`
}

func TypeChangeViewOf(tc db.TypeChange) TypeChangeView {
	v := TypeChangeView{Users: make([]UserTypeChangeView, len(tc.Users)), Warnings: make([]WarningView, len(tc.Warnings))}
	emails := map[string]string{}
	for i, u := range tc.Users {
		v.Users[i] = UserTypeChangeView{ID: u.UserID, Email: u.Email, From: string(u.From), To: string(u.To),
			Expected: string(u.Expected), Exception: u.Exception}
		emails[u.UserID] = u.Email
	}
	for i, w := range tc.Warnings {
		v.Warnings[i] = WarningView{Code: w.Code, UserID: w.UserID, Email: emails[w.UserID], Message: w.Message}
	}
	return v
}

func ParseMode(s string) (db.PolicyMode, error) {
	switch m := db.PolicyMode(strings.ToLower(strings.TrimSpace(s))); m {
	case db.PolicyDefault, db.PolicyDomain:
		return m, nil
	}
	return "", db.Errorf(db.ErrInvalid, "mode_invalid", "policy mode %q is not default or domain", s)
}

// ParseTypeFilter maps all/standard/external to an exception filter.
func ParseTypeFilter(s string) (db.UserType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "all":
		return "", nil
	case "standard":
		return db.TypeStandard, nil
	case "external":
		return db.TypeExternal, nil
	}
	return "", db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not all, standard or external", s)
}

func ParseUserType(s string) (db.UserType, error) {
	switch t := db.UserType(strings.ToLower(strings.TrimSpace(s))); t {
	case db.TypeStandard, db.TypeExternal:
		return t, nil
	}
	return "", db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not standard or external", s)
}

// PolicyViewOf reads the team's stored policy and counts its exceptions.
func PolicyViewOf(ctx context.Context, s interface {
	GetTeam(ctx context.Context, teamID string) (db.Team, error)
	CountExceptions(ctx context.Context, teamID string) (db.ExceptionCounts, error)
}, teamID string) (PolicyView, error) {
	t, err := s.GetTeam(ctx, teamID)
	if err != nil {
		return PolicyView{}, err
	}
	c, err := s.CountExceptions(ctx, teamID)
	if err != nil {
		return PolicyView{}, err
	}
	d := t.Policy.Domains
	if d == nil {
		d = []string{}
	}
	return PolicyView{TeamID: t.ID, Mode: string(t.Policy.Mode), Domains: d,
		Exceptions: ExceptionCountsView{Total: c.Total, Standard: c.Standard, External: c.External}}, nil
}

func PreviewViewOf(teamID string, pv db.PolicyPreview, limit int) PolicyPreviewView {
	d := pv.Policy.Domains
	if d == nil {
		d = []string{}
	}
	v := PolicyPreviewView{DryRun: true, TeamID: teamID, Mode: string(pv.Policy.Mode), Domains: d,
		Exceptions: PolicyPreviewSummary{Total: pv.Exceptions, Becoming: pv.Becoming, Cleared: pv.Cleared},
		Users:      ExceptionViews(pv.Users)}
	if limit > 0 && len(pv.Users) == limit {
		v.Next = pv.Users[len(pv.Users)-1].UserID
	}
	return v
}
