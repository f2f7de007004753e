package scim

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/roster-dev/roster/db"
)

// groupResource serves /Groups; it implements the library's ResourceHandler.
// Members are changed with ModifyMembers-style diffs, never delete-all-reinsert.
type groupResource struct {
	h       *handler
	schemas schemaSet
}

func (*groupResource) endpoint() string     { return "Groups" }
func (g *groupResource) sset() schemaSet    { return g.schemas }
func (*groupResource) coreURN() string      { return URNGroup }
func (*groupResource) resourceName() string { return "Group" }

// members loads all members of a group, page by page.
func (g *groupResource) members(ctx context.Context, teamID, groupID string) ([]db.Member, error) {
	var out []db.Member
	after := ""
	for {
		page, err := g.h.store.ListMembers(ctx, teamID, groupID, db.Page{After: after, Limit: 10000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < 10000 {
			return out, nil
		}
		after = page[len(page)-1].UserID
	}
}

func (g *groupResource) render(gr db.Group, members []db.Member, withMembers bool) map[string]any {
	doc := map[string]any{"displayName": gr.DisplayName}
	if withMembers && len(members) > 0 { // RFC 7643 §2.5: [] is unassigned
		ms := make([]any, len(members))
		for i, m := range members {
			ms[i] = map[string]any{"value": m.UserID, "display": m.Email, "type": "User",
				"$ref": g.h.opts.BaseURL + "/Users/" + url.PathEscape(m.UserID)}
		}
		doc["members"] = ms
	}
	return doc
}

func (g *groupResource) full(gr db.Group, members []db.Member, withMembers bool) map[string]any {
	doc := g.render(gr, members, withMembers)
	doc["id"] = gr.ID
	if gr.ExternalID != "" {
		doc["externalId"] = gr.ExternalID
	}
	doc["schemas"] = []any{URNGroup}
	doc["meta"] = map[string]any{"resourceType": "Group", "created": gr.CreatedAt.UTC().Format(timeFormat),
		"lastModified": gr.UpdatedAt.UTC().Format(timeFormat), "version": version(gr.Version),
		"location": g.h.opts.BaseURL + "/Groups/" + url.PathEscape(gr.ID)}
	return doc
}

func (g *groupResource) getDoc(ctx context.Context, id string, p projection) (map[string]any, string, error) {
	teamID := teamOf(ctx)
	gr, err := g.h.store.GetGroup(ctx, teamID, id)
	if err != nil {
		return nil, "", err
	}
	var ms []db.Member
	with := p.wants("members")
	if with {
		if ms, err = g.members(ctx, teamID, id); err != nil {
			return nil, "", err
		}
	}
	return g.full(gr, ms, with), version(gr.Version), nil
}

func (g *groupResource) search(ctx context.Context, q db.Query, p projection) ([]map[string]any, int, string, error) {
	teamID := teamOf(ctx)
	groups, total, err := g.h.store.SearchGroups(ctx, teamID, q)
	if err != nil {
		return nil, 0, "", err
	}
	out := make([]map[string]any, 0, len(groups))
	with := p.wants("members")
	for _, gr := range groups {
		var ms []db.Member
		if with && gr.MemberCount > 0 {
			if ms, err = g.members(ctx, teamID, gr.ID); err != nil {
				return nil, 0, "", err
			}
		}
		out = append(out, g.full(gr, ms, with))
	}
	last := ""
	if len(groups) > 0 {
		last = groups[len(groups)-1].ID
	}
	return out, total, last, nil
}

func (g *groupResource) resource(gr db.Group, doc map[string]any) lib.Resource {
	created, modified := gr.CreatedAt, gr.UpdatedAt
	res := lib.Resource{ID: gr.ID, Attributes: doc,
		Meta: lib.Meta{Created: &created, LastModified: &modified, Version: version(gr.Version)}}
	if gr.ExternalID != "" {
		res.ExternalID = optional.NewString(gr.ExternalID)
	}
	return res
}

// memberIDs reads the "value" of each member object.
func memberIDs(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		if m, ok := v.(map[string]any); ok {
			list = []any{m}
		} else {
			return nil, bad(scimerr.ScimTypeInvalidValue, "members must be a list of objects with a value")
		}
	}
	ids := make([]string, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, bad(scimerr.ScimTypeInvalidValue, "each member must be an object with a value")
		}
		if t, _ := m["type"].(string); strings.EqualFold(t, "Group") {
			return nil, bad(scimerr.ScimTypeInvalidValue, "nested groups are not supported; members must be users")
		}
		id, _ := m["value"].(string)
		if strings.TrimSpace(id) == "" {
			return nil, bad(scimerr.ScimTypeInvalidValue, "each member needs a value (a user id)")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func groupFields(attrs map[string]any) (name, externalID string, err error) {
	name, _ = attrs["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return "", "", bad(scimerr.ScimTypeInvalidValue, "displayName is required")
	}
	if v, ok := attrs["externalId"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return "", "", bad(scimerr.ScimTypeInvalidValue, "externalId must be a string")
		}
		externalID = s
	}
	return name, externalID, nil
}

// Create implements lib.ResourceHandler.
func (g *groupResource) Create(req *http.Request, attrs lib.ResourceAttributes) (lib.Resource, error) {
	ctx := req.Context()
	name, ext, err := groupFields(attrs)
	if err != nil {
		return lib.Resource{}, err
	}
	ids, err := memberIDs(attrs["members"])
	if err != nil {
		return lib.Resource{}, err
	}
	gr, err := g.h.store.CreateGroup(ctx, teamOf(ctx), db.NewGroup{DisplayName: name, ExternalID: ext,
		Source: db.SourceSCIM, Members: ids}, actorOf(ctx))
	if err != nil {
		return lib.Resource{}, g.h.toScimError(err, http.MethodPost)
	}
	ms, err := g.members(ctx, teamOf(ctx), gr.ID)
	if err != nil {
		return lib.Resource{}, g.h.toScimError(err, http.MethodPost)
	}
	return g.resource(gr, g.render(gr, ms, true)), nil
}

// Get implements lib.ResourceHandler (GET by id is served by the handler).
func (g *groupResource) Get(req *http.Request, id string) (lib.Resource, error) {
	ctx := req.Context()
	gr, err := g.h.store.GetGroup(ctx, teamOf(ctx), id)
	if err != nil {
		return lib.Resource{}, g.h.toScimError(err, http.MethodGet)
	}
	return g.resource(gr, g.render(gr, nil, false)), nil
}

// GetAll implements lib.ResourceHandler; lists are served by the handler.
func (g *groupResource) GetAll(*http.Request, lib.ListRequestParams) (lib.Page, error) {
	return lib.Page{Resources: []lib.Resource{}}, nil
}

// Replace implements lib.ResourceHandler: PUT replaces name, externalId and
// the member set (as a diff).
func (g *groupResource) Replace(req *http.Request, id string, attrs lib.ResourceAttributes) (lib.Resource, error) {
	ctx := req.Context()
	name, ext, err := groupFields(attrs)
	if err != nil {
		return lib.Resource{}, err
	}
	ids, err := memberIDs(attrs["members"])
	if err != nil {
		return lib.Resource{}, err
	}
	if ids == nil {
		ids = []string{}
	}
	gr, err := g.h.store.PatchGroup(ctx, teamOf(ctx), id, ifMatch(ctx), actorOf(ctx), func(gr *db.Group) error {
		gr.DisplayName, gr.ExternalID = name, ext
		return nil
	}, nil, nil, &ids)
	if err != nil {
		return lib.Resource{}, g.h.writeErr(ctx, err, http.MethodPut)
	}
	ms, err := g.members(ctx, teamOf(ctx), gr.ID)
	if err != nil {
		return lib.Resource{}, g.h.writeErr(ctx, err, http.MethodPut)
	}
	return g.resource(gr, g.render(gr, ms, true)), nil
}

// Delete implements lib.ResourceHandler.
func (g *groupResource) Delete(req *http.Request, id string) error {
	ctx := req.Context()
	if v := ifMatch(ctx); v != 0 {
		gr, err := g.h.store.GetGroup(ctx, teamOf(ctx), id)
		if err != nil {
			return g.h.toScimError(err, http.MethodDelete)
		}
		if gr.Version != v {
			return scimerr.ScimError{Status: http.StatusPreconditionFailed, Detail: "If-Match does not match the current version"}
		}
	}
	if err := g.h.store.DeleteGroup(ctx, teamOf(ctx), id, actorOf(ctx)); err != nil {
		return g.h.toScimError(err, http.MethodDelete)
	}
	return nil
}

// memberChange accumulates member operations in order: a replace resets the
// set; later adds and removes apply on top of it.
type memberChange struct {
	replace     *[]string
	add, remove map[string]bool
	order       []string
}

func newMemberChange() *memberChange {
	return &memberChange{add: map[string]bool{}, remove: map[string]bool{}}
}

func (c *memberChange) doReplace(ids []string) {
	cp := append([]string{}, ids...)
	c.replace = &cp
	c.add, c.remove = map[string]bool{}, map[string]bool{}
}

func (c *memberChange) doAdd(ids []string) {
	for _, id := range ids {
		delete(c.remove, id)
		if c.replace != nil {
			*c.replace = append(*c.replace, id)
			continue
		}
		if !c.add[id] {
			c.add[id] = true
			c.order = append(c.order, id)
		}
	}
}

func (c *memberChange) doRemove(ids []string) {
	for _, id := range ids {
		delete(c.add, id)
		if c.replace != nil {
			kept := (*c.replace)[:0]
			for _, r := range *c.replace {
				if r != id {
					kept = append(kept, r)
				}
			}
			*c.replace = kept
			continue
		}
		c.remove[id] = true
	}
}

func (c *memberChange) lists() (add, remove []string) {
	for _, id := range c.order {
		if c.add[id] {
			add = append(add, id)
		}
	}
	for id := range c.remove {
		remove = append(remove, id)
	}
	return add, remove
}

// Patch implements lib.ResourceHandler. Member operations become one diff;
// the answer is 204 (a group of 10,000 members is not echoed back).
func (g *groupResource) Patch(req *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	ctx := req.Context()
	mc := newMemberChange()
	var attrOps []lib.PatchOperation
	for _, op := range ops {
		handled, err := groupMemberOp(op, mc)
		if err != nil {
			return lib.Resource{}, err
		}
		if !handled {
			attrOps = append(attrOps, op)
		}
	}
	var change func(*db.Group) error
	if len(attrOps) > 0 {
		change = func(gr *db.Group) error {
			doc := map[string]any{"displayName": gr.DisplayName}
			if gr.ExternalID != "" {
				doc["externalId"] = gr.ExternalID
			}
			if err := applyPatch(ctx, doc, g.schemas, attrOps); err != nil {
				return err
			}
			name, ext, err := groupFields(doc)
			if err != nil {
				return err
			}
			gr.DisplayName, gr.ExternalID = name, ext
			return nil
		}
	}
	add, remove := mc.lists()
	if _, err := g.h.store.PatchGroup(ctx, teamOf(ctx), id, ifMatch(ctx), actorOf(ctx), change, add, remove, mc.replace); err != nil {
		return lib.Resource{}, g.h.writeErr(ctx, err, http.MethodPatch)
	}
	return lib.Resource{}, nil
}

// groupMemberOp applies op to mc if it targets members (with a path, or a
// path-less value carrying "members"); path-less values lose that key.
func groupMemberOp(op lib.PatchOperation, mc *memberChange) (bool, error) {
	if op.Path == nil {
		m, ok := op.Value.(map[string]any)
		if !ok {
			return false, nil
		}
		for k, v := range m {
			if !strings.EqualFold(k, "members") {
				continue
			}
			ids, err := memberIDs(v)
			if err != nil {
				return false, err
			}
			switch op.Op {
			case "add":
				mc.doAdd(ids)
			case "replace":
				mc.doReplace(ids)
			}
			delete(m, k)
		}
		return len(m) == 0, nil
	}
	if !strings.EqualFold(op.Path.AttributePath.AttributeName, "members") {
		return false, nil
	}
	if op.Path.ValueExpression != nil {
		ids, err := memberFilterIDs(op.Path.ValueExpression)
		if err != nil {
			return false, err
		}
		switch op.Op {
		case "remove":
			mc.doRemove(ids)
		default:
			return false, bad(scimerr.ScimTypeInvalidPath, "members[...] filters are only supported with remove")
		}
		return true, nil
	}
	if op.Path.AttributePath.SubAttribute != nil || op.Path.SubAttribute != nil {
		return false, bad(scimerr.ScimTypeInvalidPath, "members sub-attributes cannot be patched")
	}
	ids, err := memberIDs(op.Value)
	if err != nil {
		return false, err
	}
	switch op.Op {
	case "add":
		mc.doAdd(ids)
	case "replace":
		mc.doReplace(ids)
	case "remove":
		if op.Value == nil {
			mc.doReplace(nil)
		} else {
			// Entra ID: remove only the listed members, never all of them.
			mc.doRemove(ids)
		}
	}
	return true, nil
}
