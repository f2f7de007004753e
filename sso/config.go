package sso

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/domain"
)

var b64url = base64.RawURLEncoding

// MaxClockSkew bounds a team's configurable clock skew; crewjam's own
// process-wide limit (saml.MaxClockSkew, 180s) applies on top.
const MaxClockSkew = 180 * time.Second

// DefaultClockSkew is used when a team sets none.
const DefaultClockSkew = 60 * time.Second

// Settings is a change to a team's SSO configuration: nil fields are left
// as they are.
type Settings struct {
	// MetadataXML uploads IdP metadata; MetadataURL fetches it (and keeps
	// refreshing from there). At most one may be set.
	MetadataXML *string `json:"idp_metadata_xml,omitempty"`
	MetadataURL *string `json:"idp_metadata_url,omitempty"`
	// Domains replaces the connection's email domains (verification of
	// domains kept is preserved).
	Domains           *[]string           `json:"domains,omitempty"`
	AttributePreset   *string             `json:"attribute_preset,omitempty"`
	Attributes        *db.SSOAttributeMap `json:"attributes,omitempty"`
	JIT               *bool               `json:"jit,omitempty"`
	AllowIdPInitiated *bool               `json:"allow_idp_initiated,omitempty"`
	EnforceSSO        *bool               `json:"enforce_sso,omitempty"`
	AllowSHA1         *bool               `json:"allow_sha1,omitempty"`
	ClockSkewSeconds  *int                `json:"clock_skew_seconds,omitempty"`
	// AddCerts adds trusted IdP signing certificates (PEM) ahead of a
	// rollover; RemoveCerts removes them by SHA-256 fingerprint.
	AddCerts    []string `json:"add_certs,omitempty"`
	RemoveCerts []string `json:"remove_certs,omitempty"`
}

