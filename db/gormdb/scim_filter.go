package gormdb

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// sqlBuilder turns a db.Expr into a parameterised WHERE clause. Values are
// always bound; only column names chosen from fixed tables and JSON keys that
// match jsonKey are written into the SQL text.
type sqlBuilder struct {
	d      Dialect
	kind   string // "users" or "groups"
	teamID string
	sb     strings.Builder
	args   []any
}

var jsonKey = regexp.MustCompile(`^[A-Za-z0-9_:.\-]{1,200}$`)

func invalidFilter(format string, a ...any) error {
	return db.Errorf(db.ErrInvalid, "invalid_filter", format, a...)
}

type column struct {
	expr      string // SQL expression
	lowered   bool   // expr already holds a lower-cased copy
	kind      string // "string", "bool", "time"
	caseExact bool
}

func (b *sqlBuilder) table() string {
	if b.kind == "groups" {
		return quoteTable(b.d, "groups")
	}
	return "users"
}

func (b *sqlBuilder) column(f db.Field, multi string) (column, error) {
	t := b.table() + "."
	if multi == "emails" && b.kind == "users" {
		switch f {
		case db.FieldEmailValue:
			return column{expr: "e.value_lower", lowered: true, kind: "string"}, nil
		case db.FieldEmailType:
			return column{expr: "e.type_lower", lowered: true, kind: "string"}, nil
		case db.FieldEmailPrimary:
			return column{expr: "e.is_primary", kind: "bool"}, nil
		}
		return column{}, invalidFilter("%s cannot be filtered inside emails[...]", f)
	}
	if multi == "members" && b.kind == "groups" {
		if f == db.FieldMemberValue {
			return column{expr: "m.user_id", kind: "string", caseExact: true}, nil
		}
		return column{}, invalidFilter("%s cannot be filtered inside members[...]", f)
	}
	if multi != "" {
		return column{}, invalidFilter("%s cannot be filtered", multi)
	}
	switch f {
	case db.FieldID:
		return column{expr: t + "id", kind: "string", caseExact: true}, nil
	case db.FieldExternalID:
		return column{expr: t + "external_id", kind: "string", caseExact: true}, nil
	case db.FieldCreated:
		return column{expr: t + "created_at", kind: "time"}, nil
	case db.FieldLastModified:
		return column{expr: t + "updated_at", kind: "time"}, nil
	}
	if b.kind == "groups" {
		if f == db.FieldDisplayName {
			return column{expr: t + "display_name_lower", lowered: true, kind: "string"}, nil
		}
		return column{}, invalidFilter("%s is not a filterable group attribute", f)
	}
	switch f {
	case db.FieldUserName:
		return column{expr: t + "user_name_lower", lowered: true, kind: "string"}, nil
	case db.FieldEmail:
		return column{expr: t + "email_lower", lowered: true, kind: "string"}, nil
	case db.FieldGivenName:
		return column{expr: t + "first_name", kind: "string"}, nil
	case db.FieldFamilyName:
		return column{expr: t + "last_name", kind: "string"}, nil
	case db.FieldUserType:
		return column{expr: t + "type", kind: "string"}, nil
	case db.FieldActive:
		return column{expr: t + "status", kind: "bool"}, nil
	}
	return column{}, invalidFilter("%s is not a filterable user attribute", f)
}

// jsonColumn extracts a string from the JSON attributes.
func (b *sqlBuilder) jsonColumn(path []string) (column, error) {
	if len(path) == 0 || len(path) > 3 {
		return column{}, invalidFilter("attribute path is empty or too deep")
	}
	for _, k := range path {
		if !jsonKey.MatchString(k) || strings.ContainsAny(k, `"'`) {
			return column{}, invalidFilter("attribute %q cannot be filtered", k)
		}
	}
	t := b.table() + ".attributes"
	var e string
	switch b.d {
	case Postgres:
		e = fmt.Sprintf("(convert_from(%s, 'UTF8')::jsonb #>> '{%s}')", t, `"`+strings.Join(path, `","`)+`"`)
	case MySQL:
		e = fmt.Sprintf("JSON_UNQUOTE(JSON_EXTRACT(CAST(%s AS CHAR), '$.\"%s\"'))", t, strings.Join(path, `"."`))
	default:
		e = fmt.Sprintf("json_extract(CAST(%s AS TEXT), '$.\"%s\"')", t, strings.Join(path, `"."`))
	}
	return column{expr: e, kind: "string"}, nil
}

func (b *sqlBuilder) arg(v any) {
	b.sb.WriteString("?")
	b.args = append(b.args, v)
}

