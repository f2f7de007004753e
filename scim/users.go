package scim

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/roster-dev/roster/db"
)

// privateKey holds Roster's bookkeeping inside User.Attributes; never shown.
const privateKey = "_roster"

// userResource serves /Users; it implements the library's ResourceHandler.
type userResource struct {
	h       *handler
	schemas schemaSet
}

func (*userResource) endpoint() string     { return "Users" }
func (u *userResource) sset() schemaSet    { return u.schemas }
func (*userResource) coreURN() string      { return URNUser }
func (*userResource) resourceName() string { return "User" }

// storedDoc is the user as a SCIM document built from the store: the JSON
// attributes overlaid with the core columns, which are the truth.
func storedDoc(u db.User) map[string]any {
	doc := map[string]any{}
	if len(u.Attributes) > 0 {
		_ = json.Unmarshal(u.Attributes, &doc)
	}
	priv, _ := doc[privateKey].(map[string]any)
	delete(doc, privateKey)
	_ = cleanMultiValued(doc, userMultiValued, false) // repairs never fail
	pruneUnassigned(doc)
	doc["userName"] = u.UserName
	doc["active"] = u.Status != db.StatusInactive
	name, _ := doc["name"].(map[string]any)
	if name == nil {
		name = map[string]any{}
	}
	if derived, _ := priv["derivedGiven"].(bool); !derived {
		name["givenName"] = u.FirstName
	}
	if derived, _ := priv["derivedFamily"].(bool); !derived {
		name["familyName"] = u.LastName
	}
	if len(name) > 0 {
		doc["name"] = name
	} else {
		delete(doc, "name")
	}
	// The email column is the truth; make sure the emails list carries it.
	emails, _ := doc["emails"].([]any)
	found := false
	for _, e := range emails {
		if m, ok := e.(map[string]any); ok {
			if v, _ := m["value"].(string); strings.EqualFold(strings.TrimSpace(v), u.Email) {
				found = true
			}
		}
	}
	if !found && u.Email != "" {
		replaced := false
		for _, e := range emails {
			if m, ok := e.(map[string]any); ok {
				if p, _ := m["primary"].(bool); p {
					m["value"] = u.Email
					replaced = true
				}
			}
		}
		if !replaced {
			emails = append([]any{map[string]any{"value": u.Email, "primary": true}}, emails...)
		}
		doc["emails"] = emails
	}
	return doc
}

// docToUser writes a SCIM document into u and returns the email index.
// checkEmails validates every emails[].value (client input); without it only
// the address that becomes the user's email is checked, so a PATCH that does
// not touch emails is never refused for a value stored before every value
// was checked.
func docToUser(doc map[string]any, u *db.User, checkEmails bool) ([]db.UserEmail, error) {
	userName, _ := doc["userName"].(string)
	if strings.TrimSpace(userName) == "" {
		return nil, bad(scimerr.ScimTypeInvalidValue, "userName is required")
	}
	u.UserName = strings.TrimSpace(userName)
	u.ExternalID = ""
	if v, ok := doc["externalId"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, bad(scimerr.ScimTypeInvalidValue, "externalId must be a string")
		}
		u.ExternalID = s
	}
	u.Status = db.StatusActive
	if v, ok := doc["active"]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return nil, bad(scimerr.ScimTypeInvalidValue, "active must be a boolean")
		}
		if !b {
			u.Status = db.StatusInactive
		}
	}
	var emails []db.UserEmail
	if v, ok := doc["emails"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok {
			return nil, bad(scimerr.ScimTypeInvalidValue, "emails must be a list")
		}
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, bad(scimerr.ScimTypeInvalidValue, "each email must be an object with a value")
			}
			val, _ := m["value"].(string)
			typ, _ := m["type"].(string)
			prim, _ := m["primary"].(bool)
			if strings.TrimSpace(val) == "" {
				continue
			}
			if err := db.ValidateEmail(strings.TrimSpace(val)); err != nil && checkEmails {
				return nil, bad(scimerr.ScimTypeInvalidValue, "emails[].value %q is not a valid email address", val)
			}
			emails = append(emails, db.UserEmail{Value: strings.TrimSpace(val), Type: typ, Primary: prim})
		}
	}
	email := ""
	for _, pick := range []func(db.UserEmail) bool{
		func(e db.UserEmail) bool { return e.Primary },
		func(e db.UserEmail) bool { return strings.EqualFold(e.Type, "work") },
		func(db.UserEmail) bool { return true },
	} {
		for _, e := range emails {
			if email == "" && pick(e) {
				email = e.Value
			}
		}
	}
	if email == "" {
		if db.ValidateEmail(u.UserName) != nil {
			return nil, bad(scimerr.ScimTypeInvalidValue, "Roster needs an email address: userName %q is not one, and no emails[].value was sent", u.UserName)
		}
		email = u.UserName
	}
	if err := db.ValidateEmail(email); err != nil {
		return nil, bad(scimerr.ScimTypeInvalidValue, "emails[].value %q is not a valid email address", email)
	}
	u.Email = email
	priv := map[string]any{}
	name, _ := doc["name"].(map[string]any)
	given, _ := name["givenName"].(string)
	family, _ := name["familyName"].(string)
	given, family = strings.TrimSpace(given), strings.TrimSpace(family)
	local := email
	if i := strings.IndexByte(local, '@'); i > 0 {
		local = local[:i]
	}
	if given == "" {
		given = local
		if dn, _ := doc["displayName"].(string); strings.TrimSpace(dn) != "" {
			given = strings.Fields(dn)[0]
		}
		priv["derivedGiven"] = true
	}
	if family == "" {
		family = given
		if dn, _ := doc["displayName"].(string); len(strings.Fields(dn)) > 1 {
			family = strings.Join(strings.Fields(dn)[1:], " ")
		}
		priv["derivedFamily"] = true
	}
	u.FirstName, u.LastName = given, family
	rest := make(map[string]any, len(doc))
	for k, v := range doc {
		switch k {
		case "userName", "active", "externalId", "id", "meta", "schemas", "groups", "password", URNRoster, privateKey:
			continue
		}
		if unassigned(v) {
			continue
		}
		rest[k] = v
	}
	pruneUnassigned(rest)
	if len(priv) > 0 {
		rest[privateKey] = priv
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return nil, bad(scimerr.ScimTypeInvalidValue, "attributes cannot be stored")
	}
	u.Attributes = b
	return emails, nil
}

