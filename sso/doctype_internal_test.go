package sso

import (
	"bytes"
	"testing"
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
