package adminapi

import (
	"net/http"

	"github.com/roster-dev/roster/db"
)

// ProductMappingView is a group-to-product mapping (db's shape, shared
// with events).
type ProductMappingView = db.ProductMappingView

// ProductMappingRequest is the body of POST product-mappings: the group (id
// or display name), the project (id or name), the product (key or name).
type ProductMappingRequest struct {
	Group   string `json:"group"`
	Project string `json:"project"`
	Product string `json:"product"`
}

// ProductMappingViews renders mappings.
func ProductMappingViews(ms []db.ProductMapping) []ProductMappingView {
	out := make([]ProductMappingView, len(ms))
	for i, m := range ms {
		out[i] = db.ProductMappingViewOf(m)
	}
	return out
}

// mountProductMappings registers the group-to-product mapping routes (issue 11).
func (a *api) mountProductMappings() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/product-mappings", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListProductMappings(r.Context(), c))
	})
	a.route("POST", "/teams/{team}/product-mappings", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req ProductMappingRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.MapGroup(r.Context(), c, req))
	})
	a.route("DELETE", "/teams/{team}/product-mappings/{id}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := x.UnmapGroup(r.Context(), c, r.PathValue("id")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
