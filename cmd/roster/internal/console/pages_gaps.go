package console

import (
	"net/http"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// The last admin API operations that had no page (issue 13): the usage
// report (a bounded table and the streamed CSV download) and the
// internal-seat mark beside the external subscription on the Seats page.
// The SSO refresh and removal live on the SSO page (pages_sso.go).

// usageLimit bounds the usage table; the CSV download has every row.
const usageLimit = 500

func (c *Console) mountGapPages(m *http.ServeMux) {
	m.HandleFunc("GET /console/usage", c.signedIn(adminapi.AllAdmins, c.usagePage))
	m.HandleFunc("GET /console/usage.csv", c.signedIn(adminapi.AllAdmins, c.usageCSV))
	m.HandleFunc("POST /console/seats/internal", c.signedIn(adminapi.AllAdmins, c.setInternal))
}

type usageView struct {
	Columns []string
	Rows    []adminapi.UsageRecord
	More    bool
	Limit   int
}

func (c *Console) usagePage(w http.ResponseWriter, r *http.Request, s session) error {
	rows, more, err := c.Ops.UsageRows(r.Context(), s.Caller, usageLimit)
	if err != nil {
		return err
	}
	v := usageView{Columns: adminapi.UsageColumns, Rows: rows, More: more, Limit: usageLimit}
	c.render(w, r, http.StatusOK, "usage", page{Title: "gaps.usage_title", Nav: "usage", Signed: true, Me: s.Caller, Data: v})
	return nil
}

// usageCSV streams the whole report, as GET /reports/usage?format=csv does.
func (c *Console) usageCSV(w http.ResponseWriter, r *http.Request, s session) error {
	return c.Ops.StreamUsageReport(w, r, s.Caller, "csv")
}

// setInternal gives (or takes back) an external subscriber an internal
// seat anyway (R-MEM-5).
func (c *Console) setInternal(w http.ResponseWriter, r *http.Request, s session) error {
	return c.seatMark(w, r, s, "internal", c.Ops.SetInternalSeat, "gaps.internal_on", "gaps.internal_off")
}
