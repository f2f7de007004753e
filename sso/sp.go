package sso

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/roster-dev/roster/db"
)

// teamSP is a team's built service provider, cached until the configuration
// or the keys change.
type teamSP struct {
	key    string // cache key: config version and key ids
	cfg    db.SSOConfig
	sps    []*saml.ServiceProvider // one per SP key, newest (the signing key) first
	idp    *saml.EntityDescriptor
	domain map[string]bool // configured email domains
	// stateKeys sign and verify login state cookies, one per SP key,
	// newest first (state.go).
	stateKeys [][]byte
}

// ensureKey returns the team's SP keys, generating the first on first use.
func (s *Service) ensureKey(ctx context.Context, teamID string) ([]db.SSOKey, error) {
	keys, err := s.store.SSOKeys(ctx, teamID)
	if err != nil || len(keys) > 0 {
		return keys, err
	}
	k, err := s.newKey(teamID)
	if err != nil {
		return nil, err
	}
	if err := s.store.AddSSOKey(ctx, k, db.Actor{Kind: db.ActorSSO, ID: "sp-key", Name: "first use"}); err != nil {
		return nil, err
	}
	// Another replica may have added one at the same moment: use whatever
	// the store now holds, newest first.
	return s.store.SSOKeys(ctx, teamID)
}

// newKey generates an RSA-2048 key and a self-signed certificate for the SP.
func (s *Service) newKey(teamID string) (db.SSOKey, error) {
	priv, err := rsa.GenerateKey(s.rand, 2048)
	if err != nil {
		return db.SSOKey{}, fmt.Errorf("generate SP key: %w", err)
	}
	now := s.now().UTC()
	serial, _ := new(big.Int).SetString(strings.Repeat("7", 20), 10)
	tmpl := &x509.Certificate{SerialNumber: serial.Add(serial, big.NewInt(now.UnixNano())),
		Subject:   pkix.Name{CommonName: "Roster SP " + teamID},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(s.rand, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return db.SSOKey{}, fmt.Errorf("create SP certificate: %w", err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return db.SSOKey{}, err
	}
	return db.SSOKey{TeamID: teamID, CreatedAt: now,
		PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})),
		CertPEM:       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}, nil
}

// RotateKey adds a new SP key pair (R-ADM-7). The new key signs from now on;
// the old ones stay in the metadata and decrypt until retired.
func (s *Service) RotateKey(ctx context.Context, teamID string, by db.Actor) (View, error) {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return View{}, err
	}
	c, err := s.store.GetSSOConfig(ctx, teamID)
	if err != nil {
		return View{}, err
	}
	k, err := s.newKey(teamID)
	if err != nil {
		return View{}, err
	}
	if err := s.store.AddSSOKey(ctx, k, by); err != nil {
		return View{}, err
	}
	return s.view(ctx, c)
}

// RetireKey removes an old SP key pair (R-ADM-7).
func (s *Service) RetireKey(ctx context.Context, teamID, keyID string, by db.Actor) (View, error) {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return View{}, err
	}
	c, err := s.store.GetSSOConfig(ctx, teamID)
	if err != nil {
		return View{}, err
	}
	if err := s.store.DeleteSSOKey(ctx, teamID, keyID, by); err != nil {
		return View{}, err
	}
	return s.view(ctx, c)
}

