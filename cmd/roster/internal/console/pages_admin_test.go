package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// The account-administration pages (issue 13 part A): each page's form
// handling on a real SQLite store — the change through the admin API's
// operation (checked through the JSON API), a client mistake shown as a
// precise message with a 4xx (never a 500), and a refused admin.

// admin signs u in and returns the browser.
func (e *env) admin(u db.User) *http.Client {
	e.t.Helper()
	c := e.browser()
	if res := e.signIn(c, e.link(u)); res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: %d", u.Email, res.StatusCode)
	}
	return c
}

// page is a console request that must answer status and show every want.
func (e *env) page(c *http.Client, method, path string, form url.Values, status int, want ...string) string {
	e.t.Helper()
	res, body := e.do(c, method, path, form)
	text := html.UnescapeString(body)
	if res.StatusCode != status {
		e.t.Fatalf("%s %s: %d, want %d\n%s", method, path, res.StatusCode, status, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			e.t.Errorf("%s %s: no %q in the page", method, path, w)
		}
	}
	return text
}

func (e *env) members() []adminapi.MemberView {
	e.t.Helper()
	var p adminapi.MembersPage
	e.apiGet("/members?limit=1000", &p)
	return p.Members
}

// project creates a project through the page and returns its id.
func (e *env) project(c *http.Client, name string) string {
	e.t.Helper()
	res, _ := e.do(c, "POST", "/console/projects", url.Values{"name": {name}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/projects/") {
		e.t.Fatalf("create project %s: %d to %q", name, res.StatusCode, loc)
	}
	return strings.TrimSuffix(strings.TrimPrefix(loc, "/console/projects/"), "?created=1")
}

// R-MEM-6: the Users page searches, filters, sorts and pages in SQL, and
// its "by product" view lists the users with access to a product.
func TestUsersPageInSQLByUserAndByProduct(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	for i := range 30 {
		e.user(fmt.Sprintf("u%02d@acme.test", i), db.RoleNone)
	}
	bob := e.user("bob@acme.test", db.RoleNone)
	pid := e.project(c, "Tower")
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {bob.Email}, "level": {"member"}, "product": {"docs", "build"}}, http.StatusCreated)

	e.page(c, "GET", "/console/users?q=BOB", nil, 200, "bob@acme.test", "1 users")
	body := e.page(c, "GET", "/console/users?sort=email&order=desc", nil, 200, "25 users", "Next page")
	if i, j := strings.Index(body, "u29@acme.test"), strings.Index(body, "u05@acme.test"); i < 0 || j < 0 || i > j {
		t.Errorf("descending by email: u29 at %d, u05 at %d", i, j)
	}
	// The column headings sort: the current one with its aria-sort and a link to the other order.
	if !strings.Contains(body, `<th scope="col" aria-sort="descending"><a href="/console/users?order=asc&sort=email">Email</a></th>`) ||
		!strings.Contains(body, `<th scope="col"><a href="/console/users?order=asc&sort=name">Name</a></th>`) {
		t.Errorf("sorting headings missing:\n%s", body)
	}
	// The next page by its cursor has the rest, and a way back to the first.
	next := body[strings.Index(body, `href="/console/users?after=`)+6:]
	next = next[:strings.Index(next, `"`)]
	e.page(c, "GET", next, nil, 200, "7 users", "First page", "bob@acme.test", "pat@acme.test")
	e.page(c, "GET", "/console/users?admin=admin", nil, 200, "1 users", "pat@acme.test")
	// By product: build is bob's only; the base product (the default of the view) too.
	body = e.page(c, "GET", "/console/users?view=product&product=build", nil, 200, "1 users", "bob@acme.test")
	if strings.Contains(body, "u01@acme.test") {
		t.Error("by product build lists a user without it")
	}
	e.page(c, "GET", "/console/users?view=product", nil, 200, "1 users", "bob@acme.test")
	// A client mistake is its precise message, never a 500.
	e.page(c, "GET", "/console/users?sort=password", nil, 400, "sort \"password\" is not one of")
	e.page(c, "GET", "/console/users?after=garbage", nil, 400)
}

