package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/roster-dev/roster/scim"
)

// jsonRaw quotes s as a JSON string but leaves bytes that are not UTF-8 as
// they are (json.Marshal would replace them with U+FFFD), so the server sees
// exactly what a broken client sends.
func jsonRaw(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FuzzSCIMUserText is issue 9 #11 at the SCIM edge: any bytes in a user's
// givenName and title give no 5xx; a NUL or invalid UTF-8 gives 400
// invalidValue and nothing stored; valid text is stored as sent.
func FuzzSCIMUserText(f *testing.F) {
	for _, s := range []string{"Bob", "Zoë", "a\x00b", "a\xffb", "\xc0\x80", "\xed\xa0\x80", `\u0000`, "😀", "tab\there", ""} {
		f.Add(s)
	}
	s := gormdbtestOpen(f)
	tn := newTenantTB(f, s, "fuzz")
	h := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: -1}))
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, text string) {
		name := fmt.Sprintf("fuzz%d@example.com", n.Add(1))
		body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `","title":` + jsonRaw(text) +
			`,"name":{"givenName":` + jsonRaw(text) + `,"familyName":"F"},"emails":[{"value":"` + name + `","primary":true}]}`
		req := httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tn.token)
		req.Header.Set("Content-Type", "application/scim+json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: status %d: %s", text, rec.Code, rec.Body)
		}
		bad := strings.IndexByte(text, 0) >= 0 || !utf8.ValidString(text)
		var doc map[string]any
		json.Unmarshal(rec.Body.Bytes(), &doc)
		switch {
		case bad && (rec.Code != 400 || doc["scimType"] != "invalidValue"):
			t.Fatalf("%q: status %d %s, want 400 invalidValue", text, rec.Code, rec.Body)
		case !bad && rec.Code == 201:
			if got := doc["title"]; text != "" && got != text && got != strings.TrimSpace(text) {
				t.Fatalf("%q stored as %q", text, got)
			}
		}
	})
}
