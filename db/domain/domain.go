// Package domain is Roster's one email-domain normaliser (issue 10 #2): IDN
// labels to ASCII (punycode) with golang.org/x/net/idna, lower case, no
// trailing dot, checked as a DNS host name. The role policy (approved
// domains), the store (users.email_domain, stored policy domains) and SSO
// (verified domains) all call it, so a domain compares equal however it was
// spelled. It lives under db, not in db itself (which is standard library
// only) and not in a feature package (feature packages never import each
// other), so every layer may use it.
package domain

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/idna"

	"github.com/roster-dev/roster/db"
)

// Normalize returns the canonical form of an email domain: trimmed,
// lower-cased, without a trailing dot, internationalised labels converted to
// their ASCII (punycode) form. It rejects anything that is not a plausible
// DNS host name of at least two labels: empty input, addresses ("a@b.c"),
// wildcards, spaces, URLs, labels longer than 63 or names longer than 253
// octets. The error is a *db.Error (db.ErrInvalid, "domain_invalid").
func Normalize(d string) (string, error) {
	s := strings.TrimSpace(d)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", domainErr(d, "it is empty")
	}
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", domainErr(d, "it is not a valid domain name")
	}
	a = strings.ToLower(a)
	if len(a) > 253 {
		return "", domainErr(d, "it is longer than 253 characters")
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", domainErr(d, "it needs at least two labels, like example.com")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", domainErr(d, "each label must be 1 to 63 characters")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", domainErr(d, "it may contain only letters, digits, hyphens and dots")
			}
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", domainErr(d, "a label may not start or end with a hyphen")
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", domainErr(d, "the top-level label cannot be numeric")
	}
	return a, nil
}

// NormalizeList normalises, de-duplicates and sorts a list of domains,
// failing on the first invalid one.
func NormalizeList(ds []string) ([]string, error) {
	seen := make(map[string]bool, len(ds))
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		n, err := Normalize(d)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// EmailDomain returns the normalised domain of an email address, or the
// lower-cased raw domain if it cannot be normalised (it then matches no
// approved domain). It fits the store's users.email_domain.
func EmailDomain(domain string) string {
	if n, err := Normalize(domain); err == nil {
		return n
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
}

func domainErr(d, why string) error {
	return &db.Error{Kind: db.ErrInvalid, Code: "domain_invalid",
		Message: fmt.Sprintf("domain %q is not valid: %s", d, why)}
}
