package sso

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"github.com/roster-dev/roster/db"
)

// LoginStart is how to send the browser to the IdP: a redirect URL
// (HTTP-Redirect binding) or an auto-submitting form (HTTP-POST).
type LoginStart struct {
	RedirectURL string
	PostForm    []byte
	// RelayState is the random key sent with the AuthnRequest.
	RelayState string
	// State, for a browser sign-in, is the signed AuthnRequest state the
	// browser must bring back to the ACS (the handler sets it as a cookie
	// that lives as long as the request, Options.RequestTTL). A test-mode
	// sign-in keeps its state in the database instead and State is empty.
	State string
}

// safeReturnPath accepts only a local absolute path on Roster, so RelayState
// can never lead off-site.
func safeReturnPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\\\r\n\t") || len(p) > 1024 {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}

// StartLogin begins an SP-initiated sign-in: a signed AuthnRequest (RSA-SHA256)
// and a random RelayState. For a browser sign-in it writes nothing: the
// request's state is returned signed, for a cookie (state.go). testBy, if
// set, makes it a test-mode sign-in by that admin, whose state is stored
// server side because the admin's API client is not the browser.
func (s *Service) StartLogin(ctx context.Context, teamID, returnTo, testBy string) (LoginStart, error) {
	t, err := s.serviceProvider(ctx, teamID)
	if err != nil {
		return LoginStart{}, err
	}
	sp := t.sps[0]
	binding := saml.HTTPRedirectBinding
	loc := sp.GetSSOBindingLocation(binding)
	if loc == "" {
		binding = saml.HTTPPostBinding
		loc = sp.GetSSOBindingLocation(binding)
	}
	if loc == "" {
		return LoginStart{}, db.Errorf(db.ErrInvalid, "idp_no_sso_endpoint", "the IdP metadata has no usable SingleSignOnService")
	}
	req, err := sp.MakeAuthenticationRequest(loc, binding, saml.HTTPPostBinding)
	if err != nil {
		return LoginStart{}, fmt.Errorf("make AuthnRequest: %w", err)
	}
	relay, err := s.randomToken(24)
	if err != nil {
		return LoginStart{}, err
	}
	out := LoginStart{RelayState: relay}
	exp := s.now().Add(s.requestTTL)
	if testBy != "" {
		if err := s.store.PutSSORequest(ctx, db.SSORequest{RelayState: relay, TeamID: teamID, RequestID: req.ID,
			ReturnTo: safeReturnPath(returnTo), TestBy: testBy, ExpiresAt: exp}); err != nil {
			return LoginStart{}, err
		}
	} else {
		out.State, err = sealState(t.stateKeys[0], loginState{Team: teamID, Relay: relay, RequestID: req.ID,
			ReturnTo: safeReturnPath(returnTo), Expires: exp.Unix()})
		if err != nil {
			return LoginStart{}, err
		}
	}
	if binding == saml.HTTPRedirectBinding {
		u, err := req.Redirect(relay, sp)
		if err != nil {
			return LoginStart{}, fmt.Errorf("sign AuthnRequest: %w", err)
		}
		out.RedirectURL = u.String()
		return out, nil
	}
	if err := sp.SignAuthnRequest(req); err != nil {
		return LoginStart{}, fmt.Errorf("sign AuthnRequest: %w", err)
	}
	out.PostForm = req.Post(relay)
	return out, nil
}

// StartTest begins a test-mode sign-in for an SSO admin (R-ADM-7): the ACS
// shows the parsed assertion (or the precise failure) and changes nothing.
func (s *Service) StartTest(ctx context.Context, teamID string, by db.Actor) (LoginStart, error) {
	if err := s.authorize(ctx, teamID, by); err != nil {
		return LoginStart{}, err
	}
	who := by.ID
	if who == "" {
		who = string(by.Kind)
	}
	return s.StartLogin(ctx, teamID, "/", who)
}

// Identity is what a verified assertion says about the user.
type Identity struct {
	NameID       string              `json:"name_id"`
	NameIDFormat string              `json:"name_id_format"`
	Email        string              `json:"email"`
	FirstName    string              `json:"first_name"`
	LastName     string              `json:"last_name"`
	AssertionID  string              `json:"assertion_id"`
	Issuer       string              `json:"issuer"`
	SessionIndex string              `json:"session_index,omitempty"`
	Attributes   map[string][]string `json:"attributes"`
	IdPInitiated bool                `json:"idp_initiated"`
}

