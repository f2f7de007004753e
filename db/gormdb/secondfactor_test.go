package gormdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestSecondFactorStore: an enrolment starts unconfirmed, is confirmed
// once, accepts each time step once and only forwards (a replay is
// ErrConflict on every replica's shared row), spends each recovery code
// once, and is removed with its codes; another team's user has none — on
// every dialect.
func TestSecondFactorStore(t *testing.T) {
	ctx := context.Background()
	op := db.Actor{Kind: db.ActorOperator, ID: "test"}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			team, pat, err := s.CreateTeam(ctx, db.NewTeam{Name: "Acme", PrimaryEmail: "pat@acme.test", PrimaryFirstName: "P", PrimaryLastName: "L"}, op)
			if err != nil {
				t.Fatal(err)
			}
			other, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "Other", PrimaryEmail: "o@other.test", PrimaryFirstName: "O", PrimaryLastName: "O"}, op)
			if err != nil {
				t.Fatal(err)
			}
			codes := [][]byte{db.HashToken("AAAAABBBBB"), db.HashToken("CCCCCDDDDD")}
			tot := db.TOTP{TeamID: team.ID, UserID: pat.ID, Sealed: []byte("sealed-secret")}
			if err := s.StartTOTP(ctx, tot, codes, op); err != nil {
				t.Fatal(err)
			}
			if err := s.UseTOTPStep(ctx, team.ID, pat.ID, 100); db.CodeOf(err) != "totp_replayed" {
				t.Errorf("a step before confirmation: %v", err)
			}
			if err := s.ConfirmTOTP(ctx, team.ID, pat.ID, 100, time.Now(), op); err != nil {
				t.Fatal(err)
			}
			if err := s.ConfirmTOTP(ctx, team.ID, pat.ID, 101, time.Now(), op); !errors.Is(err, db.ErrConflict) {
				t.Errorf("confirming twice: %v", err)
			}
			if err := s.StartTOTP(ctx, tot, codes, op); db.CodeOf(err) != "totp_enrolled" {
				t.Errorf("starting over a confirmed enrolment: %v", err)
			}
			got, err := s.GetTOTP(ctx, team.ID, pat.ID)
			if err != nil || string(got.Sealed) != "sealed-secret" || got.ConfirmedAt == nil || got.LastStep != 100 {
				t.Fatalf("GetTOTP = %+v, %v", got, err)
			}
			for _, tc := range []struct {
				step int64
				ok   bool
			}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}} {
				if err := s.UseTOTPStep(ctx, team.ID, pat.ID, tc.step); (err == nil) != tc.ok {
					t.Errorf("UseTOTPStep(%d) = %v, want ok=%v", tc.step, err, tc.ok)
				}
			}
			if n, err := s.UseRecoveryCode(ctx, team.ID, pat.ID, codes[0], time.Now()); err != nil || n != 1 {
				t.Errorf("recovery code: %d %v", n, err)
			}
			if _, err := s.UseRecoveryCode(ctx, team.ID, pat.ID, codes[0], time.Now()); db.CodeOf(err) != "recovery_code_invalid" {
				t.Errorf("spent recovery code: %v", err)
			}
			if _, err := s.GetTOTP(ctx, other.ID, pat.ID); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("another team sees the enrolment: %v", err)
			}
			if _, err := s.UseRecoveryCode(ctx, other.ID, pat.ID, codes[1], time.Now()); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("another team spends a code: %v", err)
			}
			if err := s.DeleteTOTP(ctx, team.ID, pat.ID, op); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UseRecoveryCode(ctx, team.ID, pat.ID, codes[1], time.Now()); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("a code survived the removal: %v", err)
			}
			if err := s.DeleteTOTP(ctx, team.ID, pat.ID, op); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("removing twice: %v", err)
			}
		})
	}
}

// TestThrottleStore: failures count within their window, old ones are
// dropped when a new one is recorded, keys are separate, and a clear
// forgets them — on every dialect.
func TestThrottleStore(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s := gormdbtest.Open(t, d, gormdb.Config{})
			a, b := db.HashToken("account a"), db.HashToken("account b")
			t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
			for i := 0; i < 3; i++ {
				if n, err := s.RecordFailure(ctx, a, t0.Add(time.Duration(i)*time.Minute), t0.Add(-time.Hour)); err != nil || n != i+1 {
					t.Fatalf("record %d: %d %v", i, n, err)
				}
			}
			if n, _ := s.RecordFailure(ctx, b, t0, t0.Add(-time.Hour)); n != 1 {
				t.Errorf("another key: %d", n)
			}
			if n, err := s.CountFailures(ctx, a, t0.Add(90*time.Second)); err != nil || n != 1 {
				t.Errorf("within a later window: %d %v", n, err)
			}
			// 20 minutes on, a 15-minute window keeps only the new failure.
			if n, _ := s.RecordFailure(ctx, a, t0.Add(20*time.Minute), t0.Add(5*time.Minute)); n != 1 {
				t.Errorf("after the window: %d", n)
			}
			if n, _ := s.CountFailures(ctx, a, t0.Add(-time.Hour)); n != 1 {
				t.Errorf("old failures kept: %d", n)
			}
			if err := s.ClearFailures(ctx, a); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.CountFailures(ctx, a, t0.Add(-time.Hour)); n != 0 {
				t.Errorf("after clear: %d", n)
			}
			if n, _ := s.CountFailures(ctx, b, t0.Add(-time.Hour)); n != 1 {
				t.Errorf("clear touched another key: %d", n)
			}
		})
	}
}