// Presets map attribute names for common IdPs.
var Presets = map[string]db.SSOAttributeMap{
	"generic": {Email: "email", FirstName: "firstName", LastName: "lastName"},
	"entra": {Email: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		FirstName: "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
		LastName:  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"},
	"okta": {Email: "email", FirstName: "firstName", LastName: "lastName"},
}

// fallbacks are tried after the mapped name: the other common spellings
// (basic, Entra claim URIs, OIDs) so a generic setup just works.
var fallbacks = map[string][]string{
	"email": {"email", "mail", "emailAddress", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"urn:oid:0.9.2342.19200300.100.1.3"},
	"first": {"firstName", "givenName", "given_name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
		"urn:oid:2.5.4.42"},
	"last": {"lastName", "sn", "surname", "family_name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
		"urn:oid:2.5.4.4"},
}

// effectiveAttributes merges the preset and the overrides.
func effectiveAttributes(c db.SSOConfig) db.SSOAttributeMap {
	m := Presets[c.AttributePreset]
	if m.Email == "" {
		m = Presets["generic"]
	}
	if c.Attributes.Email != "" {
		m.Email = c.Attributes.Email
	}
	if c.Attributes.FirstName != "" {
		m.FirstName = c.Attributes.FirstName
	}
	if c.Attributes.LastName != "" {
		m.LastName = c.Attributes.LastName
	}
	return m
}

// parseIdPMetadata reads IdP metadata: an EntityDescriptor, or an
// EntitiesDescriptor holding exactly one IdP. It returns the descriptor and
// its signing certificates.
func parseIdPMetadata(data []byte) (*saml.EntityDescriptor, []db.SSOCert, error) {
	bad := func(format string, args ...any) error {
		return db.Errorf(db.ErrInvalid, "idp_metadata_invalid", "IdP metadata: "+format, args...)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, bad("the document is empty")
	}
	if hasDoctype(data) {
		return nil, nil, bad("a DOCTYPE is not allowed")
	}
	if err := xrv.Validate(bytes.NewReader(data)); err != nil {
		return nil, nil, bad("the XML is malformed")
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(data, &ed); err != nil || len(ed.IDPSSODescriptors) == 0 {
		var eds saml.EntitiesDescriptor
		if err2 := xml.Unmarshal(data, &eds); err2 != nil {
			return nil, nil, bad("the document is not SAML metadata")
		}
		var idps []saml.EntityDescriptor
		var walk func(e saml.EntitiesDescriptor)
		walk = func(e saml.EntitiesDescriptor) {
			for _, d := range e.EntityDescriptors {
				if len(d.IDPSSODescriptors) > 0 {
					idps = append(idps, d)
				}
			}
			for _, c := range e.EntitiesDescriptors {
				walk(c)
			}
		}
		walk(eds)
		if len(idps) != 1 {
			return nil, nil, bad("expected exactly one identity provider, found %d", len(idps))
		}
		ed = idps[0]
	}
	if ed.EntityID == "" {
		return nil, nil, bad("the entityID is missing")
	}
	idp := ed.IDPSSODescriptors[0]
	ok := false
	for _, e := range idp.SingleSignOnServices {
		if e.Binding == saml.HTTPRedirectBinding || e.Binding == saml.HTTPPostBinding {
			if strings.HasPrefix(e.Location, "https://") || strings.HasPrefix(e.Location, "http://") {
				ok = true
			}
		}
	}
	if !ok {
		return nil, nil, bad("no HTTP-Redirect or HTTP-POST SingleSignOnService with an http(s) location")
	}
	var certs []db.SSOCert
	seen := map[string]bool{}
	for _, kd := range idp.KeyDescriptors {
		if kd.Use != "" && kd.Use != "signing" {
			continue
		}
		for _, xc := range kd.KeyInfo.X509Data.X509Certificates {
			c, err := certFromBase64(xc.Data)
			if err != nil {
				return nil, nil, bad("a signing certificate cannot be read")
			}
			if !seen[c.Fingerprint] {
				seen[c.Fingerprint] = true
				c.FromMetadata = true
				certs = append(certs, c)
			}
		}
	}
	if len(certs) == 0 {
		return nil, nil, bad("no signing certificate")
	}
	return &ed, certs, nil
}

func hasDoctype(b []byte) bool {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		// Unicode case mapping can change byte lengths and fold
		// non-ASCII letters onto ASCII ones: keep the full upper-casing.
		u := bytes.ToUpper(b)
		return bytes.Contains(u, []byte("<!DOCTYPE")) || bytes.Contains(u, []byte("<!ENTITY"))
	}
	// ASCII (nearly every response): the same test without copying the
	// document twice.
	for i := bytes.Index(b, []byte("<!")); i >= 0; {
		rest := b[i+2:]
		if hasFoldPrefix(rest, "DOCTYPE") || hasFoldPrefix(rest, "ENTITY") {
			return true
		}
		j := bytes.Index(rest, []byte("<!"))
		if j < 0 {
			break
		}
		i += 2 + j
	}
	return false
}

// hasFoldPrefix: b starts with upper (ASCII, upper case), ignoring case.
func hasFoldPrefix(b []byte, upper string) bool {
	if len(b) < len(upper) {
		return false
	}
	for i := 0; i < len(upper); i++ {
		c := b[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

func certFromBase64(s string) (db.SSOCert, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return db.SSOCert{}, err
	}
	return certFromDER(der)
}

func certFromDER(der []byte) (db.SSOCert, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return db.SSOCert{}, err
	}
	sum := sha256.Sum256(der)
	return db.SSOCert{PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		Fingerprint: hex.EncodeToString(sum[:]), Subject: c.Subject.String(), NotAfter: c.NotAfter.UTC()}, nil
}

func certFromPEM(p string) (db.SSOCert, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil || b.Type != "CERTIFICATE" {
		return db.SSOCert{}, db.Errorf(db.ErrInvalid, "cert_invalid", "a certificate must be PEM (BEGIN CERTIFICATE)")
	}
	c, err := certFromDER(b.Bytes)
	if err != nil {
		return db.SSOCert{}, db.Errorf(db.ErrInvalid, "cert_invalid", "the certificate cannot be parsed")
	}
	return c, nil
}

// normalizeDomain is the one domain normaliser (IDN to punycode, lower
// case, checked), so a verified domain compares equal to a policy's.
func normalizeDomain(d string) (string, error) { return domain.Normalize(d) }

// Update applies settings to the team's SSO configuration as by, who must be
// the primary admin or an SSO admin (R-ADM-7). The change is audited.
func (s *Service) Update(ctx context.Context, teamID string, by db.Actor, in Settings) (View, error) {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return View{}, err
	}
	cur, err := s.store.GetSSOConfig(ctx, teamID)
	isNew := errors.Is(err, db.ErrNotFound)
	if err != nil && !isNew {
		return View{}, err
	}
	if isNew {
		cur = db.SSOConfig{TeamID: teamID, AttributePreset: "generic", ClockSkew: DefaultClockSkew}
	}
	c := cur
	changed := []string{}
	if in.MetadataXML != nil && in.MetadataURL != nil {
		return View{}, db.Errorf(db.ErrInvalid, "metadata_source_ambiguous", "give IdP metadata either as XML or as a URL, not both")
	}
	if in.MetadataURL != nil {
		raw := strings.TrimSpace(*in.MetadataURL)
		data, err := s.fetcher.Fetch(ctx, raw)
		if err != nil {
			return View{}, db.Errorf(db.ErrInvalid, "idp_metadata_fetch_failed", "IdP metadata could not be fetched from %s: %v", raw, err)
		}
		if err := applyMetadata(&c, data); err != nil {
			return View{}, err
		}
		now := s.now().UTC()
		c.IdPMetadataURL, c.MetadataRefreshedAt, c.MetadataError, c.MetadataErrorAt = raw, &now, "", nil
		changed = append(changed, "idp_metadata_url")
	}
	if in.MetadataXML != nil {
		if err := applyMetadata(&c, []byte(*in.MetadataXML)); err != nil {
			return View{}, err
		}
		c.IdPMetadataURL, c.MetadataRefreshedAt, c.MetadataError, c.MetadataErrorAt = "", nil, "", nil
		changed = append(changed, "idp_metadata_xml")
	}
	if c.IdPMetadataXML == "" {
		return View{}, db.Errorf(db.ErrInvalid, "idp_metadata_required", "IdP metadata is required (XML or URL)")
	}
	for _, p := range in.AddCerts {
		cert, err := certFromPEM(p)
		if err != nil {
			return View{}, err
		}
		if !hasCert(c.TrustedCerts, cert.Fingerprint) {
			c.TrustedCerts = append(c.TrustedCerts, cert)
		}
		changed = append(changed, "add_cert:"+cert.Fingerprint)
	}
	for _, fp := range in.RemoveCerts {
		fp = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(fp), ":", ""))
		if !hasCert(c.TrustedCerts, fp) {
			return View{}, db.Errorf(db.ErrNotFound, "cert_not_found", "no trusted certificate has fingerprint %s", fp)
		}
		out := c.TrustedCerts[:0:0]
		for _, t := range c.TrustedCerts {
			if t.Fingerprint != fp {
				out = append(out, t)
			}
		}
		c.TrustedCerts = out
		changed = append(changed, "remove_cert:"+fp)
	}
	if len(c.TrustedCerts) == 0 {
		return View{}, db.Errorf(db.ErrRule, "no_trusted_cert", "at least one trusted IdP certificate must remain")
	}
	if in.Domains != nil {
		old := map[string]db.SSODomain{}
		for _, d := range c.Domains {
			old[d.Name] = d
		}
		var ds []db.SSODomain
		seen := map[string]bool{}
		for _, raw := range *in.Domains {
			if strings.TrimSpace(raw) == "" {
				continue
			}
			d, err := normalizeDomain(raw)
			if err != nil {
				return View{}, err
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			if o, ok := old[d]; ok {
				ds = append(ds, o)
				continue
			}
			tok, err := s.randomToken(18)
			if err != nil {
				return View{}, err
			}
			ds = append(ds, db.SSODomain{Name: d, Token: tok})
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
		c.Domains = ds
		changed = append(changed, "domains")
	}
	if in.AttributePreset != nil {
		p := strings.ToLower(strings.TrimSpace(*in.AttributePreset))
		if _, ok := Presets[p]; !ok {
			return View{}, db.Errorf(db.ErrInvalid, "attribute_preset_invalid", "attribute preset %q is not entra, okta or generic", *in.AttributePreset)
		}
		c.AttributePreset = p
		changed = append(changed, "attribute_preset")
	}
	if in.Attributes != nil {
		c.Attributes = *in.Attributes
		changed = append(changed, "attributes")
	}
	setBool := func(dst *bool, v *bool, name string) {
		if v != nil {
			*dst = *v
			changed = append(changed, name)
		}
	}
	setBool(&c.JIT, in.JIT, "jit")
	setBool(&c.AllowIdPInitiated, in.AllowIdPInitiated, "allow_idp_initiated")
	setBool(&c.EnforceSSO, in.EnforceSSO, "enforce_sso")
	setBool(&c.AllowSHA1, in.AllowSHA1, "allow_sha1")
	if in.ClockSkewSeconds != nil {
		d := time.Duration(*in.ClockSkewSeconds) * time.Second
		if d < 0 || d > MaxClockSkew {
			return View{}, db.Errorf(db.ErrInvalid, "clock_skew_invalid", "clock skew must be between 0 and %d seconds", int(MaxClockSkew/time.Second))
		}
		c.ClockSkew = d
		changed = append(changed, "clock_skew")
	}
	if c.EnforceSSO && len(verifiedDomains(c)) == 0 {
		return View{}, db.Errorf(db.ErrRule, "enforce_needs_verified_domain", "SSO can only be enforced once at least one domain is verified")
	}
	action := "sso.update"
	if isNew {
		action = "sso.create"
	}
	saved, err := s.store.PutSSOConfig(ctx, c, cur.Version, by, action, map[string]any{"changed": changed})
	if err != nil {
		return View{}, err
	}
	if _, err := s.ensureKey(ctx, teamID); err != nil {
		return View{}, err
	}
	return s.view(ctx, saved)
}

// applyMetadata parses data and installs it in c, replacing the
// certificates that came from the previous metadata and keeping manual ones.
func applyMetadata(c *db.SSOConfig, data []byte) error {
	ed, certs, err := parseIdPMetadata(data)
	if err != nil {
		return err
	}
	var keep []db.SSOCert
	for _, t := range c.TrustedCerts {
		if !t.FromMetadata && !hasCert(certs, t.Fingerprint) {
			keep = append(keep, t)
		}
	}
	c.TrustedCerts = append(certs, keep...)
	c.IdPMetadataXML = string(data)
	c.IdPEntityID = ed.EntityID
	return nil
}

func hasCert(cs []db.SSOCert, fp string) bool {
	for _, c := range cs {
		if c.Fingerprint == fp {
			return true
		}
	}
	return false
}

func verifiedDomains(c db.SSOConfig) []string {
	var out []string
	for _, d := range c.Domains {
		if d.VerifiedAt != nil {
			out = append(out, d.Name)
		}
	}
	return out
}

// Delete removes the team's SSO configuration (R-ADM-7).
func (s *Service) Delete(ctx context.Context, teamID string, by db.Actor) error {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return err
	}
	return s.store.DeleteSSOConfig(ctx, teamID, by)
}

