// Package dbtest is the storage conformance suite: every db.Store backend
// runs it (SQLite always; PostgreSQL and MariaDB when their DSNs are set).
// The areas' suites are listed in one place (suites, in dbtest.go).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
)

// Suite tests one area of a store.
type Suite func(t *testing.T, s db.Store)

// suites is the whole conformance suite, in the order it runs: one explicit
// list, so what runs is read here, not assembled by init functions. Every
// store must implement every area's interface; an area whose interface is
// missing fails (see missing), it is never skipped.
var suites = []struct {
	name string
	run  Suite
}{
	{"console", testConsole},
	{"core", testCore},
	{"accounts", testAccounts},
	{"directory", testDirectory},
	{"directory_bad_text", testDirBadText},
	{"directory_username_fallback_taken", testDirUserNameFallbackTaken},
	{"directory_groups_by_name", testDirGroupsByName},
	{"emails_index", testEmailIndex},
	{"events_outbox", testEventsOutbox}, // R-EVT-1
	{"event_resources", testEventResources},
	{"webhooks", testWebhooks},
	{"webhook_leases", testWebhookLeases},
	{"emails_index_directory", testEmailIndexDirectory},
	{"emails_index_every_path", testEmailIndexEveryPath},
	{"inactive_admins", testInactiveAdmins},
	{"inactive_primary_directory", testInactivePrimaryDirectory},
	{"invalid_text", testInvalidText},
	{"members", testMembers},
	{"projects", testProjects},
	{"seats", testSeats},
	{"product_mappings", testProductMappings},
	{"list_queries", testListQueries},                  // R-MEM-6: project members, invitations
	{"members_sort_company", testSortCompanyEveryKind}, // R-MEM-6
	{"policy", PolicySuite},
	{"races", testRaces},
	{"scim", testSCIM},
	{"scim_paging", testSCIMPaging},
	{"scimSortByOtherKindsField", testSCIMSortByOtherKindsField},
	{"sso", testSSO},
	{"writer_atomic", testWriterAtomic},
	{"writer_bumps_version", testWriterBumpsVersion},
	{"writer_audit_shape", testWriterAuditShape},
	{"writer_email_index", testWriterEmailIndex},
	{"writer_idn_domains", testWriterIDNDomains},
	{"writer_version_cas", testWriterVersionCAS},
	{"unavailable", testUnavailable}, // closes its store: keep it last
}

// RunTests runs every suite, each against a fresh store.
func RunTests(t *testing.T, newStore func(t *testing.T) db.Store) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore(t)) })
	}
}

// missing fails t: a store lacking an area's interface does not conform.
// (The suite used to skip such areas, so a store could pass CI untested.)
func missing(t *testing.T, what string) {
	t.Helper()
	t.Fatalf("store does not conform: %s (every store must implement every area's interface)", what)
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

// SetTypes sets users' types through the policy store's ChangeUserTypes
// (R-POL-7), the one type-change path.
func SetTypes(t *testing.T, s db.Store, teamID string, userIDs []string, typ db.UserType, by db.Actor) error {
	t.Helper()
	ps, ok := s.(db.PolicyStore)
	if !ok {
		missing(t, "it does not implement db.PolicyStore")
	}
	_, err := ps.ChangeUserTypes(ctx, teamID, userIDs, typ, by)
	return err
}
