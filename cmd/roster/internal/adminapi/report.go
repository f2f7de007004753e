package adminapi

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// UsageColumns are the usage report's columns, in CSV order and JSON names.
// products, external_products and seats (issue 11 #9) are ';'-separated
// product keys in CSV, arrays in JSON: the products the user has access
// to, those they hold an external subscription to, and those on which they
// use an internal seat (R-MEM-5).
var UsageColumns = []string{"email", "first_name", "last_name", "status", "type", "external", "source", "admin_role", "exception", "created_at", "id",
	"products", "external_products", "seats"}

// UsageRecord is one usage report row in JSON.
type UsageRecord struct {
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Status    string    `json:"status"`
	Type      string    `json:"type"`
	External  bool      `json:"external"`
	Source    string    `json:"source"`
	AdminRole string    `json:"admin_role"`
	Exception bool      `json:"exception"`
	CreatedAt time.Time `json:"created_at"`
	ID        string    `json:"id"`
	// Products, ExternalProducts, Seats: see UsageColumns.
	Products         []string `json:"products"`
	ExternalProducts []string `json:"external_products"`
	Seats            []string `json:"seats"`
}

// usageRecord is a usage report row as the JSON report (and the console's
// table) shows it.
func usageRecord(r db.UsageRow) UsageRecord {
	return UsageRecord{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Status: string(r.Status),
		Type: string(r.Type), External: r.External, Source: string(r.Source), AdminRole: string(r.AdminRole),
		Exception: r.Exception, CreatedAt: r.CreatedAt.UTC(), ID: r.UserID,
		Products: r.Products, ExternalProducts: r.ExternalProducts, Seats: r.Seats}
}

// spreadsheetSafe defuses a free-text cell that a spreadsheet would run as a
// formula (CSV injection through a name pushed by an identity provider).
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteUsageReport streams the report row by row (R-POL-9): the store holds
// one row, the writer a small buffer, so memory does not grow with the team.
// Nothing is written until the team is known to exist.
func WriteUsageReport(ctx context.Context, s interface {
	UsageReport(ctx context.Context, teamID string, fn func(db.UsageRow) error) error
}, teamID, format string, out io.Writer) error {
	var bw *bufio.Writer
	lazy := func() *bufio.Writer {
		if bw == nil {
			bw = bufio.NewWriterSize(out, 64<<10)
		}
		return bw
	}
	n := 0
	var err error
	switch format {
	case "csv":
		var cw *csv.Writer
		rec := make([]string, len(UsageColumns))
		err = s.UsageReport(ctx, teamID, func(r db.UsageRow) error {
			if cw == nil {
				cw = csv.NewWriter(lazy())
				if err := cw.Write(UsageColumns); err != nil {
					return err
				}
			}
			rec[0], rec[1], rec[2], rec[3], rec[4] = r.Email, spreadsheetSafe(r.FirstName), spreadsheetSafe(r.LastName), string(r.Status), string(r.Type)
			rec[5], rec[6], rec[7], rec[8] = strconv.FormatBool(r.External), string(r.Source), string(r.AdminRole), strconv.FormatBool(r.Exception)
			rec[9], rec[10] = r.CreatedAt.UTC().Format(time.RFC3339), r.UserID
			rec[11], rec[12], rec[13] = strings.Join(r.Products, ";"), strings.Join(r.ExternalProducts, ";"), strings.Join(r.Seats, ";")
			n++
			return cw.Write(rec)
		})
		if err == nil {
			if cw == nil { // an empty team still gets its header
				cw = csv.NewWriter(lazy())
				cw.Write(UsageColumns)
			}
			cw.Flush()
			err = cw.Error()
		}
	case "json":
		err = s.UsageReport(ctx, teamID, func(r db.UsageRow) error {
			b, err := json.Marshal(usageRecord(r))
			if err != nil {
				return err
			}
			w := lazy()
			if n == 0 {
				w.WriteString("[\n")
			} else {
				w.WriteString(",\n")
			}
			n++
			_, err = w.Write(b)
			return err
		})
		if err == nil {
			w := lazy()
			if n == 0 {
				w.WriteString("[")
			}
			w.WriteString("\n]\n")
		}
	default:
		return db.Errorf(db.ErrInvalid, "format_invalid", "format %q is not csv or json", format)
	}
	if bw != nil {
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}
