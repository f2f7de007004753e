package dbtest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// PolicySuite checks a db.Store that also implements db.PolicyStore: policy
// changes, exceptions computed by the database, dry runs, type changes and
// the usage report (R-POL-5..R-POL-9). It sets users' types explicitly, so it
// does not depend on the store's Classifier, and uses ASCII domains only, so
// it does not depend on a domain normaliser.
func PolicySuite(t *testing.T, s db.Store) {
	ps, ok := s.(db.PolicyStore)
	if !ok {
		missing(t, "it does not implement db.PolicyStore")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s db.Store, ps db.PolicyStore)
	}{
		{"SetPolicyTouchesNoUser", testSetPolicyTouchesNoUser},
		{"LastDomain", testLastDomain},
		{"InvalidPolicy", testInvalidPolicy},
		{"ExceptionsDefault", testExceptionsDefault},
		{"ExceptionsFilterAndPage", testExceptionsFilterAndPage},
		{"ExceptionsTeamIsolation", testExceptionsTeamIsolation},
		{"Preview", testPreview},
		{"ChangeUserTypes", testChangeUserTypes},
		{"ChangeUserTypesAllOrNothing", testChangeUserTypesAllOrNothing},
		{"RevertExceptions", testRevertExceptions},
		{"UsageReport", testUsageReport},
		{"DomainsCapped", testDomainsCapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s, ps) })
	}
}

var polActor = db.Actor{Kind: db.ActorAdmin, ID: "policy-admin", Name: "policy-admin@corp.example"}

var polSeq int

// polTeam creates a team whose primary admin is in an account of its own.
func polTeam(t *testing.T, s db.Store) (db.Team, db.User) {
	t.Helper()
	polSeq++
	team, admin, err := s.CreateTeam(context.Background(), db.NewTeam{Name: fmt.Sprintf("policy team %d", polSeq),
		PrimaryEmail: fmt.Sprintf("owner%d-%p@corp.example", polSeq, t), PrimaryFirstName: "Olga", PrimaryLastName: "Owner"}, polActor)
	if err != nil {
		t.Fatalf("create team: %v", err)
	}
	return team, admin
}

// polUser adds a user with an explicit type.
func polUser(t *testing.T, s db.Store, teamID, email string, src db.Source, typ db.UserType) db.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), teamID, db.NewUser{Email: email, FirstName: "F", LastName: "L",
		Source: src, Type: typ}, polActor)
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func polWantErr(t *testing.T, err, kind error, code string) {
	t.Helper()
	if !errors.Is(err, kind) || db.CodeOf(err) != code {
		t.Fatalf("error = %v (code %q), want %v with code %q", err, db.CodeOf(err), kind, code)
	}
}

func polSet(t *testing.T, ps db.PolicyStore, teamID string, mode db.PolicyMode, domains ...string) {
	t.Helper()
	if _, err := ps.SetPolicy(context.Background(), teamID, db.Policy{Mode: mode, Domains: domains}, polActor); err != nil {
		t.Fatalf("set policy %s %v: %v", mode, domains, err)
	}
}

// exceptionEmails lists all exceptions of the team (all pages) as "email:current>expected".
func exceptionEmails(t *testing.T, ps db.PolicyStore, teamID string, typ db.UserType) []string {
	t.Helper()
	var out []string
	q := db.ExceptionQuery{Type: typ, Limit: 2}
	for {
		es, err := ps.ListExceptions(context.Background(), teamID, q)
		if err != nil {
			t.Fatalf("list exceptions: %v", err)
		}
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s:%s>%s", e.Email, e.Current, e.Expected))
		}
		if len(es) < q.Limit {
			break
		}
		q.After = es[len(es)-1].UserID
	}
	sort.Strings(out)
	return out
}