// R-MEM-1: add by pasting emails; a refused list shows each bad row's
// reason beside it and adds nobody.
func TestMembersAddByPastingEmails(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	before := len(e.members())
	body := e.page(c, "POST", "/console/members/add", url.Values{"emails": {"ann@acme.test, not-an-address; pat@acme.test\tann@acme.test"},
		"company": {"Acme"}, "role": {"Architect"}, "level": {"member"}}, http.StatusBadRequest, "The addresses you entered", "not-an-address")
	for _, row := range []string{"<td>2</td><td>not-an-address</td><td><span class=\"error\">", "<td>3</td><td>pat@acme.test</td><td><span class=\"error\">",
		"<td>4</td><td>ann@acme.test</td><td><span class=\"error\">", "<td>1</td><td>ann@acme.test</td><td>OK</td>"} {
		if !strings.Contains(body, row) {
			t.Errorf("no row %q in\n%s", row, body)
		}
	}
	if n := len(e.members()); n != before {
		t.Fatalf("a refused list added %d members", n-before)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("m%d@acme.test", i)
	}
	e.page(c, "POST", "/console/members/add", url.Values{"emails": {strings.Join(many, " ")}}, http.StatusBadRequest, "at most 100")
	e.page(c, "POST", "/console/members/add", url.Values{"emails": {"ann@acme.test"}, "level": {"boss"}}, http.StatusBadRequest, "level \"boss\" is not")

	e.page(c, "POST", "/console/members/add", url.Values{"emails": {"ann@acme.test; ben@acme.test\ncai@acme.test"},
		"company": {"Acme"}, "role": {"Architect"}, "level": {"executive"}}, http.StatusCreated, "3 members were added as pending.")
	got := map[string]adminapi.MemberView{}
	for _, m := range e.members() {
		got[m.Email] = m
	}
	for _, em := range []string{"ann@acme.test", "ben@acme.test", "cai@acme.test"} {
		if m := got[em]; m.Status != "pending" || m.Company != "Acme" || m.Role != "Architect" || m.Level != "executive" {
			t.Errorf("%s through the API = %+v", em, m)
		}
	}
}

// R-MEM-2: a bulk edit sets the fields on every selected member and the
// page lists what it overwrote.
func TestMembersBulkEditShowsWhatItOverwrote(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	e.page(c, "POST", "/console/members/add", url.Values{"emails": {"ann@acme.test ben@acme.test"}, "company": {"Old Co"}}, http.StatusCreated)
	e.page(c, "GET", "/console/members?company=old+co", nil, 200, "ann@acme.test", "ben@acme.test", "Bulk edit the selected members")
	body := e.page(c, "POST", "/console/members/edit", url.Values{"email": {"ann@acme.test", "ben@acme.test"}, "company": {"New Co"}, "level": {"account-admin"}},
		200, "Saved for 2 members.", "This edit overwrote")
	if !strings.Contains(body, "<td>ann@acme.test</td><td>Company</td><td>Old Co</td><td>New Co</td>") {
		t.Errorf("overwrite of ann's company not listed:\n%s", body)
	}
	for _, m := range e.members() {
		if (m.Email == "ann@acme.test" || m.Email == "ben@acme.test") && (m.Company != "New Co" || m.Level != "account-admin") {
			t.Errorf("%s through the API = %+v", m.Email, m)
		}
	}
	// One member's profile: the same edit for one, saying what it overwrote.
	var ann adminapi.MemberView
	for _, m := range e.members() {
		if m.Email == "ann@acme.test" {
			ann = m
		}
	}
	e.page(c, "GET", "/console/members/"+ann.ID, nil, 200, "Company, role and access level", "Not on any project yet.")
	e.page(c, "POST", "/console/members/"+ann.ID, url.Values{"company": {"Solo"}, "role": {"Lead"}, "level": {"account-admin"}}, 200,
		"The member was saved.", "Company New Co → Solo")
	var prof adminapi.MemberProfile
	e.apiGet("/members/"+ann.ID, &prof)
	if prof.Company != "Solo" || prof.Role != "Lead" || prof.Level != "account-admin" || prof.Projects == nil {
		t.Errorf("ann's profile through the API = %+v", prof)
	}
	e.page(c, "POST", "/console/members/"+ann.ID, url.Values{"level": {"boss"}}, http.StatusBadRequest, "level \"boss\" is not")
	e.page(c, "GET", "/console/members/nonesuch", nil, 404)
	e.page(c, "POST", "/console/members/edit", url.Values{"email": {"ann@acme.test"}}, http.StatusBadRequest, "Fill in a company, role or access level")
	e.page(c, "POST", "/console/members/edit", url.Values{"email": {"ann@acme.test", "nobody@acme.test"}, "role": {"X"}}, http.StatusNotFound,
		"not members; nothing was changed")
	for _, m := range e.members() {
		if m.Role == "X" {
			t.Errorf("a refused edit changed %s", m.Email)
		}
	}
}

