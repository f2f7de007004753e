package console

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// The SSO page: a guided setup on the admin API's SSO operations (R-ADM-7:
// primary and SSO admins only) — Roster's details to copy or download, the
// IdP's metadata by URL or upload, trusted certificates with their expiry,
// SP key rotation, domains with their TXT record and Verify, the attribute
// preset, JIT and IdP-initiated switches, enforce SSO (re-authentication,
// break-glass explained) and Test sign-in.

func (c *Console) mountSSOPages(m *http.ServeMux) {
	m.HandleFunc("GET /console/sso-setup", c.signedIn(adminapi.SSOAdmins, c.ssoPage))
	m.HandleFunc("POST /console/sso-setup", c.signedIn(adminapi.SSOAdmins, c.saveSSO))
	m.HandleFunc("POST /console/sso-setup/test", c.signedIn(adminapi.SSOAdmins, c.testSSO))
	m.HandleFunc("POST /console/sso-setup/domains/{domain}/verify", c.signedIn(adminapi.SSOAdmins, c.verifyDomain))
	m.HandleFunc("POST /console/sso-setup/certs", c.signedIn(adminapi.SSOAdmins, c.addCert))
	m.HandleFunc("POST /console/sso-setup/certs/{fp}/remove", c.signedIn(adminapi.SSOAdmins, c.removeCert))
	m.HandleFunc("POST /console/sso-setup/keys", c.signedIn(adminapi.SSOAdmins, c.rotateKey))
	m.HandleFunc("POST /console/sso-setup/keys/{key}/retire", c.signedIn(adminapi.SSOAdmins, c.retireKey))
	m.HandleFunc("POST /console/sso-setup/refresh", c.signedIn(adminapi.SSOAdmins, c.refreshSSO))
	m.HandleFunc("POST /console/sso-setup/delete", c.signedIn(adminapi.SSOAdmins, c.deleteSSO))
}

// ssoConfig is the SSO view (sso.View, which the admin API encodes as JSON)
// as the page reads it.
type ssoConfig struct {
	SP struct {
		EntityID    string `json:"entity_id"`
		ACSURL      string `json:"acs_url"`
		MetadataURL string `json:"metadata_url"`
		LoginURL    string `json:"login_url"`
		Keys        []struct {
			ID          string    `json:"id"`
			Fingerprint string    `json:"fingerprint_sha256"`
			Signing     bool      `json:"signing"`
			CreatedAt   time.Time `json:"created_at"`
		} `json:"keys"`
	} `json:"sp"`
	IdP struct {
		EntityID     string     `json:"entity_id"`
		SSOURL       string     `json:"sso_url"`
		MetadataURL  string     `json:"metadata_url"`
		RefreshedAt  *time.Time `json:"metadata_refreshed_at"`
		RefreshError string     `json:"metadata_refresh_error"`
	} `json:"idp"`
	TrustedCerts []struct {
		Fingerprint  string    `json:"fingerprint_sha256"`
		Subject      string    `json:"subject"`
		NotAfter     time.Time `json:"not_after"`
		FromMetadata bool      `json:"from_metadata"`
		ExpiresSoon  bool      `json:"expires_soon"`
		Expired      bool      `json:"expired"`
	} `json:"trusted_certs"`
	Domains []struct {
		Name     string `json:"name"`
		Verified bool   `json:"verified"`
		TXTName  string `json:"txt_name"`
		TXTValue string `json:"txt_value"`
	} `json:"domains"`
	AttributePreset   string   `json:"attribute_preset"`
	JIT               bool     `json:"jit"`
	AllowIdPInitiated bool     `json:"allow_idp_initiated"`
	EnforceSSO        bool     `json:"enforce_sso"`
	Warnings          []string `json:"warnings"`
}

type ssoView struct {
	Config   *ssoConfig
	Presets  []string
	Verified bool // some domain is verified (enforce SSO needs one)
	JSON     string
}