// R-POL-5: setting the policy writes no user row; mismatches become exceptions.
func testSetPolicyTouchesNoUser(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	in := polUser(t, s, team.ID, "in@corp.example", db.SourceSCIM, db.TypeStandard)
	out := polUser(t, s, team.ID, "out@abc.net", db.SourceSCIM, db.TypeStandard)
	ext := polUser(t, s, team.ID, "ext@corp.example", db.SourceProduct, db.TypeExternal)
	before := map[string]db.User{}
	for _, u := range []db.User{in, out, ext} {
		before[u.ID] = u
	}
	p, err := ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"Corp.Example.", "corp.example"}}, polActor)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(db.Policy{Mode: db.PolicyDomain, Domains: []string{"corp.example"}}, p); diff != "" {
		t.Errorf("SetPolicy result (-want +got):\n%s", diff)
	}
	for id, b := range before {
		u, err := s.GetUser(ctx, team.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Type != b.Type || u.Version != b.Version || !u.UpdatedAt.Equal(b.UpdatedAt) {
			t.Errorf("%s changed by a policy change: type %s→%s version %d→%d", u.Email, b.Type, u.Type, b.Version, u.Version)
		}
	}
	got, err := s.GetTeam(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got.Policy); diff != "" {
		t.Errorf("stored policy (-want +got):\n%s", diff)
	}
	want := []string{"ext@corp.example:external>standard", "out@abc.net:standard>external"}
	if diff := cmp.Diff(want, exceptionEmails(t, ps, team.ID, "")); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
	es, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Action != "policy.set" || es[0].Actor != polActor {
		t.Errorf("last audit entry = %+v, want policy.set by %v", es, polActor)
	}
	// setting the same policy again changes and audits nothing
	polSet(t, ps, team.ID, db.PolicyDomain, "corp.example")
	es2, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1})
	if len(es2) != 1 || es2[0].ID != es[0].ID {
		t.Errorf("an unchanged policy was audited: %+v", es2)
	}
}

// R-POL-6: at least one domain remains; users of a removed domain keep their type.
func testLastDomain(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	_, err := ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain}, polActor)
	polWantErr(t, err, db.ErrRule, "domain_required")
	polSet(t, ps, team.ID, db.PolicyDomain, "a.example", "b.example")
	u := polUser(t, s, team.ID, "u@b.example", db.SourceDirectory, db.TypeStandard)
	p, err := ps.ModifyPolicyDomains(ctx, team.ID, nil, []string{"b.example"}, polActor)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.example"}, p.Domains); diff != "" {
		t.Errorf("domains after removing b (-want +got):\n%s", diff)
	}
	if got, _ := s.GetUser(ctx, team.ID, u.ID); got.Type != db.TypeStandard {
		t.Errorf("user of a removed domain changed type to %s", got.Type)
	}
	if diff := cmp.Diff([]string{"u@b.example:standard>external"}, exceptionEmails(t, ps, team.ID, "")); diff != "" {
		t.Errorf("exceptions after removing b (-want +got):\n%s", diff)
	}
	_, err = ps.ModifyPolicyDomains(ctx, team.ID, nil, []string{"a.example"}, polActor)
	polWantErr(t, err, db.ErrRule, "last_domain")
	_, err = ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: nil}, polActor)
	polWantErr(t, err, db.ErrRule, "last_domain")
	got, _ := s.GetTeam(ctx, team.ID)
	if diff := cmp.Diff(db.Policy{Mode: db.PolicyDomain, Domains: []string{"a.example"}}, got.Policy); diff != "" {
		t.Errorf("policy after refused removals (-want +got):\n%s", diff)
	}
	// swapping the last domain for another in one change is fine
	p, err = ps.ModifyPolicyDomains(ctx, team.ID, []string{"c.example"}, []string{"a.example"}, polActor)
	if err != nil || len(p.Domains) != 1 || p.Domains[0] != "c.example" {
		t.Errorf("swap last domain = %v, %v", p, err)
	}
	// default mode may have no domains
	polSet(t, ps, team.ID, db.PolicyDefault)
}

func testInvalidPolicy(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	_, err := ps.SetPolicy(ctx, team.ID, db.Policy{Mode: "strict", Domains: []string{"a.example"}}, polActor)
	polWantErr(t, err, db.ErrInvalid, "mode_invalid")
	for _, d := range []string{"", "not a domain", "a@b.example", "*.example.com", "com", "a..example"} {
		_, err = ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{d}}, polActor)
		polWantErr(t, err, db.ErrInvalid, "domain_invalid")
	}
	_, err = ps.SetPolicy(ctx, "no-such-team", db.Policy{Mode: db.PolicyDefault}, polActor)
	polWantErr(t, err, db.ErrNotFound, "team_not_found")
	_, err = ps.ListExceptions(ctx, team.ID, db.ExceptionQuery{Type: "guest"})
	polWantErr(t, err, db.ErrInvalid, "type_invalid")
	_, err = ps.ListExceptions(ctx, "no-such-team", db.ExceptionQuery{})
	polWantErr(t, err, db.ErrNotFound, "team_not_found")
	_, err = ps.ModifyPolicyDomains(ctx, team.ID, nil, nil, polActor)
	polWantErr(t, err, db.ErrInvalid, "domains_required")
	got, _ := s.GetTeam(ctx, team.ID)
	if got.Policy.Mode != db.PolicyDefault || len(got.Policy.Domains) != 0 {
		t.Errorf("refused changes changed the policy: %+v", got.Policy)
	}
}

