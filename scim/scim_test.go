package scim_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/scim"
)

const base = "https://roster.test/scim/v2"

var operator = db.Actor{Kind: db.ActorOperator, ID: "test", Name: "test"}

// tenant is a team with a SCIM token.
type tenant struct {
	teamID  string
	token   string
	tokenID string
}

func gormdbtestOpen(t testing.TB) *gormdb.Store {
	return gormdbtest.Open(t, gormdb.SQLite, gormdb.Config{})
}

// newTenant creates a team and a SCIM token for it in the store.
func newTenant(t *testing.T, s *gormdb.Store, name string) tenant { return newTenantTB(t, s, name) }

func newTenantTB(t testing.TB, s *gormdb.Store, name string) tenant {
	t.Helper()
	ctx := context.Background()
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: name, PrimaryEmail: "owner@" + name + ".example",
		PrimaryFirstName: "Owner", PrimaryLastName: name}, operator)
	if err != nil {
		t.Fatalf("create team: %v", err)
	}
	b := make([]byte, 24)
	rand.Read(b)
	secret := "rst_" + hex.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	tok, err := s.CreateToken(ctx, db.Token{TeamID: team.ID, Kind: db.TokenSCIM, Prefix: secret[:8], Hash: sum[:]}, operator)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return tenant{teamID: team.ID, token: secret, tokenID: tok.ID}
}

type env struct {
	t     *testing.T
	store *gormdb.Store
	h     http.Handler
	a, b  tenant
}

func newEnv(t *testing.T, d gormdb.Dialect, opts scim.Options) *env {
	t.Helper()
	s := gormdbtest.Open(t, d, gormdb.Config{})
	opts.BaseURL = base
	if opts.TokenCacheTTL == 0 {
		opts.TokenCacheTTL = -1
	}
	e := &env{t: t, store: s, a: newTenant(t, s, "alpha"), b: newTenant(t, s, "beta")}
	e.h = http.StripPrefix("/scim/v2", scim.NewHandler(s, opts))
	return e
}

// forEachDialect runs f on SQLite and on every server dialect configured.
func forEachDialect(t *testing.T, opts scim.Options, f func(t *testing.T, e *env)) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) { f(t, newEnv(t, d, opts)) })
	}
}

type resp struct {
	code int
	hdr  http.Header
	body map[string]any
	raw  string
}

func (e *env) do(tn tenant, method, path string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, "/scim/v2"+path, rd)
	if tn.token != "" {
		req.Header.Set("Authorization", "Bearer "+tn.token)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	r := resp{code: rec.Code, hdr: rec.Header(), raw: rec.Body.String()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &r.body); err != nil {
			e.t.Fatalf("%s %s: response is not JSON: %q", method, path, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/scim+json" {
			e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
	}
	if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
		e.t.Errorf("%s %s: status %d: %s", method, path, rec.Code, rec.Body.String())
	}
	return r
}

// want fails unless the status matches; for errors it checks the SCIM error shape.
func (r resp) want(t *testing.T, code int) resp {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.raw)
	}
	if code >= 400 {
		if s, _ := r.body["status"].(string); s != fmt.Sprint(code) {
			t.Errorf("error status %q, want string %q", r.body["status"], fmt.Sprint(code))
		}
		if sc := r.body["schemas"]; fmt.Sprint(sc) != "[urn:ietf:params:scim:api:messages:2.0:Error]" {
			t.Errorf("error schemas %v", sc)
		}
		if d, _ := r.body["detail"].(string); d == "" {
			t.Errorf("error without detail")
		}
	}
	return r
}

func (r resp) scimType() string { s, _ := r.body["scimType"].(string); return s }

func (r resp) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			fmt.Sscan(p, &i)
			if i < len(x) {
				v = x[i]
			} else {
				v = nil
			}
		}
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (r resp) total() int {
	n, _ := r.body["totalResults"].(float64)
	return int(n)
}

// payload reads testdata/name with {{KEY}} placeholders replaced.
func payload(t *testing.T, name string, kv ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{{"+kv[i]+"}}", kv[i+1])
	}
	return s
}

func userBody(userName, email string, extra ...string) map[string]any {
	m := map[string]any{
		"schemas":  []string{scim.URNUser},
		"userName": userName,
		"name":     map[string]any{"givenName": "Given", "familyName": "Family"},
		"emails":   []any{map[string]any{"value": email, "type": "work", "primary": true}},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func (e *env) createUser(tn tenant, userName string, extra ...string) string {
	e.t.Helper()
	r := e.do(tn, "POST", "/Users", userBody(userName, userName, extra...)).want(e.t, 201)
	return r.str("id")
}

func TestAuth(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin, err := e.store.ListAdmins(ctx, e.a.teamID)
		if err != nil {
			t.Fatal(err)
		}
		adminSecret := "admin-secret-xyz"
		sum := sha256.Sum256([]byte(adminSecret))
		if _, err := e.store.CreateToken(ctx, db.Token{TeamID: e.a.teamID, Kind: db.TokenAdmin, UserID: admin[0].ID, Prefix: "admin-se", Hash: sum[:]}, operator); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			tok  tenant
			hdr  []string
		}{
			{"missing", tenant{}, nil},
			{"wrong", tenant{token: "nope"}, nil},
			{"basic scheme", tenant{}, []string{"Authorization", "Basic " + e.a.token}},
			{"admin token is not a SCIM token", tenant{token: adminSecret}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.tok, "GET", "/Users", nil, tc.hdr...).want(t, 401)
				if strings.Contains(r.raw, e.a.teamID) {
					t.Errorf("401 reveals the team: %s", r.raw)
				}
			})
		}
		e.do(e.a, "GET", "/Users", nil).want(t, 200)
		// Old token after revocation → 401 (the test handler does not cache tokens).
		if err := e.store.RevokeToken(ctx, e.a.teamID, e.a.tokenID, operator); err != nil {
			t.Fatal(err)
		}
		e.do(e.a, "GET", "/Users", nil).want(t, 401)
		toks, _ := e.store.ListTokens(ctx, e.a.teamID)
		if len(toks) == 0 || toks[0].LastUsedAt == nil {
			t.Errorf("token last-used time not recorded: %+v", toks)
		}
	})
}

