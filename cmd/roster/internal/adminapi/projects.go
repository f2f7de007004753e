package adminapi

import (
	"net/http"

	"github.com/roster-dev/roster/db"
)

// ProductView is a catalogue product as the CLI and the API show it.
type ProductView struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Base bool   `json:"base"`
}

// ProjectView is a project.
type ProjectView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ProjectMemberView is a project member with their product access.
type ProjectMemberView struct {
	ProjectID string   `json:"project_id"`
	UserID    string   `json:"user_id"`
	Email     string   `json:"email"`
	Status    string   `json:"status"`
	Type      string   `json:"type"`
	Source    string   `json:"source"`
	Level     string   `json:"level"`
	Products  []string `json:"products"`
	// Created: the person was not in the team and was added (R-POL-2).
	Created bool `json:"created,omitempty"`
	// Removed: the base product was turned off, so the member left the project (R-MEM-4).
	Removed bool `json:"removed,omitempty"`
	// Invitation: the invitation adding the member sent (R-MEM-3).
	Invitation *InvitationView `json:"invitation,omitempty"`
}

// ProductViews renders products.
func ProductViews(ps []db.Product) []ProductView {
	out := make([]ProductView, len(ps))
	for i, p := range ps {
		out[i] = ProductView{Key: p.Key, Name: p.Name, Base: p.Base}
	}
	return out
}

// ProjectViews renders projects.
func ProjectViews(ps []db.Project) []ProjectView {
	out := make([]ProjectView, len(ps))
	for i, p := range ps {
		out[i] = ProjectView{ID: p.ID, Name: p.Name}
	}
	return out
}

// ProjectMemberViewOf renders a project member.
func ProjectMemberViewOf(m db.ProjectMember) ProjectMemberView {
	ps := m.Products
	if ps == nil {
		ps = []string{}
	}
	return ProjectMemberView{ProjectID: m.ProjectID, UserID: m.User.ID, Email: m.User.Email, Status: string(m.User.Status),
		Type: string(m.User.Type), Source: string(m.User.Source), Level: string(m.Level), Products: ps}
}

// ProjectMemberViews renders project members.
func ProjectMemberViews(ms []db.ProjectMember) []ProjectMemberView {
	out := make([]ProjectMemberView, len(ms))
	for i, m := range ms {
		out[i] = ProjectMemberViewOf(m)
	}
	return out
}

type createProjectRequest struct {
	Name string `json:"name"`
}

// AddProjectMemberRequest puts a person on a project (R-POL-2, R-MEM-3).
type AddProjectMemberRequest struct {
	Email     string   `json:"email"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Level     string   `json:"level"`
	Products  []string `json:"products"`
}

type setAccessRequest struct {
	Products []string `json:"products"`
}

// mountProjects registers the products and projects routes (issue 11 #5).
func (a *api) mountProjects() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/products", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListProducts(r.Context(), c))
	})
	a.route("POST", "/teams/{team}/products", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req ProductView
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.AddProduct(r.Context(), c, req))
	})
	a.route("GET", "/teams/{team}/projects", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListProjects(r.Context(), c))
	})
	a.route("POST", "/teams/{team}/projects", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req createProjectRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.CreateProject(r.Context(), c, req.Name))
	})
	a.route("GET", "/teams/{team}/projects/{project}/members", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListProjectMembers(r.Context(), c, r.PathValue("project")))
	})
	a.route("POST", "/teams/{team}/projects/{project}/members", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req AddProjectMemberRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.AddProjectMember(r.Context(), c, r.PathValue("project"), req))
	})
	a.route("PUT", "/teams/{team}/projects/{project}/members/{user}/access", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req setAccessRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetProjectAccess(r.Context(), c, r.PathValue("project"), r.PathValue("user"), req.Products))
	})
}