// where builds the full WHERE clause for the team, the filter and keyset paging.
func (b *sqlBuilder) where(teamID string, q db.Query) (string, []any, error) {
	b.teamID = teamID
	b.sb.WriteString(b.table() + ".team_id = ")
	b.arg(teamID)
	if q.After != "" {
		b.sb.WriteString(" AND " + b.table() + ".id ")
		if q.Descending {
			b.sb.WriteString("< ")
		} else {
			b.sb.WriteString("> ")
		}
		b.arg(q.After)
	}
	if q.Filter != nil {
		b.sb.WriteString(" AND (")
		if err := b.expr(q.Filter, "", 0); err != nil {
			return "", nil, err
		}
		b.sb.WriteString(")")
	}
	return b.sb.String(), b.args, nil
}

func (b *sqlBuilder) order(q db.Query) (string, error) {
	dir := ""
	if q.Descending {
		dir = " DESC"
	}
	t := b.table() + "."
	col := ""
	switch q.SortBy {
	case "", db.FieldID:
		return t + "id" + dir, nil
	case db.FieldExternalID:
		col = t + "external_id"
	case db.FieldCreated:
		col = t + "created_at"
	case db.FieldLastModified:
		col = t + "updated_at"
	case db.FieldUserName:
		col = t + "user_name_lower"
	case db.FieldEmail:
		col = t + "email_lower"
	case db.FieldGivenName:
		col = t + "first_name"
	case db.FieldFamilyName:
		col = t + "last_name"
	case db.FieldDisplayName:
		col = t + "display_name_lower"
	case db.FieldActive:
		col = t + "status"
	default:
		return "", invalidFilter("cannot sort by %s", q.SortBy)
	}
	if b.kind == "users" && q.SortBy == db.FieldDisplayName {
		return "", invalidFilter("cannot sort users by %s", q.SortBy)
	}
	if b.kind == "groups" && q.SortBy != db.FieldDisplayName && q.SortBy != db.FieldExternalID && q.SortBy != db.FieldCreated && q.SortBy != db.FieldLastModified {
		return "", invalidFilter("cannot sort groups by %s", q.SortBy)
	}
	return col + dir + ", " + t + "id" + dir, nil
}

const maxExprDepth = 32

func (b *sqlBuilder) expr(e *db.Expr, multi string, depth int) error {
	if e == nil {
		return invalidFilter("empty filter")
	}
	if depth > maxExprDepth {
		return invalidFilter("filter is nested too deeply")
	}
	switch e.Op {
	case db.ExprAnd, db.ExprOr:
		if len(e.Args) < 2 {
			return invalidFilter("%s needs two operands", e.Op)
		}
		for i, a := range e.Args {
			if i > 0 {
				b.sb.WriteString(" " + strings.ToUpper(string(e.Op)) + " ")
			}
			b.sb.WriteString("(")
			if err := b.expr(a, multi, depth+1); err != nil {
				return err
			}
			b.sb.WriteString(")")
		}
		return nil
	case db.ExprNot:
		if len(e.Args) != 1 {
			return invalidFilter("not needs one operand")
		}
		b.sb.WriteString("NOT (")
		if err := b.expr(e.Args[0], multi, depth+1); err != nil {
			return err
		}
		b.sb.WriteString(")")
		return nil
	case db.ExprAny:
		if multi != "" || len(e.Args) != 1 {
			return invalidFilter("value filters cannot be nested")
		}
		// IN (uncorrelated) rather than EXISTS, so the planner starts from the
		// value index instead of probing every row of the team.
		switch {
		case e.Multi == "emails" && b.kind == "users":
			b.sb.WriteString("users.id IN (SELECT e.user_id FROM user_emails e WHERE e.team_id = ")
			b.arg(b.teamID)
			b.sb.WriteString(" AND (")
		case e.Multi == "members" && b.kind == "groups":
			b.sb.WriteString(b.table() + ".id IN (SELECT m.group_id FROM group_members m WHERE m.team_id = ")
			b.arg(b.teamID)
			b.sb.WriteString(" AND (")
		default:
			return invalidFilter("%s cannot be filtered", e.Multi)
		}
		if err := b.expr(e.Args[0], e.Multi, depth+1); err != nil {
			return err
		}
		b.sb.WriteString("))")
		return nil
	case db.ExprCmp:
		return b.cmp(e, multi)
	}
	return invalidFilter("unknown filter operator %q", e.Op)
}

