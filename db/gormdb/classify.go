package gormdb

import (
	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// teamClassifier is a team's policy prepared to classify a known set of
// users: the mode and, in domain mode, which of those users' email domains
// are approved. It is read with one indexed query over the users' own
// domains (team_domains' primary key), never the whole list, and each user
// then costs one map lookup, so classifying costs the same with one approved
// domain or db.MaxPolicyDomains (issue 9 #6). The Classifier sees a policy
// holding just the user's domain if it is approved, which gives the same
// answer as the whole list because users.email_domain and the approved
// domains are normalised alike (domain.EmailDomain).
type teamClassifier struct {
	mode     db.PolicyMode
	approved map[string]bool
}

// classifierFor prepares the classification of the users with the given
// emails in team teamID, whose policy mode is mode.
func (s *Store) classifierFor(tx *gorm.DB, teamID string, mode db.PolicyMode, emails []string) (teamClassifier, error) {
	c := teamClassifier{mode: mode}
	if mode != db.PolicyDomain {
		return c, nil
	}
	doms := make([]string, 0, len(emails))
	for _, e := range emails {
		if d := s.emailDomain(e); d != "" {
			doms = append(doms, d)
		}
	}
	c.approved = make(map[string]bool)
	for _, part := range chunks(dedupe(doms), 500) {
		var got []string
		if err := tx.Model(&teamDomainRow{}).Where("team_id = ? AND domain IN ?", teamID, part).Pluck("domain", &got).Error; err != nil {
			return c, err
		}
		for _, d := range got {
			c.approved[d] = true
		}
	}
	return c, nil
}

// classifyWith runs the store's Classifier for a new, non-admin user.
func (s *Store) classifyWith(c teamClassifier, email string, src db.Source) db.UserType {
	p := db.Policy{Mode: c.mode}
	if c.mode == db.PolicyDomain {
		if d := s.emailDomain(email); c.approved[d] {
			p.Domains = []string{d}
		}
	}
	return s.classify(p, email, src, false)
}
