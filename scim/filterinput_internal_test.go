package scim

import (
	"net/http"
	"testing"

	scimerr "github.com/elimity-com/scim/errors"
)

// malformedFilters are filters with unbalanced brackets, quotes and empty
// paths: each must be 400 invalidFilter, never a panic.
var malformedFilters = []string{
	`emails[`,
	`[`,
	`emails[type eq "work"`,
	`emails[type eq "work"].value eq "x" and members[`,
	`emails[type eq "work"].value eq "x`,
	`emails[type eq "wo`,
	`emails[type eq "work\`,
	`emails[type eq "work"].value eq "\`,
	`emails]`,
	`]`,
	`emails[type eq "work"]]`,
	`emails[[type eq "work"]]`,
	`emails[]`,
	`[]`,
	`[type eq "work"]`,
	`emails[type eq "work"].`,
	`emails[type eq "work"].value`,
	`emails[type eq "work"].value eq`,
	`emails[type eq "work"].value eq "`,
	`emails[type eq "work"]. eq "x"`,
	`.value eq "x"`,
	`"`,
	`""`,
	`userName eq "`,
	`userName eq "\`,
	`userName eq "x\"`,
	`userName eq`,
	`userName`,
	`eq "x"`,
	`(`,
	`)`,
	`(userName eq "x"`,
	`userName eq "x")`,
	`not(`,
	`name.`,
	`name. eq "x"`,
	`.`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User: eq "x"`,
	`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:`,
	`urn: eq "x"`,
	`emails[type eq "work"].value eq "x"]`,
	`emails[value eq "]"`,
	`emails[value eq "["`,
	`members[value eq "a"`,
	"emails[type eq \"work\"].value eq \"x\" or emails[",
}

// TestFilterUnmatchedBracketIsInvalidFilter pins that malformed filters —
// an unmatched "[" (it panicked with slice bounds in rewriteValuePathSub),
// unmatched "]", open quotes, empty paths — are 400 invalidFilter for both
// resource types. issue 9 #10
func TestFilterUnmatchedBracketIsInvalidFilter(t *testing.T) {
	kinds := []resourceKind{&userResource{schemas: userSchemas()}, &groupResource{schemas: groupSchemas()}}
	for _, f := range malformedFilters {
		for _, k := range kinds {
			t.Run(k.endpoint()+"/"+f, func(t *testing.T) {
				var err *scimerr.ScimError
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("translateFilter(%q) panicked: %v", f, p)
						}
					}()
					_, err = translateFilter(k, f)
				}()
				if err == nil {
					t.Fatalf("translateFilter(%q) accepted a malformed filter", f)
				}
				if err.Status != http.StatusBadRequest || err.ScimType != scimerr.ScimTypeInvalidFilter || err.Detail == "" {
					t.Errorf("translateFilter(%q) = %d %q %q, want 400 invalidFilter with a detail", f, err.Status, err.ScimType, err.Detail)
				}
			})
		}
	}
}