// SignIn is the outcome of a successful ACS post.
type SignIn struct {
	Identity Identity
	// Test is set for a test-mode sign-in: nothing was provisioned and no
	// session was started.
	Test bool
	// Mapping is, in test mode, the user the assertion would sign in as.
	Mapping  TestMapping
	User     db.User
	Created  bool // the user was provisioned just in time
	Session  string
	Expires  time.Time
	ReturnTo string
}

// SignInError is a refused sign-in. Its Error() is the detail for the log
// and test mode; users see only a generic message.
type SignInError struct {
	Reason string // a stable, short code (for metrics and tests)
	Detail error
	Test   bool // the refused post belonged to a test-mode sign-in
}

func (e *SignInError) Error() string {
	if e.Detail == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail.Error()
}

func (e *SignInError) Unwrap() error { return e.Detail }

func refuse(reason string, detail error) *SignInError {
	return &SignInError{Reason: reason, Detail: detail}
}

// ACS verifies a posted SAMLResponse for the team and, unless it is a test,
// provisions (JIT) and signs the user in. state is the login state cookie
// StartLogin issued for relayState ("" if the browser sent none). It never
// panics: crewjam v0.5.1 dereferences a missing Conditions or Subject, so
// parsing is recovered.
func (s *Service) ACS(ctx context.Context, teamID, samlResponse, relayState, state string) (out SignIn, err error) {
	t, err := s.serviceProvider(ctx, teamID)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return SignIn{}, refuse("not_configured", err)
		}
		return SignIn{}, err
	}
	c := t.cfg
	// Which sign-in is this? A RelayState naming a pending request makes it
	// SP-initiated, and then InResponseTo must name that request. Anything
	// else is unsolicited: allowed only when the team enables IdP-initiated
	// sign-in, and then InResponseTo must be absent, so a captured
	// SP-initiated response cannot be replayed as an unsolicited one.
	// The pending request is named by a state cookie (a browser sign-in)
	// or, for test mode, by a database row. A RelayState of Roster's shape
	// with neither is refused, not taken as unsolicited: it is a lost,
	// expired, tampered or foreign state cookie.
	var req db.SSORequest
	possible := []string{""}
	idpInitiated := true
	fromCookie := false
	if relayState != "" && len(relayState) <= 80 {
		// A state cookie that verifies names the request by itself: a
		// browser sign-in, whose state is never in the database, so the
		// database is not asked (a test-mode sign-in carries no cookie).
		if state != "" && validRelay(relayState) {
			if st, err := openState(t.stateKeys, state, teamID, relayState, s.now()); err == nil {
				req = db.SSORequest{RelayState: relayState, TeamID: teamID, RequestID: st.RequestID, ReturnTo: safeReturnPath(st.ReturnTo)}
				possible, idpInitiated, fromCookie = []string{st.RequestID}, false, true
			}
		}
		if !fromCookie {
			r, err := s.store.TakeSSORequest(ctx, teamID, relayState, s.now())
			switch {
			case err == nil:
				req, possible, idpInitiated = r, []string{r.RequestID}, false
			case !errors.Is(err, db.ErrNotFound):
				return SignIn{}, err
			case validRelay(relayState) && (state != "" || !c.AllowIdPInitiated):
				// no such test sign-in, and no state cookie that verifies
				_, err := openState(t.stateKeys, state, teamID, relayState, s.now())
				if err == nil {
					err = errors.New("the sign-in state cookie is missing, expired, tampered or not this team's")
				}
				return SignIn{}, refuse("state_invalid", err)
			}
		}
	}
	test := req.TestBy != ""
	fail := func(reason string, detail error) (SignIn, error) {
		e := refuse(reason, detail)
		e.Test = test
		return SignIn{}, e
	}
	if idpInitiated && !c.AllowIdPInitiated {
		return fail("unsolicited", errors.New("no sign-in in progress for this RelayState, and IdP-initiated sign-in is off"))
	}
	raw, err := decodeResponse(samlResponse)
	if err != nil {
		return fail("malformed", err)
	}
	if hasDoctype(raw) {
		return fail("malformed", errors.New("a DOCTYPE or ENTITY declaration is not allowed"))
	}
	if n, err := countAssertions(raw); err != nil || n != 1 {
		// Real IdPs send exactly one assertion. Refusing any other count
		// closes signature-wrapping variants that smuggle a second
		// (forged or original) assertion next to or inside the signed one.
		return fail("malformed", fmt.Errorf("response must hold exactly one assertion, found %d (%v)", n, err))
	}
	a, err := s.parse(t, raw, possible)
	if err != nil {
		return fail("invalid_response", err)
	}
	id, err := s.checkAssertion(t, a, idpInitiated)
	if err != nil {
		return fail("invalid_assertion", err)
	}
	if test {
		// Nothing is written: the mapping is only looked up.
		var m TestMapping
		u, found, merr := s.match(ctx, c, id)
		var se *SignInError
		switch {
		case errors.As(merr, &se):
			m.Refusal, m.Detail = se.Reason, se.Error()
		case merr != nil:
			return SignIn{}, merr
		case found:
			m.User = &u
		default:
			m.WouldCreate = true
		}
		return SignIn{Identity: id, Test: true, Mapping: m, ReturnTo: "/"}, nil
	}
	// The replay cache, in the database so it holds across replicas: an
	// assertion ID is accepted once until it could no longer be valid. A
	// cookie's AuthnRequest is made single-use the same way, under the key
	// "request:<ID>" (an XML ID is an NCName, which holds no ':', so it never
	// clashes with a real assertion ID). These writes happen only for a
	// response the IdP signed, in the one transaction that also finds (or
	// creates, JIT) the user and starts the session (issue 15).
	now := s.now()
	var used []db.SSOUse
	if fromCookie {
		used = append(used, db.SSOUse{Key: "request:" + req.RequestID, ExpiresAt: now.Add(s.requestTTL)})
	}
	used = append(used, db.SSOUse{Key: a.ID, ExpiresAt: latestExpiry(a).Add(c.ClockSkew + saml.MaxClockSkew)})
	tok, err := s.randomToken(32)
	if err != nil {
		return SignIn{}, err
	}
	se := db.SSOSession{Hash: db.HashToken(tok), CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(s.sessionTTL)}
	in := db.SSOSignIn{TeamID: teamID, Email: id.Email, Now: now, Used: used, Session: se,
		Match: func(u db.User, found bool) (*db.NewUser, db.Actor, error) { return s.decide(ctx, c, id, u, found) }}
	done, err := s.store.SignInSSO(ctx, in)
	for try := 1; try < 3 && (errors.Is(err, db.ErrConflict) && !isReplay(err) || errors.Is(err, db.ErrStale)); try++ {
		// a concurrent first sign-in of the same person created them first
		// (or deadlocked with this one); nothing of this one was written, so
		// it runs again and finds them
		done, err = s.store.SignInSSO(ctx, in)
	}
	if err != nil {
		if isReplay(err) {
			return fail("replayed", fmt.Errorf("assertion %s or the AuthnRequest it answers was already used: %w", a.ID, err))
		}
		var sie *SignInError
		refused := errors.As(err, &sie)
		if !refused && db.IsClientError(err) {
			// The IdP asserted something Roster cannot store (a name over
			// 255 characters, say): the IdP's mistake, refused, not a 500.
			sie, refused = refuse("invalid_identity", err), true
		}
		if !refused {
			return SignIn{}, err
		}
		// A refused sign-in still used its assertion, as before the writes
		// were one transaction: record the keys on their own, so the same
		// response cannot be replayed once the refusal's cause is gone (a
		// user reactivated, JIT turned on).
		for _, u := range used {
			if merr := s.store.MarkSSOAssertion(ctx, teamID, u.Key, u.ExpiresAt, now); merr != nil {
				if errors.Is(merr, db.ErrConflict) {
					return fail("replayed", merr)
				}
				return SignIn{}, merr
			}
		}
		sie.Test = test
		return SignIn{}, sie
	}
	ret := req.ReturnTo
	if ret == "" {
		ret = "/" // IdP-initiated RelayState is never used as a target
	}
	return SignIn{Identity: id, User: done.User, Created: done.Created, Session: tok, Expires: se.ExpiresAt, ReturnTo: ret}, nil
}

