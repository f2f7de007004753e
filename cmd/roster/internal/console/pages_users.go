package console

import (
	"net/http"
	"strings"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// usersView is the Users page: one page of the team's users searched,
// filtered and sorted in SQL (adminapi.QueryUsers, R-MEM-6), by user or by
// product (the users with access to a product).
type usersView struct {
	Users                   []adminapi.UserView
	Q, Status, Type, Source string
	Admin, Product          string
	Sort, Order             string
	ByProduct               bool
	Products                []adminapi.ProductView
	FirstURL, NextURL       string
	Heads                   map[string]sortHead
}

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request, s session) error {
	q := r.URL.Query()
	v := usersView{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Type: q.Get("type"), Source: q.Get("source"),
		Admin: q.Get("admin"), Product: q.Get("product"), Sort: q.Get("sort"), Order: q.Get("order"), ByProduct: q.Get("view") == "product"}
	if v.Sort == "" {
		v.Sort = "email"
	}
	if v.Order == "" {
		v.Order = "asc"
	}
	ps, err := c.Ops.ListProducts(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Products = ps
	if v.ByProduct && v.Product == "" {
		for _, p := range ps {
			if p.Base {
				v.Product = p.Key
			}
		}
	}
	mq, _, err := adminapi.MemberQueryOf(q)
	if err != nil {
		return c.renderUsers(w, r, s, v, err)
	}
	mq.Product, mq.Sort, mq.Limit = v.Product, v.Sort, usersPerPage
	page, err := c.Ops.QueryUsers(r.Context(), s.Caller, mq)
	if err != nil {
		return c.renderUsers(w, r, s, v, err)
	}
	v.Users = page.Users
	view := ""
	if v.ByProduct {
		view = "product"
	}
	lq := listQuery{path: "/console/users", sort: v.Sort, order: v.Order, filters: []string{"view", view, "q", v.Q, "status", v.Status,
		"type", v.Type, "source", v.Source, "admin", v.Admin, "product", v.Product}}
	v.Heads = lq.heads("email", "name", "status", "type", "source", "admin_role")
	if page.Next != "" {
		v.NextURL = lq.url(v.Sort, v.Order, page.Next)
	}
	if q.Get("after") != "" {
		v.FirstURL = lq.url(v.Sort, v.Order, "")
	}
	return c.renderUsers(w, r, s, v, nil)
}

const usersPerPage = 25

// renderUsers shows the page; a bad filter (say, an unknown sort) is its
// precise message with the API's status, and no rows.
func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, s session, v usersView, err error) error {
	status, msg, internal := refusal(err)
	if internal != nil {
		return internal
	}
	c.render(w, r, status, "users", page{Title: "users.title", Nav: "users", Signed: true, Me: s.Caller, Message: msg, Data: v})
	return nil
}
