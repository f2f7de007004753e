package rolepolicy_test

import (
	"errors"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/rolepolicy"
)

var allSources = []db.Source{db.SourceSCIM, db.SourceDirectory, db.SourceSSO, db.SourceAdmin, db.SourceProduct}

func TestClassify(t *testing.T) {
	def := db.Policy{Mode: db.PolicyDefault}
	dom := db.Policy{Mode: db.PolicyDomain, Domains: []string{"cba.net", "xn--bcher-kva.de"}}
	tests := []struct {
		name  string
		p     db.Policy
		email string
		src   db.Source
		admin bool
		want  db.UserType
	}{
		{"default product is external (R-POL-2)", def, "a@cba.net", db.SourceProduct, false, db.TypeExternal},
		{"default sso is standard (R-POL-2)", def, "a@other.org", db.SourceSSO, false, db.TypeStandard},
		{"default directory is standard (R-POL-2)", def, "a@other.org", db.SourceDirectory, false, db.TypeStandard},
		{"default scim is standard", def, "a@other.org", db.SourceSCIM, false, db.TypeStandard},
		{"default admin-added is standard", def, "a@other.org", db.SourceAdmin, false, db.TypeStandard},
		{"domain approved via product is standard (R-POL-3)", dom, "a@cba.net", db.SourceProduct, false, db.TypeStandard},
		{"domain approved via scim", dom, "a@CBA.NET", db.SourceSCIM, false, db.TypeStandard},
		{"domain other via scim is external (R-POL-3)", dom, "a@abc.net", db.SourceSCIM, false, db.TypeExternal},
		{"domain other via sso is external (R-POL-10)", dom, "a@abc.net", db.SourceSSO, false, db.TypeExternal},
		{"domain other via directory is external (R-POL-10)", dom, "a@abc.net", db.SourceDirectory, false, db.TypeExternal},
		{"domain other via admin is external", dom, "a@abc.net", db.SourceAdmin, false, db.TypeExternal},
		{"subdomain is not approved", dom, "a@eu.cba.net", db.SourceSSO, false, db.TypeExternal},
		{"parent of a domain is not approved", dom, "a@net", db.SourceSSO, false, db.TypeExternal},
		{"trailing dot", dom, "a@cba.net.", db.SourceSSO, false, db.TypeStandard},
		{"IDN in email matches punycode domain", dom, "a@BÜCHER.de", db.SourceSSO, false, db.TypeStandard},
		{"punycode in email", dom, "a@xn--bcher-kva.de", db.SourceSSO, false, db.TypeStandard},
		{"garbage email domain is external", dom, "a@cba..net", db.SourceSSO, false, db.TypeExternal},
		{"no at sign is external", dom, "cba.net", db.SourceSSO, false, db.TypeExternal},
		{"admin under default via product (R-POL-4)", def, "a@x.org", db.SourceProduct, true, db.TypeStandard},
		{"admin under domain with other domain (R-POL-4)", dom, "a@abc.net", db.SourceSSO, true, db.TypeStandard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rolepolicy.Classify(tt.p, tt.email, tt.src, tt.admin); got != tt.want {
				t.Errorf("Classify(%v, %q, %s, %v) = %s, want %s", tt.p, tt.email, tt.src, tt.admin, got, tt.want)
			}
		})
	}
}