// userView is what a response needs besides the user row.
type userView struct {
	groups      []db.Group
	withGroups  bool
	expected    db.UserType
	hasExpected bool
}

func (r *userResource) render(u db.User, v userView) map[string]any {
	doc := storedDoc(u)
	r.addViews(doc, u, v)
	return doc
}

// addViews adds to a user's document what does not come from its row: its
// groups and the Roster extension (type and exception).
func (r *userResource) addViews(doc map[string]any, u db.User, v userView) {
	if v.withGroups && len(v.groups) > 0 {
		gs := make([]any, 0, len(v.groups))
		for _, g := range v.groups {
			gs = append(gs, map[string]any{"value": g.ID, "display": g.DisplayName,
				"$ref": r.h.opts.BaseURL + "/Groups/" + url.PathEscape(g.ID), "type": "direct"})
		}
		doc["groups"] = gs
	}
	ext := map[string]any{"userType": string(u.Type)}
	if v.hasExpected {
		ext["exception"] = u.Exception(v.expected)
	} else {
		ext["exception"] = false
	}
	doc[URNRoster] = ext
}

// views loads groups and expected types for a page of users (two queries).
func (r *userResource) views(ctx context.Context, teamID string, users []db.User, withGroups bool) (map[string]userView, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	out := make(map[string]userView, len(users))
	exp, err := r.h.store.ExpectedTypesOf(ctx, teamID, users)
	if err != nil {
		return nil, err
	}
	var groups map[string][]db.Group
	if withGroups {
		if groups, err = r.h.store.GroupsOfUsers(ctx, teamID, ids); err != nil {
			return nil, err
		}
	}
	for _, u := range users {
		e, ok := exp[u.ID]
		out[u.ID] = userView{groups: groups[u.ID], withGroups: withGroups, expected: e, hasExpected: ok}
	}
	return out, nil
}

func version(v int64) string { return `W/"` + itoa(v) + `"` }

func (r *userResource) resource(u db.User, v userView) lib.Resource {
	doc := r.render(u, v)
	created, modified := u.CreatedAt, u.UpdatedAt
	res := lib.Resource{ID: u.ID, Attributes: doc,
		Meta: lib.Meta{Created: &created, LastModified: &modified, Version: version(u.Version)}}
	if u.ExternalID != "" {
		res.ExternalID = optional.NewString(u.ExternalID)
	}
	return res
}

// full renders the complete response document (id, schemas, meta included).
func (r *userResource) full(u db.User, v userView) map[string]any {
	return r.complete(u, r.render(u, v))
}

