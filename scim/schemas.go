package scim

import (
	"strings"

	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Schema URNs served by Roster.
const (
	URNUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	URNGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	URNEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// URNRoster is the read-only Roster extension: the user's role-policy type
	// and whether the user is an exception to the team's policy.
	URNRoster = "urn:roster:params:scim:schemas:extension:roster:2.0:User"

	urnListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	urnSearch       = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	urnPatchOp      = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	urnBulkRequest  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	urnBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	urnError        = "urn:ietf:params:scim:api:messages:2.0:Error"
	urnSPC          = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	// urnEntraGroup is an extra schema Entra ID puts on group POSTs; tolerated.
	urnEntraGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

func rosterSchema() schema.Schema {
	return schema.Schema{
		ID:          URNRoster,
		Name:        optional.NewString("Roster User"),
		Description: optional.NewString("Read-only role-policy view of a Roster user"),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Name:            "userType",
				Description:     optional.NewString("The user's role-policy classification: standard or external."),
				Mutability:      schema.AttributeMutabilityReadOnly(),
				CanonicalValues: []string{"standard", "external"},
			})),
			schema.SimpleCoreAttribute(schema.SimpleBooleanParams(schema.BooleanParams{
				Name:        "exception",
				Description: optional.NewString("True when the team's policy expects a different userType (admins never are)."),
				Mutability:  schema.AttributeMutabilityReadOnly(),
			})),
		},
	}
}

// schemaSet is what the handlers know about a resource type's attributes.
type schemaSet struct {
	core       schema.Schema
	extensions []schema.Schema
}

func userSchemas() schemaSet {
	return schemaSet{core: schema.CoreUserSchema(), extensions: []schema.Schema{schema.ExtensionEnterpriseUser(), rosterSchema()}}
}

func groupSchemas() schemaSet {
	return schemaSet{core: schema.CoreGroupSchema()}
}

// extension returns the extension schema with the URN (case-insensitive).
func (s schemaSet) extension(urn string) (schema.Schema, bool) {
	for _, e := range s.extensions {
		if strings.EqualFold(e.ID, urn) {
			return e, true
		}
	}
	return schema.Schema{}, false
}

// attrRef is a resolved attribute reference: ext is "" for the core schema.
type attrRef struct {
	ext  string
	name string // canonical attribute name
	sub  string // canonical sub-attribute name, or ""
	attr schema.CoreAttribute
	subA schema.CoreAttribute
}

func (a attrRef) String() string {
	s := a.name
	if a.sub != "" {
		s += "." + a.sub
	}
	if a.ext != "" {
		s = a.ext + ":" + s
	}
	return s
}