func (c *Console) renderSSO(w http.ResponseWriter, r *http.Request, s session, status int, notice, msg string) error {
	v, err := c.Ops.ShowSSO(r.Context(), s.Caller)
	if err != nil {
		if adminapi.StatusOf(err) != http.StatusNotFound {
			return err
		}
		v = nil // not configured yet: the guided setup starts empty
	}
	sv := ssoView{Presets: []string{"generic", "entra", "okta"}}
	if v != nil {
		b, _ := json.MarshalIndent(v, "", "  ")
		sv.JSON = string(b)
		var cfg ssoConfig
		if err := json.Unmarshal(b, &cfg); err != nil {
			return err
		}
		sv.Config = &cfg
		for _, d := range cfg.Domains {
			sv.Verified = sv.Verified || d.Verified
		}
	}
	c.render(w, r, status, "sso", page{Title: "sso.title", Nav: "sso", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: sv})
	return nil
}

// ssoResult shows the page again with an operation's outcome.
func (c *Console) ssoResult(w http.ResponseWriter, r *http.Request, s session, err error, okKey string) error {
	if err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderSSO(w, r, s, adminapi.StatusOf(err), "", adminapi.ClientMessage(err))
	}
	return c.renderSSO(w, r, s, http.StatusOK, tr(lang(r), okKey), "")
}

func (c *Console) ssoPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderSSO(w, r, s, http.StatusOK, "", "")
}

// ssoForm parses a posted form, plain or multipart (a file upload), bounded,
// and rejects text no database holds.
func ssoForm(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return form(w, r)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 2<<20)
	if err := r.ParseMultipartForm(2 << 20); err != nil {
		return db.Errorf(db.ErrInvalid, "invalid_form", "the form could not be read (at most 2 MiB)")
	}
	return db.CheckURLText(r.URL.Path, r.PostForm)
}

// upload is the text of an uploaded file field, or else of a text field.
func upload(r *http.Request, file, text string) (string, error) {
	if r.MultipartForm != nil {
		if f, _, err := r.FormFile(file); err == nil {
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, 1<<20))
			if err != nil {
				return "", db.Errorf(db.ErrInvalid, "invalid_form", "the uploaded file could not be read")
			}
			if err := db.CheckURLText("", url.Values{file: {string(b)}}); err != nil {
				return "", err
			}
			if s := strings.TrimSpace(string(b)); s != "" {
				return s, nil
			}
		}
	}
	return strings.TrimSpace(r.PostForm.Get(text)), nil
}

// updateSSO applies a settings change as the admin API's PATCH body.
func (c *Console) updateSSO(r *http.Request, s session, set map[string]any) error {
	body, _ := json.Marshal(set)
	_, err := c.Ops.UpdateSSO(r.Context(), s.Caller, func(v any) error { return json.Unmarshal(body, v) })
	return err
}

// saveSSO turns the form into the settings JSON the SSO service decodes
// (the same as the admin API's PATCH body). Enforcing SSO needs a recent
// sign-in.
func (c *Console) saveSSO(w http.ResponseWriter, r *http.Request, s session) error {
	if err := ssoForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	set := map[string]any{}
	if v := strings.TrimSpace(f.Get("idp_metadata_url")); v != "" {
		set["idp_metadata_url"] = v
	}
	xml, err := upload(r, "idp_metadata_file", "idp_metadata_xml")
	if err != nil {
		return c.ssoResult(w, r, s, err, "")
	}
	if xml != "" {
		set["idp_metadata_xml"] = xml
		delete(set, "idp_metadata_url") // an upload replaces the URL
	}
	if f.Has("domains") {
		set["domains"] = splitDomains(f.Get("domains"))
	}
	if v := f.Get("attribute_preset"); v != "" {
		set["attribute_preset"] = v
	}
	for _, b := range []string{"jit", "allow_idp_initiated", "enforce_sso"} {
		if f.Has(b + "_present") {
			set[b] = f.Get(b) == "on"
		}
	}
	if set["enforce_sso"] == true && c.Now().Sub(s.CreatedAt) > c.ReauthWithin {
		if cur, err := c.Ops.ShowSSO(r.Context(), s.Caller); err != nil || !enforced(cur) {
			return c.renderSSO(w, r, s, http.StatusForbidden, "", tr(lang(r), "reauth.needed"))
		}
	}
	return c.ssoResult(w, r, s, c.updateSSO(r, s, set), "sso.saved")
}