// likeEscape escapes LIKE wildcards with '!' (portable: no backslashes).
func likeEscape(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

// globEscape escapes SQLite GLOB wildcards.
func globEscape(s string) string {
	r := strings.NewReplacer("[", "[[]", "*", "[*]", "?", "[?]")
	return r.Replace(s)
}

func (b *sqlBuilder) cmp(e *db.Expr, multi string) error {
	var c column
	var err error
	if e.Field == db.FieldAttr {
		if multi != "" {
			return invalidFilter("attribute cannot be filtered inside a value filter")
		}
		c, err = b.jsonColumn(e.JSONPath)
	} else {
		c, err = b.column(e.Field, multi)
	}
	if err != nil {
		return err
	}
	if e.Cmp == db.CmpPr {
		switch c.kind {
		case "bool":
			b.sb.WriteString(c.expr + " IS NOT NULL")
		case "time":
			b.sb.WriteString(c.expr + " IS NOT NULL")
		default:
			b.sb.WriteString(c.expr + " IS NOT NULL AND " + c.expr + " <> ''")
		}
		return nil
	}
	switch c.kind {
	case "bool":
		v, ok := e.Value.(bool)
		if !ok {
			return invalidFilter("%s compares with true or false", e.Field)
		}
		if e.Cmp != db.CmpEq && e.Cmp != db.CmpNe {
			return invalidFilter("%s is a boolean; only eq and ne apply", e.Field)
		}
		if e.Cmp == db.CmpNe {
			v = !v
		}
		if e.Field == db.FieldActive {
			if v {
				b.sb.WriteString(c.expr + " = 'active'")
			} else {
				b.sb.WriteString(c.expr + " <> 'active'")
			}
			return nil
		}
		b.sb.WriteString(c.expr + " = ")
		b.arg(v)
		return nil
	case "time":
		v, ok := e.Value.(time.Time)
		if !ok {
			return invalidFilter("%s compares with a dateTime", e.Field)
		}
		op, err := sqlOp(e.Cmp)
		if err != nil {
			return err
		}
		b.sb.WriteString(c.expr + " " + op + " ")
		b.arg(v.UTC())
		return nil
	}
	v, ok := e.Value.(string)
	if !ok {
		if e.Value == nil {
			return invalidFilter("%s needs a value", e.Field)
		}
		v = fmt.Sprint(e.Value)
	}
	if err := db.CheckText("a filter value", v); err != nil {
		return err
	}
	exact := c.caseExact || (e.CaseExact && !c.lowered)
	col := c.expr
	if !exact {
		v = strings.ToLower(v)
		if !c.lowered {
			col = "LOWER(" + col + ")"
		}
	}
	switch e.Cmp {
	case db.CmpCo, db.CmpSw, db.CmpEw:
		if exact && b.d == SQLite {
			// SQLite's LIKE ignores ASCII case; GLOB does not.
			p := globEscape(v)
			switch e.Cmp {
			case db.CmpCo:
				p = "*" + p + "*"
			case db.CmpSw:
				p = p + "*"
			case db.CmpEw:
				p = "*" + p
			}
			b.sb.WriteString(col + " GLOB ")
			b.arg(p)
			return nil
		}
		p := likeEscape(v)
		switch e.Cmp {
		case db.CmpCo:
			p = "%" + p + "%"
		case db.CmpSw:
			p = p + "%"
		case db.CmpEw:
			p = "%" + p
		}
		if exact && b.d == MySQL {
			// MySQL columns compare with the table's (case-insensitive) collation.
			b.sb.WriteString(col + " LIKE BINARY ")
		} else {
			b.sb.WriteString(col + " LIKE ")
		}
		b.arg(p)
		b.sb.WriteString(" ESCAPE '!'")
		return nil
	}
	op, err := sqlOp(e.Cmp)
	if err != nil {
		return err
	}
	if exact && b.d == MySQL {
		if e.Cmp == db.CmpEq {
			// the plain comparison uses the index; BINARY makes it case-exact
			b.sb.WriteString(col + " = ")
			b.arg(v)
			b.sb.WriteString(" AND ")
		}
		b.sb.WriteString("BINARY " + col + " " + op + " ")
		b.arg(v)
		return nil
	}
	b.sb.WriteString(col + " " + op + " ")
	b.arg(v)
	return nil
}

func sqlOp(c db.CmpOp) (string, error) {
	switch c {
	case db.CmpEq:
		return "=", nil
	case db.CmpNe:
		return "<>", nil
	case db.CmpGt:
		return ">", nil
	case db.CmpGe:
		return ">=", nil
	case db.CmpLt:
		return "<", nil
	case db.CmpLe:
		return "<=", nil
	}
	return "", invalidFilter("operator %q is not supported here", c)
}