// isReplay tells a replay-cache conflict from a user-creation conflict.
func isReplay(err error) bool {
	var de *db.Error
	return errors.As(err, &de) && de.Code == "assertion_replayed"
}

// countAssertions counts Assertion and EncryptedAssertion elements at any
// depth of the document. It reads the same tokens as etree (crewjam's
// parser: encoding/xml's RawToken, strict, end tags matched by prefix and
// name, at most 1024 levels) without building a tree, so it refuses
// exactly what etree refuses and counts the elements crewjam will see.
func countAssertions(raw []byte) (int, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // as etree
	var stack []xml.Name
	n, roots := 0, 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			if len(stack) != 0 {
				return 0, errors.New("the XML cannot be parsed")
			}
			break
		}
		if err != nil {
			return 0, errors.New("the XML cannot be parsed")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxXMLDepth {
				return 0, errors.New("the XML cannot be parsed")
			}
			if len(stack) == 0 {
				roots++
			}
			if roots == 1 && (t.Name.Local == "Assertion" || t.Name.Local == "EncryptedAssertion") {
				n++ // within the root (the first top-level element), as crewjam reads it
			}
			stack = append(stack, t.Name)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != t.Name {
				return 0, errors.New("the XML cannot be parsed")
			}
			stack = stack[:len(stack)-1]
		}
	}
	if roots == 0 {
		return 0, errors.New("the XML has no root")
	}
	return n, nil
}

