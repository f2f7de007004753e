package gormdb_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// clock is a settable store clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestInvitations is R-MEM-3 on every database (it needs the store's clock,
// so it runs here rather than in the dbtest suite): an invitation expires
// seven days after it was sent unless the member signed in; a resend gives
// a new token and expiry and kills the old token; tokens are single-use and
// stored hashed; accepting makes the member active; expiry never removes an
// active member; states are filterable.
func TestInvitations(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			s := gormdbtest.Open(t, d, gormdb.Config{Now: c.Now})
			team, _ := dbtest.NewTeam(t, s, "")
			ms, err := s.AddMembers(ctx, team.ID, []db.NewMember{{Email: dbtest.Email("ann", "inv.test")}, {Email: dbtest.Email("bob", "inv.test")}}, dbtest.Operator)
			if err != nil {
				t.Fatal(err)
			}
			ann, bob := ms[0].User, ms[1].User
			inv, annSecret, err := s.SendInvitation(ctx, team.ID, ann.ID, dbtest.Operator)
			if err != nil || inv.ExpiresAt.Sub(inv.SentAt) != 7*24*time.Hour || annSecret == "" {
				t.Fatalf("send = %+v, %q, %v", inv, annSecret, err)
			}
			_, bobOld, err := s.SendInvitation(ctx, team.ID, bob.ID, dbtest.Operator)
			if err != nil {
				t.Fatal(err)
			}
			states := func(state db.InvitationState) map[string]db.InvitationState {
				t.Helper()
				is, err := s.ListInvitations(ctx, team.ID, state)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]db.InvitationState{}
				for _, i := range is {
					out[i.UserID] = i.State
				}
				return out
			}
			if got := states(db.InvitationPending); len(got) != 2 {
				t.Fatalf("pending = %v, want both", got)
			}
			// Day 6: ann accepts; the token is single-use.
			c.Add(6 * 24 * time.Hour)
			u, err := s.AcceptInvitation(ctx, annSecret)
			if err != nil || u.Status != db.StatusActive {
				t.Fatalf("accept = %+v, %v", u, err)
			}
			if _, err := s.AcceptInvitation(ctx, annSecret); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("second accept: %v, want not found", err)
			}
			// Day 8: bob's expired, ann's never does (she signed in).
			c.Add(2 * 24 * time.Hour)
			if got := states(db.InvitationExpired); len(got) != 1 || got[bob.ID] != db.InvitationExpired {
				t.Errorf("expired = %v, want bob only", got)
			}
			if got := states(db.InvitationAccepted); got[ann.ID] != db.InvitationAccepted {
				t.Errorf("accepted = %v, want ann", got)
			}
			if _, err := s.GetUser(ctx, team.ID, ann.ID); err != nil {
				t.Errorf("expiry removed an active member: %v", err)
			}
			_, err = s.AcceptInvitation(ctx, bobOld)
			if db.CodeOf(err) != "invitation_expired" {
				t.Errorf("expired accept: %v", err)
			}
			// Resend: new token, new expiry; the old token is dead.
			inv, bobNew, err := s.SendInvitation(ctx, team.ID, bob.ID, dbtest.Operator)
			if err != nil || !inv.ExpiresAt.Equal(c.Now().Add(7*24*time.Hour)) || bobNew == bobOld {
				t.Fatalf("resend = %+v, %v", inv, err)
			}
			if _, err := s.AcceptInvitation(ctx, bobOld); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("old token after resend: %v, want not found", err)
			}
			if got := states(db.InvitationPending); got[bob.ID] != db.InvitationPending {
				t.Errorf("after resend pending = %v", got)
			}
			if _, err := s.AcceptInvitation(ctx, bobNew); err != nil {
				t.Fatal(err)
			}
			// Active members need no invitation; another team's member is not found.
			if _, _, err := s.SendInvitation(ctx, team.ID, ann.ID, dbtest.Operator); db.CodeOf(err) != "invitation_not_needed" {
				t.Errorf("invite an active member: %v", err)
			}
			other, _ := dbtest.NewTeam(t, s, "")
			if _, _, err := s.SendInvitation(ctx, other.ID, bob.ID, dbtest.Operator); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("another team's member: %v", err)
			}
			if _, err := s.ListInvitations(ctx, team.ID, "bogus"); !errors.Is(err, db.ErrInvalid) {
				t.Errorf("bad state: %v", err)
			}
		})
	}
}

// TestRenewInvitation is R-MEM-3's "a member can ask for a new one from the
// expired link", on every database: an expired token gets a new token and
// a fresh expiry for the member's own address, audited; a still-valid token
// is invitation_not_expired (409); used, replaced and unknown tokens are
// the same invitation_not_found (404); peeking uses nothing up.
func TestRenewInvitation(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
			s := gormdbtest.Open(t, d, gormdb.Config{Now: c.Now})
			team, _ := dbtest.NewTeam(t, s, "")
			ms, err := s.AddMembers(ctx, team.ID, []db.NewMember{{Email: dbtest.Email("cy", "inv.test")}}, dbtest.Operator)
			if err != nil {
				t.Fatal(err)
			}
			cy := ms[0].User
			_, old, err := s.SendInvitation(ctx, team.ID, cy.ID, dbtest.Operator)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = s.RenewInvitation(ctx, old)
			dbtest.WantErr(t, err, db.ErrConflict, "invitation_not_expired")
			c.Add(8 * 24 * time.Hour)
			if p, err := s.PeekInvitation(ctx, old); err != nil || p.State != db.InvitationExpired || p.Email != cy.Email || p.TeamID != team.ID {
				t.Fatalf("peek expired = %+v, %v", p, err)
			}
			inv, fresh, err := s.RenewInvitation(ctx, old)
			if err != nil || inv.Email != cy.Email || !inv.ExpiresAt.Equal(c.Now().Add(db.InvitationTTL)) || fresh == old || inv.TeamID != team.ID {
				t.Fatalf("renew = %+v, %q, %v", inv, fresh, err)
			}
			for _, tok := range []string{old, "nonesuch"} { // replaced, unknown: the same answer
				_, _, err := s.RenewInvitation(ctx, tok)
				dbtest.WantErr(t, err, db.ErrNotFound, "invitation_not_found")
				_, err = s.PeekInvitation(ctx, tok)
				dbtest.WantErr(t, err, db.ErrNotFound, "invitation_not_found")
			}
			if p, err := s.PeekInvitation(ctx, fresh); err != nil || p.State != db.InvitationPending {
				t.Fatalf("peek fresh = %+v, %v", p, err)
			}
			if _, err := s.AcceptInvitation(ctx, fresh); err != nil {
				t.Fatalf("accept the renewed link: %v", err)
			}
			_, _, err = s.RenewInvitation(ctx, fresh) // used
			dbtest.WantErr(t, err, db.ErrNotFound, "invitation_not_found")
			audit, err := s.ListAudit(ctx, team.ID, db.AuditQuery{})
			if err != nil {
				t.Fatal(err)
			}
			renews := 0
			for _, a := range audit {
				if a.Action == "invitation.renew" && a.TargetID == cy.ID {
					renews++
				}
			}
			if renews != 1 {
				t.Errorf("invitation.renew audit entries = %d, want 1", renews)
			}
			// issue 14 #4: invitation.renewed carries the user's view too.
			if nulls, err := s.NullResourceEvents(ctx); err != nil || len(nulls) > 0 {
				t.Errorf("events with a null resource: %q, %v", nulls, err)
			}
		})
	}
}