// R-MEM-4: remove asks first, then removes the member everywhere.
func TestMemberRemoveAsksFirst(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	bob := e.user("bob@acme.test", db.RoleNone)
	e.page(c, "POST", "/console/members/"+bob.ID+"/remove", url.Values{}, 200, "Remove this member from the team", "Yes, remove the member")
	if _, err := e.store.GetUser(context.Background(), e.team.ID, bob.ID); err != nil {
		t.Fatalf("removed before the confirmation: %v", err)
	}
	e.page(c, "POST", "/console/members/"+bob.ID+"/remove", url.Values{"confirm": {"yes"}}, 200, "The member was removed")
	if _, err := e.store.GetUser(context.Background(), e.team.ID, bob.ID); db.CodeOf(err) != "user_not_found" {
		t.Errorf("after removal: %v", err)
	}
	e.page(c, "POST", "/console/members/"+bob.ID+"/remove", url.Values{"confirm": {"yes"}}, 404)
}

// R-MEM-3: invitations filtered by state, and Resend.
func TestInvitationsByStateAndResend(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	pid := e.project(c, "Tower")
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"new@partner.test"}, "level": {"member"}, "product": {"docs"}},
		http.StatusCreated, "new@partner.test was added to the project.", "An invitation was sent")
	e.page(c, "GET", "/console/invitations?state=pending", nil, 200, "new@partner.test", "Resend")
	body := e.page(c, "GET", "/console/invitations?state=expired", nil, 200, "No invitations.")
	if strings.Contains(body, "new@partner.test") {
		t.Error("a pending invitation listed as expired")
	}
	var is []adminapi.InvitationView
	e.apiGet("/invitations", &is)
	if len(is) != 1 {
		t.Fatalf("invitations through the API = %+v", is)
	}
	e.page(c, "POST", "/console/invitations/"+is[0].UserID+"/resend", url.Values{}, 200, "The invitation to new@partner.test was sent again")
	// The primary admin is active: no invitation to resend.
	e.page(c, "POST", "/console/invitations/"+e.prim.ID+"/resend", url.Values{}, http.StatusUnprocessableEntity)
	e.page(c, "GET", "/console/invitations?state=sideways", nil, 400)
}

// R-MEM-4, R-POL-2: projects, a member with per-product access, and the
// base product rule said on the page.
func TestProjectPages(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	pid := e.project(c, "Tower")
	e.page(c, "GET", "/console/projects/"+pid+"?created=1", nil, 200, "The project was created.", "turning off Docs (the base product) removes the member")
	e.page(c, "POST", "/console/projects", url.Values{"name": {"tower"}}, http.StatusConflict)
	e.page(c, "GET", "/console/projects", nil, 200, "Tower")

	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"kai@acme.test"}, "level": {"admin"}, "product": {"docs", "build"}}, http.StatusCreated)
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"lea@acme.test"}, "product": {"build"}}, http.StatusBadRequest, "base")
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"lea@acme.test"}, "product": {"docs", "nonesuch"}}, http.StatusNotFound)
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"lea@acme.test"}, "product": {"docs", "cost"}}, http.StatusCreated)
	// The members list by product (R-MEM-6): cost is lea's only.
	if body := e.page(c, "GET", "/console/members?product=cost", nil, 200, "lea@acme.test"); strings.Contains(body, "kai@acme.test") {
		t.Error("members by product cost lists kai")
	}
	var ms []adminapi.ProjectMemberView
	e.apiGet("/projects/"+pid+"/members", &ms)
	if len(ms) != 2 {
		t.Fatalf("project members through the API = %+v", ms)
	}
	lea := ms[0]
	if lea.Email != "lea@acme.test" {
		lea = ms[1]
	}
	e.page(c, "POST", "/console/projects/"+pid+"/members/"+lea.UserID+"/access", url.Values{"product": {"docs", "insight"}}, 200, "The product access of lea@acme.test was saved.")
	e.apiGet("/projects/"+pid+"/members", &ms)
	for _, m := range ms {
		if m.Email == "lea@acme.test" && strings.Join(m.Products, ",") != "docs,insight" {
			t.Errorf("lea's products through the API = %v", m.Products)
		}
	}
	e.page(c, "POST", "/console/projects/"+pid+"/members/"+lea.UserID+"/access", url.Values{"product": {"insight"}}, 200, "no longer has the base product and was removed")
	e.apiGet("/projects/"+pid+"/members", &ms)
	if len(ms) != 1 || ms[0].Email != "kai@acme.test" {
		t.Errorf("after docs off: %+v", ms)
	}
	// kai is the last project admin: removing them is refused, nothing changes.
	e.page(c, "POST", "/console/projects/"+pid+"/members/"+ms[0].UserID+"/remove", url.Values{}, http.StatusUnprocessableEntity)
	e.page(c, "GET", "/console/projects/nonesuch", nil, 404)
}