// maxXMLDepth is etree's default nesting limit.
const maxXMLDepth = 1024

func decodeResponse(s string) ([]byte, error) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return nil, errors.New("SAMLResponse is missing")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("SAMLResponse is not base64")
	}
	return b, nil
}

// parse runs crewjam's verification with each SP key (newest first, so a
// response encrypted to a key being rotated out still decrypts), recovering
// from crewjam's nil dereferences.
func (s *Service) parse(t *teamSP, raw []byte, possible []string) (a *saml.Assertion, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("malformed assertion (parser panic: %v)", r)
		}
	}()
	var first error
	for i, sp := range t.sps {
		a, err := sp.ParseXMLResponse(raw, possible, sp.AcsURL)
		if err == nil {
			return a, nil
		}
		if i == 0 {
			first = err
		}
		if len(t.sps) == 1 || !bytes.Contains(raw, []byte("EncryptedAssertion")) {
			break
		}
	}
	var ire *saml.InvalidResponseError
	if errors.As(first, &ire) && ire.PrivateErr != nil {
		return nil, ire.PrivateErr // the detail, without the response itself
	}
	return nil, first
}

// checkAssertion applies Roster's own rules on top of crewjam's: Conditions
// present with NotBefore/NotOnOrAfter inside the team's bounded clock skew
// on Roster's clock, a subject, and an email within the connection's domains.
func (s *Service) checkAssertion(t *teamSP, a *saml.Assertion, idpInitiated bool) (Identity, error) {
	c := t.cfg
	now := s.now()
	skew := c.ClockSkew
	if skew < 0 || skew > MaxClockSkew {
		skew = MaxClockSkew
	}
	if a.Conditions == nil {
		return Identity{}, errors.New("assertion has no Conditions")
	}
	if a.Conditions.NotBefore.IsZero() || a.Conditions.NotOnOrAfter.IsZero() {
		return Identity{}, errors.New("assertion Conditions lack NotBefore or NotOnOrAfter")
	}
	if now.Add(skew).Before(a.Conditions.NotBefore) {
		return Identity{}, fmt.Errorf("assertion is not valid before %s (now %s, skew %s)", a.Conditions.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), skew)
	}
	if !now.Add(-skew).Before(a.Conditions.NotOnOrAfter) {
		return Identity{}, fmt.Errorf("assertion expired at %s (now %s, skew %s)", a.Conditions.NotOnOrAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), skew)
	}
	if a.Subject == nil || a.Subject.NameID == nil {
		return Identity{}, errors.New("assertion has no Subject NameID")
	}
	for _, sc := range a.Subject.SubjectConfirmations {
		if d := sc.SubjectConfirmationData; d != nil && !d.NotOnOrAfter.IsZero() && !now.Add(-skew).Before(d.NotOnOrAfter) {
			return Identity{}, errors.New("assertion SubjectConfirmationData expired")
		}
	}
	if a.ID == "" {
		return Identity{}, errors.New("assertion has no ID")
	}
	id := Identity{NameID: a.Subject.NameID.Value, NameIDFormat: a.Subject.NameID.Format, AssertionID: a.ID,
		Issuer: a.Issuer.Value, Attributes: map[string][]string{}, IdPInitiated: idpInitiated}
	for _, st := range a.AuthnStatements {
		if st.SessionIndex != "" {
			id.SessionIndex = st.SessionIndex
		}
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				id.Attributes[at.Name] = append(id.Attributes[at.Name], v.Value)
				if at.FriendlyName != "" && at.FriendlyName != at.Name {
					id.Attributes[at.FriendlyName] = append(id.Attributes[at.FriendlyName], v.Value)
				}
			}
		}
	}
	m := effectiveAttributes(c)
	id.Email = strings.TrimSpace(pick(id.Attributes, m.Email, fallbacks["email"]))
	if id.Email == "" && strings.Contains(id.NameID, "@") {
		id.Email = strings.TrimSpace(id.NameID)
	}
	id.FirstName = pick(id.Attributes, m.FirstName, fallbacks["first"])
	id.LastName = pick(id.Attributes, m.LastName, fallbacks["last"])
	if err := db.ValidateEmail(id.Email); err != nil {
		return id, fmt.Errorf("asserted email %q is not a valid address", id.Email)
	}
	// The asserted email must be in the connection's domains (when any are
	// set): an IdP cannot sign people in as another organisation's users,
	// and NameID comment tricks (jane@acme.test<!---->.evil.test) land on
	// the full, foreign domain.
	if len(t.domain) > 0 && !t.domain[db.EmailDomain(id.Email)] {
		return id, fmt.Errorf("asserted email domain %q is not one of the connection's domains", db.EmailDomain(id.Email))
	}
	return id, nil
}