// complete adds id, externalId, schemas and meta to a rendered document.
func (r *userResource) complete(u db.User, doc map[string]any) map[string]any {
	doc["id"] = u.ID
	if u.ExternalID != "" {
		doc["externalId"] = u.ExternalID
	}
	schemas := []any{URNUser}
	if _, ok := doc[URNEnterprise]; ok {
		schemas = append(schemas, URNEnterprise)
	}
	schemas = append(schemas, URNRoster)
	doc["schemas"] = schemas
	doc["meta"] = map[string]any{"resourceType": "User", "created": u.CreatedAt.UTC().Format(timeFormat),
		"lastModified": u.UpdatedAt.UTC().Format(timeFormat), "version": version(u.Version),
		"location": r.h.opts.BaseURL + "/Users/" + url.PathEscape(u.ID)}
	return doc
}

// getDoc serves GET /Users/{id}.
func (r *userResource) getDoc(ctx context.Context, id string, p projection) (map[string]any, string, error) {
	teamID := teamOf(ctx)
	// The user and its expected type in one query; its groups in a second
	// only when the response shows them.
	u, exp, err := r.h.store.GetSCIMUserExpected(ctx, teamID, id)
	if err != nil {
		return nil, "", err
	}
	v := userView{withGroups: p.wants("groups"), expected: exp, hasExpected: exp != ""}
	if v.withGroups {
		groups, err := r.h.store.GroupsOfUsers(ctx, teamID, []string{u.ID})
		if err != nil {
			return nil, "", err
		}
		v.groups = groups[u.ID]
	}
	if p.empty() {
		doc, err := r.encodedFull(u, v)
		return doc, version(u.Version), err
	}
	return r.full(u, v), version(u.Version), nil
}

// search serves list and .search for users.
func (r *userResource) search(ctx context.Context, q db.Query, p projection) ([]map[string]any, int, string, error) {
	teamID := teamOf(ctx)
	users, total, err := r.h.store.SearchUsers(ctx, teamID, q)
	if err != nil {
		return nil, 0, "", err
	}
	out := make([]map[string]any, 0, len(users))
	if len(users) == 0 {
		return out, total, "", nil
	}
	views, err := r.views(ctx, teamID, users, p.wants("groups"))
	if err != nil {
		return nil, 0, "", err
	}
	for _, u := range users {
		if p.empty() {
			doc, err := r.encodedFull(u, views[u.ID])
			if err != nil {
				return nil, 0, "", err
			}
			out = append(out, doc)
			continue
		}
		out = append(out, r.full(u, views[u.ID]))
	}
	return out, total, users[len(users)-1].ID, nil
}

// Create implements lib.ResourceHandler.
func (r *userResource) Create(req *http.Request, attrs lib.ResourceAttributes) (lib.Resource, error) {
	ctx := req.Context()
	var u db.User
	emails, err := docToUser(map[string]any(attrs), &u, true)
	if err != nil {
		return lib.Resource{}, err
	}
	created, err := r.h.store.CreateSCIMUser(ctx, teamOf(ctx), db.NewUser{Email: u.Email, UserName: u.UserName,
		FirstName: u.FirstName, LastName: u.LastName, Status: u.Status, Source: db.SourceSCIM,
		ExternalID: u.ExternalID, Attributes: u.Attributes}, emails, actorOf(ctx))
	if err != nil {
		return lib.Resource{}, r.h.toScimError(err, http.MethodPost)
	}
	// The store classified the new user (no Type was sent) with the team's
	// policy inside its transaction, so its expected type is its type: no
	// second policy read. A new user is in no group.
	v := userView{withGroups: true, expected: created.Type, hasExpected: !created.AdminRole.IsAdmin()}
	return r.respond(ctx, created, v), nil
}

// Get implements lib.ResourceHandler (GET by id is served by the handler).
func (r *userResource) Get(req *http.Request, id string) (lib.Resource, error) {
	ctx := req.Context()
	u, err := r.h.store.GetUser(ctx, teamOf(ctx), id)
	if err != nil {
		return lib.Resource{}, r.h.toScimError(err, http.MethodGet)
	}
	return r.after(ctx, u, http.MethodGet)
}

// GetAll implements lib.ResourceHandler; lists are served by the handler.
func (r *userResource) GetAll(*http.Request, lib.ListRequestParams) (lib.Page, error) {
	return lib.Page{Resources: []lib.Resource{}}, nil
}