func TestCatalogueAndSeatsPages(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	e.page(c, "GET", "/console/catalogue", nil, 200, "design-collaboration", "Model Coordination")
	e.page(c, "POST", "/console/catalogue", url.Values{"key": {"render"}, "name": {"Render"}}, http.StatusCreated, "Render was added to the catalogue.")
	e.page(c, "POST", "/console/catalogue", url.Values{"key": {"render"}, "name": {"Again"}}, http.StatusConflict)
	var ps []adminapi.ProductView
	e.apiGet("/products", &ps)
	if !strings.Contains(fmt.Sprint(ps), "{render Render false}") {
		t.Errorf("products through the API = %+v", ps)
	}

	e.page(c, "GET", "/console/seats", nil, 200, "no limit")
	e.page(c, "POST", "/console/seats/subscriptions", url.Values{"product": {"build"}, "seats": {"one"}}, http.StatusBadRequest, "Seats must be a whole number.")
	e.page(c, "POST", "/console/seats/subscriptions", url.Values{"product": {"build"}, "seats": {"1"}}, 200, "The subscription was added.")
	pid := e.project(c, "Tower")
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"kai@acme.test"}, "level": {"admin"}, "product": {"docs", "build"}}, http.StatusCreated)
	// R-MEM-5: the only seat is taken; a second user is refused a seat.
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"lea@acme.test"}, "product": {"docs", "build"}}, http.StatusUnprocessableEntity)
	e.page(c, "POST", "/console/seats/external", url.Values{"email": {"kai@acme.test"}, "product": {"build"}, "external": {"on"}}, 200, "kai@acme.test now holds an external subscription")
	var seats []adminapi.SeatView
	e.apiGet("/seats", &seats)
	for _, s := range seats {
		if s.Product == "build" && (s.Seats == nil || *s.Seats != 1 || s.Used != 0 || s.External != 1) {
			t.Errorf("build seats through the API = %+v", s)
		}
	}
	e.page(c, "POST", "/console/seats/external", url.Values{"email": {"nobody@acme.test"}, "product": {"build"}, "external": {"on"}}, http.StatusNotFound)
	e.page(c, "POST", "/console/seats/external", url.Values{"email": {""}, "product": {"build"}}, http.StatusBadRequest, "Enter an email address.")
}