func pick(attrs map[string][]string, name string, more []string) string {
	for _, n := range append([]string{name}, more...) {
		if v := attrs[n]; len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			return strings.TrimSpace(v[0])
		}
	}
	return ""
}

func latestExpiry(a *saml.Assertion) time.Time {
	t := a.IssueInstant.Add(saml.MaxIssueDelay)
	if a.Conditions != nil && a.Conditions.NotOnOrAfter.After(t) {
		t = a.Conditions.NotOnOrAfter
	}
	if a.Subject != nil {
		for _, sc := range a.Subject.SubjectConfirmations {
			if d := sc.SubjectConfirmationData; d != nil && d.NotOnOrAfter.After(t) {
				t = d.NotOnOrAfter
			}
		}
	}
	return t
}

// match is, for test mode, the user an identity would sign in as: an
// existing user with its email (found), or none when just-in-time
// provisioning would create one (with source sso, so the role policy
// classifies them, R-POL-2, R-POL-3); an inactive user and an unknown one
// without JIT are refused. A real sign-in applies the same rule inside its
// transaction (decide).
func (s *Service) match(ctx context.Context, c db.SSOConfig, id Identity) (u db.User, found bool, err error) {
	u, err = s.store.FindUser(ctx, c.TeamID, db.UserKey{Email: id.Email})
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return db.User{}, false, err
	}
	found = err == nil
	if _, _, err := s.rule(c, id, u, found); err != nil {
		return db.User{}, false, err
	}
	return u, found, nil
}

// rule is the sign-in rule on the user found (or not) for an identity:
// an inactive user is refused, an unknown one is created when JIT is on
// (create is set) and refused otherwise.
func (s *Service) rule(c db.SSOConfig, id Identity, u db.User, found bool) (create *db.NewUser, by db.Actor, err error) {
	if found {
		if u.Status == db.StatusInactive {
			return nil, db.Actor{}, refuse("user_inactive", fmt.Errorf("user %s is inactive", u.ID))
		}
		return nil, db.Actor{}, nil
	}
	if !c.JIT {
		return nil, db.Actor{}, refuse("not_provisioned", fmt.Errorf("no user with the asserted email exists and just-in-time provisioning is off"))
	}
	first, last := id.FirstName, id.LastName
	if first == "" || last == "" {
		// Names are required (seed 003) but many IdPs send only a NameID
		// until their admin maps attributes: derive them from the email
		// rather than refuse the sign-in.
		df, dl := namesFromEmail(id.Email)
		if first == "" {
			first = df
		}
		if last == "" {
			last = dl
		}
	}
	by = db.Actor{Kind: db.ActorSSO, ID: c.IdPEntityID, Name: id.Email}
	if len(by.ID) > 64 {
		sum := sha256.Sum256([]byte(by.ID))
		by.ID = fmt.Sprintf("%x", sum[:16])
	}
	return &db.NewUser{Email: id.Email, FirstName: first, LastName: last, Source: db.SourceSSO}, by, nil
}