func TestUserLifecycle(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := e.do(e.a, "POST", "/Users", payload(t, "entra_user_create.json")).want(t, 201)
		id := r.str("id")
		if loc := r.hdr.Get("Location"); loc != base+"/Users/"+id {
			t.Errorf("Location %q", loc)
		}
		if got := r.str("meta", "location"); got != base+"/Users/"+id {
			t.Errorf("meta.location %q", got)
		}
		if r.hdr.Get("ETag") == "" || r.hdr.Get("ETag") != r.str("meta", "version") {
			t.Errorf("ETag %q vs meta.version %q", r.hdr.Get("ETag"), r.str("meta", "version"))
		}
		if got := r.str(scim.URNRoster, "userType"); got != "standard" {
			t.Errorf("roster userType %q", got)
		}
		if got := r.str(scim.URNEnterprise, "employeeNumber"); got != "E-1001" {
			t.Errorf("employeeNumber %q", got)
		}
		u, err := e.store.GetUser(ctx, e.a.teamID, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Source != db.SourceSCIM || u.FirstName != "givenName" || u.ExternalID != "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef" {
			t.Errorf("stored user %+v", u)
		}
		audit, _ := e.store.ListAudit(ctx, e.a.teamID, db.AuditQuery{})
		if len(audit) == 0 || audit[0].Action != "user.create" || audit[0].Actor.Kind != db.ActorSCIMToken || audit[0].Actor.ID != e.a.tokenID {
			t.Errorf("audit %+v", audit)
		}
		// Duplicate, case-variant userName → 409 uniqueness.
		dup := e.do(e.a, "POST", "/Users", strings.Replace(payload(t, "entra_user_create.json"), "Test_User_ab", "TEST_USER_AB", 1)).want(t, 409)
		if dup.scimType() != "uniqueness" {
			t.Errorf("scimType %q", dup.scimType())
		}
		// Never match by email on POST: reusing another user's email is a
		// conflict, not a merge into that user (takeover by matching).
		take := userBody("someone-else", "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@contoso.com")
		if r := e.do(e.a, "POST", "/Users", take).want(t, 409); r.scimType() != "uniqueness" {
			t.Errorf("scimType %q", r.scimType())
		}
		if u2, _ := e.store.GetUser(ctx, e.a.teamID, id); u2.Version != 1 || u2.UserName != u.UserName {
			t.Errorf("existing user changed by a conflicting POST: %+v", u2)
		}
		// The same userName in another team is fine.
		e.do(e.b, "POST", "/Users", payload(t, "entra_user_create.json")).want(t, 201)

		g := e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)
		etag := g.hdr.Get("ETag")
		e.do(e.a, "GET", "/Users/"+id, nil, "If-None-Match", etag).want(t, 304)

		// Entra's default deprovisioning PATCH: capitalised op, string boolean.
		p := e.do(e.a, "PATCH", "/Users/"+id, payload(t, "entra_user_patch_active_false.json")).want(t, 200)
		if p.str("active") != "false" {
			t.Errorf("active after patch: %s", p.raw)
		}
		if u, _ := e.store.GetUser(ctx, e.a.teamID, id); u.Status != db.StatusInactive {
			t.Errorf("status %q, want inactive", u.Status)
		}
		// Disabled users stay retrievable.
		e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)
		// Stale If-Match → 412; the current one works.
		e.do(e.a, "PATCH", "/Users/"+id, payload(t, "entra_user_patch_active_false.json"), "If-Match", etag).want(t, 412)
		e.do(e.a, "PUT", "/Users/"+id, payload(t, "entra_user_create.json"), "If-Match", etag).want(t, 412)
		cur := e.do(e.a, "GET", "/Users/"+id, nil).hdr.Get("ETag")
		e.do(e.a, "DELETE", "/Users/"+id, nil, "If-Match", etag).want(t, 412)
		e.do(e.a, "DELETE", "/Users/"+id, nil, "If-Match", cur).want(t, 204)
		e.do(e.a, "GET", "/Users/"+id, nil).want(t, 404)
		e.do(e.a, "DELETE", "/Users/"+id, nil).want(t, 404)
	})
}

