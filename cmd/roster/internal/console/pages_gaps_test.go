package console_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// The usage report page (R-POL-9): the API's columns, a row per user, and
// the CSV download, which is the admin API's report byte for byte.
func TestUsagePage(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	e.user("kai@acme.test", db.RoleNone)
	e.user("=cmd@acme.test", db.RoleNone)
	body := e.page(c, "GET", "/console/usage", nil, 200, "Usage report", `href="/console/usage.csv"`, "kai@acme.test", "pat@acme.test")
	for _, col := range adminapi.UsageColumns {
		if !strings.Contains(body, `<th scope="col">`+col+`</th>`) {
			t.Errorf("the usage table has no %s column", col)
		}
	}
	var rows []adminapi.UsageRecord
	e.apiGet("/reports/usage?format=json", &rows)
	if len(rows) != 3 {
		t.Fatalf("usage rows through the API = %+v", rows)
	}
	for _, r := range rows {
		if !strings.Contains(body, "<code>"+r.ID+"</code>") {
			t.Errorf("the usage page lacks %s (%s)", r.Email, r.ID)
		}
	}

	res, csvBody := e.do(c, "GET", "/console/usage.csv", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "usage.csv") {
		t.Fatalf("usage.csv: %d %v", res.StatusCode, res.Header)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/teams/"+e.team.ID+"/reports/usage?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+e.api)
	apiRes, _, apiCSV := doRaw(t, req)
	if apiRes != 200 || apiCSV != csvBody {
		t.Errorf("the console's CSV differs from the API's:\n%s\n---\n%s", csvBody, apiCSV)
	}
	recs, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(adminapi.UsageColumns, ",") {
		t.Fatalf("usage.csv = %q (%v)", recs, err)
	}

	// R-ADM-7 does not apply: a secondary admin reads the report too; a
	// plain user has no console.
	sec := e.user("sec@acme.test", db.RoleSecondary)
	e.page(e.admin(sec), "GET", "/console/usage", nil, 200, "kai@acme.test")
}

func doRaw(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, res.Header, b.String()
}

// R-MEM-5: the internal-seat mark beside the external subscription on the
// Seats page: an external subscriber given an internal seat uses one (seen
// through the API's seats and usage report), taking it back frees it, and
// a user with no external subscription is refused with not_external.
func TestSeatsInternalSeat(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	e.page(c, "GET", "/console/seats", nil, 200, `action="/console/seats/internal"`, "Internal seat for an external subscriber")
	e.page(c, "POST", "/console/seats/subscriptions", url.Values{"product": {"build"}, "seats": {"1"}}, 200)
	e.user("kai@acme.test", db.RoleNone)
	pid := e.project(c, "Tower")
	e.page(c, "POST", "/console/projects/"+pid+"/members", url.Values{"email": {"kai@acme.test"}, "product": {"docs", "build"}}, http.StatusCreated)
	e.page(c, "POST", "/console/seats/internal", url.Values{"email": {"kai@acme.test"}, "product": {"build"}, "internal": {"on"}}, http.StatusUnprocessableEntity)
	e.page(c, "POST", "/console/seats/external", url.Values{"email": {"kai@acme.test"}, "product": {"build"}, "external": {"on"}}, 200)
	buildSeats := func() adminapi.SeatView {
		var seats []adminapi.SeatView
		e.apiGet("/seats", &seats)
		for _, s := range seats {
			if s.Product == "build" {
				return s
			}
		}
		t.Fatalf("no build seats: %+v", seats)
		return adminapi.SeatView{}
	}
	if s := buildSeats(); s.Used != 0 || s.External != 1 {
		t.Fatalf("after the external mark: %+v", s)
	}
	e.page(c, "POST", "/console/seats/internal", url.Values{"email": {"kai@acme.test"}, "product": {"build"}, "internal": {"on"}}, 200,
		"kai@acme.test now holds an internal seat as well as the external subscription.")
	if s := buildSeats(); s.Used != 1 {
		t.Errorf("after the internal seat: %+v", s)
	}
	var rows []adminapi.UsageRecord
	e.apiGet("/reports/usage?format=json", &rows)
	for _, r := range rows {
		if r.Email == "kai@acme.test" && (!strings.Contains(","+strings.Join(r.Seats, ",")+",", ",build,") || strings.Join(r.ExternalProducts, ",") != "build") {
			t.Errorf("kai in the usage report: %+v", r)
		}
	}
	e.page(c, "POST", "/console/seats/internal", url.Values{"email": {"kai@acme.test"}, "product": {"build"}, "internal": {"off"}}, 200,
		"kai@acme.test no longer holds an internal seat")
	if s := buildSeats(); s.Used != 0 {
		t.Errorf("after taking the internal seat back: %+v", s)
	}
	e.page(c, "POST", "/console/seats/internal", url.Values{"email": {""}, "product": {"build"}}, http.StatusBadRequest, "Enter an email address.")
}

// Removing SSO changes how everyone signs in: it needs the confirmation box
// and, like enforce SSO, a recent sign-in (the SSO service itself is
// exercised in cmd/roster TestConsoleSSORefreshAndRemove).
func TestSSORemoveNeedsConfirmationAndRecentSignIn(t *testing.T) {
	e := newEnv(t)
	c := e.admin(e.prim)
	e.page(c, "POST", "/console/sso-setup/delete", url.Values{}, http.StatusBadRequest, "Tick the box")
	e.clock.Add(11 * time.Minute) // past ReauthWithin (10 minutes), inside the idle timeout
	e.page(c, "POST", "/console/sso-setup/delete", url.Values{"confirm": {"yes"}}, http.StatusForbidden, "needs a recent sign-in")
}
