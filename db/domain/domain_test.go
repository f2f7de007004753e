package domain

import (
	"errors"
	"testing"

	"github.com/roster-dev/roster/db"
)

// TestNormalizeIDN: one normaliser for every path (issue 10 #2): IDN labels
// become punycode, case and a trailing dot do not matter, junk is a
// domain_invalid error.
func TestNormalizeIDN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Bücher.example", "xn--bcher-kva.example"},
		{"BÜCHER.EXAMPLE.", "xn--bcher-kva.example"},
		{" xn--bcher-kva.example ", "xn--bcher-kva.example"},
		{"Example.COM", "example.com"},
	} {
		got, err := Normalize(c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if e := EmailDomain(c.in); e != c.want {
			t.Errorf("EmailDomain(%q) = %q, want %q", c.in, e, c.want)
		}
	}
	for _, in := range []string{"", "a@b.example", "*.example", "localhost", "exa mple.com", "http://x.example"} {
		_, err := Normalize(in)
		var de *db.Error
		if !errors.As(err, &de) || de.Code != "domain_invalid" || !errors.Is(err, db.ErrInvalid) {
			t.Errorf("Normalize(%q) error = %v, want domain_invalid", in, err)
		}
	}
}
