package adminapi

import (
	"net/http"
	"strconv"

	"github.com/roster-dev/roster/db"
)

// mountPolicy registers the role-policy admin API. Every admin role may
// use it (R-ADM-6: admins manage users and view/export usage reports; the
// policy is team user management); every change is audited with the admin.
func (a *api) mountPolicy() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/policy", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ShowPolicy(r.Context(), c))
	})
	a.route("PUT", "/teams/{team}/policy", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req setPolicyRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if req.DryRun {
			return writeView(w, http.StatusOK)(x.PreviewPolicy(r.Context(), c, req.PolicyChange, req.Limit))
		}
		return writeView(w, http.StatusOK)(x.SetPolicy(r.Context(), c, req.PolicyChange))
	})
	a.route("POST", "/teams/{team}/policy/preview", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req setPolicyRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.PreviewPolicy(r.Context(), c, req.PolicyChange, req.Limit))
	})
	a.route("PATCH", "/teams/{team}/policy/domains", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			Add    []string `json:"add"`
			Remove []string `json:"remove"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.ModifyPolicyDomains(r.Context(), c, req.Add, req.Remove))
	})
	a.route("GET", "/teams/{team}/policy/exceptions", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		page, err := pageParams(r)
		if err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.ListExceptions(r.Context(), c, r.URL.Query().Get("type"), page))
	})
	a.route("POST", "/teams/{team}/policy/exceptions/revert", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			UserIDs []string `json:"user_ids"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.RevertExceptions(r.Context(), c, req.UserIDs))
	})
	a.route("POST", "/teams/{team}/users/type", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			Type    string   `json:"type"`
			UserIDs []string `json:"user_ids"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.ChangeUserTypes(r.Context(), c, req.UserIDs, req.Type))
	})
	a.route("GET", "/teams/{team}/reports/usage", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "csv"
		}
		return (&API{a: a}).StreamUsageReport(w, r, c, format)
	})
}

// startedWriter records whether the response has begun, so an error can
// still become a JSON error before the first byte.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

type setPolicyRequest struct {
	PolicyChange
	DryRun bool `json:"dry_run"`
	Limit  int  `json:"limit"` // dry run: how many would-be exceptions to list
}

// pageParams reads ?after= and ?limit= (1..1000, default 100).
func pageParams(r *http.Request) (db.Page, error) {
	page := db.Page{After: r.URL.Query().Get("after"), Limit: 100}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return page, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to 1000")
		}
		page.Limit = n
	}
	return page, nil
}
