package console

import (
	"net/http"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// The Directory page: the team's directory connections, the history of their
// runs with counts and errors, "Sync now", a dry-run preview of the planned
// changes, and the deletion-threshold confirmation. Every action is the
// admin API's operation (ListDirectories, SyncDirectory), allowed to the
// roles the API allows (adminapi.DirectoryAdmins).

func (c *Console) mountDirectoryPages(m *http.ServeMux) {
	m.HandleFunc("GET /console/directory", c.signedIn(adminapi.DirectoryAdmins, c.directoryPage))
	m.HandleFunc("POST /console/directory/{directory}/sync", c.signedIn(adminapi.DirectoryAdmins, c.syncDirectory))
}

type directoryPageView struct {
	Connections []adminapi.DirectoryView
	// Result is the run just done (or previewed) and which connection.
	Result *adminapi.DirectorySyncView
	// Action is what Result answers: sync, preview or confirm.
	Action string
}

func (c *Console) renderDirectory(w http.ResponseWriter, r *http.Request, s session, status int, v directoryPageView, notice, msg string) error {
	cs, err := c.Ops.ListDirectories(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Connections = cs
	c.render(w, r, status, "directory", page{Title: "directory.title", Nav: "directory", Signed: true, Me: s.Caller,
		Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) directoryPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderDirectory(w, r, s, http.StatusOK, directoryPageView{}, "", "")
}

// syncDirectory runs a connection now. action is "sync" (Sync now),
// "preview" (a dry run: the planned changes, nothing applied; with
// confirm_deletes it previews the removals the threshold holds back) or
// "confirm" (the waiting run, removals confirmed).
func (c *Console) syncDirectory(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	action := r.PostForm.Get("action")
	in := adminapi.DirectorySync{}
	switch action {
	case "sync":
	case "preview":
		in.DryRun, in.AllowDeletes = true, r.PostForm.Get("confirm_deletes") == "yes"
	case "confirm":
		in.AllowDeletes = true
	default:
		return c.renderDirectory(w, r, s, http.StatusBadRequest, directoryPageView{}, "", tr(lang(r), "directory.bad_action"))
	}
	res, err := c.Ops.SyncDirectory(r.Context(), s.Caller, r.PathValue("directory"), in)
	if err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderDirectory(w, r, s, adminapi.StatusOf(err), directoryPageView{}, "", adminapi.ClientMessage(err))
	}
	v := directoryPageView{Result: &res, Action: action}
	l := lang(r)
	switch {
	case res.PendingDeletes > 0:
		return c.renderDirectory(w, r, s, http.StatusConflict, v, "", tr(l, "directory.threshold_stopped"))
	case res.Error != "":
		return c.renderDirectory(w, r, s, http.StatusBadGateway, v, "", tr(l, "directory.run_failed")+" "+res.Error)
	case in.DryRun:
		return c.renderDirectory(w, r, s, http.StatusOK, v, tr(l, "directory.previewed"), "")
	}
	return c.renderDirectory(w, r, s, http.StatusOK, v, tr(l, "directory.synced"), "")
}