// Show returns the team's SSO configuration as by sees it (R-ADM-7).
func (s *Service) Show(ctx context.Context, teamID string, by db.Actor) (View, error) {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return View{}, err
	}
	c, err := s.store.GetSSOConfig(ctx, teamID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, c)
}

// TXTRecordName is where a domain's verification token is published.
func TXTRecordName(domain string) string { return "_roster-verification." + domain }

// TXTRecordValue is the TXT record content that verifies a domain.
func TXTRecordValue(token string) string { return "roster-verification=" + token }

// VerifyDomain looks up the domain's TXT record and marks it verified when
// it holds the expected token (R-ADM-7). A failed lookup leaves it unverified.
func (s *Service) VerifyDomain(ctx context.Context, teamID, domain string, by db.Actor) (View, error) {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return View{}, err
	}
	d, err := normalizeDomain(domain)
	if err != nil {
		return View{}, err
	}
	c, err := s.store.GetSSOConfig(ctx, teamID)
	if err != nil {
		return View{}, err
	}
	i := -1
	for j := range c.Domains {
		if c.Domains[j].Name == d {
			i = j
		}
	}
	if i < 0 {
		return View{}, db.Errorf(db.ErrNotFound, "domain_not_found", "domain %s is not part of this SSO connection", d)
	}
	recs, err := s.resolver.LookupTXT(ctx, TXTRecordName(d))
	if err != nil {
		return View{}, db.Errorf(db.ErrRule, "domain_unverified", "no TXT record found at %s", TXTRecordName(d))
	}
	want := TXTRecordValue(c.Domains[i].Token)
	found := false
	for _, r := range recs {
		if strings.TrimSpace(r) == want {
			found = true
		}
	}
	if !found {
		return View{}, db.Errorf(db.ErrRule, "domain_unverified", "the TXT record at %s does not contain %s", TXTRecordName(d), want)
	}
	now := s.now().UTC()
	c.Domains[i].VerifiedAt = &now
	saved, err := s.store.PutSSOConfig(ctx, c, c.Version, by, "sso.domain.verify", map[string]string{"domain": d})
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, saved)
}

