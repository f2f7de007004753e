package adminapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/roster-dev/roster/db"
)

// StreamUsageReport writes the usage report (R-POL-9) as the response, csv
// (a download) or json, row by row. A format that is neither is a 400
// before anything is written; a failure after the first byte cuts the
// stream short (the status line is gone), so the client sees a broken body.
func (x *API) StreamUsageReport(w http.ResponseWriter, r *http.Request, c Caller, format string) error {
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
	case "json":
		w.Header().Set("Content-Type", "application/json")
	default:
		return db.Errorf(db.ErrInvalid, "format_invalid", "format %q is not csv or json", format)
	}
	sw := &startedWriter{ResponseWriter: w}
	err := WriteUsageReport(r.Context(), x.a.Store, c.Team.ID, format, sw)
	if err != nil && sw.started {
		x.a.Log.Error("usage report stream", "team", c.Team.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// errEnough stops the usage report's row stream once a page is full.
var errEnough = errors.New("enough rows")

// UsageRows is the first limit rows of the usage report (for a page that
// shows it; the download streams all of it), and whether there are more.
func (x *API) UsageRows(ctx context.Context, c Caller, limit int) ([]UsageRecord, bool, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []UsageRecord
	more := false
	err := x.a.Store.UsageReport(ctx, c.Team.ID, func(r db.UsageRow) error {
		if len(rows) == limit {
			more = true
			return errEnough
		}
		rows = append(rows, usageRecord(r))
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return rows, more, err
}
