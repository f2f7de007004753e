package sso_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// forgeIdP is a minimal SAML IdP for the attack tests: it builds responses
// field by field and signs them with goxmldsig, so each test can produce
// exactly the malformed, unsigned, SHA-1, wrapped or expired input it needs.
// The happy paths are also covered by crewjam's IdP and samlify.
type forgeIdP struct {
	EntityID string
	SSOURL   string
	Key      *rsa.PrivateKey
	CertDER  []byte
}

var (
	keyOnce sync.Once
	keys    []*rsa.PrivateKey
)

// testKey returns one of a few RSA keys generated once per test binary.
func testKey(i int) *rsa.PrivateKey {
	keyOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys = append(keys, k)
		}
	})
	return keys[i]
}

func selfSigned(t testing.TB, key *rsa.PrivateKey, cn string, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func newForge(t testing.TB, entityID string, keyIndex int) *forgeIdP {
	k := testKey(keyIndex)
	return &forgeIdP{EntityID: entityID, SSOURL: entityID + "/sso", Key: k,
		CertDER: selfSigned(t, k, entityID, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))}
}

// Metadata returns IdP metadata trusting the given certificates (the
// forge's own when none).
func (f *forgeIdP) Metadata(certs ...[]byte) string {
	if len(certs) == 0 {
		certs = [][]byte{f.CertDER}
	}
	var kd strings.Builder
	for _, c := range certs {
		fmt.Fprintf(&kd, `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
			base64.StdEncoding.EncodeToString(c))
	}
	return fmt.Sprintf(`<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="%s">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s
<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/>
</md:IDPSSODescriptor></md:EntityDescriptor>`, f.EntityID, kd.String(), f.SSOURL)
}

// resp describes one response to forge.
type resp struct {
	Destination, Recipient, Audience string
	InResponseTo                     string
	NameID, Email, First, Last       string
	Now                              time.Time
	NotBefore, NotOnOrAfter          time.Time
	Issuer                           string
	ResponseID, AssertionID          string
	NoConditions, NoAudience         bool
	SignAssertion, SignResponse      bool
	SHA1                             bool
	// Raw replaces the NameID element's text with raw XML (comment tricks).
	RawNameID string
	// Mutate changes the signed response document before it is serialised.
	Mutate func(doc *etree.Document)
	// Prolog is put before the root element (DOCTYPE tests).
	Prolog string
}

var idSeq struct {
	sync.Mutex
	n int
}

func nextID(prefix string) string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("%s%08d", prefix, idSeq.n)
}

func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// Build returns the base64 SAMLResponse.
func (f *forgeIdP) Build(t testing.TB, r resp) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString([]byte(f.BuildXML(t, r)))
}

// BuildXML returns the response document.
func (f *forgeIdP) BuildXML(t testing.TB, r resp) string {
	t.Helper()
	if r.ResponseID == "" {
		r.ResponseID = nextID("_r")
	}
	if r.AssertionID == "" {
		r.AssertionID = nextID("_a")
	}
	if r.Issuer == "" {
		r.Issuer = f.EntityID
	}
	if r.Recipient == "" {
		r.Recipient = r.Destination
	}
	if r.NotBefore.IsZero() {
		r.NotBefore = r.Now.Add(-30 * time.Second)
	}
	if r.NotOnOrAfter.IsZero() {
		r.NotOnOrAfter = r.Now.Add(5 * time.Minute)
	}
	if r.NameID == "" {
		r.NameID = r.Email
	}
	irt := ""
	if r.InResponseTo != "" {
		irt = fmt.Sprintf(` InResponseTo="%s"`, r.InResponseTo)
	}
	nameID := xmlEscape(r.NameID)
	if r.RawNameID != "" {
		nameID = r.RawNameID
	}
	conditions := ""
	if !r.NoConditions {
		aud := ""
		if !r.NoAudience {
			aud = fmt.Sprintf(`<saml:AudienceRestriction><saml:Audience>%s</saml:Audience></saml:AudienceRestriction>`, r.Audience)
		}
		conditions = fmt.Sprintf(`<saml:Conditions NotBefore="%s" NotOnOrAfter="%s">%s</saml:Conditions>`, xmlTime(r.NotBefore), xmlTime(r.NotOnOrAfter), aud)
	}
	attrs := ""
	for _, a := range [][2]string{{"email", r.Email}, {"firstName", r.First}, {"lastName", r.Last}} {
		if a[1] != "" {
			attrs += fmt.Sprintf(`<saml:Attribute Name="%s"><saml:AttributeValue>%s</saml:AttributeValue></saml:Attribute>`, a[0], xmlEscape(a[1]))
		}
	}
	assertion := fmt.Sprintf(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" IssueInstant="%s" Version="2.0"><saml:Issuer>%s</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">%s</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData%s NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation></saml:Subject>%s<saml:AuthnStatement AuthnInstant="%s" SessionIndex="%s"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>%s</saml:AttributeStatement></saml:Assertion>`,
		r.AssertionID, xmlTime(r.Now), xmlEscape(r.Issuer), nameID, irt, xmlTime(r.NotOnOrAfter), r.Recipient, conditions, xmlTime(r.Now), r.AssertionID, attrs)
	if attrs == "" {
		assertion = strings.Replace(assertion, "<saml:AttributeStatement></saml:AttributeStatement>", "", 1)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s"%s><saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>%s</samlp:Response>`,
		r.ResponseID, xmlTime(r.Now), r.Destination, irt, xmlEscape(r.Issuer), assertion)); err != nil {
		t.Fatalf("forge: %v", err)
	}
	root := doc.Root()
	if r.SignAssertion {
		a := root.FindElement("./Assertion")
		signed := f.sign(t, a, r.SHA1)
		root.RemoveChild(a)
		root.AddChild(signed)
	}
	if r.SignResponse {
		signed := f.sign(t, root, r.SHA1)
		doc.SetRoot(signed)
	}
	if r.Mutate != nil {
		r.Mutate(doc)
	}
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return r.Prolog + s
}

// sign returns el enveloped-signed, with the Signature right after Issuer.
func (f *forgeIdP) sign(t testing.TB, el *etree.Element, sha1 bool) *etree.Element {
	t.Helper()
	ks := dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{f.CertDER}, PrivateKey: f.Key})
	ctx := dsig.NewDefaultSigningContext(ks)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if sha1 {
		if err := ctx.SetSignatureMethod(dsig.RSASHA1SignatureMethod); err != nil {
			t.Fatal(err)
		}
		ctx.Hash = crypto.SHA1
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	last := len(signed.Child) - 1
	sig := signed.Child[last]
	signed.RemoveChildAt(last)
	signed.InsertChildAt(1, sig) // after Issuer (index 0)
	return signed
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
