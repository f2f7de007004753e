package sso

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"time"

	"github.com/crewjam/saml"

	"github.com/roster-dev/roster/db"
)

// View is a team's SSO configuration as shown to its SSO admins (API and
// `roster sso show -o json`). It never contains a private key.
type View struct {
	TeamID            string             `json:"team_id"`
	SP                SPView             `json:"sp"`
	IdP               IdPView            `json:"idp"`
	TrustedCerts      []CertView         `json:"trusted_certs"`
	Domains           []DomainView       `json:"domains"`
	AttributePreset   string             `json:"attribute_preset"`
	Attributes        db.SSOAttributeMap `json:"attributes"` // effective mapping
	JIT               bool               `json:"jit"`
	AllowIdPInitiated bool               `json:"allow_idp_initiated"`
	EnforceSSO        bool               `json:"enforce_sso"`
	AllowSHA1         bool               `json:"allow_sha1"`
	ClockSkewSeconds  int                `json:"clock_skew_seconds"`
	Warnings          []string           `json:"warnings"`
	Version           int64              `json:"version"`
	UpdatedAt         time.Time          `json:"updated_at"`
}

// SPView is what the IdP administrator needs: Roster's side of the connection.
type SPView struct {
	EntityID    string      `json:"entity_id"`
	ACSURL      string      `json:"acs_url"`
	MetadataURL string      `json:"metadata_url"`
	LoginURL    string      `json:"login_url"`
	Keys        []SPKeyView `json:"keys"`
}

// SPKeyView is one SP key pair's public part.
type SPKeyView struct {
	ID          string    `json:"id"`
	Fingerprint string    `json:"fingerprint_sha256"`
	Signing     bool      `json:"signing"`
	CreatedAt   time.Time `json:"created_at"`
}

// IdPView is the connected identity provider.
type IdPView struct {
	EntityID       string     `json:"entity_id"`
	SSOURL         string     `json:"sso_url"`
	MetadataURL    string     `json:"metadata_url,omitempty"`
	RefreshedAt    *time.Time `json:"metadata_refreshed_at,omitempty"`
	RefreshError   string     `json:"metadata_refresh_error,omitempty"`
	RefreshErrorAt *time.Time `json:"metadata_refresh_error_at,omitempty"`
}

// CertView is a trusted IdP signing certificate.
type CertView struct {
	Fingerprint  string    `json:"fingerprint_sha256"`
	Subject      string    `json:"subject"`
	NotAfter     time.Time `json:"not_after"`
	FromMetadata bool      `json:"from_metadata"`
	ExpiresSoon  bool      `json:"expires_soon"`
	Expired      bool      `json:"expired"`
}

// DomainView is an email domain and how to verify it.
type DomainView struct {
	Name       string     `json:"name"`
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	TXTName    string     `json:"txt_name"`
	TXTValue   string     `json:"txt_value"`
}

func (s *Service) view(ctx context.Context, c db.SSOConfig) (View, error) {
	keys, err := s.store.SSOKeys(ctx, c.TeamID)
	if err != nil {
		return View{}, err
	}
	return s.render(c, keys), nil
}

// Renderer is the view function the store writes into sso.* and sso.key.*
// events: the same render the admin API answers with (this service's base
// URL and certificate warning period). New hands it to a store that takes
// one (gormdb.Store.SetSSOView).
func (s *Service) Renderer() db.SSOViewer {
	return func(c db.SSOConfig, keys []db.SSOKey) any { return s.render(c, keys) }
}

// render is c with its SP keys (signing key first) as the admin API shows it.
func (s *Service) render(c db.SSOConfig, keys []db.SSOKey) View {
	v := View{TeamID: c.TeamID, AttributePreset: c.AttributePreset, Attributes: effectiveAttributes(c), JIT: c.JIT,
		AllowIdPInitiated: c.AllowIdPInitiated, EnforceSSO: c.EnforceSSO, AllowSHA1: c.AllowSHA1,
		ClockSkewSeconds: int(c.ClockSkew / time.Second), Version: c.Version, UpdatedAt: c.UpdatedAt,
		Warnings: s.certWarnings(c), TrustedCerts: []CertView{}, Domains: []DomainView{}}
	v.SP = SPView{EntityID: s.teamURLString(c.TeamID, "metadata"), ACSURL: s.teamURLString(c.TeamID, "acs"),
		MetadataURL: s.teamURLString(c.TeamID, "metadata"), LoginURL: s.teamURLString(c.TeamID, "login"), Keys: []SPKeyView{}}
	for i, k := range keys {
		fp := ""
		if b, _ := pem.Decode([]byte(k.CertPEM)); b != nil {
			sum := sha256.Sum256(b.Bytes)
			fp = hex.EncodeToString(sum[:])
		}
		v.SP.Keys = append(v.SP.Keys, SPKeyView{ID: k.ID, Fingerprint: fp, Signing: i == 0, CreatedAt: k.CreatedAt})
	}
	v.IdP = IdPView{EntityID: c.IdPEntityID, MetadataURL: c.IdPMetadataURL, RefreshedAt: c.MetadataRefreshedAt,
		RefreshError: c.MetadataError, RefreshErrorAt: c.MetadataErrorAt}
	if ed, _, err := parseIdPMetadata([]byte(c.IdPMetadataXML)); err == nil {
		for _, b := range []string{saml.HTTPRedirectBinding, saml.HTTPPostBinding} {
			for _, e := range ed.IDPSSODescriptors[0].SingleSignOnServices {
				if e.Binding == b && v.IdP.SSOURL == "" {
					v.IdP.SSOURL = e.Location
				}
			}
		}
	}
	if c.MetadataError != "" {
		v.Warnings = append(v.Warnings, "the last metadata refresh failed ("+c.MetadataError+"); the last good metadata is in use")
	}
	now := s.now()
	for _, t := range c.TrustedCerts {
		v.TrustedCerts = append(v.TrustedCerts, CertView{Fingerprint: t.Fingerprint, Subject: t.Subject, NotAfter: t.NotAfter,
			FromMetadata: t.FromMetadata, Expired: !now.Before(t.NotAfter), ExpiresSoon: t.NotAfter.Sub(now) < s.certWarning})
	}
	for _, d := range c.Domains {
		v.Domains = append(v.Domains, DomainView{Name: d.Name, Verified: d.VerifiedAt != nil, VerifiedAt: d.VerifiedAt,
			TXTName: TXTRecordName(d.Name), TXTValue: TXTRecordValue(d.Token)})
	}
	if v.Warnings == nil {
		v.Warnings = []string{}
	}
	return v
}