func TestDialectPayloads(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		mgr := e.createUser(e.a, "manager@example.com")
		u1 := e.createUser(e.a, "user1@example.com")
		u2 := e.createUser(e.a, "user2@example.com")
		entra := e.do(e.a, "POST", "/Users", payload(t, "entra_user_create.json")).want(t, 201).str("id")
		okta := e.do(e.a, "POST", "/Users", payload(t, "okta_user_create.json")).want(t, 201)
		if strings.Contains(okta.raw, "1mz050nq") || strings.Contains(okta.raw, "password") {
			t.Errorf("password echoed: %s", okta.raw)
		}
		oktaID := okta.str("id")
		group := e.do(e.a, "POST", "/Groups", payload(t, "entra_group_create.json")).want(t, 201).str("id")
		oktaGroup := e.do(e.a, "POST", "/Groups", payload(t, "okta_group_create.json")).want(t, 201).str("id")

		members := func(gid string) []string {
			r := e.do(e.a, "GET", "/Groups/"+gid, nil).want(t, 200)
			var out []string
			ms, _ := r.body["members"].([]any)
			for _, m := range ms {
				out = append(out, m.(map[string]any)["value"].(string))
			}
			sort.Strings(out)
			return out
		}
		sorted := func(ids ...string) []string { sort.Strings(ids); return ids }

		for _, tc := range []struct {
			name, method, path, file string
			kv                       []string
			code                     int
			check                    func(t *testing.T, r resp)
		}{
			{"entra patch attributes", "PATCH", "/Users/" + entra, "entra_user_patch_attributes.json", nil, 200, func(t *testing.T, r resp) {
				if got := r.str("emails", "0", "value"); got != "updatedEmail@microsoft.com" {
					t.Errorf("work email %q", got)
				}
				if got := r.str("name", "familyName"); got != "updatedFamilyName" {
					t.Errorf("familyName %q", got)
				}
				if got := r.str(scim.URNEnterprise, "employeeNumber"); got != "E-2002" {
					t.Errorf("employeeNumber %q", got)
				}
				if got := r.str("title"); got != "Accountant" {
					t.Errorf("title %q", got)
				}
				f := e.do(e.a, "GET", "/Users?filter="+url.QueryEscape(`emails[type eq "work"].value eq "UPDATEDEMAIL@microsoft.com"`), nil).want(t, 200)
				if f.total() != 1 || f.str("Resources", "0", "id") != entra {
					t.Errorf("email filter after patch: %s", f.raw)
				}
			}},
			{"entra aadOptscim062020 path-less", "PATCH", "/Users/" + entra, "entra_user_patch_aadopt_pathless.json", nil, 200, func(t *testing.T, r resp) {
				if r.str("name", "givenName") != "Jane" || r.str("displayName") != "Jane Q Doe" ||
					r.str(scim.URNEnterprise, "department") != "Legal" || r.str("active") != "false" {
					t.Errorf("path-less replace: %s", r.raw)
				}
			}},
			{"entra unqualified manager", "PATCH", "/Users/" + entra, "entra_user_patch_manager_unqualified.json", []string{"MANAGER", mgr}, 200, func(t *testing.T, r resp) {
				if got := r.str(scim.URNEnterprise, "manager", "value"); got != mgr {
					t.Errorf("manager %q: %s", got, r.raw)
				}
			}},
			{"nested enterprise object without path", "PATCH", "/Users/" + entra, "entra_user_patch_enterprise_nested.json", []string{"MANAGER", u1}, 200, func(t *testing.T, r resp) {
				if r.str(scim.URNEnterprise, "costCenter") != "CC-7" || r.str(scim.URNEnterprise, "manager", "value") != u1 {
					t.Errorf("nested: %s", r.raw)
				}
				if r.str(scim.URNEnterprise, "department") != "Legal" {
					t.Errorf("other enterprise attributes lost: %s", r.raw)
				}
			}},
			{"whole extension as path", "PATCH", "/Users/" + entra, "entra_user_patch_extension_path.json", nil, 200, func(t *testing.T, r resp) {
				if r.str(scim.URNEnterprise, "division") != "EMEA" {
					t.Errorf("division: %s", r.raw)
				}
			}},
			{"validator removes manager with empty value", "PATCH", "/Users/" + entra, "validator_user_patch_manager_remove.json", nil, 200, func(t *testing.T, r resp) {
				if r.str(scim.URNEnterprise, "manager") != "" {
					t.Errorf("manager not removed: %s", r.raw)
				}
			}},
			{"okta PUT full replace", "PUT", "/Users/" + oktaID, "okta_user_put.json", []string{"ID", oktaID}, 200, func(t *testing.T, r resp) {
				if r.str("name", "givenName") != "Johnny" || r.str("displayName") != "Johnny Doe" || strings.Contains(r.raw, "password") {
					t.Errorf("put: %s", r.raw)
				}
			}},
			{"okta deactivate path-less", "PATCH", "/Users/" + oktaID, "okta_user_deactivate.json", nil, 200, func(t *testing.T, r resp) {
				if r.str("active") != "false" {
					t.Errorf("active: %s", r.raw)
				}
			}},
			{"entra add members", "PATCH", "/Groups/" + group, "entra_group_patch_add_members.json", []string{"USER1", u1, "USER2", u2}, 204, func(t *testing.T, r resp) {
				if got := members(group); fmt.Sprint(got) != fmt.Sprint(sorted(u1, u2)) {
					t.Errorf("members %v", got)
				}
			}},
			{"entra remove members by value list removes only those", "PATCH", "/Groups/" + group, "entra_group_patch_remove_members_value.json", []string{"USER1", u1}, 204, func(t *testing.T, r resp) {
				if got := members(group); fmt.Sprint(got) != fmt.Sprint([]string{u2}) {
					t.Errorf("members %v, want only %s", got, u2)
				}
			}},
			{"entra remove member by filter", "PATCH", "/Groups/" + group, "entra_group_patch_remove_member_filter.json", []string{"USER2", u2}, 204, func(t *testing.T, r resp) {
				if got := members(group); len(got) != 0 {
					t.Errorf("members %v", got)
				}
			}},
			{"entra path-less group replace", "PATCH", "/Groups/" + group, "entra_group_patch_pathless_replace.json", nil, 204, func(t *testing.T, r resp) {
				g := e.do(e.a, "GET", "/Groups/"+group+"?excludedAttributes=members", nil).want(t, 200)
				if g.str("displayName") != "RenamedGroup" || g.str("externalId") != "ext-renamed" {
					t.Errorf("group %s", g.raw)
				}
				if _, ok := g.body["members"]; ok {
					t.Errorf("members not excluded")
				}
			}},
			{"okta group rename with id in value", "PATCH", "/Groups/" + oktaGroup, "okta_group_rename.json", []string{"ID", oktaGroup}, 204, func(t *testing.T, r resp) {
				if g := e.do(e.a, "GET", "/Groups/"+oktaGroup, nil); g.str("displayName") != "Okta Renamed" {
					t.Errorf("group %s", g.raw)
				}
			}},
			{"okta membership remove + add", "PATCH", "/Groups/" + oktaGroup, "okta_group_members.json", []string{"USER1", u1, "USER2", u2}, 204, func(t *testing.T, r resp) {
				if got := members(oktaGroup); fmt.Sprint(got) != fmt.Sprint([]string{u2}) {
					t.Errorf("members %v", got)
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(e.a, tc.method, tc.path, payload(t, tc.file, tc.kv...)).want(t, tc.code)
				tc.check(t, r)
			})
		}
	})
}

