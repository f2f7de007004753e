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
	a.route("GET", "/teams/{team}/policy", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		v, err := PolicyViewOf(r.Context(), a.Store, c.Team.ID)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, v)
		return nil
	})
	a.route("PUT", "/teams/{team}/policy", AllAdmins, a.apiSetPolicy)
	a.route("POST", "/teams/{team}/policy/preview", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req setPolicyRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		req.DryRun = true
		return a.setPolicy(w, r, c, req)
	})
	a.route("PATCH", "/teams/{team}/policy/domains", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			Add    []string `json:"add"`
			Remove []string `json:"remove"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		add, err := a.ParseDomains(req.Add)
		if err != nil {
			return err
		}
		remove, err := a.ParseDomains(req.Remove)
		if err != nil {
			return err
		}
		if _, err := a.Store.ModifyPolicyDomains(r.Context(), c.Team.ID, add, remove, c.Actor); err != nil {
			return err
		}
		v, err := PolicyViewOf(r.Context(), a.Store, c.Team.ID)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, v)
		return nil
	})
	a.route("GET", "/teams/{team}/policy/exceptions", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		t, err := ParseTypeFilter(r.URL.Query().Get("type"))
		if err != nil {
			return err
		}
		page, err := pageParams(r)
		if err != nil {
			return err
		}
		es, err := a.Store.ListExceptions(r.Context(), c.Team.ID, db.ExceptionQuery{Type: t, After: page.After, Limit: page.Limit})
		if err != nil {
			return err
		}
		next := ""
		if len(es) == page.Limit {
			next = es[len(es)-1].UserID
		}
		WriteJSON(w, http.StatusOK, map[string]any{"exceptions": ExceptionViews(es), "next": next})
		return nil
	})
	a.route("POST", "/teams/{team}/policy/exceptions/revert", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			UserIDs []string `json:"user_ids"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		tc, err := a.Store.RevertExceptions(r.Context(), c.Team.ID, req.UserIDs, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, TypeChangeViewOf(tc))
		return nil
	})
	a.route("POST", "/teams/{team}/users/type", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			Type    string   `json:"type"`
			UserIDs []string `json:"user_ids"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		t, err := ParseUserType(req.Type)
		if err != nil {
			return err
		}
		tc, err := a.Store.ChangeUserTypes(r.Context(), c.Team.ID, req.UserIDs, t, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, TypeChangeViewOf(tc))
		return nil
	})
	a.route("GET", "/teams/{team}/reports/usage", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "csv"
		}
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
		err := WriteUsageReport(r.Context(), a.Store, c.Team.ID, format, sw)
		if err != nil && sw.started {
			// the status line is gone; cut the stream short so the client sees a broken body
			a.Log.Error("usage report stream", "team", c.Team.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
		return err
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
	Mode    string   `json:"mode"`
	Domains []string `json:"domains"`
	DryRun  bool     `json:"dry_run"`
	Limit   int      `json:"limit"` // dry run: how many would-be exceptions to list
}

func (a *api) apiSetPolicy(w http.ResponseWriter, r *http.Request, c call) error {
	var req setPolicyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return a.setPolicy(w, r, c, req)
}

func (a *api) setPolicy(w http.ResponseWriter, r *http.Request, c call, req setPolicyRequest) error {
	m, err := ParseMode(req.Mode)
	if err != nil {
		return err
	}
	ds, err := a.ParseDomains(req.Domains)
	if err != nil {
		return err
	}
	p := db.Policy{Mode: m, Domains: ds}
	if req.DryRun {
		if req.Limit < 0 || req.Limit > 1000 {
			return db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be from 1 to 1000")
		}
		if req.Limit == 0 {
			req.Limit = 100
		}
		pv, err := a.Store.PreviewPolicy(r.Context(), c.Team.ID, p, db.Page{Limit: req.Limit})
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, PreviewViewOf(c.Team.ID, pv, req.Limit))
		return nil
	}
	if _, err := a.Store.SetPolicy(r.Context(), c.Team.ID, p, c.Actor); err != nil {
		return err
	}
	v, err := PolicyViewOf(r.Context(), a.Store, c.Team.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, v)
	return nil
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
