// Package rolepolicy is the user role policy engine (R-POL-1..R-POL-10): it
// decides whether a new user is standard or external from the team's policy,
// the user's email domain, the path that added the user and whether the user
// is an admin. It is pure: no I/O, no clock, no state. The table below is
// data (Rules): Classify evaluates it, and the store derives the SQL
// expression it computes exceptions with from the same rows (issue 10 #2),
// so there is one source of truth:
//
//	policy   path (source)            email domain          type
//	default  product                  any                   external  (R-POL-2)
//	default  sso, directory           any                   standard  (R-POL-2)
//	default  scim, admin              any                   standard  (see below)
//	domain   any                      approved (exact)      standard  (R-POL-3)
//	domain   any                      anything else         external  (R-POL-3, R-POL-10)
//	any      any, user is an admin    any                   standard  (R-POL-4, never an exception)
//
// The seed (004) names only collaboration products and SSO/directory sync
// under the default policy. SCIM provisioning is an identity provider pushing
// the organisation's own directory, so it is treated like directory sync; a
// user an admin adds by hand in account user management is the admin's
// deliberate choice of a colleague, so it is standard too (an admin who wants
// an external user says so with an explicit type).
package rolepolicy

import (
	"strings"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/domain"
)

var _ db.Classifier = Classify

// DomainMatch is how a rule looks at the user's email domain.
type DomainMatch int

// The domain matches a rule may ask for.
const (
	AnyDomain      DomainMatch = iota // the domain is not looked at
	ApprovedDomain                    // the domain is one of the policy's approved domains (exact)
	OtherDomain                       // the domain is not approved
)

// Rule is one row of the classification table. Empty Mode or Source and
// AnyDomain match anything; Admin rows match only admins, the others only
// non-admins. The first matching row decides.
type Rule struct {
	Mode   db.PolicyMode
	Source db.Source
	Domain DomainMatch
	Admin  bool
	Type   db.UserType
	Why    string // the domain rule it encodes
}

// Rules is the classification table (see the package comment). The last
// non-admin row matches everything, so every user gets a type.
var Rules = []Rule{
	{Admin: true, Type: db.TypeStandard, Why: "R-POL-4"},
	{Mode: db.PolicyDomain, Domain: ApprovedDomain, Type: db.TypeStandard, Why: "R-POL-3"},
	{Mode: db.PolicyDomain, Domain: OtherDomain, Type: db.TypeExternal, Why: "R-POL-3, R-POL-10"},
	{Source: db.SourceProduct, Type: db.TypeExternal, Why: "R-POL-2"},
	{Type: db.TypeStandard, Why: "R-POL-2"},
}

// Match reports whether r applies to a user added by src, with an approved
// (or not) email domain, under a policy of mode, admin or not.
func (r Rule) Match(mode db.PolicyMode, src db.Source, approved, isAdmin bool) bool {
	if r.Admin != isAdmin || r.Mode != "" && r.Mode != mode || r.Source != "" && r.Source != src {
		return false
	}
	switch r.Domain {
	case ApprovedDomain:
		return approved
	case OtherDomain:
		return !approved
	}
	return true
}

// TypeFor evaluates Rules: the type of the first matching row.
func TypeFor(mode db.PolicyMode, src db.Source, approved, isAdmin bool) db.UserType {
	for _, r := range Rules {
		if r.Match(mode, src, approved, isAdmin) {
			return r.Type
		}
	}
	return db.TypeStandard
}

// Classify returns the type a new user gets under policy p (R-POL-2,
// R-POL-3). email is the user's address; its domain is normalised with
// NormalizeDomain and matched exactly against p.Domains, which are expected
// to be normalised already (the store keeps them so). An email whose domain
// cannot be normalised never matches an approved domain.
//
// Admins are never classified (R-POL-4, R-ADM-9): for isAdmin Classify
// returns standard, the type an organisation's own administrator has, and
// the store never reports an admin as an exception whatever its type.
func Classify(p db.Policy, email string, src db.Source, isAdmin bool) db.UserType {
	approved := !isAdmin && p.Mode == db.PolicyDomain && Approved(p, email)
	return TypeFor(p.Mode, src, approved, isAdmin)
}

// Approved reports whether email's domain is one of p's approved domains
// (exact match after normalisation; subdomains are not approved).
func Approved(p db.Policy, email string) bool {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return false
	}
	d, err := NormalizeDomain(email[i+1:])
	if err != nil {
		return false
	}
	for _, a := range p.Domains {
		if a == d {
			return true
		}
	}
	return false
}

// NormalizeDomain returns the canonical form of an email domain (see
// domain.Normalize, the one normaliser): trimmed, lower-cased, without a
// trailing dot, internationalised labels in ASCII (punycode) form. Anything
// that is not a plausible DNS host name of at least two labels is a
// *db.Error (db.ErrInvalid, "domain_invalid").
func NormalizeDomain(d string) (string, error) { return domain.Normalize(d) }

// NormalizeDomains normalises, de-duplicates and sorts a list of domains,
// failing on the first invalid one.
func NormalizeDomains(ds []string) ([]string, error) { return domain.NormalizeList(ds) }
