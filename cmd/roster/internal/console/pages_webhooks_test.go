package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// newWebhookEnv is newEnv with the server's webhooks.secret_key set.
func newWebhookEnv(t *testing.T) *env {
	return newEnvWith(t, gormdb.Config{}, func(_ *env, _ *http.ServeMux, a *adminapi.Deps, _ *console.Deps) {
		a.WebhookKey = []byte(strings.Repeat("k", 32))
	})
}

// The Webhooks page: add (the secret shown once, never again; a stale
// session must sign in again first), a bad URL refused with a precise 400,
// the deliveries page, Replay of an event and of a delivery, and Remove —
// each checked through the JSON API.
func TestWebhooksPage(t *testing.T) {
	e := newWebhookEnv(t)
	c := e.admin(e.prim)
	e.page(c, "GET", "/console/webhooks", nil, 200, "This team has no webhooks.")
	e.page(c, "POST", "/console/webhooks", url.Values{"url": {"ftp://x.example/"}}, http.StatusBadRequest, "ftp://x.example/")
	body := e.page(c, "POST", "/console/webhooks", url.Values{"url": {"https://hooks.acme.test/roster"}, "events": {"user.created, role.changed"}},
		http.StatusCreated, "Webhook added.", "shown only this once", "https://hooks.acme.test/roster")
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=_-]+`).FindString(body)
	if secret == "" {
		t.Fatalf("no secret on the page:\n%s", body)
	}
	var list struct{ Webhooks []adminapi.WebhookView }
	e.apiGet("/webhooks", &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].URL != "https://hooks.acme.test/roster" || strings.Join(list.Webhooks[0].Events, ",") != "user.created,role.changed" {
		t.Fatalf("webhooks through the API = %+v", list.Webhooks)
	}
	id := list.Webhooks[0].ID
	if again := e.page(c, "GET", "/console/webhooks", nil, 200, "Enabled", "user.created, role.changed"); strings.Contains(again, secret) {
		t.Fatal("the secret shows again on the list")
	}
	page := e.page(c, "GET", "/console/webhooks/"+id, nil, 200, "No deliveries yet.", "Replay an event")
	if strings.Contains(page, secret) {
		t.Fatal("the secret shows on the webhook's page")
	}
	// Replay: an event of the team (from the events feed) becomes a delivery.
	e.user("sam@acme.test", db.RoleNone)
	var feed []struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	}
	e.apiGet("/events?after=0&limit=100", &feed)
	var ev int64
	for _, x := range feed {
		if x.Type == "user.created" {
			ev = x.ID
		}
	}
	if ev == 0 {
		t.Fatalf("no user.created event in %+v", feed)
	}
	var ds struct{ Deliveries []adminapi.DeliveryView }
	e.apiGet("/webhooks/deliveries?webhook="+id, &ds)
	before := len(ds.Deliveries) // sam's user.created was fanned out to the endpoint when written
	e.page(c, "GET", "/console/webhooks/"+id, nil, 200, "user.created", "Pending", "Replay")
	e.page(c, "POST", "/console/webhooks/"+id+"/replay", url.Values{"event_id": {"abc"}}, http.StatusBadRequest, "The event id must be a positive number.")
	e.page(c, "POST", "/console/webhooks/"+id+"/replay", url.Values{"event_id": {"99999999"}}, http.StatusNotFound)
	e.page(c, "POST", "/console/webhooks/"+id+"/replay", url.Values{"event_id": {"msg_" + strconv.FormatInt(ev, 10)}}, http.StatusCreated,
		"queued for delivery again", "user.created", "Pending")
	e.apiGet("/webhooks/deliveries?webhook="+id, &ds)
	if len(ds.Deliveries) != before+1 || ds.Deliveries[0].EventID != ev {
		t.Fatalf("deliveries through the API = %+v", ds.Deliveries)
	}
	e.page(c, "POST", "/console/webhooks/"+id+"/deliveries/"+ds.Deliveries[0].ID+"/replay", nil, http.StatusCreated, "queued for delivery again")
	e.apiGet("/webhooks/deliveries?webhook="+id, &ds)
	if len(ds.Deliveries) != before+2 {
		t.Fatalf("after replaying the delivery: %d deliveries, want %d", len(ds.Deliveries), before+2)
	}
	e.page(c, "GET", "/console/webhooks/nope", nil, http.StatusNotFound)
	res, _ := e.do(c, "POST", "/console/webhooks/"+id+"/remove", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	e.apiGet("/webhooks", &list)
	if len(list.Webhooks) != 0 {
		t.Fatalf("after remove the API lists %+v", list.Webhooks)
	}
}

// Adding a webhook needs a recent sign-in, as creating a SCIM token does.
func TestWebhookAddNeedsRecentSignIn(t *testing.T) {
	e := newWebhookEnv(t)
	c := e.admin(e.prim)
	e.clock.Add(11 * time.Minute) // past ReauthWithin (10 minutes), inside the idle timeout
	e.page(c, "POST", "/console/webhooks", url.Values{"url": {"https://hooks.acme.test/x"}}, http.StatusForbidden, "needs a recent sign-in")
	var list struct{ Webhooks []adminapi.WebhookView }
	e.apiGet("/webhooks", &list)
	if len(list.Webhooks) != 0 {
		t.Fatalf("a stale session added %+v", list.Webhooks)
	}
}

// Group → product mappings: add by group name, project and product (the
// list shows grants and waiting), a bad group a precise 404, remove.
func TestMappingsPage(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	pid := e.project(c, "Tower")
	ctx := context.Background()
	g, err := e.store.CreateGroup(ctx, e.team.ID, db.NewGroup{DisplayName: "Estimators", Source: db.SourceSCIM}, operator)
	if err != nil {
		t.Fatal(err)
	}
	e.page(c, "GET", "/console/mappings", nil, 200, "No group is mapped to a product.", "Tower")
	e.page(c, "POST", "/console/mappings", url.Values{"group": {"Nobody"}, "project": {pid}, "product": {"cost"}}, http.StatusNotFound, "Nobody")
	e.page(c, "POST", "/console/mappings", url.Values{"group": {"Estimators"}, "project": {pid}, "product": {"cost"}}, http.StatusCreated,
		"Group Estimators now gives cost on Tower.", "Waiting for a seat")
	var ms []adminapi.ProductMappingView
	e.apiGet("/product-mappings", &ms)
	if len(ms) != 1 || ms[0].GroupID != g.ID || ms[0].ProjectID != pid || ms[0].Product != "cost" {
		t.Fatalf("mappings through the API = %+v", ms)
	}
	e.page(c, "POST", "/console/mappings/"+ms[0].ID+"/remove", nil, 200, "Mapping removed")
	e.apiGet("/product-mappings", &ms)
	if len(ms) != 0 {
		t.Fatalf("after remove: %+v", ms)
	}
}

// The catalogue's rename and remove (R-MEM-4): a rename shows through the
// API; removing asks first, then revokes; the base product cannot be
// removed (a precise 422, nothing changed).
func TestCatalogueRenameRemove(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	e.page(c, "POST", "/console/catalogue/build", url.Values{"name": {"Build Pro"}}, 200, "Product Build Pro saved.")
	e.page(c, "POST", "/console/catalogue/build", url.Values{"name": {""}, "base": {"on"}}, 200) // "" keeps the name; the base mark moves (no project members lack it)
	var ps []adminapi.ProductView
	e.apiGet("/products", &ps)
	names := map[string]adminapi.ProductView{}
	for _, p := range ps {
		names[p.Key] = p
	}
	if names["build"].Name != "Build Pro" || !names["build"].Base || names["docs"].Base {
		t.Fatalf("products after rename and base move = %+v", ps)
	}
	e.page(c, "POST", "/console/catalogue/build", url.Values{"name": {"Build"}}, 200)
	e.page(c, "POST", "/console/catalogue/docs", url.Values{"name": {"Docs"}, "base": {"on"}}, 200)
	e.page(c, "POST", "/console/catalogue/docs/remove", url.Values{"confirm": {"yes"}}, http.StatusUnprocessableEntity)
	e.page(c, "POST", "/console/catalogue/cost/remove", nil, 200, "Remove product cost?")
	e.apiGet("/products", &ps)
	if len(ps) != 7 {
		t.Fatalf("asking to confirm removed something: %+v", ps)
	}
	e.page(c, "POST", "/console/catalogue/cost/remove", url.Values{"confirm": {"yes"}}, 200, "Product cost removed; 0 project memberships lost it.")
	e.apiGet("/products", &ps)
	for _, p := range ps {
		if p.Key == "cost" || p.Key == "docs" && !p.Base {
			t.Fatalf("after remove: %+v", ps)
		}
	}
}

// The project level control: promote, demote, and the last project admin
// refused with the store's precise message (422), checked through the API.
func TestProjectLevelControl(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	ann := e.user("ann@acme.test", db.RoleNone)
	bob := e.user("bob@acme.test", db.RoleNone)
	pid := e.project(c, "Tower")
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {ann.Email}, "level": {"admin"}, "product": {"docs"}}, http.StatusCreated)
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {bob.Email}, "level": {"member"}, "product": {"docs"}}, http.StatusCreated)
	base := "/console/projects/" + pid + "/members/"
	e.page(c, "POST", base+ann.ID+"/level", url.Values{"level": {"member"}}, http.StatusUnprocessableEntity, "last admin of project")
	e.page(c, "POST", base+bob.ID+"/level", url.Values{"level": {"boss"}}, http.StatusBadRequest, "not member or admin")
	e.page(c, "POST", base+bob.ID+"/level", url.Values{"level": {"admin"}}, 200, "Project level of bob@acme.test saved: Project admin.")
	e.page(c, "POST", base+ann.ID+"/level", url.Values{"level": {"member"}}, 200)
	var ms []adminapi.ProjectMemberView
	e.apiGet("/projects/"+pid+"/members", &ms)
	got := map[string]string{}
	for _, m := range ms {
		got[m.Email] = m.Level
	}
	if got["ann@acme.test"] != "member" || got["bob@acme.test"] != "admin" {
		t.Fatalf("levels through the API = %v", got)
	}
}