// Refresh fetches the team's metadata URL again. On failure the last good
// metadata stays in use and the error is recorded and returned.
func (s *Service) Refresh(ctx context.Context, teamID string) error {
	c, err := s.store.GetSSOConfig(ctx, teamID)
	if err != nil {
		return err
	}
	if c.IdPMetadataURL == "" {
		return nil
	}
	now := s.now().UTC()
	data, err := s.fetcher.Fetch(ctx, c.IdPMetadataURL)
	if err == nil {
		next := c
		if err = applyMetadata(&next, data); err == nil {
			changed := next.IdPMetadataXML != c.IdPMetadataXML
			next.MetadataRefreshedAt, next.MetadataError, next.MetadataErrorAt = &now, "", nil
			_, perr := s.store.PutSSOConfig(ctx, next, c.Version, db.Actor{Kind: db.ActorSSO, ID: "metadata-refresh", Name: "metadata refresh"},
				"sso.metadata.refresh", map[string]any{"changed": changed})
			return perr
		}
	}
	msg := err.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	c.MetadataError, c.MetadataErrorAt = msg, &now
	if _, perr := s.store.PutSSOConfig(ctx, c, c.Version, db.Actor{Kind: db.ActorSSO, ID: "metadata-refresh", Name: "metadata refresh"},
		"sso.metadata.refresh_failed", map[string]string{"error": msg}); perr != nil {
		return perr
	}
	return fmt.Errorf("refresh metadata of team %s: %w", teamID, err)
}

