package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// TestBrowserIntegrations walks the pages issue 13 still lacked in a real
// chromium by what a person sees (link and button text, labels): renames a
// product in the Product catalogue, changes a project member's level, maps
// a group to a product, adds a webhook (its secret shown once) and opens
// its deliveries, checking each result through the admin API; every page
// gets a screenshot at 1280×800 and at phone size and an axe-core check
// (zero serious or critical issues).
func TestBrowserIntegrations(t *testing.T) {
	chromium, axe := browserPrereqs(t)
	shots := screenshotDir(t)
	e := newWebhookEnv(t)
	ann := e.user("ann@acme.test", db.RoleNone)
	if _, err := e.store.CreateGroup(context.Background(), e.team.ID, db.NewGroup{DisplayName: "Estimators", Source: db.SourceSCIM}, operator); err != nil {
		t.Fatal(err)
	}
	w := startBrowser(t, chromium, axe, shots)
	run, see, click := w.run, seeText, clickText
	// named finds a button by its accessible name (a row's button says whose row it is).
	named := func(name string) chromedp.Search {
		return chromedp.Search(fmt.Sprintf(`//button[@aria-label=%q]`, name))
	}

	run("sign in", chromedp.Navigate(e.link(e.prim)), click("button", "Continue to the console"), see("Sign out"))

	// Product catalogue: rename Build.
	run("rename product", click("a", "Product catalogue"), see("Add a product"),
		chromedp.SetValue(byLabel("Name of product build"), "Build Pro"), chromedp.Click(named("Save product build")),
		see("Product Build Pro saved."))
	w.check("catalogue-rename")
	var ps []adminapi.ProductView
	e.apiGet("/products", &ps)
	renamed := false
	for _, p := range ps {
		renamed = renamed || p.Key == "build" && p.Name == "Build Pro"
	}
	if !renamed {
		t.Errorf("products through the API after the rename = %+v", ps)
	}
	run("remove asks first", chromedp.Click(named("Remove Cost")), see("Remove product cost?"))
	w.check("catalogue-remove-confirm")
	run("cancel", click("a", "Cancel"), see("Add a product"))

	// Projects: create Tower, add Ann as a member, make her Project admin.
	run("create project", click("a", "Projects"), chromedp.SetValue(byLabel("Project name"), "Tower"),
		click("button", "Create project"), see("The project was created."))
	run("add to project", chromedp.SetValue(byLabel("Email"), ann.Email), click("button", "Add to project"),
		see("ann@acme.test was added to the project."))
	run("level", chromedp.SetValue(byLabel("Level of ann@acme.test"), "admin"), chromedp.Click(named("Save level of ann@acme.test")),
		see("Project level of ann@acme.test saved: Project admin."))
	w.check("project-level")
	var prj []adminapi.ProjectView
	e.apiGet("/projects", &prj)
	if len(prj) != 1 {
		t.Fatalf("projects through the API = %+v", prj)
	}
	var pm []adminapi.ProjectMemberView
	e.apiGet("/projects/"+prj[0].ID+"/members", &pm)
	if len(pm) != 1 || pm[0].Level != "admin" {
		t.Errorf("project members through the API = %+v", pm)
	}

	// Group mappings: Estimators gets Cost on Tower.
	run("mapping", click("a", "Group mappings"), see("No group is mapped to a product."),
		chromedp.SetValue(byLabel("Group"), "Estimators"), chromedp.SetValue(byLabel("Project"), prj[0].ID),
		chromedp.SetValue(byLabel("Product"), "cost"), click("button", "Add mapping"),
		see("Group Estimators now gives cost on Tower."))
	w.check("mappings")
	var ms []adminapi.ProductMappingView
	e.apiGet("/product-mappings", &ms)
	if len(ms) != 1 || ms[0].GroupName != "Estimators" || ms[0].ProjectName != "Tower" || ms[0].Product != "cost" {
		t.Errorf("mappings through the API = %+v", ms)
	}

	// Webhooks: add one; the secret shows once; its page lists deliveries.
	run("webhook", click("a", "Webhooks"), see("This team has no webhooks."),
		chromedp.SetValue(byLabel("Endpoint URL"), "https://hooks.acme.test/roster"),
		chromedp.SetValue(byLabel("Events"), "user.created, project.member.level.changed"),
		click("button", "Add webhook"), see("Webhook added."), see("shown only this once"))
	w.check("webhooks")
	var hooks struct{ Webhooks []adminapi.WebhookView }
	e.apiGet("/webhooks", &hooks)
	if len(hooks.Webhooks) != 1 || hooks.Webhooks[0].URL != "https://hooks.acme.test/roster" ||
		strings.Join(hooks.Webhooks[0].Events, ",") != "user.created,project.member.level.changed" {
		t.Errorf("webhooks through the API = %+v", hooks.Webhooks)
	}
	e.user("sam@acme.test", db.RoleNone) // a user.created delivery for the endpoint
	run("deliveries", click("a", "https://hooks.acme.test/roster"), see("Deliveries"), see("user.created"), see("Replay an event"))
	w.check("webhook")

	run("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, p := range []struct{ link, shows, name string }{
		{"Webhooks", "Add a webhook", "webhooks-phone"},
		{"Group mappings", "Estimators", "mappings-phone"},
		{"Product catalogue", "Add a product", "catalogue-phone"},
	} {
		run(p.name, click("a", p.link), see(p.shows))
		w.check(p.name)
	}
	run("webhook on a phone", click("a", "Webhooks"), click("a", "https://hooks.acme.test/roster"), see("Deliveries"))
	w.check("webhook-phone")
	run("project on a phone", click("a", "Projects"), click("a", "Tower"), see("Project members"))
	w.check("project-level-phone")
	t.Logf("screenshots in %s", shots)
}
