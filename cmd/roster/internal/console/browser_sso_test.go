package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/sso"
	"github.com/roster-dev/roster/sso/ssotest"
)

// TestBrowserSSOSignIn: in a real chromium, "Sign in with SSO" on the
// console's sign-in page goes to the samlify IdP (redirect binding; its
// answer reaches the ACS through a form with a visible button, as the
// console's CSP allows no script), and back: the primary admin lands on the
// console, a user who is no admin on "My products".
func TestBrowserSSOSignIn(t *testing.T) {
	chromium, _ := browserPrereqs(t)
	idp := ssotest.StartSamlify(t)
	var svc *sso.Service
	e := newEnvWith(t, gormdb.Config{}, func(e *env, mux *http.ServeMux, a *adminapi.Deps, c *console.Deps) {
		base, _ := url.Parse(e.srv.URL)
		var err error
		if svc, err = sso.New(sso.Options{Store: e.store, BaseURL: base}); err != nil {
			t.Fatal(err)
		}
		svc.Register(mux)
		c.SSO, c.SSOCookie = svc, sso.SessionCookie
	})
	e.user("bob@acme.test", db.RoleNone)
	md := string(idp.Metadata())
	jit := true
	if _, err := svc.Update(context.Background(), e.team.ID, db.Actor{Kind: db.ActorAdmin, ID: e.prim.ID, Name: e.prim.Email},
		sso.Settings{MetadataXML: &md, JIT: &jit}); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(e.srv.URL + "/sso/" + e.team.ID + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	spMD, _ := io.ReadAll(res.Body)
	res.Body.Close()
	idp.Register(spMD)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-gpu", true))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	root, cancel := chromedp.NewContext(alloc)
	defer cancel()
	root, cancel = context.WithTimeout(root, 5*time.Minute) // a guard against a hung chromium, not a timing assertion
	defer cancel()
	see := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//body//*[contains(normalize-space(.), %q)][not(*[contains(normalize-space(.), %q)])]`, text, text)))
	}
	inSSOForm := chromedp.Search(`//section[h2[normalize-space()="Sign in with SSO"]]//input[@id=//label[normalize-space()="Team ID"]/@for]`)
	signIn := func(ctx context.Context, email string) error {
		return chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/console/signin"),
			chromedp.SetValue(inSSOForm, e.team.ID), chromedp.Click(byText("button", "Sign in with SSO")),
			see("Sign in to the test IdP"), chromedp.SetValue(byLabel("Email"), email),
			chromedp.SetValue(byLabel("First name"), "Test"), chromedp.SetValue(byLabel("Last name"), "Person"),
			chromedp.Click(byText("button", "Sign in")), see("Signed in at the test IdP"),
			chromedp.Click(byText("button", "Continue to Roster")))
	}

	actx := root // the first tab starts the browser; the user signs in in a second browser context
	if err := signIn(actx, "pat@acme.test"); err != nil {
		t.Fatalf("admin SSO sign-in: %v", err)
	}
	if err := chromedp.Do(actx, see("Sign out"), see("2 users")); err != nil {
		t.Fatalf("admin did not land on the console: %v", err)
	}
	if loc, _ := chromedp.Run(actx, chromedp.Location()); loc != e.srv.URL+"/console/users" {
		t.Errorf("admin landed on %q", loc)
	}

	uctx, ucancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	defer ucancel()
	if err := signIn(uctx, "bob@acme.test"); err != nil {
		t.Fatalf("user SSO sign-in: %v", err)
	}
	if err := chromedp.Do(uctx, see("My products"), see("bob@acme.test")); err != nil {
		t.Fatalf("user did not land on My products: %v", err)
	}
	if loc, _ := chromedp.Run(uctx, chromedp.Location()); loc != e.srv.URL+"/console/products" {
		t.Errorf("user landed on %q", loc)
	}
}