// common attributes handled outside the library's schemas.
func commonAttr(name string) (string, bool) {
	for _, n := range []string{"id", "externalId", "meta", "schemas"} {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

// resolve finds uri:name.sub in the schema set. It returns ok=false for an
// unknown attribute. Common attributes come back with an empty attr.
func (s schemaSet) resolve(uri, name, sub string) (attrRef, bool) {
	sch := s.core
	ext := ""
	if uri != "" && !strings.EqualFold(uri, s.core.ID) {
		e, ok := s.extension(uri)
		if !ok {
			return attrRef{}, false
		}
		sch, ext = e, e.ID
	}
	if ext == "" {
		if c, ok := commonAttr(name); ok {
			r := attrRef{name: c}
			if c == "meta" && sub != "" {
				for _, m := range []string{"created", "lastModified", "resourceType", "location", "version"} {
					if strings.EqualFold(m, sub) {
						r.sub = m
						return r, true
					}
				}
				return attrRef{}, false
			}
			return r, sub == "" || c == "meta"
		}
	}
	a, ok := sch.Attributes.ContainsAttribute(name)
	if !ok {
		return attrRef{}, false
	}
	r := attrRef{ext: ext, name: a.Name(), attr: a}
	if sub != "" {
		if !a.HasSubAttributes() {
			return attrRef{}, false
		}
		sa, ok := a.SubAttributes().ContainsAttribute(sub)
		if !ok {
			return attrRef{}, false
		}
		r.sub, r.subA = sa.Name(), sa
	}
	return r, true
}

// resolveKey resolves a flat key as used by path-less PATCH values and the
// attributes parameter: "name.givenName", "urn:...:User:department",
// "urn:...:User:manager.value" or a whole extension URN.
func (s schemaSet) resolveKey(key string) (attrRef, bool) {
	uri := ""
	lk := strings.ToLower(key)
	for _, sc := range append([]schema.Schema{s.core}, s.extensions...) {
		id := strings.ToLower(sc.ID)
		if lk == id {
			return attrRef{ext: sc.ID}, true
		}
		if strings.HasPrefix(lk, id+":") {
			uri = sc.ID
			key = key[len(id)+1:]
			break
		}
	}
	name, sub, _ := strings.Cut(key, ".")
	return s.resolve(uri, name, sub)
}

// readOnly reports whether a client may not write the attribute.
func (r attrRef) readOnly() bool {
	if r.ext == URNRoster {
		return true
	}
	switch r.name {
	case "id", "meta", "groups":
		return r.ext == ""
	}
	if r.sub != "" && r.subA.Mutability() == "readOnly" {
		return true
	}
	return r.attr.Mutability() == "readOnly"
}

// Requirements Roster enforces beyond RFC 7643's schemas, told to clients in
// /Schemas (the library serves the RFC text): descriptions get a "Roster:"
// sentence, and the value of every multi-valued element is required.
const (
	noteUserSchema = " Roster requires an email address for every user: emails[].value, or an email-shaped userName when no email is sent."
	noteUserName   = " Roster: at most 255 characters; when no emails[].value is sent it must be an email address, because Roster requires one."
	noteEmails     = " Roster: Required unless userName is an email address. The primary value (else the work one, else the first) is the user's email address. At most one primary; elements with the same (type, value) are merged; an element without a value is refused."
	noteEmailValue = " Roster: required in every element; must be a valid email address (an RFC 5322 addr-spec without a display name)."
	noteMulti      = " Roster: at most one primary; elements with the same (type, value) are merged; an element without a value is refused; null elements are dropped."
	noteName255    = " Roster: at most 255 characters; derived from displayName or the email address when not sent."
	note255        = " Roster: at most 255 characters."
	noteMembers    = " Roster: members must be users of the same team (nested groups are refused)."
)

// annotateSchema adds Roster's requirements to a served schema document
// (one element of /Schemas, or /Schemas/{urn}).
func annotateSchema(sch map[string]any) {
	add := func(m map[string]any, note string) {
		d, _ := m["description"].(string)
		m["description"] = d + note
	}
	attrs, _ := sch["attributes"].([]any)
	find := func(list []any, name string) map[string]any {
		for _, a := range list {
			if m, ok := a.(map[string]any); ok && m["name"] == name {
				return m
			}
		}
		return nil
	}
	switch sch["id"] {
	case URNUser:
		add(sch, noteUserSchema)
		for _, a := range attrs {
			m, ok := a.(map[string]any)
			if !ok {
				continue
			}
			subs, _ := m["subAttributes"].([]any)
			switch name, _ := m["name"].(string); {
			case name == "userName" || name == "externalId":
				if name == "userName" {
					add(m, noteUserName)
				} else {
					add(m, note255)
				}
			case name == "name":
				for _, n := range []string{"givenName", "familyName"} {
					if s := find(subs, n); s != nil {
						add(s, noteName255)
					}
				}
			case m["multiValued"] == true && m["mutability"] != "readOnly" && len(subs) > 0:
				v := find(subs, "value")
				if name == "emails" {
					add(m, noteEmails)
				} else {
					add(m, noteMulti)
				}
				if v != nil {
					v["required"] = true
					if name == "emails" {
						add(v, noteEmailValue)
					}
				}
			}
		}
	case URNGroup:
		for _, a := range attrs {
			if m, ok := a.(map[string]any); ok {
				switch m["name"] {
				case "displayName", "externalId":
					add(m, note255)
				case "members":
					add(m, noteMembers)
				}
			}
		}
	}
}