// serviceProvider returns the team's SP, built from the database and cached.
// Each call costs one small query (SSOStamp: the configuration's version
// and the key ids); the configuration, the metadata, the keys and the
// certificates are read and parsed again only when that stamp changes, so
// a change made through any replica applies at its next sign-in.
func (s *Service) serviceProvider(ctx context.Context, teamID string) (*teamSP, error) {
	st, err := s.store.SSOStamp(ctx, teamID)
	if err != nil {
		return nil, err
	}
	if len(st.KeyIDs) > 0 {
		s.mu.Lock()
		t := s.sps[teamID]
		s.mu.Unlock()
		if t != nil && t.key == stampKey(st.Version, st.KeyIDs) {
			return t, nil
		}
	}
	c, err := s.store.GetSSOConfig(ctx, teamID)
	if err != nil {
		return nil, err
	}
	keys, err := s.ensureKey(ctx, teamID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	t, err := s.buildSP(c, keys)
	if err != nil {
		return nil, err
	}
	t.key = stampKey(c.Version, ids)
	s.mu.Lock()
	s.sps[teamID] = t
	s.mu.Unlock()
	return t, nil
}

// stampKey is the cache key of a built SP: the configuration version and
// the SP key ids, newest first.
func stampKey(version int64, keyIDs []string) string {
	return fmt.Sprintf("%d/%s", version, strings.Join(keyIDs, "/"))
}

func (s *Service) buildSP(c db.SSOConfig, keys []db.SSOKey) (*teamSP, error) {
	ed, _, err := parseIdPMetadata([]byte(c.IdPMetadataXML))
	if err != nil {
		return nil, err
	}
	// Trust exactly the team's certificates: replace the metadata's key
	// descriptors with the configured list (a per-team trust store).
	idp := *ed
	idp.IDPSSODescriptors = append([]saml.IDPSSODescriptor(nil), ed.IDPSSODescriptors[:1]...)
	var kds []saml.KeyDescriptor
	for _, tc := range c.TrustedCerts {
		b, _ := pem.Decode([]byte(tc.PEM))
		if b == nil {
			continue
		}
		kds = append(kds, saml.KeyDescriptor{Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{
			X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(b.Bytes)}}}}})
	}
	if len(kds) == 0 {
		return nil, errors.New("no trusted IdP certificate")
	}
	idp.IDPSSODescriptors[0].KeyDescriptors = kds
	t := &teamSP{cfg: c, idp: &idp, domain: map[string]bool{}}
	pems := make([]string, len(keys))
	for i, k := range keys {
		pems[i] = k.PrivateKeyPEM
	}
	if t.stateKeys, err = stateKeys(pems); err != nil {
		return nil, err
	}
	for _, d := range c.Domains {
		t.domain[d.Name] = true
	}
	skew := c.ClockSkew
	if skew < 0 || skew > MaxClockSkew {
		skew = MaxClockSkew
	}
	for _, k := range keys {
		kb, _ := pem.Decode([]byte(k.PrivateKeyPEM))
		cb, _ := pem.Decode([]byte(k.CertPEM))
		if kb == nil || cb == nil {
			return nil, errors.New("SP key is not PEM")
		}
		pk, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse SP key: %w", err)
		}
		rk, ok := pk.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("SP key is not RSA")
		}
		cert, err := x509.ParseCertificate(cb.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse SP certificate: %w", err)
		}
		sp := &saml.ServiceProvider{
			EntityID:          s.teamURLString(c.TeamID, "metadata"),
			Key:               rk,
			Certificate:       cert,
			MetadataURL:       s.teamURL(c.TeamID, "metadata"),
			AcsURL:            s.teamURL(c.TeamID, "acs"),
			IDPMetadata:       &idp,
			AuthnNameIDFormat: saml.EmailAddressNameIDFormat,
			SignatureMethod:   dsig.RSASHA256SignatureMethod,
			// crewjam turns off every InResponseTo check when this is set,
			// SP-initiated responses included; IdP-initiated sign-in is
			// handled in ValidateRequestID instead.
			AllowIDPInitiated:           false,
			MetadataValidDuration:       48 * time.Hour,
			ValidateRequestID:           validateRequestID,
			ValidateAudienceRestriction: requireAudience(s.teamURLString(c.TeamID, "metadata")),
			SignatureVerifier:           &algorithmVerifier{allowSHA1: c.AllowSHA1, now: s.now},
		}
		t.sps = append(t.sps, sp)
	}
	if len(t.sps) == 0 {
		return nil, errors.New("no SP key")
	}
	return t, nil
}

