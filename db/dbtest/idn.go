package dbtest

import (
	"testing"

	"github.com/roster-dev/roster/db"
)

// testWriterIDNDomains: an internationalised domain is normalised (IDN to
// punycode, lower case) the same way on every path that writes an email
// domain, so a policy approving "Bücher.example" matches users at
// "BÜCHER.example" whichever path added them (issue 10 #2: one normaliser).
// Users get an explicit standard type; the store's SQL then lists as
// exceptions exactly those whose domain does not match.
func testWriterIDNDomains(t *testing.T, s db.Store) {
	ps, ok := s.(db.PolicyStore)
	if !ok {
		missing(t, "it has no role policy")
	}
	team, _ := NewTeam(t, s, "")
	p, err := ps.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"Bücher.example."}}, Operator)
	WantErr(t, err, nil, "")
	if len(p.Domains) != 1 || p.Domains[0] != "xn--bcher-kva.example" {
		t.Fatalf("stored domains %v, want [xn--bcher-kva.example]", p.Domains)
	}
	nu := func(local string, src db.Source) db.NewUser {
		return db.NewUser{Email: Email(local, "BÜCHER.example"), FirstName: "I", LastName: "D", Source: src, Type: db.TypeStandard}
	}
	var ids []string
	for _, src := range []db.Source{db.SourceAdmin, db.SourceSSO, db.SourceProduct} {
		u, err := s.CreateUser(ctx, team.ID, nu("path", src), Operator)
		WantErr(t, err, nil, "")
		ids = append(ids, u.ID)
	}
	if ss, ok := s.(db.SCIMStore); ok {
		u, err := ss.CreateSCIMUser(ctx, team.ID, nu("scim", db.SourceSCIM), nil, Operator)
		WantErr(t, err, nil, "")
		ids = append(ids, u.ID)
	}
	if w, ok := s.(db.Writer); ok {
		out, err := w.Apply(ctx, team.ID, db.UserCreate{User: nu("apply", db.SourceAdmin), By: Operator})
		WantErr(t, err, nil, "")
		ids = append(ids, out[0].User.ID)
		// a link moves a user from another domain to the IDN one
		other, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: Email("moved", "other.example"), FirstName: "M", LastName: "V",
			Source: db.SourceAdmin, Type: db.TypeStandard}, Operator)
		WantErr(t, err, nil, "")
		_, err = w.Apply(ctx, team.ID, db.UserLink{UserID: other.ID, Email: Email("moved", "bücher.EXAMPLE"), FirstName: "M", LastName: "V",
			Status: db.StatusActive, By: Operator})
		WantErr(t, err, nil, "")
		ids = append(ids, other.ID)
	}
	if ds, ok := s.(db.DirectoryStore); ok {
		c, err := ds.CreateDirectoryConnection(ctx, db.DirectoryConnection{TeamID: team.ID, Kind: db.DirectoryOpenLDAP,
			URL: "ldaps://ldap.example.test:636", BindDN: "cn=sync", BaseDN: "dc=example,dc=test", PasswordRef: "env:X", Enabled: true}, Operator)
		WantErr(t, err, nil, "")
		du := dirUser("idn1", Email("dir", "Bücher.Example"))
		_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{du}}, db.Actor{Kind: db.ActorDirectory, ID: c.ID})
		WantErr(t, err, nil, "")
		u, err := s.FindUser(ctx, team.ID, db.UserKey{Email: du.Email})
		WantErr(t, err, nil, "")
		// directory users are classified; make it standard so only the domain decides
		WantErr(t, SetTypes(t, s, team.ID, []string{u.ID}, db.TypeStandard, Operator), nil, "")
		ids = append(ids, u.ID)
	}
	stranger, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: Email("stranger", "buecher.example"), FirstName: "S", LastName: "T",
		Source: db.SourceAdmin, Type: db.TypeStandard}, Operator)
	WantErr(t, err, nil, "")
	es, err := ps.ListExceptions(ctx, team.ID, db.ExceptionQuery{Limit: 100})
	WantErr(t, err, nil, "")
	listed := map[string]bool{}
	for _, e := range es {
		listed[e.UserID] = true
	}
	for _, id := range ids {
		if listed[id] {
			t.Errorf("user %s at the IDN domain is an exception: its email domain was not normalised like the policy's", id)
		}
	}
	if !listed[stranger.ID] {
		t.Errorf("a user at another domain is not an exception")
	}
}
