package db

import (
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