func TestFilters(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		mk := func(userName, ext, title string, active bool) {
			b := userBody(userName, userName)
			b["externalId"] = ext
			b["title"] = title
			b["active"] = active
			b[scim.URNEnterprise] = map[string]any{"department": "Dept-" + ext}
			b["schemas"] = []string{scim.URNUser, scim.URNEnterprise}
			e.do(e.a, "POST", "/Users", b).want(t, 201)
		}
		mk("alice@example.com", "ext-A", "100% sure", true)
		mk("bob@example.com", "ext-b", "under_score", true)
		mk("carol@other.org", "EXT-C", `quo"te`, false)
		mk("dave@example.com", "ext-d", `back\slash`, true)
		e.createUser(e.b, "alice2@example.com") // another team: never seen

		for _, tc := range []struct {
			filter string
			want   []string // userNames; owner is excluded below
			err    string   // scimType when a 400 is expected
		}{
			{`userName eq "ALICE@example.com"`, []string{"alice@example.com"}, ""},
			{`userName eq "nobody@example.com"`, nil, ""},
			{`externalId eq "ext-A"`, []string{"alice@example.com"}, ""},
			{`externalId eq "EXT-A"`, nil, ""}, // case-exact
			{`emails[type eq "work"].value eq "bob@example.com"`, []string{"bob@example.com"}, ""},
			{`emails[type eq "work" and value co "CAROL"]`, []string{"carol@other.org"}, ""},
			{`emails[type eq "home" or type eq "work"].value eq "carol@other.org"`, []string{"carol@other.org"}, ""},
			{`emails[type eq "home"].value eq "carol@other.org"`, nil, ""},
			{`emails.value ew "other.org"`, []string{"carol@other.org"}, ""},
			{`emails eq "dave@example.com"`, []string{"dave@example.com"}, ""},
			{`userName sw "a" or userName sw "b"`, []string{"alice@example.com", "bob@example.com"}, ""},
			{`(userName sw "a" or userName sw "b") and not (externalId eq "ext-b")`, []string{"alice@example.com"}, ""},
			{`active eq false`, []string{"carol@other.org"}, ""},
			{`active eq true and userName co "example"`, []string{"alice@example.com", "bob@example.com", "dave@example.com"}, ""},
			{`title co "%"`, []string{"alice@example.com"}, ""},
			{`title co "_"`, []string{"bob@example.com"}, ""},
			{`title eq "quo\"te"`, []string{"carol@other.org"}, ""},
			{`title eq "back\\slash"`, []string{"dave@example.com"}, ""},
			{`userName eq "x\") or 1=1 --"`, nil, ""},
			{`title pr and userName ne "alice@example.com"`, []string{"bob@example.com", "carol@other.org", "dave@example.com"}, ""},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "dept-ext-b"`, []string{"bob@example.com"}, ""},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department sw "Dept" and userName sw "c"`, []string{"carol@other.org"}, ""},
			{`name.familyName eq "family" and userName ew "org"`, []string{"carol@other.org"}, ""},
			{`meta.created gt "2000-01-01T00:00:00Z" and userName sw "d"`, []string{"dave@example.com"}, ""},
			{`urn:roster:params:scim:schemas:extension:roster:2.0:User:userType eq "standard" and userName sw "b"`, []string{"bob@example.com"}, ""},
			{`userName gt "c" and userName lt "d"`, []string{"carol@other.org"}, ""},
			{`bogus eq "x"`, nil, "invalidFilter"},
			{`emails[bogus eq "x"]`, nil, "invalidFilter"},
			{`active gt true`, nil, "invalidFilter"},
			{`userName eq 42`, nil, "invalidFilter"},
			{`userName eq`, nil, "invalidFilter"},
			{`(userName eq "a"`, nil, "invalidFilter"},
			{`meta.created gt "yesterday"`, nil, "invalidFilter"},
		} {
			t.Run(tc.filter, func(t *testing.T) {
				r := e.do(e.a, "GET", "/Users?filter="+url.QueryEscape(tc.filter), nil)
				if tc.err != "" {
					r.want(t, 400)
					if r.scimType() != tc.err {
						t.Errorf("scimType %q, want %q", r.scimType(), tc.err)
					}
					return
				}
				r.want(t, 200)
				var got []string
				res, _ := r.body["Resources"].([]any)
				for _, x := range res {
					if n := x.(map[string]any)["userName"].(string); !strings.HasPrefix(n, "owner@") {
						got = append(got, n)
					}
				}
				sort.Strings(got)
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
		// POST /.search runs the same query.
		r := e.do(e.a, "POST", "/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter": `userName eq "bob@example.com"`, "attributes": []string{"userName"}}).want(t, 200)
		if r.total() != 1 || r.str("Resources", "0", "userName") != "bob@example.com" || r.str("Resources", "0", "emails") != "" {
			t.Errorf(".search: %s", r.raw)
		}
	})
}