// R-ADM-6, R-HIE-2, R-OWN-3, R-CLS-2..4: the Account page offers only what this admin
// may do on the account, the operations refuse the rest, and transferring
// ownership needs a recent sign-in.
func TestAccountPageOffersOnlyWhatTheAdminMay(t *testing.T) {
	e := newEnv(t)
	sec := e.user("sec@acme.test", db.RoleSecondary)
	owner := e.admin(e.prim)
	e.page(owner, "GET", "/console/account", nil, 200, "Your role on the account: Account owner.", "pat@acme.test", "Change role", "Transfer ownership", "Create a contract")

	other := e.admin(sec)
	body := e.page(other, "GET", "/console/account", nil, 200, "Your role on the account: No account role.", "does not include the account")
	for _, f := range []string{`action="/console/account/roles"`, `action="/console/account/transfer"`, `action="/console/account/contracts"`} {
		if strings.Contains(body, f) {
			t.Errorf("an admin without an account role is offered %s", f)
		}
	}
	e.page(other, "POST", "/console/account/roles", url.Values{"email": {"sec@acme.test"}, "role": {"secondary-owner"}}, http.StatusForbidden)
	e.page(other, "POST", "/console/account/transfer", url.Values{"to": {"sec@acme.test"}, "confirm": {"yes"}}, http.StatusForbidden)

	e.page(owner, "POST", "/console/account/roles", url.Values{"email": {"sec@acme.test"}, "role": {"company-admin"}}, 200, "The account role of sec@acme.test was saved.")
	e.page(owner, "POST", "/console/account/roles", url.Values{"email": {"sec@acme.test"}, "role": {"owner"}}, http.StatusUnprocessableEntity, "R-HIE-2")
	e.page(owner, "POST", "/console/account/roles", url.Values{"email": {"sec@acme.test"}, "role": {"emperor"}}, http.StatusBadRequest)
	// A company admin is offered only the roles below their own.
	body = e.page(other, "GET", "/console/account", nil, 200, "Company admin")
	if !strings.Contains(body, `<option value="product-user">`) || strings.Contains(body, `<option value="secondary-owner">`) {
		t.Errorf("a company admin's role choices are wrong:\n%s", body)
	}
	var roles []adminapi.AccountRoleView
	e.apiGet("/account/roles", &roles)
	if !strings.Contains(fmt.Sprint(roles), "sec@acme.test company-admin") {
		t.Errorf("account roles through the API = %+v", roles)
	}

	e.page(owner, "POST", "/console/account/contracts", url.Values{"number": {"K-1"}, "contract_manager": {"pat@acme.test"}, "product": {"docs"}, "seats": {"5"}},
		200, "Contract K-1 was created.")
	e.page(owner, "POST", "/console/account/contracts", url.Values{"number": {"K-1"}, "contract_manager": {"pat@acme.test"}}, http.StatusConflict)
	// Before sec coordinates K-1, its users are not theirs to see or change (R-CLS-3).
	e.page(other, "GET", "/console/account/contracts/K-1", nil, 200, "Only the contract manager and the software coordinator")
	e.page(other, "POST", "/console/account/contracts/K-1/users", url.Values{"email": {"cu@acme.test"}}, http.StatusForbidden)
	e.page(owner, "POST", "/console/account/contracts/K-1/coordinator", url.Values{"email": {"sec@acme.test"}}, 200, "the software coordinator is now sec@acme.test")
	// The coordinator manages the contract's users; they are not team users (R-CLS-4).
	e.page(other, "POST", "/console/account/contracts/K-1/users", url.Values{"email": {"cu@acme.test"}}, http.StatusCreated, "cu@acme.test was added to the contract.")
	e.page(owner, "GET", "/console/account/contracts/K-1", nil, 200, "cu@acme.test", "Remove user")
	var kus []adminapi.ContractUserView
	e.apiGet("/account/contracts/K-1/users", &kus)
	if len(kus) != 1 || kus[0].Email != "cu@acme.test" {
		t.Errorf("contract users through the API = %+v", kus)
	}
	for _, m := range e.members() {
		if m.Email == "cu@acme.test" {
			t.Error("a classic-view user was added to the team (R-CLS-4)")
		}
	}
	e.page(other, "POST", "/console/account/contracts/K-1/users/remove", url.Values{"email": {"cu@acme.test"}}, 200, "cu@acme.test was removed from the contract.")
	e.page(other, "POST", "/console/account/contracts/K-1/users/remove", url.Values{"email": {"cu@acme.test"}}, http.StatusNotFound)
	e.page(owner, "GET", "/console/account/contracts/K-9", nil, 404)
	// R-CLS-2: only the current contract manager hands the role on.
	e.page(other, "POST", "/console/account/contracts/K-1/manager", url.Values{"email": {"sec@acme.test"}}, http.StatusForbidden)

	// Transfer needs the confirmation and a recent sign-in.
	e.page(owner, "POST", "/console/account/transfer", url.Values{"to": {"sec@acme.test"}}, http.StatusBadRequest, "Tick the confirmation")
	e.clock.Add(11 * time.Minute)
	e.page(owner, "POST", "/console/account/transfer", url.Values{"to": {"sec@acme.test"}, "confirm": {"yes"}}, http.StatusForbidden, "recent sign-in")
	fresh := e.admin(e.prim)
	e.page(fresh, "POST", "/console/account/transfer", url.Values{"to": {"sec@acme.test"}, "confirm": {"yes"}}, 200, "The account now belongs to sec@acme.test")
	var acc adminapi.AccountView
	e.apiGet("/account", &acc)
	if acc.Owner != "sec@acme.test" {
		t.Errorf("owner through the API = %q", acc.Owner)
	}
}

