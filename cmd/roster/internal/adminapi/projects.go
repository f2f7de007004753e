package adminapi

import (
	"net/http"
	"net/url"

	"github.com/roster-dev/roster/db"
)

// ProductView is a catalogue product as the CLI and the API show it (db's
// shape, shared with events).
type ProductView = db.ProductView

// ProjectView is a project (db's shape, shared with events).
type ProjectView = db.ProjectView

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
		out[i] = db.ProductViewOf(p)
	}
	return out
}

// ProjectViews renders projects.
func ProjectViews(ps []db.Project) []ProjectView {
	out := make([]ProjectView, len(ps))
	for i, p := range ps {
		out[i] = db.ProjectViewOf(p)
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

type updateProductRequest struct {
	Name string `json:"name"`
	Base bool   `json:"base"` // true moves the base mark here; false leaves it
}

// ProductRemoval is the answer to removing a product: how many project
// memberships lost it (R-MEM-4).
type ProductRemoval struct {
	Product string `json:"product"`
	Revoked int    `json:"revoked"`
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

type setLevelRequest struct {
	Level string `json:"level"`
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
	a.route("PATCH", "/teams/{team}/products/{product}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req updateProductRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.UpdateProduct(r.Context(), c, r.PathValue("product"), req.Name, req.Base))
	})
	a.route("DELETE", "/teams/{team}/products/{product}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.RemoveProduct(r.Context(), c, r.PathValue("product")))
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
		// With any R-MEM-6 parameter: one page {members, next}; without,
		// every member as an array, as before. level is the project level.
		v := url.Values{}
		for k, vs := range r.URL.Query() {
			if k != "level" {
				v[k] = vs
			}
		}
		mq, paged, err := MemberQueryOf(v)
		if err != nil {
			return err
		}
		qv := r.URL.Query()
		paged = paged || qv.Has("level") || qv.Has("product") || qv.Has("limit") || qv.Has("after")
		if !paged {
			ms, err := a.Store.ListProjectMembers(r.Context(), c.Team.ID, r.PathValue("project"))
			if err != nil {
				return err
			}
			WriteJSON(w, http.StatusOK, ProjectMemberViews(ms))
			return nil
		}
		p, err := a.Store.QueryProjectMembers(r.Context(), c.Team.ID, r.PathValue("project"), db.ProjectMemberQuery{Q: mq.Q, Status: mq.Status,
			Level: db.ProjectLevel(qv.Get("level")), Type: mq.Type, Source: mq.Source, Company: mq.Company, Product: qv.Get("product"),
			Sort: mq.Sort, Desc: mq.Desc, After: mq.After, Limit: mq.Limit})
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]any{"members": ProjectMemberViews(p.Members), "next": p.Next})
		return nil
	})
	a.route("POST", "/teams/{team}/projects/{project}/members", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req AddProjectMemberRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.AddProjectMember(r.Context(), c, r.PathValue("project"), req))
	})
	a.route("PATCH", "/teams/{team}/projects/{project}/members/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req setLevelRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetProjectLevel(r.Context(), c, r.PathValue("project"), r.PathValue("user"), req.Level))
	})
	a.route("PUT", "/teams/{team}/projects/{project}/members/{user}/access", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req setAccessRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetProjectAccess(r.Context(), c, r.PathValue("project"), r.PathValue("user"), req.Products))
	})
}