func TestListPaging(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		for i := 0; i < 7; i++ {
			e.createUser(e.a, fmt.Sprintf("u%d@example.com", i))
		}
		// 8 users including the owner.
		r := e.do(e.a, "GET", "/Users?startIndex=3&count=2&sortBy=userName&sortOrder=descending", nil).want(t, 200)
		if r.total() != 8 || r.str("itemsPerPage") != "2" || r.str("startIndex") != "3" {
			t.Errorf("paging: %s", r.raw)
		}
		if r.str("Resources", "0", "userName") != "u4@example.com" || r.str("Resources", "1", "userName") != "u3@example.com" {
			t.Errorf("sorted page: %s", r.raw)
		}
		if r := e.do(e.a, "GET", "/Users?count=0", nil).want(t, 200); r.total() != 8 || len(r.body["Resources"].([]any)) != 0 {
			t.Errorf("count=0: %s", r.raw)
		}
		if r := e.do(e.a, "GET", "/Users?startIndex=-4&count=1", nil).want(t, 200); r.str("startIndex") != "1" {
			t.Errorf("startIndex<1: %s", r.raw)
		}
		e.do(e.a, "GET", "/Users?count=abc", nil).want(t, 400)
		e.do(e.a, "GET", "/Users?sortBy=emails", nil).want(t, 400)
		// Cursor paging (RFC 9865) walks every user exactly once.
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("cursor paging does not end")
			}
			r := e.do(e.a, "GET", "/Users?count=3&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
			for _, x := range r.body["Resources"].([]any) {
				id := x.(map[string]any)["id"].(string)
				if seen[id] {
					t.Errorf("user %s twice", id)
				}
				seen[id] = true
			}
			next, _ := r.body["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 8 {
			t.Errorf("cursor paging saw %d users, want 8", len(seen))
		}
		if r := e.do(e.a, "GET", "/Users?cursor=garbage!", nil).want(t, 400); r.scimType() != "invalidCursor" {
			t.Errorf("scimType %q", r.scimType())
		}
		// attributes / excludedAttributes
		r = e.do(e.a, "GET", "/Users?count=1&attributes=userName,name.givenName", nil).want(t, 200)
		res := r.body["Resources"].([]any)[0].(map[string]any)
		if _, ok := res["emails"]; ok || res["id"] == nil || res["userName"] == nil || res["name"].(map[string]any)["givenName"] == nil {
			t.Errorf("attributes: %v", res)
		}
		r = e.do(e.a, "GET", "/Users?count=1&excludedAttributes=emails,"+scim.URNRoster, nil).want(t, 200)
		res = r.body["Resources"].([]any)[0].(map[string]any)
		if _, ok := res["emails"]; ok {
			t.Errorf("excludedAttributes: %v", res)
		}
		if _, ok := res[scim.URNRoster]; ok {
			t.Errorf("excludedAttributes extension: %v", res)
		}
	})
}