// decide is rule inside the sign-in's transaction (db.SSOSignIn.Match),
// with the log line for a JIT user whose names were derived.
func (s *Service) decide(ctx context.Context, c db.SSOConfig, id Identity, u db.User, found bool) (*db.NewUser, db.Actor, error) {
	create, by, err := s.rule(c, id, u, found)
	if create != nil && (id.FirstName == "" || id.LastName == "") {
		s.log.WarnContext(ctx, "sso: JIT user without name attributes; names derived from the email", "team", c.TeamID,
			"mapped", fmt.Sprintf("%+v", effectiveAttributes(c)))
	}
	return create, by, err
}

// TestMapping is, for a test sign-in, the user the assertion would sign in
// as: an existing user, one JIT would create, or the refusal.
type TestMapping struct {
	User        *db.User `json:"user,omitempty"`
	WouldCreate bool     `json:"would_create"`
	Refusal     string   `json:"refusal,omitempty"` // a SignInError reason
	Detail      string   `json:"detail,omitempty"`
}

// namesFromEmail splits "jane.doe@x" into "Jane", "Doe"; a single-word
// local part gives the same word for both.
func namesFromEmail(email string) (string, string) {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	if len(parts) == 0 {
		return local, local
	}
	title := func(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
	if len(parts) == 1 {
		return title(parts[0]), title(parts[0])
	}
	return title(parts[0]), title(strings.Join(parts[1:], " "))
}

// SessionUser returns the user and team of a session cookie value.
func (s *Service) SessionUser(ctx context.Context, token string) (db.User, db.Team, error) {
	if token == "" || len(token) > 100 {
		return db.User{}, db.Team{}, db.ErrNotFound
	}
	se, err := s.store.GetSSOSession(ctx, db.HashToken(token), s.now())
	if err != nil {
		return db.User{}, db.Team{}, err
	}
	u, err := s.store.GetUser(ctx, se.TeamID, se.UserID)
	if err != nil {
		return db.User{}, db.Team{}, err
	}
	if u.Status == db.StatusInactive {
		// Deactivating a user ends their sessions at once: an inactive user
		// holds no power, admin or otherwise (issue 9 #1).
		return db.User{}, db.Team{}, db.Errorf(db.ErrForbidden, "user_inactive", "the user is %s", u.Status)
	}
	team, err := s.store.GetTeam(ctx, se.TeamID)
	return u, team, err
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, token string) error {
	return s.store.DeleteSSOSession(ctx, db.HashToken(token))
}

// PasswordSignInAllowed tells whether a sign-in path other than SSO is open
// to u: with SSO enforced, users of the connection's verified domains must
// use SSO, except the primary admin (the break-glass path).
func (s *Service) PasswordSignInAllowed(ctx context.Context, u db.User) (bool, error) {
	enforced, err := s.enforcedFor(ctx, u)
	return !enforced || u.AdminRole == db.RolePrimary, err
}

// BreakGlass tells whether a sign-in of u outside SSO is the primary
// admin's break-glass: SSO is enforced for u's verified domain and u is the
// primary admin (the console audits it).
func (s *Service) BreakGlass(ctx context.Context, u db.User) (bool, error) {
	enforced, err := s.enforcedFor(ctx, u)
	return enforced && u.AdminRole == db.RolePrimary, err
}

// enforcedFor: is SSO enforced for u's email domain (a verified domain of
// the team's connection)?
func (s *Service) enforcedFor(ctx context.Context, u db.User) (bool, error) {
	c, err := s.store.GetSSOConfig(ctx, u.TeamID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !c.EnforceSSO {
		return false, nil
	}
	for _, d := range verifiedDomains(c) {
		if db.EmailDomain(u.Email) == d {
			return true, nil
		}
	}
	return false, nil
}
