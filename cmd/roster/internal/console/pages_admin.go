package console

import (
	"errors"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// The account-administration pages (issue 13, seeds 002–004): Users on SQL
// (by user and by product), Members and invitations, Projects with
// per-product access, the product catalogue, Seats, and the Account. Every
// action calls the admin API operation its JSON route calls.
func (c *Console) mountAccountAdminPages(m *http.ServeMux) {
	m.HandleFunc("GET /console/members", c.signedIn(adminapi.AllAdmins, c.membersPage))
	m.HandleFunc("POST /console/members/add", c.signedIn(adminapi.AllAdmins, c.addMembers))
	m.HandleFunc("POST /console/members/edit", c.signedIn(adminapi.AllAdmins, c.editMembers))
	m.HandleFunc("POST /console/members/{user}/remove", c.signedIn(adminapi.AllAdmins, c.removeMember))
	m.HandleFunc("GET /console/members/{user}", c.signedIn(adminapi.AllAdmins, c.memberPage))
	m.HandleFunc("POST /console/members/{user}", c.signedIn(adminapi.AllAdmins, c.saveMember))
	m.HandleFunc("GET /console/invitations", c.signedIn(adminapi.AllAdmins, c.invitationsPage))
	m.HandleFunc("POST /console/invitations/{user}/resend", c.signedIn(adminapi.AllAdmins, c.resendInvitation))
	m.HandleFunc("GET /console/projects", c.signedIn(adminapi.AllAdmins, c.projectsPage))
	m.HandleFunc("POST /console/projects", c.signedIn(adminapi.AllAdmins, c.createProject))
	m.HandleFunc("GET /console/projects/{project}", c.signedIn(adminapi.AllAdmins, c.projectPage))
	m.HandleFunc("POST /console/projects/{project}/members", c.signedIn(adminapi.AllAdmins, c.addProjectMember))
	m.HandleFunc("POST /console/projects/{project}/members/{user}/access", c.signedIn(adminapi.AllAdmins, c.setProjectAccess))
	m.HandleFunc("POST /console/projects/{project}/members/{user}/remove", c.signedIn(adminapi.AllAdmins, c.removeProjectMember))
	m.HandleFunc("GET /console/catalogue", c.signedIn(adminapi.AllAdmins, c.cataloguePage))
	m.HandleFunc("POST /console/catalogue", c.signedIn(adminapi.AllAdmins, c.addProduct))
	m.HandleFunc("GET /console/seats", c.signedIn(adminapi.AllAdmins, c.seatsPage))
	m.HandleFunc("POST /console/seats/subscriptions", c.signedIn(adminapi.AllAdmins, c.addSubscription))
	m.HandleFunc("POST /console/seats/external", c.signedIn(adminapi.AllAdmins, c.setExternal))
	m.HandleFunc("GET /console/account", c.signedIn(adminapi.AllAdmins, c.accountPage))
	m.HandleFunc("POST /console/account/roles", c.signedIn(adminapi.AllAdmins, c.setAccountRole))
	m.HandleFunc("POST /console/account/transfer", c.signedIn(adminapi.AllAdmins, c.transferOwnership))
	m.HandleFunc("POST /console/account/contracts", c.signedIn(adminapi.AllAdmins, c.createContract))
	m.HandleFunc("POST /console/account/contracts/{contract}/manager", c.signedIn(adminapi.AllAdmins, c.setContractManager))
	m.HandleFunc("POST /console/account/contracts/{contract}/coordinator", c.signedIn(adminapi.AllAdmins, c.setCoordinator))
	m.HandleFunc("GET /console/account/contracts/{contract}", c.signedIn(adminapi.AllAdmins, c.contractPage))
	m.HandleFunc("POST /console/account/contracts/{contract}/users", c.signedIn(adminapi.AllAdmins, c.addContractUser))
	m.HandleFunc("POST /console/account/contracts/{contract}/users/remove", c.signedIn(adminapi.AllAdmins, c.removeContractUser))
}

// refusal splits an operation's error: a client mistake becomes its status
// and precise message for the page to show; anything else is returned to
// fail as an internal error.
func refusal(err error) (status int, msg string, internal error) {
	if err == nil {
		return http.StatusOK, "", nil
	}
	if s := adminapi.StatusOf(err); s < 500 {
		return s, adminapi.ClientMessage(err), nil
	}
	return 0, "", err
}

// outcome shows a page again after an action: a refusal with its status
// and precise message, a success with ok and notice; an internal error goes
// to fail. failed tells show which of the two it draws.
func outcome(err error, ok int, notice string, show func(status int, notice, msg string, failed bool) error) error {
	status, msg, internal := refusal(err)
	switch {
	case internal != nil:
		return internal
	case err != nil:
		return show(status, "", msg, true)
	}
	return show(ok, notice, "", false)
}

// rowErrors are the refused rows of a multi-row request, by row number.
func rowErrors(err error) map[int]db.RowError {
	var re *db.RowErrors
	out := map[int]db.RowError{}
	if errors.As(err, &re) {
		for _, r := range re.Rows {
			out[r.Row] = r
		}
	}
	return out
}

// listQuery is a list page's query: its filters (name, value pairs), sort
// column and order, from which its links are made.
type listQuery struct {
	path        string
	filters     []string
	sort, order string
}

func (l listQuery) url(sort, order, after string) string {
	return listLink(l.path, append(slices.Clone(l.filters), "sort", sort, "order", order, "after", after)...)
}

// sortHead is a column heading that sorts by its column: the link (the
// other order when the list is sorted by it already) and its aria-sort.
type sortHead struct {
	URL, Aria string
}

// heads are the sorting headings of cols.
func (l listQuery) heads(cols ...string) map[string]sortHead {
	out := map[string]sortHead{}
	for _, c := range cols {
		h := sortHead{URL: l.url(c, "asc", "")}
		if c == l.sort {
			h.Aria = "ascending"
			if l.order == "desc" {
				h.Aria = "descending"
			} else {
				h.URL = l.url(c, "desc", "")
			}
		}
		out[c] = h
	}
	return out
}

// sortTH renders a sorting column heading.
func sortTH(h sortHead, label string) template.HTML {
	aria := ""
	if h.Aria != "" {
		aria = ` aria-sort="` + h.Aria + `"`
	}
	return template.HTML(`<th scope="col"` + aria + `><a href="` + html.EscapeString(h.URL) + `">` + html.EscapeString(label) + `</a></th>`)
}

// listLink is path with the non-empty query values.
func listLink(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// invalid is a client mistake the page itself finds (a field that is not a
// number), shown like the API's own refusals.
func invalid(code, msg string) error { return db.Errorf(db.ErrInvalid, code, "%s", msg) }

// userRef is a team user named by email on a form.
type userRef struct{ ID, Email string }

// userByEmail resolves an email typed on a form to the team's user (an
// unknown address is the store's precise not-found).
func (c *Console) userByEmail(r *http.Request, s session, email string) (userRef, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return userRef{}, invalid("email_required", tr(lang(r), "form.email_required"))
	}
	u, err := c.Store.FindUser(r.Context(), s.Caller.Team.ID, db.UserKey{Email: email})
	if err != nil {
		return userRef{}, err
	}
	return userRef{ID: u.ID, Email: u.Email}, nil
}