// enforced reads enforce_sso from an SSO view (keeping it on needs no re-auth).
func enforced(v any) bool {
	b, _ := json.Marshal(v)
	var x struct {
		EnforceSSO bool `json:"enforce_sso"`
	}
	json.Unmarshal(b, &x)
	return x.EnforceSSO
}

func (c *Console) verifyDomain(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	_, err := c.Ops.VerifySSODomain(r.Context(), s.Caller, r.PathValue("domain"))
	return c.ssoResult(w, r, s, err, "sso.domain_verified")
}

func (c *Console) addCert(w http.ResponseWriter, r *http.Request, s session) error {
	if err := ssoForm(w, r); err != nil {
		return err
	}
	pem, err := upload(r, "cert_file", "cert_pem")
	if err == nil && pem == "" {
		err = db.Errorf(db.ErrInvalid, "cert_required", "paste or upload a PEM certificate")
	}
	if err == nil {
		err = c.updateSSO(r, s, map[string]any{"add_certs": []string{pem}})
	}
	return c.ssoResult(w, r, s, err, "sso.cert_added")
}

func (c *Console) removeCert(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	return c.ssoResult(w, r, s, c.updateSSO(r, s, map[string]any{"remove_certs": []string{r.PathValue("fp")}}), "sso.cert_removed")
}

func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	_, err := c.Ops.RotateSSOKey(r.Context(), s.Caller)
	return c.ssoResult(w, r, s, err, "sso.key_rotated")
}

func (c *Console) retireKey(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	_, err := c.Ops.RetireSSOKey(r.Context(), s.Caller, r.PathValue("key"))
	return c.ssoResult(w, r, s, err, "sso.key_retired")
}

func (c *Console) testSSO(w http.ResponseWriter, r *http.Request, s session) error {
	redirect, postForm, err := c.Ops.StartSSOTest(r.Context(), s.Caller)
	if err != nil {
		return c.ssoResult(w, r, s, err, "")
	}
	if redirect != "" {
		if u, err := url.Parse(redirect); err == nil && u.Host != "" {
			w.Header().Set("Content-Security-Policy", csp("'self' "+u.Scheme+"://"+u.Host))
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return nil
	}
	// An IdP that takes only POST: the form crewjam/saml renders posts itself
	// with inline script, which this page's CSP forbids; show it with a button.
	c.render(w, r, http.StatusOK, "ssopost", page{Title: "sso.title", Nav: "sso", Signed: true, Me: s.Caller, Data: string(postForm)})
	return nil
}

// refreshSSO fetches the IdP's metadata from its URL now; a failed fetch
// shows the page with the refresh error (502, as the admin API answers).
func (c *Console) refreshSSO(w http.ResponseWriter, r *http.Request, s session) error {
	_, rerr, err := c.Ops.RefreshSSO(r.Context(), s.Caller)
	if err != nil {
		return c.ssoResult(w, r, s, err, "")
	}
	if rerr != nil {
		return c.renderSSO(w, r, s, http.StatusBadGateway, "", tr(lang(r), "gaps.sso_refresh_failed"))
	}
	return c.renderSSO(w, r, s, http.StatusOK, tr(lang(r), "gaps.sso_refreshed"), "")
}

// deleteSSO removes the whole SSO configuration. It changes how everyone
// signs in, so it needs the confirmation box and a recent sign-in (like
// enforce SSO).
func (c *Console) deleteSSO(w http.ResponseWriter, r *http.Request, s session) error {
	if err := ssoForm(w, r); err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "yes" {
		return c.renderSSO(w, r, s, http.StatusBadRequest, "", tr(lang(r), "gaps.sso_delete_unconfirmed"))
	}
	if c.Now().Sub(s.CreatedAt) > c.ReauthWithin {
		return c.renderSSO(w, r, s, http.StatusForbidden, "", tr(lang(r), "reauth.needed"))
	}
	return c.ssoResult(w, r, s, c.Ops.DeleteSSO(r.Context(), s.Caller), "gaps.sso_deleted")
}
