package scim

import (
	"strings"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"
)

// parseSimpleFilter parses the filter form clients send most — one
// comparison of a plain attribute with a string, e.g. userName eq "x" or
// name.familyName sw "O" — into what filter.ParseFilter returns for it. The
// parser builds a full grammar tree and cost more CPU than the query itself.
// ok=false means "not this simple form" (URN paths, value paths, escapes,
// non-string values, logic): the caller uses the real parser.
func parseSimpleFilter(f string) (e *filter.AttributeExpression, ok bool) {
	i := 0
	name, i, ok := attrName(f, i)
	if !ok {
		return nil, false
	}
	var sub *string
	if i < len(f) && f[i] == '.' {
		var s string
		if s, i, ok = attrName(f, i+1); !ok {
			return nil, false
		}
		sub = &s
	}
	j := skipSP(f, i)
	if j == i || j+2 > len(f) {
		return nil, false
	}
	op := filter.CompareOperator(strings.ToLower(f[j : j+2]))
	switch op {
	case filter.EQ, filter.NE, filter.CO, filter.SW, filter.EW, filter.GT, filter.LT, filter.GE, filter.LE:
	default:
		return nil, false
	}
	k := skipSP(f, j+2)
	if k == j+2 || k >= len(f) || f[k] != '"' || len(f)-k < 2 || f[len(f)-1] != '"' {
		return nil, false
	}
	val := f[k+1 : len(f)-1]
	if !utf8.ValidString(val) {
		return nil, false
	}
	for _, r := range val {
		if r < 0x20 || r == '"' || r == '\\' || r == utf8.RuneError {
			return nil, false
		}
	}
	return &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: name, SubAttribute: sub},
		Operator: op, CompareValue: val}, true
}

// parseSimpleValuePath is parseSimpleFilter for name[simple comparison] (what
// rewriteValuePathSub leaves of Entra's emails[type eq "work"].value eq "x").
func parseSimpleValuePath(f string) (*filter.ValuePath, bool) {
	name, i, ok := attrName(f, 0)
	if !ok || i >= len(f) || f[i] != '[' || f[len(f)-1] != ']' {
		return nil, false
	}
	in, ok := parseSimpleFilter(f[i+1 : len(f)-1])
	if !ok {
		return nil, false
	}
	return &filter.ValuePath{AttributePath: filter.AttributePath{AttributeName: name}, ValueFilter: in}, true
}

// attrName reads ALPHA *(ALPHA / DIGIT / "-" / "_") at i.
func attrName(f string, i int) (string, int, bool) {
	start := i
	if i >= len(f) || !(f[i] >= 'a' && f[i] <= 'z' || f[i] >= 'A' && f[i] <= 'Z') {
		return "", i, false
	}
	for i < len(f) && (isAlnum(f[i]) || f[i] == '-' || f[i] == '_') {
		i++
	}
	return f[start:i], i, true
}

func skipSP(f string, i int) int {
	for i < len(f) && f[i] == ' ' {
		i++
	}
	return i
}