// RefreshAll refreshes every team with a metadata URL and logs certificates
// nearing expiry. It returns how many refreshes failed.
func (s *Service) RefreshAll(ctx context.Context) int {
	cs, err := s.store.ListSSOConfigs(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "sso: list configurations", "err", err)
		return 1
	}
	failed := 0
	for _, c := range cs {
		if err := s.Refresh(ctx, c.TeamID); err != nil {
			failed++
			s.log.WarnContext(ctx, "sso: metadata refresh failed; keeping the last good metadata", "team", c.TeamID, "err", err)
		}
		for _, w := range s.certWarnings(c) {
			s.log.WarnContext(ctx, "sso: "+w, "team", c.TeamID)
		}
	}
	if err := s.store.PurgeSSO(ctx, s.now()); err != nil {
		s.log.WarnContext(ctx, "sso: purge expired state", "err", err)
	}
	return failed
}

// Run refreshes metadata every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.RefreshAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) certWarnings(c db.SSOConfig) []string {
	var out []string
	now := s.now()
	for _, t := range c.TrustedCerts {
		switch {
		case !now.Before(t.NotAfter):
			out = append(out, fmt.Sprintf("trusted IdP certificate %s (%s) expired on %s", t.Fingerprint, t.Subject, t.NotAfter.Format(time.RFC3339)))
		case t.NotAfter.Sub(now) < s.certWarning:
			out = append(out, fmt.Sprintf("trusted IdP certificate %s (%s) expires on %s; add its successor", t.Fingerprint, t.Subject, t.NotAfter.Format(time.RFC3339)))
		}
	}
	return out
}
