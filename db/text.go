package db

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CheckText rejects text no backend stores the same way: a NUL character
// (PostgreSQL refuses it, SQLite keeps it) or bytes that are not UTF-8
// (PostgreSQL and MariaDB refuse them, SQLite keeps them). Transports call it
// at their edge; the store calls it on every value it sends to the database,
// so the answer is the same 400 on every backend. The error is ErrInvalid,
// code "invalid_text"; what names the value for the message.
func CheckText(what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return Errorf(ErrInvalid, "invalid_text", "%s contains a NUL character, which is not allowed", what)
	}
	if !utf8.ValidString(s) {
		return Errorf(ErrInvalid, "invalid_text", "%s is not valid UTF-8", what)
	}
	return nil
}

// CheckJSONText is CheckText for a JSON document: the raw bytes must be
// UTF-8 (encoding/json would silently replace bad bytes with U+FFFD) and no
// string or key may decode to a NUL (a "\u0000" escape). Syntax errors are
// left to the caller's decoder.
func CheckJSONText(body []byte) error {
	if !utf8.Valid(body) {
		return Errorf(ErrInvalid, "invalid_text", "the request body is not valid UTF-8")
	}
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error the caller reports
		}
		if s, ok := tok.(string); ok && strings.IndexByte(s, 0) >= 0 {
			return Errorf(ErrInvalid, "invalid_text", "the request body contains a NUL character (\\u0000), which is not allowed")
		}
	}
}

// CheckURLText is CheckText for a request's path and every query parameter
// name and value: the one check each HTTP transport runs at its edge, so a
// NUL or invalid UTF-8 in a URL is the same 400 everywhere (issue 9 #11).
func CheckURLText(path string, query url.Values) error {
	if err := CheckText("the request path", path); err != nil {
		return err
	}
	for k, vs := range query {
		if err := CheckText("a query parameter name", k); err != nil {
			return err
		}
		for _, v := range vs {
			if err := CheckText("query parameter "+strconv.Quote(k), v); err != nil {
				return err
			}
		}
	}
	return nil
}
