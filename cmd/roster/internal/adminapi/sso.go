package adminapi

import "net/http"

// mountSSO registers the SSO configuration routes.
func (a *api) mountSSO() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/sso", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ShowSSO(r.Context(), c))
	})
	update := func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.UpdateSSO(r.Context(), c, func(v any) error { return decodeJSON(r, v) }))
	}
	a.route("PUT", "/teams/{team}/sso", SSOAdmins, update)
	a.route("PATCH", "/teams/{team}/sso", SSOAdmins, update)
	a.route("DELETE", "/teams/{team}/sso", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := x.DeleteSSO(r.Context(), c); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("POST", "/teams/{team}/sso/domains/{domain}/verify", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.VerifySSODomain(r.Context(), c, r.PathValue("domain")))
	})
	a.route("POST", "/teams/{team}/sso/keys", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.RotateSSOKey(r.Context(), c))
	})
	a.route("DELETE", "/teams/{team}/sso/keys/{key}", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.RetireSSOKey(r.Context(), c, r.PathValue("key")))
	})
	a.route("POST", "/teams/{team}/sso/refresh", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		v, rerr, err := x.RefreshSSO(r.Context(), c)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if rerr != nil {
			status = http.StatusBadGateway // the view's IdP refresh error says why
		}
		WriteJSON(w, status, v)
		return nil
	})
	// Test mode: returns where to send the admin's browser; the ACS then
	// shows the parsed assertion and provisions nothing.
	a.route("POST", "/teams/{team}/sso/test", SSOAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		redirect, form, err := x.StartSSOTest(r.Context(), c)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]string{"redirect_url": redirect, "post_form": string(form)})
		return nil
	})
}
