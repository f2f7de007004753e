package sso

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// hasDoctypeReference is the check as it was before issue 15 made it
// copy-free: the fast path must refuse exactly what it refused.
func hasDoctypeReference(b []byte) bool {
	return bytes.Contains(bytes.ToUpper(b), []byte("<!DOCTYPE")) || bytes.Contains(bytes.ToUpper(b), []byte("<!ENTITY"))
}

var doctypeCases = []string{
	"", "<", "<!", "<!DOCTYP", "<!DOCTYPE", "<!doctype x>", "<!DocType x>", "<x><!ENTITY a 'b'></x>",
	"<!-- c --><!entity", "<!<!DOCTYPE", "<!!DOCTYPE", "<! DOCTYPE", "<x>&lt;!DOCTYPE</x>",
	"<samlp:Response><!-- <!ENTITY --></samlp:Response>", "<!ENTIT", "<!entitY>", "<!ENTİTY", "<!DOCTYPE\u00e9",
	"\u00e9<!doctype", "<!ENTıTY", "<a>ok</a>",
}

func TestHasDoctypeMatchesReference(t *testing.T) {
	for _, c := range doctypeCases {
		if got, want := hasDoctype([]byte(c)), hasDoctypeReference([]byte(c)); got != want {
			t.Errorf("hasDoctype(%q) = %v, want %v", c, got, want)
		}
	}
}

func FuzzHasDoctype(f *testing.F) {
	for _, c := range doctypeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := hasDoctype(b), hasDoctypeReference(b); got != want {
			t.Errorf("hasDoctype(%q) = %v, want %v", b, got, want)
		}
	})
}

// countAssertionsReference is the count as it was before issue 15 (an
// etree document, as crewjam parses it): the token scan must agree with it
// on every input, on the count and on whether the XML is refused.
func countAssertionsReference(raw []byte) (int, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return 0, err
	}
	if doc.Root() == nil {
		return 0, errors.New("no root")
	}
	n := 0
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if e.Tag == "Assertion" || e.Tag == "EncryptedAssertion" {
			n++
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(doc.Root())
	return n, nil
}

var assertionCases = []string{
	"", " ", "<a/>", "<a>", "</a>", "<a></b>", "<a></a><b/>", "<?xml version=\"1.0\"?><a/>", "<!-- x --><a/>", "<!-- x -->",
	`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion ID="a"><saml:Subject/></saml:Assertion></samlp:Response>`,
	`<R><saml:Assertion></saml:Assertion><x:Assertion/></R>`, `<R><Assertion><Assertion/></Assertion></R>`,
	`<R><saml:Assertion></Assertion></R>`, `<R><EncryptedAssertion/><Extensions><Assertion/></Extensions></R>`,
	`<R><![CDATA[<Assertion/>]]></R>`, `<R><!--<Assertion/>--></R>`, `<R a="<Assertion/>"/>`, `<R><a:b:Assertion/></R>`,
	`<R>&amp;</R>`, `<R>&bogus;</R>`, `<R attr=x/>`, "<R>\x00</R>", `<R/><Assertion/>`, `<?xml version="1.0" encoding="latin1"?><R/>`,
	strings.Repeat("<a>", 1023) + strings.Repeat("</a>", 1023), strings.Repeat("<a>", 1024) + strings.Repeat("</a>", 1024),
	strings.Repeat("<a>", 1025) + strings.Repeat("</a>", 1025),
}

func TestCountAssertionsMatchesEtree(t *testing.T) {
	for _, c := range assertionCases {
		checkCount(t, []byte(c))
	}
}

func FuzzCountAssertions(f *testing.F) {
	for _, c := range assertionCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkCount(t, b) })
}

func checkCount(t *testing.T, b []byte) {
	t.Helper()
	got, gerr := countAssertions(b)
	want, werr := countAssertionsReference(b)
	if (gerr == nil) != (werr == nil) || got != want {
		t.Errorf("countAssertions(%.200q) = %d, %v; etree: %d, %v", b, got, gerr, want, werr)
	}
}