func TestGroupsAndIsolation(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		a1 := e.createUser(e.a, "a1@example.com")
		a2 := e.createUser(e.a, "a2@example.com")
		b1 := e.createUser(e.b, "b1@example.com")
		ga := e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "Eng",
			"members": []any{map[string]any{"value": a1}}}).want(t, 201)
		gid := ga.str("id")
		if ga.str("members", "0", "value") != a1 {
			t.Errorf("create with members: %s", ga.raw)
		}
		if r := e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "ENG"}).want(t, 409); r.scimType() != "uniqueness" {
			t.Errorf("scimType %q", r.scimType())
		}
		gb := e.do(e.b, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "Eng"}).want(t, 201).str("id")

		// A's ids and userNames via B: 404 / totalResults 0.
		e.do(e.b, "GET", "/Users/"+a1, nil).want(t, 404)
		e.do(e.b, "GET", "/Groups/"+gid, nil).want(t, 404)
		e.do(e.b, "PATCH", "/Users/"+a1, payload(t, "okta_user_deactivate.json")).want(t, 404)
		e.do(e.b, "DELETE", "/Groups/"+gid, nil).want(t, 404)
		if r := e.do(e.b, "GET", "/Users?filter="+url.QueryEscape(`userName eq "a1@example.com"`), nil).want(t, 200); r.total() != 0 {
			t.Errorf("B sees A's user: %s", r.raw)
		}
		if r := e.do(e.b, "GET", "/Groups?filter="+url.QueryEscape(`members[value eq "`+a1+`"]`), nil).want(t, 200); r.total() != 0 {
			t.Errorf("B sees A's membership: %s", r.raw)
		}
		// Cross-tenant member references are refused and nothing is written.
		before, _ := e.store.GetGroup(ctx, e.b.teamID, gb)
		e.do(e.b, "PATCH", "/Groups/"+gb, payload(t, "entra_group_patch_add_members.json", "USER1", b1, "USER2", a1)).want(t, 400)
		after, _ := e.store.GetGroup(ctx, e.b.teamID, gb)
		if after.MemberCount != 0 || after.Version != before.Version {
			t.Errorf("half-applied cross-tenant patch: %+v", after)
		}
		e.do(e.b, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "X",
			"members": []any{map[string]any{"value": a2}}}).want(t, 400)

		// Member changes: add, replace, remove-all, and the filter on members.
		e.do(e.a, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": a2}}}}}).want(t, 204)
		if r := e.do(e.a, "GET", "/Groups?filter="+url.QueryEscape(`members[value eq "`+a2+`"] and displayName eq "eng"`)+"&excludedAttributes=members", nil).want(t, 200); r.total() != 1 {
			t.Errorf("members filter: %s", r.raw)
		}
		u := e.do(e.a, "GET", "/Users/"+a2, nil).want(t, 200)
		if u.str("groups", "0", "value") != gid {
			t.Errorf("user groups: %s", u.raw)
		}
		e.do(e.a, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "replace", "path": "members", "value": []any{map[string]any{"value": a2}}}}}).want(t, 204)
		if g, _ := e.store.GetGroup(ctx, e.a.teamID, gid); g.MemberCount != 1 {
			t.Errorf("after replace: %d members", g.MemberCount)
		}
		e.do(e.a, "PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "remove", "path": "members"}}}).want(t, 204)
		if g, _ := e.store.GetGroup(ctx, e.a.teamID, gid); g.MemberCount != 0 {
			t.Errorf("after remove all: %d members", g.MemberCount)
		}
		// PUT replaces the member set.
		put := e.do(e.a, "PUT", "/Groups/"+gid, map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "Eng2",
			"members": []any{map[string]any{"value": a1}, map[string]any{"value": a2}}}).want(t, 200)
		if len(put.body["members"].([]any)) != 2 || put.str("displayName") != "Eng2" {
			t.Errorf("put group: %s", put.raw)
		}
		e.do(e.a, "DELETE", "/Groups/"+gid, nil).want(t, 204)
		e.do(e.a, "DELETE", "/Groups/"+gid, nil).want(t, 404)
	})
}

func TestBadRequestsAreNever500(t *testing.T) {
	forEachDialect(t, scim.Options{MaxBodyBytes: 64 << 10}, func(t *testing.T, e *env) {
		id := e.createUser(e.a, "x@example.com")
		patch := func(ops string) string {
			return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
		}
		for _, tc := range []struct {
			name, method, path, body string
			code                     int
			scimType                 string
		}{
			{"not json", "POST", "/Users", `{"userName":`, 400, "invalidSyntax"},
			{"array body", "POST", "/Users", `[]`, 400, "invalidSyntax"},
			{"no schemas", "POST", "/Users", `{"userName":"a@example.com"}`, 400, "invalidValue"},
			{"bogus schema", "POST", "/Users", `{"schemas":["urn:bogus"],"userName":"a@example.com"}`, 400, "invalidValue"},
			{"unknown attribute", "POST", "/Users", `{"schemas":["` + scim.URNUser + `"],"userName":"a@example.com","shoeSize":42}`, 400, "invalidValue"},
			{"unknown extension attribute", "POST", "/Users", `{"schemas":["` + scim.URNUser + `","` + scim.URNEnterprise + `"],"userName":"a@example.com","` + scim.URNEnterprise + `":{"shoeSize":1}}`, 400, "invalidValue"},
			{"no email at all", "POST", "/Users", `{"schemas":["` + scim.URNUser + `"],"userName":"plainname"}`, 400, "invalidValue"},
			{"missing userName", "POST", "/Users", `{"schemas":["` + scim.URNUser + `"],"emails":[{"value":"a@example.com"}]}`, 400, ""},
			{"wrong type", "POST", "/Users", `{"schemas":["` + scim.URNUser + `"],"userName":["a"]}`, 400, ""},
			{"patch no ops", "PATCH", "/Users/" + id, patch(`[]`), 400, "invalidValue"},
			{"patch bad op", "PATCH", "/Users/" + id, patch(`[{"op":"move","path":"title","value":"x"}]`), 400, "invalidValue"},
			{"patch remove without path", "PATCH", "/Users/" + id, patch(`[{"op":"remove"}]`), 400, "noTarget"},
			{"patch id", "PATCH", "/Users/" + id, patch(`[{"op":"replace","path":"id","value":"x"}]`), 400, "mutability"},
			{"patch groups", "PATCH", "/Users/" + id, patch(`[{"op":"add","path":"groups","value":[{"value":"g"}]}]`), 400, "mutability"},
			{"patch roster extension", "PATCH", "/Users/" + id, patch(`[{"op":"replace","path":"urn:roster:params:scim:schemas:extension:roster:2.0:User:userType","value":"external"}]`), 400, "mutability"},
			{"patch unknown path", "PATCH", "/Users/" + id, patch(`[{"op":"replace","path":"shoeSize","value":"x"}]`), 400, "invalidPath"},
			{"patch unknown path-less key", "PATCH", "/Users/" + id, patch(`[{"op":"replace","value":{"shoeSize":1}}]`), 400, "invalidPath"},
			{"patch filter no match", "PATCH", "/Users/" + id, patch(`[{"op":"remove","path":"emails[type eq \"home\"]"}]`), 400, "noTarget"},
			{"patch bad email", "PATCH", "/Users/" + id, patch(`[{"op":"replace","path":"emails","value":[{"value":"not-an-email","primary":true}]}]`), 400, "invalidValue"},
			{"put unknown user", "PUT", "/Users/nope", `{"schemas":["` + scim.URNUser + `"],"userName":"a@example.com"}`, 404, ""},
			{"patch unknown user", "PATCH", "/Users/nope", patch(`[{"op":"replace","path":"title","value":"x"}]`), 404, ""},
			{"too large", "POST", "/Users", `{"schemas":["` + scim.URNUser + `"],"userName":"` + strings.Repeat("a", 70<<10) + `"}`, 413, ""},
			{"unknown endpoint", "GET", "/Widgets", ``, 404, ""},
			{"method not allowed", "DELETE", "/Users", ``, 405, ""},
			{"bad search body", "POST", "/Users/.search", `{"filter":`, 400, "invalidSyntax"},
			{"bulk wrong schema", "POST", "/Bulk", `{"schemas":["x"],"Operations":[]}`, 400, "invalidValue"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(e.a, tc.method, tc.path, tc.body).want(t, tc.code)
				if tc.scimType != "" && r.scimType() != tc.scimType {
					t.Errorf("scimType %q, want %q (%s)", r.scimType(), tc.scimType, r.raw)
				}
			})
		}
		// Nothing was half-applied to the user.
		if u, _ := e.store.GetUser(context.Background(), e.a.teamID, id); u.Version != 1 {
			t.Errorf("user changed by failed requests: version %d", u.Version)
		}
	})
}

