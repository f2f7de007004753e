package adminapi

import (
	"context"

	"github.com/roster-dev/roster/db"
)

// The member, invitation, project, product and seat operations (issue 11):
// the cores of the JSON handlers in members.go, invitations.go,
// projects.go and seats.go, which the console calls too.

// MembersPage is one page of members (R-MEM-6).
type MembersPage struct {
	Members []MemberView `json:"members"`
	Next    string       `json:"next"`
}

// QueryMembers searches, filters, sorts and pages the team's members in SQL.
func (x *API) QueryMembers(ctx context.Context, c Caller, q db.MemberQuery) (MembersPage, error) {
	p, err := x.a.Store.QueryMembers(ctx, c.Team.ID, q)
	if err != nil {
		return MembersPage{}, err
	}
	return MembersPage{Members: MemberViews(p.Members), Next: p.Next}, nil
}

// MemberProfile is one member with their projects and product access in
// each (seed 002's member profile).
type MemberProfile struct {
	MemberView
	Projects []ProjectMemberView `json:"projects"`
}

// GetMember is one member's profile.
func (x *API) GetMember(ctx context.Context, c Caller, userID string) (MemberProfile, error) {
	m, err := x.a.Store.GetMember(ctx, c.Team.ID, userID)
	if err != nil {
		return MemberProfile{}, err
	}
	ps, err := x.a.Store.UserProjects(ctx, c.Team.ID, userID)
	if err != nil {
		return MemberProfile{}, err
	}
	return MemberProfile{MemberView: MemberViewOf(m), Projects: ProjectMemberViews(ps)}, nil
}

// AddMembers adds the request's members as pending team users, all or
// nothing (R-MEM-1); a refused request is a *db.RowErrors naming each row.
func (x *API) AddMembers(ctx context.Context, c Caller, req AddMembersRequest) ([]MemberView, error) {
	rows, err := req.rows()
	if err != nil {
		return nil, err
	}
	ms, err := x.a.Store.AddMembers(ctx, c.Team.ID, rows, c.Actor)
	if err != nil {
		return nil, err
	}
	return MemberViews(ms), nil
}

// EditMembers applies one bulk edit to the members named by email, all or
// nothing, and reports what it overwrote (R-MEM-2).
func (x *API) EditMembers(ctx context.Context, c Caller, req EditMembersRequest) (EditResult, error) {
	edit := db.MemberEdit{Company: req.Company, JobRole: req.Role}
	if req.Level != nil {
		l, err := db.ParseAccessLevel(*req.Level)
		if err != nil {
			return EditResult{}, err
		}
		edit.Level = &l
	}
	ids, err := MemberIDs(ctx, x.a.Store, c.Team.ID, req.Emails)
	if err != nil {
		return EditResult{}, err
	}
	ms, over, err := x.a.Store.EditMembers(ctx, c.Team.ID, ids, edit, c.Actor)
	if err != nil {
		return EditResult{}, err
	}
	if over == nil {
		over = []db.Overwrite{}
	}
	return EditResult{Members: MemberViews(ms), Overwrote: over}, nil
}

// RemoveMember removes a member from the team, every project and all
// product access, atomically (R-MEM-4).
func (x *API) RemoveMember(ctx context.Context, c Caller, userID string) error {
	return x.a.Store.RemoveMember(ctx, c.Team.ID, userID, c.Actor)
}

// ListCompanies is the team's companies list.
func (x *API) ListCompanies(ctx context.Context, c Caller) ([]string, error) {
	return x.a.Store.ListCompanies(ctx, c.Team.ID)
}

// ListInvitations lists the team's invitations in a state ("" = all).
func (x *API) ListInvitations(ctx context.Context, c Caller, state string) ([]InvitationView, error) {
	is, err := x.a.Store.ListInvitations(ctx, c.Team.ID, db.InvitationState(state))
	if err != nil {
		return nil, err
	}
	vs := make([]InvitationView, len(is))
	for i, inv := range is {
		vs[i] = InvitationViewOf(inv)
	}
	return vs, nil
}

// ResendInvitation sends a member's invitation again: a new link and a new
// expiry (R-MEM-3).
func (x *API) ResendInvitation(ctx context.Context, c Caller, userID string) (InvitationView, error) {
	inv, err := x.a.invite(ctx, c, userID)
	if err != nil {
		return InvitationView{}, err
	}
	return InvitationViewOf(inv), nil
}

