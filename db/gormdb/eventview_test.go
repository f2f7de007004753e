package gormdb_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// Issue 15: the writer hands the view of the user or group it has just
// written to the event instead of reading it back in the transaction. The
// event's resource must be byte for byte what the read-back gives, on every
// dialect (time precision, classification, exception flag), for every writer
// path that now skips the read: user create (classified and admin), SCIM
// create and update, deactivate and reactivate (the product reconcile runs
// in between), email and role-policy-relevant changes, group create, rename
// and member changes.
func TestEventResourceEqualsReadBack(t *testing.T) {
	ctx := context.Background()
	actor := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "views", PrimaryEmail: "owner@views.test",
				PrimaryFirstName: "O", PrimaryLastName: "W"}, actor)
			if err != nil {
				t.Fatal(err)
			}
			// Domain mode, so the expected type depends on the email's domain.
			if _, err := s.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{"views.test"}}, actor); err != nil {
				t.Fatal(err)
			}
			var after int64
			check := func(step, kind, id string) {
				t.Helper()
				evs, err := s.ListEvents(ctx, team.ID, after, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) == 0 {
					t.Fatalf("%s: no event", step)
				}
				after = evs[len(evs)-1].ID
				// The step's last event of the target: an earlier one of the
				// same transaction (a rename before a member change) shows the
				// resource as it was then, which a read after the commit
				// cannot see.
				var last *db.Event
				for i := range evs {
					if evs[i].TargetKind == kind && evs[i].TargetID == id {
						last = &evs[i]
					}
				}
				if last == nil {
					t.Fatalf("%s: no event for %s %s", step, kind, id)
				}
				{
					e := *last
					var p struct {
						Resource json.RawMessage `json:"resource"`
					}
					if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
						t.Fatal(err)
					}
					want, err := s.ReadBackView(ctx, team.ID, kind, id)
					if err != nil {
						t.Fatal(err)
					}
					wb, _ := json.Marshal(want)
					if string(p.Resource) != string(wb) {
						t.Errorf("%s (%s): event resource\n %s\nread back\n %s", step, e.Type, p.Resource, wb)
					}
				}
			}
			check("team", "user", team.PrimaryUserID)

			in, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "in@views.test", FirstName: "I", LastName: "N", Source: db.SourceAdmin}, actor)
			if err != nil {
				t.Fatal(err)
			}
			check("create approved domain", "user", in.ID)
			out, err := s.CreateSCIMUser(ctx, team.ID, db.NewUser{Email: "out@elsewhere.test", UserName: "out@elsewhere.test",
				FirstName: "O", LastName: "T", Source: db.SourceSCIM}, []db.UserEmail{{Value: "out@elsewhere.test", Type: "work", Primary: true}}, actor)
			if err != nil {
				t.Fatal(err)
			}
			check("scim create other domain", "user", out.ID)
			typed, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "typed@elsewhere.test", FirstName: "T", LastName: "Y", Type: db.TypeStandard, Source: db.SourceAdmin}, actor)
			if err != nil {
				t.Fatal(err)
			}
			check("create with a type (read back)", "user", typed.ID)

			out, err = s.UpdateSCIMUser(ctx, team.ID, out.ID, 0, actor, func(u *db.User, emails *[]db.UserEmail) error {
				u.Email = "out@views.test"
				*emails = []db.UserEmail{{Value: "out@views.test", Type: "work", Primary: true}}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			check("email into the approved domain", "user", out.ID)
			for _, st := range []db.Status{db.StatusInactive, db.StatusActive} {
				if _, err := s.UpdateUser(ctx, team.ID, in.ID, 0, actor, func(u *db.User) error { u.Status = st; return nil }); err != nil {
					t.Fatal(err)
				}
				check("status "+string(st), "user", in.ID)
			}
			if _, err := s.UpdateUser(ctx, team.ID, team.PrimaryUserID, 0, actor, func(u *db.User) error { u.FirstName = "Owner"; return nil }); err != nil {
				t.Fatal(err)
			}
			check("admin update", "user", team.PrimaryUserID)

			g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "G", Members: []string{in.ID}}, actor)
			if err != nil {
				t.Fatal(err)
			}
			check("group create", "group", g.ID)
			rename := func(g *db.Group) error { g.DisplayName = "G2"; return nil }
			if _, err := s.PatchGroup(ctx, team.ID, g.ID, 0, actor, rename, nil, nil, nil); err != nil {
				t.Fatal(err)
			}
			check("group rename", "group", g.ID)
			rename = func(g *db.Group) error { g.DisplayName = "G3"; return nil }
			if _, err := s.PatchGroup(ctx, team.ID, g.ID, 0, actor, rename, []string{out.ID}, nil, nil); err != nil {
				t.Fatal(err)
			}
			check("group rename and add", "group", g.ID)
			if _, err := s.PatchGroup(ctx, team.ID, g.ID, 0, actor, nil, nil, []string{in.ID}, nil); err != nil {
				t.Fatal(err)
			}
			check("group remove", "group", g.ID)
			if _, err := s.PatchGroup(ctx, team.ID, g.ID, 0, actor, nil, nil, nil, &[]string{in.ID, typed.ID}); err != nil {
				t.Fatal(err)
			}
			check("group replace", "group", g.ID)
		})
	}
}
