package console

import (
	"net/http"
	"strings"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// membersView is the Members page (seed 002): the list (R-MEM-6), add by
// pasting emails (R-MEM-1), bulk edit (R-MEM-2) and remove (R-MEM-4).
type membersView struct {
	Members                   []adminapi.MemberView
	Q, Status, Company, Level string
	Product                   string
	Products                  []adminapi.ProductView
	Sort, Order               string
	FirstURL, NextURL         string
	Heads                     map[string]sortHead
	Companies                 []string
	Levels                    []string
	Add                       addForm
	Added                     []adminapi.MemberView
	Edit                      editForm
	Overwrote                 []db.Overwrite
	Edited                    int
	ConfirmRemove             *adminapi.MemberView
}

// addForm is the add-members form as posted, with each row's problem.
type addForm struct {
	Emails, Company, Role, Level string
	Rows                         []addRow
}

type addRow struct {
	N              int
	Email, Problem string
}

// editForm is the bulk-edit form as posted.
type editForm struct {
	Selected             map[string]bool
	Company, Role, Level string
}

func (c *Console) renderMembers(w http.ResponseWriter, r *http.Request, s session, status int, v membersView, notice, msg string) error {
	q := r.URL.Query()
	v.Q, v.Status, v.Company, v.Level = strings.TrimSpace(q.Get("q")), q.Get("status"), q.Get("company"), q.Get("level")
	v.Sort, v.Order = q.Get("sort"), q.Get("order")
	if v.Sort == "" {
		v.Sort = "email"
	}
	if v.Order == "" {
		v.Order = "asc"
	}
	v.Levels = []string{string(db.LevelMember), string(db.LevelAccountAdmin), string(db.LevelExecutive), string(db.LevelStandardsAdmin)}
	cs, err := c.Ops.ListCompanies(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Companies = cs
	v.Product = q.Get("product")
	if v.Products, err = c.Ops.ListProducts(r.Context(), s.Caller); err != nil {
		return err
	}
	mq, _, err := adminapi.MemberQueryOf(q)
	if err == nil {
		mq.Sort, mq.Limit = v.Sort, usersPerPage
		var p adminapi.MembersPage
		if p, err = c.Ops.QueryMembers(r.Context(), s.Caller, mq); err == nil {
			v.Members = p.Members
			lq := listQuery{path: "/console/members", sort: v.Sort, order: v.Order, filters: []string{"q", v.Q, "status", v.Status,
				"company", v.Company, "level", v.Level, "product", v.Product}}
			v.Heads = lq.heads("email", "name", "company", "role", "level", "status", "type")
			if p.Next != "" {
				v.NextURL = lq.url(v.Sort, v.Order, p.Next)
			}
			if q.Get("after") != "" {
				v.FirstURL = lq.url(v.Sort, v.Order, "")
			}
		}
	}
	if st, m, internal := refusal(err); internal != nil {
		return internal
	} else if err != nil && msg == "" {
		status, msg = st, m
	}
	if v.Edit.Selected == nil {
		v.Edit.Selected = map[string]bool{}
	}
	c.render(w, r, status, "members", page{Title: "members.title", Nav: "members", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) membersPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderMembers(w, r, s, http.StatusOK, membersView{}, "", "")
}

// addMembers is the quick path of R-MEM-1: a pasted list, all with the same
// company, role and level. A refused list is shown again with each bad row's
// reason beside it; nothing was added.
func (c *Console) addMembers(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	af := addForm{Emails: f.Get("emails"), Company: strings.TrimSpace(f.Get("company")), Role: strings.TrimSpace(f.Get("role")), Level: f.Get("level")}
	added, err := c.Ops.AddMembers(r.Context(), s.Caller, adminapi.AddMembersRequest{Emails: af.Emails, Company: af.Company, Role: af.Role, Level: af.Level})
	return outcome(err, http.StatusCreated, trf(lang(r), "members.added", len(added)), func(status int, notice, msg string, failed bool) error {
		if !failed {
			return c.renderMembers(w, r, s, status, membersView{Added: added}, notice, "")
		}
		bad := rowErrors(err)
		for i, e := range db.SplitEmailList(af.Emails) {
			af.Rows = append(af.Rows, addRow{N: i + 1, Email: e, Problem: bad[i+1].Message})
		}
		return c.renderMembers(w, r, s, status, membersView{Add: af}, "", msg)
	})
}

// editMembers is the bulk edit of R-MEM-2: every field given is set on every
// selected member, and the page lists what it overwrote.
func (c *Console) editMembers(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	ef := editForm{Selected: map[string]bool{}, Company: strings.TrimSpace(f.Get("company")), Role: strings.TrimSpace(f.Get("role")), Level: f.Get("level")}
	req := adminapi.EditMembersRequest{Emails: f["email"]}
	for _, e := range req.Emails {
		ef.Selected[e] = true
	}
	if ef.Company != "" {
		req.Company = &ef.Company
	}
	if ef.Role != "" {
		req.Role = &ef.Role
	}
	if ef.Level != "" {
		req.Level = &ef.Level
	}
	var err error
	if req.Company == nil && req.Role == nil && req.Level == nil {
		err = db.Errorf(db.ErrInvalid, "edit_empty", "%s", tr(lang(r), "members.edit_empty"))
	}
	var res adminapi.EditResult
	if err == nil {
		res, err = c.Ops.EditMembers(r.Context(), s.Caller, req)
	}
	return outcome(err, http.StatusOK, trf(lang(r), "members.edited", len(res.Members)), func(status int, notice, msg string, failed bool) error {
		v := membersView{Overwrote: res.Overwrote, Edited: len(res.Members)}
		if failed {
			v = membersView{Edit: ef}
		}
		return c.renderMembers(w, r, s, status, v, notice, msg)
	})
}

// removeMember asks first, then removes the member from the team, every
// project and all product access (R-MEM-4).
func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	id := r.PathValue("user")
	if r.PostForm.Get("confirm") != "yes" {
		u, err := c.Ops.GetUser(r.Context(), s.Caller, id)
		if err != nil {
			return err
		}
		mv := adminapi.MemberView{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
		return c.renderMembers(w, r, s, http.StatusOK, membersView{ConfirmRemove: &mv}, "", "")
	}
	err := c.Ops.RemoveMember(r.Context(), s.Caller, id)
	return outcome(err, http.StatusOK, tr(lang(r), "members.removed"), func(status int, notice, msg string, _ bool) error {
		return c.renderMembers(w, r, s, status, membersView{}, notice, msg)
	})
}

// ---- Invitations ----

type invitationsView struct {
	Invitations []adminapi.InvitationView
	State       string
}

func (c *Console) renderInvitations(w http.ResponseWriter, r *http.Request, s session, status int, notice, msg string) error {
	v := invitationsView{State: r.URL.Query().Get("state")}
	is, err := c.Ops.ListInvitations(r.Context(), s.Caller, v.State)
	if st, m, internal := refusal(err); internal != nil {
		return internal
	} else if err != nil {
		status, msg = st, m
	}
	v.Invitations = is
	c.render(w, r, status, "invitations", page{Title: "invitations.title", Nav: "invitations", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) invitationsPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderInvitations(w, r, s, http.StatusOK, "", "")
}

// resendInvitation sends the invitation again with a new link and expiry (R-MEM-3).
func (c *Console) resendInvitation(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	inv, err := c.Ops.ResendInvitation(r.Context(), s.Caller, r.PathValue("user"))
	return outcome(err, http.StatusOK, trf(lang(r), "invitations.resent", inv.Email), func(status int, notice, msg string, _ bool) error {
		return c.renderInvitations(w, r, s, status, notice, msg)
	})
}

// ---- A member's profile (seed 002) ----

// memberView is one member: company, role and access level to edit, and
// their projects with the product access in each.
type memberView struct {
	Member    adminapi.MemberProfile
	Levels    []string
	Companies []string
	Projects  map[string]string // project id → name
	Overwrote []db.Overwrite
	Saved     bool
}

func (c *Console) renderMember(w http.ResponseWriter, r *http.Request, s session, status int, v memberView, notice, msg string) error {
	ctx := r.Context()
	var err error
	if v.Member, err = c.Ops.GetMember(ctx, s.Caller, r.PathValue("user")); err != nil {
		return err
	}
	if v.Companies, err = c.Ops.ListCompanies(ctx, s.Caller); err != nil {
		return err
	}
	ps, err := c.Ops.ListProjects(ctx, s.Caller)
	if err != nil {
		return err
	}
	v.Projects = map[string]string{}
	for _, p := range ps {
		v.Projects[p.ID] = p.Name
	}
	v.Levels = []string{string(db.LevelMember), string(db.LevelAccountAdmin), string(db.LevelExecutive), string(db.LevelStandardsAdmin)}
	c.render(w, r, status, "member", page{Title: "member.title", Nav: "members", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) memberPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderMember(w, r, s, http.StatusOK, memberView{}, "", "")
}

// saveMember sets one member's company, role and access level: the bulk
// edit of R-MEM-2 for one, so it reports what it overwrote the same way.
func (c *Console) saveMember(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	m, err := c.Ops.GetMember(r.Context(), s.Caller, r.PathValue("user"))
	if err != nil {
		return err
	}
	f := r.PostForm
	company, role, level := strings.TrimSpace(f.Get("company")), strings.TrimSpace(f.Get("role")), f.Get("level")
	res, err := c.Ops.EditMembers(r.Context(), s.Caller, adminapi.EditMembersRequest{Emails: []string{m.Email}, Company: &company, Role: &role, Level: &level})
	return outcome(err, http.StatusOK, tr(lang(r), "member.saved"), func(status int, notice, msg string, _ bool) error {
		return c.renderMember(w, r, s, status, memberView{Overwrote: res.Overwrote, Saved: err == nil}, notice, msg)
	})
}