// validateRequestID requires the Response's InResponseTo to be one of the
// expected IDs: the pending request's ID for SP-initiated sign-ins, "" (no
// request) for IdP-initiated ones. The ACS decides which applies.
func validateRequestID(r saml.Response, possible []string) error {
	for _, id := range possible {
		if r.InResponseTo == id {
			return nil
		}
	}
	if r.InResponseTo == "" {
		return errors.New("InResponseTo is missing from a response to an SP-initiated sign-in")
	}
	return fmt.Errorf("InResponseTo %q does not match a sign-in in progress", r.InResponseTo)
}

// requireAudience refuses assertions without an AudienceRestriction and
// requires every AudienceRestriction to name this SP (SAML core §2.5.1.4).
func requireAudience(entityID string) func(*saml.Assertion) error {
	return func(a *saml.Assertion) error {
		if a.Conditions == nil || len(a.Conditions.AudienceRestrictions) == 0 {
			return errors.New("assertion has no AudienceRestriction")
		}
		for _, ar := range a.Conditions.AudienceRestrictions {
			if ar.Audience.Value != entityID {
				return fmt.Errorf("AudienceRestriction %q is not this SP (%q)", ar.Audience.Value, entityID)
			}
		}
		return nil
	}
}

// algorithmVerifier refuses SHA-1 signatures and digests unless the team
// allows them, then verifies with goxmldsig against the team's certificates.
type algorithmVerifier struct {
	allowSHA1 bool
	now       func() time.Time
}

var sha1Algorithms = map[string]bool{
	dsig.RSASHA1SignatureMethod:                  true,
	dsig.ECDSASHA1SignatureMethod:                true,
	"http://www.w3.org/2000/09/xmldsig#dsa-sha1": true,
	"http://www.w3.org/2000/09/xmldsig#sha1":     true,
}

// VerifySignature implements saml.SignatureVerifier.
func (v *algorithmVerifier) VerifySignature(vc *dsig.ValidationContext, el *etree.Element) error {
	sig := el.FindElement("./Signature")
	if sig == nil {
		return errors.New("signature element not present")
	}
	if !v.allowSHA1 {
		for _, path := range []string{"./SignedInfo/SignatureMethod", "./SignedInfo/Reference/DigestMethod"} {
			for _, m := range sig.FindElements(path) {
				if sha1Algorithms[m.SelectAttrValue("Algorithm", "")] {
					return fmt.Errorf("signature algorithm %s (SHA-1) is not allowed for this team", m.SelectAttrValue("Algorithm", ""))
				}
			}
		}
	}
	vc.Clock = dsig.NewFakeClockAt(v.now())
	if _, err := vc.Validate(el); err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	return nil
}

// Metadata returns the team's SP metadata: entity ID, ACS, and every SP
// certificate (the newest for signing; all for encryption during a rotation).
func (s *Service) Metadata(ctx context.Context, teamID string) ([]byte, error) {
	t, err := s.serviceProvider(ctx, teamID)
	if err != nil {
		return nil, err
	}
	md := t.sps[0].Metadata()
	if len(md.SPSSODescriptors) > 0 && len(t.sps) > 1 {
		d := &md.SPSSODescriptors[0]
		for _, sp := range t.sps[1:] {
			d.KeyDescriptors = append(d.KeyDescriptors, saml.KeyDescriptor{Use: "encryption", KeyInfo: saml.KeyInfo{
				X509Data: saml.X509Data{X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(sp.Certificate.Raw)}}}},
				EncryptionMethods: []saml.EncryptionMethod{{Algorithm: "http://www.w3.org/2001/04/xmlenc#aes128-cbc"},
					{Algorithm: "http://www.w3.org/2001/04/xmlenc#aes192-cbc"}, {Algorithm: "http://www.w3.org/2001/04/xmlenc#aes256-cbc"},
					{Algorithm: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"}}})
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(md); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