// A user who is no longer an admin is refused every page and action at
// once; nothing they post is applied.
func TestAccountAdminPagesRefuseANonAdmin(t *testing.T) {
	e := newEnv(t)
	sec := e.user("sec@acme.test", db.RoleSecondary)
	c := e.admin(sec)
	if err := e.store.SetAdminRole(context.Background(), e.team.ID, e.prim.ID, sec.ID, db.RoleNone, operator); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		method, path string
		form         url.Values
	}{
		{"POST", "/console/members/add", url.Values{"emails": {"x@acme.test"}}},
		{"POST", "/console/projects", url.Values{"name": {"X"}}},
		{"POST", "/console/seats/subscriptions", url.Values{"product": {"build"}, "seats": {"3"}}},
		{"GET", "/console/account", nil},
	} {
		res, _ := e.do(c, p.method, p.path, p.form)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
			t.Errorf("%s %s by a demoted admin: %d to %q", p.method, p.path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	for _, m := range e.members() {
		if m.Email == "x@acme.test" {
			t.Error("a demoted admin's post added a member")
		}
	}
	var ps []adminapi.ProjectView
	e.apiGet("/projects", &ps)
	if len(ps) != 0 {
		t.Errorf("a demoted admin's post created %+v", ps)
	}
}

// Every account-administration page renders in each catalogue language
// with its own title and no raw catalogue key.
func TestAccountAdminPagesInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	pid := e.project(c, "Tower")
	e.page(c, "POST", "/console/account/contracts", url.Values{"number": {"K-1"}, "contract_manager": {"pat@acme.test"}}, 200)
	rawKey := regexp.MustCompile(`>\s*(members|invitations?|projects?|catalogue|seats|account|contract|arole|plevel|level)\.[a-z_.-]+\s*<`)
	titles := map[string]map[string]string{
		"/console/members":               {"en": "Members", "nl": "Leden", "de": "Mitglieder", "sv": "Medlemmar", "fi": "Jäsenet"},
		"/console/invitations":           {"en": "Invitations", "nl": "Uitnodigingen", "de": "Einladungen", "sv": "Inbjudningar", "fi": "Kutsut"},
		"/console/projects":              {"en": "Projects", "nl": "Projecten", "de": "Projekte", "sv": "Projekt", "fi": "Projektit"},
		"/console/projects/" + pid:       {"en": "Project", "nl": "Project", "de": "Projekt", "sv": "Projekt", "fi": "Projekti"},
		"/console/catalogue":             {"en": "Product catalogue", "nl": "Productcatalogus", "de": "Produktkatalog", "sv": "Produktkatalog", "fi": "Tuoteluettelo"},
		"/console/seats":                 {"en": "Seats", "nl": "Licenties", "de": "Plätze", "sv": "Platser", "fi": "Käyttöpaikat"},
		"/console/account":               {"en": "Account", "nl": "Account", "de": "Konto", "sv": "Konto", "fi": "Tili"},
		"/console/account/contracts/K-1": {"en": "Contract", "nl": "Overeenkomst", "de": "Vertrag", "sv": "Avtal", "fi": "Sopimus"},
		"/console/members/" + e.prim.ID:  {"en": "Member", "nl": "Lid", "de": "Mitglied", "sv": "Medlem", "fi": "Jäsen"},
		"/console/users?view=product":    {"en": "Users", "nl": "Gebruikers", "de": "Benutzer", "sv": "Användare", "fi": "Käyttäjät"},
	}
	for path, byLang := range titles {
		for lang, title := range byLang {
			res, body := e.do(c, "GET", path, nil, "Accept-Language", lang)
			if res.StatusCode != 200 || !strings.Contains(body, `<h1 id="page-title">`+title+"</h1>") {
				t.Errorf("%s in %s: %d, no <h1>%s</h1>", path, lang, res.StatusCode, title)
			}
			if m := rawKey.FindString(body); m != "" {
				t.Errorf("%s in %s shows a raw key: %s", path, lang, m)
			}
		}
	}
}