// R-POL-2 in SQL: under the default policy only product-added users are expected external.
func testExceptionsDefault(t *testing.T, s db.Store, ps db.PolicyStore) {
	team, _ := polTeam(t, s)
	for _, src := range []db.Source{db.SourceSCIM, db.SourceDirectory, db.SourceSSO, db.SourceAdmin, db.SourceProduct} {
		polUser(t, s, team.ID, fmt.Sprintf("std-%s@x.example", src), src, db.TypeStandard)
		polUser(t, s, team.ID, fmt.Sprintf("ext-%s@x.example", src), src, db.TypeExternal)
	}
	want := []string{
		"ext-admin@x.example:external>standard", "ext-directory@x.example:external>standard",
		"ext-scim@x.example:external>standard", "ext-sso@x.example:external>standard",
		"std-product@x.example:standard>external",
	}
	if diff := cmp.Diff(want, exceptionEmails(t, ps, team.ID, "")); diff != "" {
		t.Errorf("default-policy exceptions (-want +got):\n%s", diff)
	}
	c, err := ps.CountExceptions(context.Background(), team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c != (db.ExceptionCounts{Total: 5, Standard: 1, External: 4}) {
		t.Errorf("CountExceptions = %+v", c)
	}
}

// R-POL-7: filter by current type; pages never skip or repeat; admins never appear.
func testExceptionsFilterAndPage(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, owner := polTeam(t, s)
	polSet(t, ps, team.ID, db.PolicyDomain, "corp.example")
	var wantStd, wantExt []string
	for i := 0; i < 5; i++ {
		polUser(t, s, team.ID, fmt.Sprintf("in%d@corp.example", i), db.SourceSSO, db.TypeStandard) // match
		polUser(t, s, team.ID, fmt.Sprintf("x%d@abc.net", i), db.SourceSSO, db.TypeExternal)       // match
		e := polUser(t, s, team.ID, fmt.Sprintf("s%d@abc.net", i), db.SourceSSO, db.TypeStandard)
		wantStd = append(wantStd, e.Email+":standard>external")
		e = polUser(t, s, team.ID, fmt.Sprintf("e%d@corp.example", i), db.SourceProduct, db.TypeExternal)
		wantExt = append(wantExt, e.Email+":external>standard")
	}
	// an admin whose type mismatches is not an exception (R-POL-4)
	adm := polUser(t, s, team.ID, "adm@abc.net", db.SourceAdmin, db.TypeStandard)
	if err := s.SetAdminRole(ctx, team.ID, owner.ID, adm.ID, db.RoleSecondary, polActor); err != nil {
		t.Fatal(err)
	}
	sort.Strings(wantStd)
	sort.Strings(wantExt)
	all := append(append([]string{}, wantExt...), wantStd...)
	sort.Strings(all)
	for _, tt := range []struct {
		typ  db.UserType
		want []string
	}{{"", all}, {db.TypeStandard, wantStd}, {db.TypeExternal, wantExt}} {
		if diff := cmp.Diff(tt.want, exceptionEmails(t, ps, team.ID, tt.typ)); diff != "" {
			t.Errorf("exceptions filter %q (-want +got):\n%s", tt.typ, diff)
		}
	}
	c, err := ps.CountExceptions(ctx, team.ID)
	if err != nil || c != (db.ExceptionCounts{Total: 10, Standard: 5, External: 5}) {
		t.Errorf("CountExceptions = %+v, %v", c, err)
	}
}

// One team never sees another's exceptions (house habit 1).
func testExceptionsTeamIsolation(t *testing.T, s db.Store, ps db.PolicyStore) {
	a, _ := polTeam(t, s)
	b, _ := polTeam(t, s)
	polSet(t, ps, a.ID, db.PolicyDomain, "corp.example")
	polUser(t, s, a.ID, "a@abc.net", db.SourceSSO, db.TypeStandard)
	polUser(t, s, b.ID, "b@abc.net", db.SourceProduct, db.TypeStandard)
	if diff := cmp.Diff([]string{"a@abc.net:standard>external"}, exceptionEmails(t, ps, a.ID, "")); diff != "" {
		t.Errorf("team a exceptions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b@abc.net:standard>external"}, exceptionEmails(t, ps, b.ID, "")); diff != "" {
		t.Errorf("team b exceptions (-want +got):\n%s", diff)
	}
	var bu db.User
	bu, _ = s.FindUser(context.Background(), b.ID, db.UserKey{Email: "b@abc.net"})
	_, err := ps.ChangeUserTypes(context.Background(), a.ID, []string{bu.ID}, db.TypeExternal, polActor)
	polWantErr(t, err, db.ErrNotFound, "user_not_found")
}

// The dry run counts and lists would-be exceptions and writes nothing.
func testPreview(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	polUser(t, s, team.ID, "in@corp.example", db.SourceSSO, db.TypeStandard)
	polUser(t, s, team.ID, "out1@abc.net", db.SourceSSO, db.TypeStandard)
	polUser(t, s, team.ID, "out2@abc.net", db.SourceDirectory, db.TypeStandard)
	polUser(t, s, team.ID, "prod@corp.example", db.SourceProduct, db.TypeStandard) // exception now (default)
	polUser(t, s, team.ID, "prodx@abc.net", db.SourceProduct, db.TypeStandard)     // exception now and after
	polUser(t, s, team.ID, "ext@abc.net", db.SourceProduct, db.TypeExternal)
	auditBefore, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1})
	pv, err := ps.PreviewPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"CORP.example"}}, db.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Exceptions != 3 || pv.Becoming != 2 || pv.Cleared != 1 {
		t.Errorf("preview counts = exceptions %d becoming %d cleared %d, want 3 2 1", pv.Exceptions, pv.Becoming, pv.Cleared)
	}
	if pv.Policy.Domains[0] != "corp.example" {
		t.Errorf("preview policy not normalised: %v", pv.Policy)
	}
	if len(pv.Users) != 1 {
		t.Fatalf("preview page of 1 = %d users", len(pv.Users))
	}
	pv2, err := ps.PreviewPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"corp.example"}}, db.Page{After: pv.Users[0].UserID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range append(pv.Users, pv2.Users...) {
		got = append(got, fmt.Sprintf("%s:%s>%s", u.Email, u.Current, u.Expected))
	}
	sort.Strings(got)
	if diff := cmp.Diff([]string{"out1@abc.net:standard>external", "out2@abc.net:standard>external"}, got); diff != "" {
		t.Errorf("users becoming exceptions (-want +got):\n%s", diff)
	}
	tm, _ := s.GetTeam(ctx, team.ID)
	auditAfter, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1})
	if tm.Policy.Mode != db.PolicyDefault || auditAfter[0].ID != auditBefore[0].ID {
		t.Errorf("a dry run wrote: policy %+v, audit %+v", tm.Policy, auditAfter[0])
	}
	// a dry run may propose what SetPolicy would refuse, to show its effect
	pv, err = ps.PreviewPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain}, db.Page{})
	if err != nil || pv.Exceptions != 5 {
		t.Errorf("preview with no domains = %+v, %v; want 5 exceptions (every standard user)", pv, err)
	}
}