// ListProducts is the team's product catalogue.
func (x *API) ListProducts(ctx context.Context, c Caller) ([]ProductView, error) {
	ps, err := x.a.Store.ListProducts(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	return ProductViews(ps), nil
}

// AddProduct adds a product to the catalogue (Base moves the base mark).
func (x *API) AddProduct(ctx context.Context, c Caller, in ProductView) (ProductView, error) {
	p, err := x.a.Store.AddProduct(ctx, c.Team.ID, db.Product(in), c.Actor)
	if err != nil {
		return ProductView{}, err
	}
	return ProductViews([]db.Product{p})[0], nil
}

// ListProjects is the team's projects.
func (x *API) ListProjects(ctx context.Context, c Caller) ([]ProjectView, error) {
	ps, err := x.a.Store.ListProjects(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	return ProjectViews(ps), nil
}

// CreateProject creates a project in the team.
func (x *API) CreateProject(ctx context.Context, c Caller, name string) (ProjectView, error) {
	p, err := x.a.Store.CreateProject(ctx, c.Team.ID, name, c.Actor)
	if err != nil {
		return ProjectView{}, err
	}
	return ProjectViews([]db.Project{p})[0], nil
}

// ListProjectMembers is a project's members with their product access.
func (x *API) ListProjectMembers(ctx context.Context, c Caller, projectID string) ([]ProjectMemberView, error) {
	ms, err := x.a.Store.ListProjectMembers(ctx, c.Team.ID, projectID)
	if err != nil {
		return nil, err
	}
	return ProjectMemberViews(ms), nil
}

// AddProjectMember puts a person on a project with a level and products; a
// person not yet in the team is created (R-POL-2), and a pending member is
// sent an invitation (R-MEM-3).
func (x *API) AddProjectMember(ctx context.Context, c Caller, projectID string, req AddProjectMemberRequest) (ProjectMemberView, error) {
	m, created, err := x.a.Store.AddProjectMember(ctx, c.Team.ID, projectID, db.NewProjectMember{Email: req.Email,
		FirstName: req.FirstName, LastName: req.LastName, Level: db.ProjectLevel(req.Level), Products: req.Products}, c.Actor)
	if err != nil {
		return ProjectMemberView{}, err
	}
	v := ProjectMemberViewOf(m)
	v.Created = created
	// Adding a member to a project sends an invitation (R-MEM-3), unless
	// they are already active (signed in).
	if m.User.Status == db.StatusPending {
		inv, err := x.a.invite(ctx, c, m.User.ID)
		if err != nil {
			return ProjectMemberView{}, err
		}
		iv := InvitationViewOf(inv)
		v.Invitation = &iv
	}
	return v, nil
}

// SetProjectAccess replaces a project member's products; without the base
// product the member leaves the project (R-MEM-4) and Removed is set.
func (x *API) SetProjectAccess(ctx context.Context, c Caller, projectID, userID string, products []string) (ProjectMemberView, error) {
	m, removed, err := x.a.Store.SetProjectAccess(ctx, c.Team.ID, projectID, userID, products, c.Actor)
	if err != nil {
		return ProjectMemberView{}, err
	}
	v := ProjectMemberViewOf(m)
	v.Removed = removed
	return v, nil
}

// SetProjectLevel changes a project member's level (member or admin); the
// project's last admin cannot be demoted (422 last_project_admin).
func (x *API) SetProjectLevel(ctx context.Context, c Caller, projectID, userID, level string) (ProjectMemberView, error) {
	m, err := x.a.Store.SetProjectLevel(ctx, c.Team.ID, projectID, userID, db.ProjectLevel(level), c.Actor)
	if err != nil {
		return ProjectMemberView{}, err
	}
	return ProjectMemberViewOf(m), nil
}

// Seats is the seat usage per catalogue product (R-MEM-5).
func (x *API) Seats(ctx context.Context, c Caller) ([]SeatView, error) {
	us, err := x.a.Store.Seats(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	return SeatViews(us), nil
}

// AddSubscription adds a subscription of seats to a product.
func (x *API) AddSubscription(ctx context.Context, c Caller, product string, seats int) error {
	return x.a.Store.AddSubscription(ctx, c.Team.ID, product, seats, c.Actor)
}

// SetExternalSubscription marks or unmarks a user's external subscription
// to a product (R-MEM-5).
func (x *API) SetExternalSubscription(ctx context.Context, c Caller, userID, product string, on bool) error {
	return x.a.Store.SetExternalSubscription(ctx, c.Team.ID, userID, product, on, c.Actor)
}

// SetInternalSeat gives (or takes back) an external subscriber an internal
// seat anyway (R-MEM-5): their access then outlives the external
// subscription.
func (x *API) SetInternalSeat(ctx context.Context, c Caller, userID, product string, on bool) error {
	return x.a.Store.SetInternalSeat(ctx, c.Team.ID, userID, product, on, c.Actor)
}