func TestNormalizeDomain(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Example.COM", "example.com"},
		{"  example.com.  ", "example.com"},
		{"bücher.de", "xn--bcher-kva.de"},
		{"BÜCHER.DE.", "xn--bcher-kva.de"},
		{"xn--bcher-kva.de", "xn--bcher-kva.de"},
		{"ＥＸＡＭＰＬＥ.com", "example.com"},
		{"例え.jp", "xn--r8jz45g.jp"},
		{"a-b.co.uk", "a-b.co.uk"},
		{"straße.de", "xn--strae-oqa.de"},
	}
	for _, tt := range tests {
		got, err := rolepolicy.NormalizeDomain(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	bad := []string{"", " ", ".", "com", "a@b.com", "*.example.com", "ex ample.com", "http://x.com",
		"-a.com", "a-.com", "a_b.com", "1.2.3.4", "a..b", "xn--zz.com", "example.com/", strings.Repeat("a", 64) + ".com",
		strings.Repeat("abcdefghi.", 26) + "com"}
	for _, in := range bad {
		got, err := rolepolicy.NormalizeDomain(in)
		var de *db.Error
		if err == nil || !errors.As(err, &de) || de.Code != "domain_invalid" || !errors.Is(err, db.ErrInvalid) {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want a domain_invalid error", in, got, err)
		}
	}
}

func TestNormalizeDomains(t *testing.T) {
	got, err := rolepolicy.NormalizeDomains([]string{"B.com", "a.com", "b.COM.", "bücher.de"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.com", "b.com", "xn--bcher-kva.de"}, got); diff != "" {
		t.Errorf("NormalizeDomains (-want +got):\n%s", diff)
	}
	if _, err := rolepolicy.NormalizeDomains([]string{"a.com", "bad domain"}); err == nil {
		t.Error("NormalizeDomains accepted a bad domain")
	}
}

// input is one random classification question for the property test.
type input struct {
	Policy db.Policy
	Local  string
	Domain string // as written in the email: random case, maybe a trailing dot, maybe Unicode
	Canon  string // its normalised form
	Source db.Source
	Admin  bool
}

// A pool of domains with their spellings; Unicode ones have a punycode form.
var domainPool = []struct{ canon, spellings string }{
	{"cba.net", "cba.net|CBA.net|cba.net."},
	{"abc.net", "abc.net|ABC.NET"},
	{"example.com", "example.com|Example.Com.|ＥＸＡＭＰＬＥ.com"},
	{"eu.example.com", "eu.example.com"},
	{"xn--bcher-kva.de", "bücher.de|BÜCHER.de|xn--bcher-kva.de"},
	{"xn--r8jz45g.jp", "例え.jp"},
	{"contractor.io", "contractor.io|CONTRACTOR.IO."},
}

// Generate implements quick.Generator.
func (input) Generate(r *rand.Rand, _ int) reflect.Value {
	var in input
	if r.Intn(2) == 0 {
		in.Policy.Mode = db.PolicyDefault
	} else {
		in.Policy.Mode = db.PolicyDomain
	}
	for _, d := range domainPool {
		if r.Intn(3) == 0 {
			in.Policy.Domains = append(in.Policy.Domains, d.canon)
		}
	}
	d := domainPool[r.Intn(len(domainPool))]
	sp := strings.Split(d.spellings, "|")
	in.Domain, in.Canon = sp[r.Intn(len(sp))], d.canon
	in.Local = string(rune('a'+r.Intn(26))) + "user"
	in.Source = allSources[r.Intn(len(allSources))]
	in.Admin = r.Intn(4) == 0
	return reflect.ValueOf(in)
}

func TestClassifyProperties(t *testing.T) {
	cfg := &quick.Config{MaxCount: 5000, Rand: rand.New(rand.NewSource(20261123))}
	prop := func(in input) bool {
		email := in.Local + "@" + in.Domain
		got := rolepolicy.Classify(in.Policy, email, in.Source, in.Admin)
		if got != db.TypeStandard && got != db.TypeExternal {
			return false
		}
		// spelling never matters: case, trailing dot, Unicode vs punycode
		if rolepolicy.Classify(in.Policy, strings.ToUpper(in.Local)+"@"+in.Canon, in.Source, in.Admin) != got {
			return false
		}
		switch {
		case in.Admin:
			// R-POL-4: admins are not classified: the same answer for any policy and path
			for _, src := range allSources {
				if rolepolicy.Classify(db.Policy{Mode: db.PolicyDomain}, email, src, true) != got {
					return false
				}
			}
			return got == db.TypeStandard
		case in.Policy.Mode == db.PolicyDomain:
			// R-POL-3: approved exactly iff standard, whatever the path
			approved := false
			for _, d := range in.Policy.Domains {
				approved = approved || d == in.Canon
			}
			for _, src := range allSources {
				if rolepolicy.Classify(in.Policy, email, src, false) != got {
					return false
				}
			}
			return approved == (got == db.TypeStandard)
		default:
			// R-POL-2: only the collaboration product path is external; the domain is irrelevant
			return (in.Source == db.SourceProduct) == (got == db.TypeExternal)
		}
	}
	if err := quick.Check(prop, cfg); err != nil {
		t.Error(err)
	}
}

// The normalised form is a fixed point and is what Classify matches on.
func TestNormalizeDomainIdempotent(t *testing.T) {
	cfg := &quick.Config{MaxCount: 2000, Rand: rand.New(rand.NewSource(7))}
	prop := func(in input) bool {
		n, err := rolepolicy.NormalizeDomain(in.Domain)
		if err != nil || n != in.Canon {
			return false
		}
		n2, err := rolepolicy.NormalizeDomain(n)
		return err == nil && n2 == n
	}
	if err := quick.Check(prop, cfg); err != nil {
		t.Error(err)
	}
}