// R-POL-7, R-POL-8: one or many users to one type; warnings for new exceptions.
func testChangeUserTypes(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	polSet(t, ps, team.ID, db.PolicyDomain, "corp.example")
	match := polUser(t, s, team.ID, "match@corp.example", db.SourceSSO, db.TypeStandard)
	exc := polUser(t, s, team.ID, "exc@abc.net", db.SourceSSO, db.TypeStandard)
	// a matching user made external: allowed, warns (R-POL-8)
	tc, err := ps.ChangeUserTypes(ctx, team.ID, []string{match.ID}, db.TypeExternal, polActor)
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Warnings) != 1 || tc.Warnings[0].Code != "creates_exception" || tc.Warnings[0].UserID != match.ID {
		t.Errorf("warnings = %+v, want one creates_exception for %s", tc.Warnings, match.Email)
	}
	want := []db.UserTypeChange{{UserID: match.ID, Email: match.Email, From: db.TypeStandard, To: db.TypeExternal, Expected: db.TypeStandard, Exception: true}}
	if diff := cmp.Diff(want, tc.Users); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	// changing an exception to match clears it, without a warning
	tc, err = ps.ChangeUserTypes(ctx, team.ID, []string{exc.ID, exc.ID}, db.TypeExternal, polActor)
	if err != nil || len(tc.Warnings) != 0 || len(tc.Users) != 1 || tc.Users[0].Exception {
		t.Errorf("clearing change = %+v, %v", tc, err)
	}
	if diff := cmp.Diff([]string{"match@corp.example:external>standard"}, exceptionEmails(t, ps, team.ID, "")); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
	u, _ := s.GetUser(ctx, team.ID, match.ID)
	if u.Type != db.TypeExternal || u.Version != match.Version+1 {
		t.Errorf("user after change: type %s version %d", u.Type, u.Version)
	}
	// many at once, all to the same type; audited with the admin
	tc, err = ps.ChangeUserTypes(ctx, team.ID, []string{match.ID, exc.ID}, db.TypeStandard, polActor)
	if err != nil || len(tc.Users) != 2 || len(tc.Warnings) != 1 || tc.Warnings[0].UserID != exc.ID {
		t.Errorf("bulk change = %+v, %v", tc, err)
	}
	es, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 2})
	for _, e := range es {
		if e.Action != "user.set_type" || e.Actor != polActor {
			t.Errorf("audit entry %+v, want user.set_type by %v", e, polActor)
		}
	}
	_, err = ps.ChangeUserTypes(ctx, team.ID, []string{match.ID}, "guest", polActor)
	polWantErr(t, err, db.ErrInvalid, "type_invalid")
	_, err = ps.ChangeUserTypes(ctx, team.ID, nil, db.TypeStandard, polActor)
	polWantErr(t, err, db.ErrInvalid, "users_required")
}

