// Package dbtest is the storage conformance suite: every db.Store backend
// runs it (SQLite always; PostgreSQL and MariaDB when their DSNs are set).
// Feature areas register their own suites for their store contracts.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/roster-dev/roster/db"
)

// Suite tests one area of a store.
type Suite func(t *testing.T, s db.Store)

var (
	mu     sync.Mutex
	suites = map[string]Suite{}
)

// Register adds an area's suite; call it from init.
func Register(name string, s Suite) {
	mu.Lock()
	defer mu.Unlock()
	suites[name] = s
}

// RunTests runs every registered suite, each against a fresh store.
func RunTests(t *testing.T, newStore func(t *testing.T) db.Store) {
	mu.Lock()
	names := make([]string, 0, len(suites))
	for n := range suites {
		names = append(names, n)
	}
	mu.Unlock()
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) { suites[n](t, newStore(t)) })
	}
}

// Operator is the actor the suite acts as where no admin is involved.
var Operator = db.Actor{Kind: db.ActorOperator, ID: "dbtest", Name: "dbtest"}

// Email returns a unique address (admins are unique per account across the
// whole database, R-ADM-2, so tests never reuse one).
func Email(local, domain string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return local + "." + hex.EncodeToString(b) + "@" + domain
}

// NewTeam creates a team (in a new account unless accountID is set) and returns it with its primary admin.
func NewTeam(t *testing.T, s db.Store, accountID string) (db.Team, db.User) {
	t.Helper()
	team, admin, err := s.CreateTeam(context.Background(), db.NewTeam{AccountID: accountID, Name: "team " + t.Name(),
		PrimaryEmail: Email("primary", "acme.test"), PrimaryFirstName: "Pat", PrimaryLastName: "Primary"}, Operator)
	if err != nil {
		t.Fatalf("create team: %v", err)
	}
	return team, admin
}

// NewUser adds a user with a unique email at domain.
func NewUser(t *testing.T, s db.Store, teamID, local, domain string, src db.Source) db.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), teamID, db.NewUser{Email: Email(local, domain), FirstName: strings.ToUpper(local[:1]) + local[1:],
		LastName: "Test", Source: src}, Operator)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

// WantErr fails unless err wraps want (nil want means no error) and, if code
// is non-empty, carries that db.Error code.
func WantErr(t *testing.T, err error, want error, code string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if code != "" && db.CodeOf(err) != code {
		t.Fatalf("error code = %q (%v), want %q", db.CodeOf(err), err, code)
	}
}