func (r *userResource) after(ctx context.Context, u db.User, method string) (lib.Resource, error) {
	views, err := r.views(ctx, teamOf(ctx), []db.User{u}, true)
	if err != nil {
		return lib.Resource{}, r.h.toScimError(err, method)
	}
	return r.respond(ctx, u, views[u.ID]), nil
}

// respond is resource for a write the library answers: it also hands the
// complete response document to serveLibrary (see written), rendered once.
func (r *userResource) respond(ctx context.Context, u db.User, v userView) lib.Resource {
	res := r.resource(u, v)
	if w, _ := ctx.Value(ctxWrittenKey{}).(*written); w != nil {
		doc := r.complete(u, maps.Clone(map[string]any(res.Attributes)))
		// The library lists every extension of the resource type.
		schemas := []any{URNUser}
		for _, e := range r.schemas.extensions {
			schemas = append(schemas, e.ID)
		}
		doc["schemas"] = schemas
		w.doc = doc
	}
	return res
}

// Replace implements lib.ResourceHandler (PUT: full replace, never creates).
func (r *userResource) Replace(req *http.Request, id string, attrs lib.ResourceAttributes) (lib.Resource, error) {
	ctx := req.Context()
	u, err := r.h.store.UpdateSCIMUser(ctx, teamOf(ctx), id, ifMatch(ctx), actorOf(ctx), func(u *db.User, emails *[]db.UserEmail) error {
		before := string(u.Attributes)
		list, err := docToUser(map[string]any(attrs), u, true)
		if err != nil {
			return err
		}
		if before != string(u.Attributes) {
			*emails = append([]db.UserEmail{}, list...)
		}
		return nil
	})
	if err != nil {
		return lib.Resource{}, r.h.writeErr(ctx, err, http.MethodPut)
	}
	return r.after(ctx, u, http.MethodPut)
}

// Delete implements lib.ResourceHandler.
func (r *userResource) Delete(req *http.Request, id string) error {
	ctx := req.Context()
	if v := ifMatch(ctx); v != 0 {
		u, err := r.h.store.GetUser(ctx, teamOf(ctx), id)
		if err != nil {
			return r.h.toScimError(err, http.MethodDelete)
		}
		if u.Version != v {
			return scimerr.ScimError{Status: http.StatusPreconditionFailed, Detail: "If-Match does not match the current version"}
		}
	}
	if err := r.h.store.DeleteUser(ctx, teamOf(ctx), id, actorOf(ctx)); err != nil {
		return r.h.toScimError(err, http.MethodDelete)
	}
	return nil
}

// Patch implements lib.ResourceHandler: the operations are applied to the
// stored document inside the store's update transaction.
func (r *userResource) Patch(req *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	ctx := req.Context()
	u, err := r.h.store.UpdateSCIMUser(ctx, teamOf(ctx), id, ifMatch(ctx), actorOf(ctx), func(u *db.User, emails *[]db.UserEmail) error {
		doc := storedDoc(*u)
		if u.ExternalID != "" {
			doc["externalId"] = u.ExternalID
		}
		beforeEmails, _ := json.Marshal(doc["emails"])
		if err := applyPatch(ctx, doc, r.schemas, ops); err != nil {
			return err
		}
		afterEmails, _ := json.Marshal(doc["emails"])
		changed := string(afterEmails) != string(beforeEmails)
		list, err := docToUser(doc, u, changed)
		if err != nil {
			return err
		}
		if changed {
			*emails = append([]db.UserEmail{}, list...)
		}
		return nil
	})
	if err != nil {
		return lib.Resource{}, r.h.writeErr(ctx, err, http.MethodPatch)
	}
	return r.after(ctx, u, http.MethodPatch)
}

// pruneUnassigned removes, recursively, the keys of m whose values are
// unassigned (null, [] or {} once pruned), and null list elements.
func pruneUnassigned(m map[string]any) {
	for k, v := range m {
		m[k] = pruneValue(v)
		if unassigned(m[k]) {
			delete(m, k)
		}
	}
}

func pruneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		pruneUnassigned(x)
	case []any:
		kept := x[:0]
		for _, e := range x {
			if e = pruneValue(e); !unassigned(e) {
				kept = append(kept, e)
			}
		}
		clear(x[len(kept):])
		return kept
	}
	return v
}

// unassigned reports whether v is null, an empty list or an empty object:
// RFC 7643 §2.5 treats them as the attribute being unassigned.
func unassigned(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