// R-ADM-9: a batch with an admin or an unknown user is refused whole.
func testChangeUserTypesAllOrNothing(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, owner := polTeam(t, s)
	u := polUser(t, s, team.ID, "u@corp.example", db.SourceSSO, db.TypeStandard)
	_, err := ps.ChangeUserTypes(ctx, team.ID, []string{u.ID, owner.ID}, db.TypeExternal, polActor)
	polWantErr(t, err, db.ErrRule, "admin_not_classified")
	_, err = ps.ChangeUserTypes(ctx, team.ID, []string{u.ID, "no-such-user"}, db.TypeExternal, polActor)
	polWantErr(t, err, db.ErrNotFound, "user_not_found")
	_, err = ps.RevertExceptions(ctx, team.ID, []string{owner.ID}, polActor)
	polWantErr(t, err, db.ErrRule, "admin_not_classified")
	if got, _ := s.GetUser(ctx, team.ID, u.ID); got.Type != db.TypeStandard || got.Version != u.Version {
		t.Errorf("refused batch changed %s: %+v", u.Email, got)
	}
}

// R-POL-7: revert sets the expected type.
func testRevertExceptions(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	polSet(t, ps, team.ID, db.PolicyDomain, "corp.example")
	a := polUser(t, s, team.ID, "a@abc.net", db.SourceSSO, db.TypeStandard)
	b := polUser(t, s, team.ID, "b@corp.example", db.SourceProduct, db.TypeExternal)
	c := polUser(t, s, team.ID, "c@corp.example", db.SourceSSO, db.TypeStandard)
	tc, err := ps.RevertExceptions(ctx, team.ID, []string{a.ID, b.ID, c.ID}, polActor)
	if err != nil {
		t.Fatal(err)
	}
	if len(tc.Warnings) != 0 {
		t.Errorf("revert warned: %+v", tc.Warnings)
	}
	for _, want := range []struct {
		u   db.User
		typ db.UserType
	}{{a, db.TypeExternal}, {b, db.TypeStandard}, {c, db.TypeStandard}} {
		got, _ := s.GetUser(ctx, team.ID, want.u.ID)
		if got.Type != want.typ {
			t.Errorf("%s after revert = %s, want %s", got.Email, got.Type, want.typ)
		}
	}
	if got := exceptionEmails(t, ps, team.ID, ""); len(got) != 0 {
		t.Errorf("exceptions after revert: %v", got)
	}
}

