package db_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/roster-dev/roster/db"
)

// hasNUL reports whether a decoded JSON value holds a NUL in a string or key.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// FuzzCheckJSONText is issue 9 #11: CheckJSONText accepts a body exactly
// when it is UTF-8 and, decoded, holds no NUL in any string or key (for
// well-formed JSON), never panics, and its refusal is invalid_text.
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{
		`{"userName":"bob@example.com"}`,
		`{"userName":"bob\u0000@example.com"}`,
		`{"a\u0000":1}`,
		`{"title":"\\u0000 is text, not a NUL"}`,
		"{\"userName\":\"bob\xff\"}",
		"{\"userName\":\"\xc0\x80\"}",
		"{\"userName\":\"\xed\xa0\x80\"}",
		`{"name":"Zoë \ud83d\ude00"}`,
		`{"lone":"\ud800"}`,
		`[{"v":["x","\u0000"]}]`,
		`{"broken":"\u0000`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := db.CheckJSONText(body)
		if err != nil {
			if !errors.Is(err, db.ErrInvalid) || db.CodeOf(err) != "invalid_text" {
				t.Fatalf("error %v (code %q), want ErrInvalid invalid_text", err, db.CodeOf(err))
			}
		}
		if !utf8.Valid(body) {
			if err == nil {
				t.Fatalf("accepted a body that is not UTF-8: %q", body)
			}
			return
		}
		if !json.Valid(body) {
			return // the caller's decoder reports the syntax error
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		if nul := hasNUL(v); nul != (err != nil) {
			t.Fatalf("CheckJSONText(%q) = %v, but the decoded document has a NUL: %v", body, err, nul)
		}
	})
}

// TestCheckText is issue 9 #11's edge rule.
func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"bob@example.com", true}, {"Zoë", true}, {"", true}, {"😀", true},
		{"a\x00b", false}, {"a\xffb", false}, {"\xc0\x80", false}, {"\xed\xa0\x80", false},
	} {
		err := db.CheckText("v", tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("CheckText(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
		if err != nil && db.CodeOf(err) != "invalid_text" {
			t.Errorf("CheckText(%q) code %q", tc.in, db.CodeOf(err))
		}
	}
}
