package db

import "time"

// The views below are resources as the admin API shows them. They live in
// db, not in the admin API, because the store writes the same view into
// each event's payload in the change's own transaction (issue 14 #4): one
// view function per resource, used by both, so an event's resource and the
// API's answer cannot drift apart.

// UserView is a user as the CLI and the admin API show it.
type UserView struct {
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

// UserViewOf is u as the admin API shows it; expected is the type the
// team's policy expects for u (empty for admins).
func UserViewOf(u User, expected UserType) UserView {
	return UserView{ID: u.ID, Email: u.Email, UserName: u.UserName, FirstName: u.FirstName, LastName: u.LastName,
		Status: string(u.Status), Type: string(u.Type), Source: string(u.Source), AdminRole: string(u.AdminRole),
		Exception: u.Exception(expected), Expected: string(expected), ExternalID: u.ExternalID,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// TeamView is a team (with its role policy) as the CLI and API show it.
type TeamView struct {
	ID           string    `json:"id"`
	AccountID    string    `json:"account_id"`
	Name         string    `json:"name"`
	PrimaryAdmin string    `json:"primary_admin_id"`
	PolicyMode   string    `json:"policy_mode"`
	Domains      []string  `json:"policy_domains"`
	CreatedAt    time.Time `json:"created_at"`
}

// TeamViewOf is t as GET /teams/{team} shows it.
func TeamViewOf(t Team) TeamView {
	d := t.Policy.Domains
	if d == nil {
		d = []string{}
	}
	return TeamView{ID: t.ID, AccountID: t.AccountID, Name: t.Name, PrimaryAdmin: t.PrimaryUserID,
		PolicyMode: string(t.Policy.Mode), Domains: d, CreatedAt: t.CreatedAt}
}

// TokenView is a token; it never includes the secret or its hash.
type TokenView struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Prefix     string     `json:"prefix"`
	UserID     string     `json:"user_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// TokenViewOf is t as GET /teams/{team}/tokens shows it.
func TokenViewOf(t Token) TokenView {
	return TokenView{ID: t.ID, Kind: string(t.Kind), Prefix: t.Prefix, UserID: t.UserID, CreatedAt: t.CreatedAt,
		LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// GroupView is a group as events carry it (the admin API has no group
// routes; SCIM shows groups in its own schema).
type GroupView struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"display_name"`
	ExternalID  string    `json:"external_id,omitempty"`
	Source      string    `json:"source"`
	MemberCount int       `json:"member_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// GroupViewOf is g as events carry it.
func GroupViewOf(g Group) GroupView {
	return GroupView{ID: g.ID, DisplayName: g.DisplayName, ExternalID: g.ExternalID, Source: string(g.Source),
		MemberCount: g.MemberCount, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

// DeletedView is the resource of an event whose resource no longer exists
// (user.deleted, group.deleted, webhook.deleted, ...): its kind and id and
// "deleted": true.
type DeletedView struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// DirectoryRunView is one directory sync run as
// the directory.run_completed event shows it (the admin API has no run route).
type DirectoryRunView struct {
	ID           int64           `json:"id"`
	ConnectionID string          `json:"connection_id"`
	Mode         string          `json:"mode"`
	DryRun       bool            `json:"dry_run"`
	StartedAt    time.Time       `json:"started_at"`
	DurationMS   int64           `json:"duration_ms"`
	Counts       DirectoryCounts `json:"counts"`
	Error        string          `json:"error,omitempty"`
}

// DirectoryRunViewOf is r as events show it.
func DirectoryRunViewOf(r DirectoryRun) DirectoryRunView {
	return DirectoryRunView{ID: r.ID, ConnectionID: r.ConnectionID, Mode: r.Mode, DryRun: r.DryRun, StartedAt: r.StartedAt,
		DurationMS: r.Duration.Milliseconds(), Counts: r.Counts, Error: r.Error}
}

// AccountInfoView is an account as the CLI and the admin API show it: its
// owner (R-OWN-1) and which user-management views it has (R-CLS-4).
type AccountInfoView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Owner  string   `json:"owner"`
	Views  []string `json:"views"`
	Hybrid bool     `json:"hybrid"`
}

// AccountInfoViewOf is a as GET /teams/{team}/account shows it.
func AccountInfoViewOf(a AccountInfo) AccountInfoView {
	vs := make([]string, len(a.Views))
	for i, v := range a.Views {
		vs[i] = string(v)
	}
	return AccountInfoView{ID: a.ID, Name: a.Name, Owner: a.Owner, Views: vs, Hybrid: a.Hybrid()}
}

// AccountRoleView is one person's role on the account ladder.
type AccountRoleView struct {
	Email     string `json:"email"`
	Role      string `json:"role"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Status    string `json:"status"`
}

// AccountRoleViewOf is m as GET /teams/{team}/account/roles shows it.
func AccountRoleViewOf(m AccountMember) AccountRoleView {
	return AccountRoleView{Email: m.Email, Role: m.Role.String(), FirstName: m.FirstName, LastName: m.LastName, Status: string(m.Status)}
}

// ContractView is a contract, people as emails.
type ContractView struct {
	Number              string   `json:"number"`
	ContractManager     string   `json:"contract_manager"`
	SoftwareCoordinator string   `json:"software_coordinator"`
	Products            []string `json:"products"`
	Seats               int      `json:"seats"`
}

// ContractViewOf is c as GET .../contracts/{number} shows it.
func ContractViewOf(c Contract) ContractView {
	p := c.Products
	if p == nil {
		p = []string{}
	}
	return ContractView{Number: c.Number, ContractManager: c.ContractManager, SoftwareCoordinator: c.SoftwareCoordinator, Products: p, Seats: c.Seats}
}

// ProductView is a catalogue product as the CLI and the API show it.
type ProductView struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Base bool   `json:"base"`
}

// ProductViewOf is p as GET /teams/{team}/products shows it.
func ProductViewOf(p Product) ProductView { return ProductView(p) }

// ProjectView is a project.
type ProjectView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ProjectViewOf is p as GET /teams/{team}/projects shows it.
func ProjectViewOf(p Project) ProjectView { return ProjectView{ID: p.ID, Name: p.Name} }

// ProductMappingView is a group-to-product mapping: members of the group
// get the product on the project; Waiting of its Members lack it because
// the product's seats were in use (R-MEM-5).
type ProductMappingView struct {
	ID          string    `json:"id"`
	GroupID     string    `json:"group_id"`
	GroupName   string    `json:"group_name"`
	ProjectID   string    `json:"project_id"`
	ProjectName string    `json:"project_name"`
	Product     string    `json:"product"`
	Members     int       `json:"members"`
	Waiting     int       `json:"waiting"`
	CreatedAt   time.Time `json:"created_at"`
}

// ProductMappingViewOf is m as GET /teams/{team}/product-mappings shows it.
func ProductMappingViewOf(m ProductMapping) ProductMappingView {
	return ProductMappingView{ID: m.ID, GroupID: m.GroupID, GroupName: m.GroupName, ProjectID: m.ProjectID,
		ProjectName: m.ProjectName, Product: m.Product, Members: m.Members, Waiting: m.Waiting, CreatedAt: m.CreatedAt}
}

// DirectoryConnectionView is a directory connection (never its bind
// password reference) as GET /teams/{team}/directories shows it, without
// the run history the list adds.
type DirectoryConnectionView struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	URL      string `json:"url"`
	BaseDN   string `json:"base_dn"`
	BindDN   string `json:"bind_dn"`
	Enabled  bool   `json:"enabled"`
	Interval string `json:"interval,omitempty"`
}

// DirectoryConnectionViewOf is c as the admin API shows it.
func DirectoryConnectionViewOf(c DirectoryConnection) DirectoryConnectionView {
	v := DirectoryConnectionView{ID: c.ID, Kind: string(c.Kind), URL: c.URL, BaseDN: c.BaseDN, BindDN: c.BindDN, Enabled: c.Enabled}
	if c.Interval > 0 {
		v.Interval = c.Interval.String()
	}
	return v
}

// SSOViewer renders a team's SSO configuration and SP keys (signing key
// first) as GET /teams/{team}/sso shows it. The view needs Roster's base
// URL and the certificate warning period, which the store does not know,
// so cmd/roster gives the store the sso package's renderer
// (gormdb.Config.SSOView); the admin API answers with the same function.
type SSOViewer func(c SSOConfig, keys []SSOKey) any
