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
	a.route("GET", "/teams/{team}/product-mappings", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		ms, err := a.Store.ProductMappings(r.Context(), c.Team.ID)
		return writeView(w, http.StatusOK)(ProductMappingViews(ms), err)
	})
	a.route("POST", "/teams/{team}/product-mappings", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req ProductMappingRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if req.Group == "" || req.Project == "" || req.Product == "" {
			return db.Errorf(db.ErrInvalid, "mapping_invalid", "group, project and product are required")
		}
		m, err := a.Store.MapGroup(r.Context(), c.Team.ID, req.Group, req.Project, req.Product, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, ProductMappingViews([]db.ProductMapping{m})[0])
		return nil
	})
	a.route("DELETE", "/teams/{team}/product-mappings/{id}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := a.Store.UnmapGroup(r.Context(), c.Team.ID, r.PathValue("id"), c.Actor); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
