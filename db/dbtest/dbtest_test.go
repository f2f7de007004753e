package dbtest_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory"
)

// bare hides every area interface of a real store: only db.Store is left.
type bare struct{ db.Store }

// TestSuiteFailsOnMissingInterface: a store that lacks an area's interface
// does not conform, so the suite must fail for that area, not skip it (a
// skip passes CI). It runs the suite on a bare store in a child process and
// reads its verdicts. issue 10 #4
func TestSuiteFailsOnMissingInterface(t *testing.T) {
	if os.Getenv("DBTEST_BARE_STORE") == "1" {
		dbtest.RunTests(t, func(t *testing.T) db.Store {
			return bare{gormdbtest.New(t, gormdb.Config{PlanDirectory: directory.Plan})}
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteFailsOnMissingInterface$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "DBTEST_BARE_STORE=1", "ROSTER_TEST_POSTGRES=", "ROSTER_TEST_MYSQL=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("the suite passed on a store with no area interfaces")
	}
	if n := strings.Count(string(out), "--- SKIP"); n > 0 {
		t.Errorf("%d tests skipped instead of failing", n)
	}
	for _, area := range []string{"directory", "emails_index", "emails_index_directory", "emails_index_every_path",
		"inactive_primary_directory", "policy", "races", "scim", "scim_paging", "scimSortByOtherKindsField", "sso"} {
		re := regexp.MustCompile(`--- FAIL: TestSuiteFailsOnMissingInterface/` + regexp.QuoteMeta(area) + ` `)
		if !re.Match(out) {
			t.Errorf("area %s did not fail on a store lacking its interface", area)
		}
	}
	if t.Failed() {
		t.Logf("child output:\n%s", out)
	}
}
