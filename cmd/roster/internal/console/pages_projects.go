package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// ---- Projects (seed 002: projects, members with a level and per-product access) ----

type projectsView struct {
	Projects []adminapi.ProjectView
	Name     string
}

func (c *Console) renderProjects(w http.ResponseWriter, r *http.Request, s session, status int, v projectsView, notice, msg string) error {
	ps, err := c.Ops.ListProjects(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Projects = ps
	c.render(w, r, status, "projects", page{Title: "projects.title", Nav: "projects", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) projectsPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderProjects(w, r, s, http.StatusOK, projectsView{}, "", "")
}

func (c *Console) createProject(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	p, err := c.Ops.CreateProject(r.Context(), s.Caller, name)
	return outcome(err, http.StatusSeeOther, "", func(status int, _, msg string, failed bool) error {
		if failed {
			return c.renderProjects(w, r, s, status, projectsView{Name: name}, "", msg)
		}
		http.Redirect(w, r, "/console/projects/"+url.PathEscape(p.ID)+"?created=1", http.StatusSeeOther)
		return nil
	})
}

// projectView is one project: its members with their level and one
// checkbox per catalogue product, and the add-member form.
type projectView struct {
	Project  adminapi.ProjectView
	Members  []projectMemberRow
	Products []adminapi.ProductView
	Base     adminapi.ProductView
	Add      projectAddForm
}

type projectMemberRow struct {
	adminapi.ProjectMemberView
	Has map[string]bool
}

type projectAddForm struct {
	Email, FirstName, LastName, Level string
	Products                          map[string]bool
}

func (c *Console) renderProject(w http.ResponseWriter, r *http.Request, s session, status int, add *projectAddForm, notice, msg string) error {
	id := r.PathValue("project")
	var v projectView
	ps, err := c.Ops.ListProjects(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.ID == id {
			v.Project = p
		}
	}
	ms, err := c.Ops.ListProjectMembers(r.Context(), s.Caller, id)
	if err != nil {
		return err // an unknown or another team's project: 404 with the store's message
	}
	if v.Products, err = c.Ops.ListProducts(r.Context(), s.Caller); err != nil {
		return err
	}
	for _, p := range v.Products {
		if p.Base {
			v.Base = p
		}
	}
	for _, m := range ms {
		row := projectMemberRow{ProjectMemberView: m, Has: map[string]bool{}}
		for _, k := range m.Products {
			row.Has[k] = true
		}
		v.Members = append(v.Members, row)
	}
	if add != nil {
		v.Add = *add
	} else {
		v.Add = projectAddForm{Level: "member", Products: map[string]bool{v.Base.Key: true}}
	}
	if notice == "" && r.URL.Query().Get("created") != "" {
		notice = tr(lang(r), "projects.created")
	}
	c.render(w, r, status, "project", page{Title: "project.title", Nav: "projects", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) projectPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderProject(w, r, s, http.StatusOK, nil, "", "")
}

// addProjectMember puts a person on the project with a level and products;
// a person new to the team is created (R-POL-2) and invited (R-MEM-3).
func (c *Console) addProjectMember(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	add := projectAddForm{Email: strings.TrimSpace(f.Get("email")), FirstName: strings.TrimSpace(f.Get("first_name")),
		LastName: strings.TrimSpace(f.Get("last_name")), Level: f.Get("level"), Products: map[string]bool{}}
	for _, k := range f["product"] {
		add.Products[k] = true
	}
	m, err := c.Ops.AddProjectMember(r.Context(), s.Caller, r.PathValue("project"), adminapi.AddProjectMemberRequest{Email: add.Email,
		FirstName: add.FirstName, LastName: add.LastName, Level: add.Level, Products: f["product"]})
	notice := trf(lang(r), "project.added", m.Email)
	if m.Invitation != nil {
		notice += " " + trf(lang(r), "project.invited", m.Invitation.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return outcome(err, http.StatusCreated, notice, func(status int, notice, msg string, failed bool) error {
		if failed {
			return c.renderProject(w, r, s, status, &add, "", msg)
		}
		return c.renderProject(w, r, s, status, nil, notice, "")
	})
}

// setProjectAccess replaces a member's products; without the base product
// the member leaves the project (R-MEM-4), and the page says so.
func (c *Console) setProjectAccess(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	return c.applyAccess(w, r, s, r.PostForm["product"])
}

// removeProjectMember takes every product away, the base product with them:
// the member leaves the project (R-MEM-4).
func (c *Console) removeProjectMember(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	return c.applyAccess(w, r, s, []string{})
}

func (c *Console) applyAccess(w http.ResponseWriter, r *http.Request, s session, products []string) error {
	m, err := c.Ops.SetProjectAccess(r.Context(), s.Caller, r.PathValue("project"), r.PathValue("user"), products)
	notice := trf(lang(r), "project.access_saved", m.Email)
	if m.Removed {
		notice = trf(lang(r), "project.removed", m.Email)
	}
	return outcome(err, http.StatusOK, notice, func(status int, notice, msg string, _ bool) error {
		return c.renderProject(w, r, s, status, nil, notice, msg)
	})
}

// ---- Product catalogue ----

type catalogueView struct {
	Products  []adminapi.ProductView
	Key, Name string
	Base      bool
	// ConfirmRemove is the product whose removal the page asks to confirm.
	ConfirmRemove string
}

func (c *Console) renderCatalogue(w http.ResponseWriter, r *http.Request, s session, status int, v catalogueView, notice, msg string) error {
	ps, err := c.Ops.ListProducts(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Products = ps
	c.render(w, r, status, "catalogue", page{Title: "catalogue.title", Nav: "catalogue", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) cataloguePage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderCatalogue(w, r, s, http.StatusOK, catalogueView{}, "", "")
}

func (c *Console) addProduct(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	in := adminapi.ProductView{Key: strings.TrimSpace(f.Get("key")), Name: strings.TrimSpace(f.Get("name")), Base: f.Get("base") == "on"}
	p, err := c.Ops.AddProduct(r.Context(), s.Caller, in)
	return outcome(err, http.StatusCreated, trf(lang(r), "catalogue.added", p.Name), func(status int, notice, msg string, failed bool) error {
		v := catalogueView{}
		if failed {
			v = catalogueView{Key: in.Key, Name: in.Name, Base: in.Base}
		}
		return c.renderCatalogue(w, r, s, status, v, notice, msg)
	})
}

// ---- Seats (R-MEM-5) ----

type seatsView struct {
	Seats    []adminapi.SeatView
	Products []adminapi.ProductView
}

func (c *Console) renderSeats(w http.ResponseWriter, r *http.Request, s session, status int, notice, msg string) error {
	var v seatsView
	var err error
	if v.Seats, err = c.Ops.Seats(r.Context(), s.Caller); err != nil {
		return err
	}
	if v.Products, err = c.Ops.ListProducts(r.Context(), s.Caller); err != nil {
		return err
	}
	c.render(w, r, status, "seats", page{Title: "seats.title", Nav: "seats", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) seatsPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderSeats(w, r, s, http.StatusOK, "", "")
}

func (c *Console) addSubscription(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	n, cerr := strconv.Atoi(strings.TrimSpace(f.Get("seats")))
	err := cerr
	if cerr != nil {
		err = invalid("seats_invalid", tr(lang(r), "seats.seats_invalid"))
	} else {
		err = c.Ops.AddSubscription(r.Context(), s.Caller, f.Get("product"), n)
	}
	return outcome(err, http.StatusOK, tr(lang(r), "seats.added"), func(status int, notice, msg string, _ bool) error {
		return c.renderSeats(w, r, s, status, notice, msg)
	})
}

// setExternal marks or unmarks a user's external subscription to a product:
// their access to it then uses no internal seat (R-MEM-5).
func (c *Console) setExternal(w http.ResponseWriter, r *http.Request, s session) error {
	return c.seatMark(w, r, s, "external", c.Ops.SetExternalSubscription, "seats.external_on", "seats.external_off")
}

// seatMark is a Seats page form that turns one of a user's seat marks for a
// product on or off (field "on" or "off") through op.
func (c *Console) seatMark(w http.ResponseWriter, r *http.Request, s session, field string,
	op func(ctx context.Context, c adminapi.Caller, userID, product string, on bool) error, onKey, offKey string) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	on := f.Get(field) == "on"
	var err error
	var u userRef
	if u, err = c.userByEmail(r, s, f.Get("email")); err == nil {
		err = op(r.Context(), s.Caller, u.ID, f.Get("product"), on)
	}
	key := offKey
	if on {
		key = onKey
	}
	return outcome(err, http.StatusOK, trf(lang(r), key, u.Email), func(status int, notice, msg string, _ bool) error {
		return c.renderSeats(w, r, s, status, notice, msg)
	})
}
