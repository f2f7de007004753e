package adminapi

import (
	"context"
	"net/http"
	"time"

	"github.com/roster-dev/roster/db"
)

// Directory runs a team's directory connection on request. cmd/roster
// passes *directory.Syncer (its SyncNow takes the connection's cluster lock
// and records the run in the history); nil: no directory routes.
type Directory interface {
	SyncNow(ctx context.Context, conn db.DirectoryConnection, dryRun, allowDeletes bool) (db.DirectoryRun, []db.DirectoryChange, error)
}

// DirectoryAdmins may see the team's directory connections and sync them:
// sync provisions and removes users, so it is managing users (R-ADM-6).
var DirectoryAdmins = AllAdmins

// DirectoryRunView is one run in a connection's history.
type DirectoryRunView struct {
	ID        int64     `json:"id"`
	Mode      string    `json:"mode"`
	DryRun    bool      `json:"dry_run"`
	StartedAt time.Time `json:"started_at"`
	Duration  int64     `json:"duration_ms"`
	db.DirectoryCounts
	Error string `json:"error,omitempty"`
	// PendingDeletes > 0: the deletion threshold stopped this run before it
	// removed anyone; it waits for an admin to confirm (allow_deletes).
	PendingDeletes int `json:"pending_deletes"`
	DeleteLimit    int `json:"delete_limit"`
}

// DirectoryRunViewOf renders a run.
func DirectoryRunViewOf(r db.DirectoryRun) DirectoryRunView {
	return DirectoryRunView{ID: r.ID, Mode: r.Mode, DryRun: r.DryRun, StartedAt: r.StartedAt, Duration: r.Duration.Milliseconds(),
		DirectoryCounts: r.Counts, Error: r.Error, PendingDeletes: r.PendingDeletes, DeleteLimit: r.DeleteLimit}
}

// DirectoryView is a connection (never its bind password reference) with
// its recent runs, newest first.
type DirectoryView struct {
	// The connection as events carry it (db's view, one renderer for both).
	db.DirectoryConnectionView
	Runs []DirectoryRunView `json:"runs"`
	// Waiting is the latest applied (not dry) run when the deletion
	// threshold stopped it and no run succeeded since.
	Waiting *DirectoryRunView `json:"waiting,omitempty"`
}

// DirectorySyncView is what a sync on request did or, in a dry run, plans.
type DirectorySyncView struct {
	Directory string `json:"directory"`
	DirectoryRunView
	Changes []db.DirectoryChange `json:"changes"`
}

// DirectoryHistory is how many runs ListDirectories shows per connection.
const DirectoryHistory = 20

// ListDirectories is the team's directory connections with their history.
func (x *API) ListDirectories(ctx context.Context, c Caller) ([]DirectoryView, error) {
	cs, err := x.a.Store.ListDirectoryConnections(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	out := []DirectoryView{}
	for _, conn := range cs {
		v := DirectoryView{DirectoryConnectionView: db.DirectoryConnectionViewOf(conn), Runs: []DirectoryRunView{}}
		runs, err := x.a.Store.ListDirectoryRuns(ctx, c.Team.ID, conn.ID, DirectoryHistory)
		if err != nil {
			return nil, err
		}
		applied := false
		for _, r := range runs {
			rv := DirectoryRunViewOf(r)
			v.Runs = append(v.Runs, rv)
			if !r.DryRun && !applied {
				applied = true
				if r.PendingDeletes > 0 {
					v.Waiting = &rv
				}
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// DirectorySync is a sync request: a dry run reports the planned changes and
// applies nothing; allow_deletes confirms removals above the threshold.
type DirectorySync struct {
	DryRun       bool `json:"dry_run"`
	AllowDeletes bool `json:"allow_deletes"`
}

// SyncDirectory runs one of the team's connections now. Another team's
// connection looks exactly like a missing one.
func (x *API) SyncDirectory(ctx context.Context, c Caller, connID string, in DirectorySync) (DirectorySyncView, error) {
	if x.a.Directory == nil {
		return DirectorySyncView{}, db.Errorf(db.ErrNotFound, "directory_unavailable", "directory sync is not enabled on this server")
	}
	conn, err := x.a.Store.GetDirectoryConnection(ctx, c.Team.ID, connID)
	if err != nil {
		return DirectorySyncView{}, err
	}
	run, changes, err := x.a.Directory.SyncNow(ctx, conn, in.DryRun, in.AllowDeletes)
	if err != nil {
		return DirectorySyncView{}, err
	}
	if changes == nil {
		changes = []db.DirectoryChange{}
	}
	return DirectorySyncView{Directory: conn.ID, DirectoryRunView: DirectoryRunViewOf(run), Changes: changes}, nil
}

// mountDirectory registers the directory routes.
func (a *api) mountDirectory() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/directories", DirectoryAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListDirectories(r.Context(), c))
	})
	// A run the deletion threshold stopped answers 409 and one the
	// directory failed 502, each with the run (its error says why).
	a.route("POST", "/teams/{team}/directories/{directory}/sync", DirectoryAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in DirectorySync
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		v, err := x.SyncDirectory(r.Context(), c, r.PathValue("directory"), in)
		if err != nil {
			return err
		}
		status := http.StatusOK
		switch {
		case v.PendingDeletes > 0:
			status = http.StatusConflict
		case v.Error != "":
			status = http.StatusBadGateway
		}
		WriteJSON(w, status, v)
		return nil
	})
}