func TestBulk(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		body := map[string]any{
			"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"failOnErrors": 1,
			"Operations": []any{
				map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": userBody("bulk1@example.com", "bulk1@example.com")},
				map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{
					"schemas": []string{scim.URNGroup}, "displayName": "Bulk", "members": []any{map[string]any{"value": "bulkId:u1"}}}},
				map[string]any{"method": "PATCH", "path": "/Users/bulkId:u1", "data": json.RawMessage(payload(t, "okta_user_deactivate.json"))},
				map[string]any{"method": "POST", "path": "/Users", "bulkId": "dup", "data": userBody("bulk1@example.com", "bulk1@example.com")},
				map[string]any{"method": "DELETE", "path": "/Groups/bulkId:g1"},
			},
		}
		r := e.do(e.a, "POST", "/Bulk", body).want(t, 200)
		ops := r.body["Operations"].([]any)
		var statuses []string
		for _, o := range ops {
			statuses = append(statuses, o.(map[string]any)["status"].(string))
		}
		// failOnErrors=1: processing stops after the duplicate.
		if fmt.Sprint(statuses) != "[201 201 200 409]" {
			t.Errorf("statuses %v: %s", statuses, r.raw)
		}
		if loc := ops[0].(map[string]any)["location"].(string); !strings.HasPrefix(loc, base+"/Users/") {
			t.Errorf("location %q", loc)
		}
		g := e.do(e.a, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Bulk"`), nil).want(t, 200)
		if g.total() != 1 || g.str("Resources", "0", "members", "0", "display") != "bulk1@example.com" {
			t.Errorf("bulk group: %s", g.raw)
		}
	})
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, gormdb.SQLite, scim.Options{RateLimit: 2, Burst: 3, Now: clock})
	for i := 0; i < 3; i++ {
		e.do(e.a, "GET", "/ServiceProviderConfig", nil).want(t, 200)
	}
	r := e.do(e.a, "GET", "/ServiceProviderConfig", nil).want(t, 429)
	if r.hdr.Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
	// Another team has its own budget.
	e.do(e.b, "GET", "/ServiceProviderConfig", nil).want(t, 200)
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	e.do(e.a, "GET", "/ServiceProviderConfig", nil).want(t, 200)
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	spc := e.do(e.a, "GET", "/ServiceProviderConfig", nil).want(t, 200)
	for _, k := range []string{"patch", "bulk", "filter", "sort", "etag"} {
		if spc.str(k, "supported") != "true" {
			t.Errorf("%s.supported = %q", k, spc.str(k, "supported"))
		}
	}
	if spc.str("changePassword", "supported") != "false" || spc.str("pagination", "cursor") != "true" {
		t.Errorf("spc: %s", spc.raw)
	}
	e.do(e.a, "DELETE", "/ServiceProviderConfig", nil).want(t, 405)
	rt := e.do(e.a, "GET", "/ResourceTypes", nil).want(t, 200)
	if rt.total() != 2 {
		t.Errorf("resource types: %s", rt.raw)
	}
	// the four resource schemas, and (since the library upgrade of
	// 2026-07-28) the three core meta-schemas of RFC 7643 §7
	sc := e.do(e.a, "GET", "/Schemas", nil).want(t, 200)
	if sc.total() != 7 {
		t.Errorf("schemas: %s", sc.raw)
	}
	for _, urn := range []string{scim.URNUser, scim.URNGroup, scim.URNEnterprise, scim.URNRoster} {
		if r := e.do(e.a, "GET", "/Schemas/"+urn, nil).want(t, 200); r.str("id") != urn {
			t.Errorf("schema %s: %s", urn, r.raw)
		}
	}
	e.do(e.a, "GET", "/Schemas/urn:nope", nil).want(t, 404)
	e.do(e.a, "GET", "/Me", nil).want(t, 501)
}