// R-POL-9: the usage report shows whether each user is external, streamed in email order.
func testUsageReport(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, owner := polTeam(t, s)
	polSet(t, ps, team.ID, db.PolicyDomain, "corp.example")
	polUser(t, s, team.ID, "b@abc.net", db.SourceSSO, db.TypeExternal)
	polUser(t, s, team.ID, "a@corp.example", db.SourceSSO, db.TypeStandard)
	polUser(t, s, team.ID, "c@abc.net", db.SourceSCIM, db.TypeStandard)
	var got []string
	err := ps.UsageReport(ctx, team.ID, func(r db.UsageRow) error {
		if r.CreatedAt.IsZero() || r.UserID == "" {
			t.Errorf("row without id or created_at: %+v", r)
		}
		got = append(got, fmt.Sprintf("%s external=%v exception=%v admin=%s", r.Email, r.External, r.Exception, r.AdminRole))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"a@corp.example external=false exception=false admin=",
		"b@abc.net external=true exception=false admin=",
		"c@abc.net external=false exception=true admin=",
		owner.Email + " external=false exception=false admin=primary",
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("usage report (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	n := 0
	err = ps.UsageReport(ctx, team.ID, func(db.UsageRow) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("stopping the stream: err %v after %d rows", err, n)
	}
	err = ps.UsageReport(ctx, "no-such-team", func(db.UsageRow) error { return nil })
	polWantErr(t, err, db.ErrNotFound, "team_not_found")
}

// manyDomains returns n distinct valid domains d0.cap.example, d1.cap.example, ...
func manyDomains(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("d%d.cap.example", i)
	}
	return out
}

// testDomainsCapped: issue 9 #6. A policy holds at most db.MaxPolicyDomains
// approved domains (R-POL-3): more is ErrInvalid "too_many_domains" for a
// set, an add and a dry run (20,000 domains made the dry run fail inside the
// database: too many SQL parameters), and a dry run at the cap works.
func testDomainsCapped(t *testing.T, s db.Store, ps db.PolicyStore) {
	ctx := context.Background()
	team, _ := polTeam(t, s)
	polUser(t, s, team.ID, "in@d999.cap.example", db.SourceSSO, db.TypeStandard)
	polUser(t, s, team.ID, "out@abc.net", db.SourceSSO, db.TypeStandard)
	atCap := manyDomains(db.MaxPolicyDomains)

	for _, n := range []int{db.MaxPolicyDomains + 1, 20000} {
		_, err := ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: manyDomains(n)}, polActor)
		polWantErr(t, err, db.ErrInvalid, "too_many_domains")
		_, err = ps.PreviewPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: manyDomains(n)}, db.Page{})
		polWantErr(t, err, db.ErrInvalid, "too_many_domains")
	}
	// duplicates and spellings that normalise to one domain count once
	dup := append(append([]string{}, atCap...), "D0.CAP.EXAMPLE.", "d1.cap.example")
	pv, err := ps.PreviewPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: dup}, db.Page{})
	if err != nil {
		t.Fatalf("dry run at the cap: %v", err)
	}
	if pv.Exceptions != 1 || len(pv.Users) != 1 || pv.Users[0].Email != "out@abc.net" {
		t.Errorf("dry run at the cap = %d exceptions, users %+v; want out@abc.net only", pv.Exceptions, pv.Users)
	}
	if _, err := ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: atCap}, polActor); err != nil {
		t.Fatalf("set policy at the cap: %v", err)
	}
	_, err = ps.ModifyPolicyDomains(ctx, team.ID, []string{"one-more.example"}, nil, polActor)
	polWantErr(t, err, db.ErrInvalid, "too_many_domains")
	// a swap that keeps the count at the cap is fine
	if _, err := ps.ModifyPolicyDomains(ctx, team.ID, []string{"one-more.example"}, []string{"d0.cap.example"}, polActor); err != nil {
		t.Fatalf("swap at the cap: %v", err)
	}
	tm, err := s.GetTeam(ctx, team.ID)
	if err != nil || len(tm.Policy.Domains) != db.MaxPolicyDomains {
		t.Fatalf("stored policy has %d domains (%v), want %d", len(tm.Policy.Domains), err, db.MaxPolicyDomains)
	}
	c, err := ps.CountExceptions(ctx, team.ID)
	if err != nil || c.Total != 1 {
		t.Errorf("exceptions at the cap = %+v, %v; want 1", c, err)
	}
	// classification of a new user at the cap (the store's Classifier sees
	// the user's approved domain)
	u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "new@d500.cap.example", FirstName: "N", LastName: "U", Source: db.SourceSCIM}, polActor)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.ExpectedTypes(ctx, team.ID, []string{u.ID}); err != nil || got[u.ID] == "" {
		t.Errorf("expected type at the cap = %v, %v", got, err)
	}
}
