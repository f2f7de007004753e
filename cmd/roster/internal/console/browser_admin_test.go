package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestBrowserAccountAdmin walks the account-administration pages in a real
// chromium by what a person sees (link and button text, labels): signs in
// by login link, adds members by pasting emails, bulk-edits them, creates a
// project and grants a product, checking each result through the admin
// API; every page gets a screenshot at 1280×800 and at phone size and an
// axe-core check (zero serious or critical issues).
func TestBrowserAccountAdmin(t *testing.T) {
	chromium, axe := browserPrereqs(t)
	shots := screenshotDir(t)
	e := newEnv(t)
	w := startBrowser(t, chromium, axe, shots)
	run, see, click := w.run, seeText, clickText
	checkbox := func(label string) chromedp.Search {
		return chromedp.Search(fmt.Sprintf(`//label[normalize-space()=%q]/input[@type="checkbox"]`, label))
	}

	run("sign in", chromedp.Navigate(e.link(e.prim)), click("button", "Continue to the console"), see("Sign out"))

	// Members > Add members: a pasted list, one company, role and level for all.
	run("add members", click("a", "Members"), see("Add members"),
		chromedp.SetValue(byLabel("Email addresses"), "ann@acme.test, ben@acme.test; cai@partner.test"),
		chromedp.SetValue(byLabel("Company"), "Acme"), chromedp.SetValue(byLabel("Role"), "Architect"),
		click("button", "Add members"), see("3 members were added as pending."))
	w.check("members-added")
	byEmail := func() map[string]adminapi.MemberView {
		out := map[string]adminapi.MemberView{}
		for _, m := range e.members() {
			out[m.Email] = m
		}
		return out
	}
	if m := byEmail()["cai@partner.test"]; m.Status != "pending" || m.Company != "Acme" || m.Role != "Architect" {
		t.Errorf("cai through the API = %+v", m)
	}

	// Bulk edit: select two, a new company and level, Save changes; the page says what it overwrote.
	run("bulk edit", chromedp.Click(byLabel("Select ann@acme.test")), chromedp.Click(byLabel("Select ben@acme.test")),
		chromedp.SetValue(byLabel("New company"), "Acme Build"), chromedp.SetValue(byLabel("New access level"), "executive"),
		click("button", "Save changes"), see("Saved for 2 members."), see("This edit overwrote"))
	w.check("members-bulk-edit")
	got := byEmail()
	for _, em := range []string{"ann@acme.test", "ben@acme.test"} {
		if m := got[em]; m.Company != "Acme Build" || m.Level != "executive" {
			t.Errorf("%s after the bulk edit, through the API = %+v", em, m)
		}
	}
	if got["cai@partner.test"].Company != "Acme" {
		t.Errorf("an unselected member was edited: %+v", got["cai@partner.test"])
	}

	// A member's profile from the list.
	run("member", click("a", "ann@acme.test"), see("Company, role and access level"))
	w.check("member")

	// Projects > Create project > Add a member with Docs and Build.
	run("create project", click("a", "Projects"), chromedp.SetValue(byLabel("Project name"), "Tower"),
		click("button", "Create project"), see("The project was created."), see("the base product"))
	run("add to project", chromedp.SetValue(byLabel("Email"), "ann@acme.test"),
		chromedp.Click(checkbox("Build")), click("button", "Add to project"), see("ann@acme.test was added to the project."))
	w.check("project")
	var ps []adminapi.ProjectView
	e.apiGet("/projects", &ps)
	if len(ps) != 1 || ps[0].Name != "Tower" {
		t.Fatalf("projects through the API = %+v", ps)
	}
	var pm []adminapi.ProjectMemberView
	e.apiGet("/projects/"+ps[0].ID+"/members", &pm)
	if len(pm) != 1 || pm[0].Email != "ann@acme.test" || strings.Join(pm[0].Products, ",") != "build,docs" {
		t.Errorf("project members through the API = %+v", pm)
	}

	// Every other page, then all of them at phone size.
	pages := []struct{ link, shows, name string }{
		{"Invitations", "ann@acme.test", "invitations"},
		{"Product catalogue", "Add a product", "catalogue"},
		{"Seats", "Add a subscription", "seats"},
		{"Usage report", "Download the full report (CSV)", "usage"},
		{"Account", "Transfer ownership", "account"},
		{"Users", "By product", "users-by-user"},
	}
	for _, p := range pages {
		run(p.name, click("a", p.link), see(p.shows))
		w.check(p.name)
	}
	// Account > Create contract, then the contract's page.
	run("create contract", click("a", "Account"), chromedp.SetValue(byLabel("Contract number"), "K-1"),
		chromedp.SetValue(byLabel("Contract manager"), "pat@acme.test"), chromedp.Click(checkbox("Docs")),
		click("button", "Create contract"), see("Contract K-1 was created."), click("a", "K-1"), see("Users of this contract"))
	w.check("contract")
	var ks []adminapi.ContractView
	e.apiGet("/account/contracts", &ks)
	if len(ks) != 1 || ks[0].Number != "K-1" || ks[0].ContractManager != "pat@acme.test" {
		t.Errorf("contracts through the API = %+v", ks)
	}
	run("users", click("a", "Users"), see("By product"))
	run("by product", click("a", "By product"), chromedp.SetValue(byLabel("Product"), "build"), click("button", "Apply"),
		see("1 users"), see("ann@acme.test"))
	w.check("users-by-product")
	run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, p := range append(pages, struct{ link, shows, name string }{"Members", "Bulk edit the selected members", "members"},
		struct{ link, shows, name string }{"Projects", "Tower", "projects"}) {
		run(p.name+" on a phone", click("a", p.link), see(p.shows))
		w.check(p.name + "-phone")
	}
	run("project on a phone", click("a", "Tower"), see("Project members"))
	w.check("project-phone")
	run("contract on a phone", click("a", "Account"), click("a", "K-1"), see("Users of this contract"))
	w.check("contract-phone")
	run("member on a phone", click("a", "Members"), click("a", "ann@acme.test"), see("Projects and product access"), see("Tower"))
	w.check("member-phone")
	t.Logf("screenshots in %s", shots)
}