func TestConcurrentReads(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{TokenCacheTTL: time.Minute})
	id := e.createUser(e.a, "c@example.com")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				req := httptest.NewRequest("GET", "/scim/v2/Users/"+id, nil)
				req.Header.Set("Authorization", "Bearer "+e.a.token)
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					t.Errorf("status %d", rec.Code)
				}
			}
		}()
	}
	wg.Wait()
}

// R-POL-5: the Roster extension shows the user's type and whether the team's
// policy now expects another one; admins are never exceptions (R-POL-4).
func TestRosterExtension(t *testing.T) {
	var mu sync.Mutex
	expect := db.TypeStandard
	classify := func(p db.Policy, email string, src db.Source, isAdmin bool) db.UserType {
		mu.Lock()
		defer mu.Unlock()
		if isAdmin {
			return db.TypeStandard
		}
		return expect
	}
	s := gormdbtest.Open(t, gormdb.SQLite, gormdb.Config{Classify: classify})
	e := &env{t: t, store: s, a: newTenant(t, s, "alpha")}
	e.h = http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: -1}))
	id := e.createUser(e.a, "p@example.com")
	r := e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)
	if r.str(scim.URNRoster, "userType") != "standard" || r.str(scim.URNRoster, "exception") != "false" {
		t.Fatalf("before: %s", r.raw)
	}
	if u, _ := s.GetUser(context.Background(), e.a.teamID, id); u.Source != db.SourceSCIM || u.Type != db.TypeStandard {
		t.Fatalf("stored: %+v", u)
	}
	mu.Lock()
	expect = db.TypeExternal
	mu.Unlock()
	r = e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)
	if r.str(scim.URNRoster, "userType") != "standard" || r.str(scim.URNRoster, "exception") != "true" {
		t.Errorf("after the policy changed: %s", r.raw)
	}
	l := e.do(e.a, "GET", "/Users?filter="+url.QueryEscape(`userName sw "owner@"`), nil).want(t, 200)
	if l.total() != 1 || l.str("Resources", "0", scim.URNRoster, "exception") != "false" {
		t.Errorf("admin shown as exception: %s", l.raw)
	}
	// A new user is classified by the store under the current policy.
	n := e.do(e.a, "POST", "/Users", userBody("n@example.com", "n@example.com")).want(t, 201)
	if n.str(scim.URNRoster, "userType") != "external" || n.str(scim.URNRoster, "exception") != "false" {
		t.Errorf("new user: %s", n.raw)
	}
}

// Concurrent PATCHes of one user without If-Match all succeed (they queue on
// the row); only an explicit If-Match can fail with 412.
func TestConcurrentPatches(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		id := e.createUser(e.a, "race@example.com")
		gid := e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "race"}).want(t, 201).str("id")
		var wg sync.WaitGroup
		codes := make(chan int, 32)
		for i := 0; i < 16; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest("PATCH", "/scim/v2/Users/"+id, strings.NewReader(payload(t, "entra_user_patch_active_false.json")))
				req.Header.Set("Authorization", "Bearer "+e.a.token)
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, req)
				codes <- rec.Code
			}()
			go func(i int) {
				defer wg.Done()
				body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"race-%d"}]}`, i)
				req := httptest.NewRequest("PATCH", "/scim/v2/Groups/"+gid, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+e.a.token)
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, req)
				codes <- rec.Code
			}(i)
		}
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != 200 && c != 204 {
				t.Errorf("concurrent PATCH answered %d", c)
			}
		}
	})
}

// Index paging reuses totals and page boundaries between pages; a SCIM write
// makes the next page see the change.
func TestIndexPagingCache(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	for i := 0; i < 10; i++ {
		e.createUser(e.a, fmt.Sprintf("p%02d@example.com", i))
	}
	walk := func() []string {
		var ids []string
		for start := 1; start <= 11; start += 3 {
			r := e.do(e.a, "GET", fmt.Sprintf("/Users?count=3&startIndex=%d", start), nil).want(t, 200)
			if r.total() != 11 {
				t.Fatalf("total %d", r.total())
			}
			for _, x := range r.body["Resources"].([]any) {
				ids = append(ids, x.(map[string]any)["id"].(string))
			}
		}
		return ids
	}
	first, second := walk(), walk()
	if len(first) != 11 || fmt.Sprint(first) != fmt.Sprint(second) {
		t.Fatalf("paging differs: %v vs %v", first, second)
	}
	sorted := append([]string{}, first...)
	sort.Strings(sorted)
	if fmt.Sprint(sorted) != fmt.Sprint(first) {
		t.Errorf("pages not in id order")
	}
	e.createUser(e.a, "new@example.com")
	if r := e.do(e.a, "GET", "/Users?count=0", nil).want(t, 200); r.total() != 12 {
		t.Errorf("total after a write: %d", r.total())
	}
	// Delete the lowest id that is not the team's primary admin (ids are
	// random; the primary admin cannot be removed, R-ADM-1).
	admins, err := e.store.ListAdmins(context.Background(), e.a.teamID)
	if err != nil || len(admins) != 1 {
		t.Fatalf("admins %v %v", admins, err)
	}
	victim := first[0]
	if victim == admins[0].ID {
		victim = first[1]
	}
	e.do(e.a, "DELETE", "/Users/"+victim, nil).want(t, 204)
	if r := e.do(e.a, "GET", "/Users?count=3&startIndex=1", nil).want(t, 200); r.total() != 11 || r.str("Resources", "0", "id") == victim {
		t.Errorf("after a delete: %s", r.raw)
	}
}
