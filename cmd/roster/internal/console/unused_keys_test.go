package console

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestNoUnusedMessageKeys: every English key is used by a template or the
// console's Go code, literally ("users.title") or through a prefix a
// template or Go code completes at run time (printf "status.%s", "role."+r).
// A key nothing uses is dead text translated five times.
func TestNoUnusedMessageKeys(t *testing.T) {
	var src strings.Builder
	for _, glob := range []string{"*.go", "templates/*.html"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "messages") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
			src.WriteByte('\n')
		}
	}
	text := src.String()
	// Prefixes completed at run time: printf "x.%s" in templates, "x." + v in Go.
	var prefixes []string
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`printf "([a-z0-9_.]+[._])%[sdv]"`), regexp.MustCompile(`"([a-z0-9_.]+[._])"\s*\+`)} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			prefixes = append(prefixes, m[1])
		}
	}
	if len(prefixes) < 3 {
		t.Fatalf("found only the run-time prefixes %v; the scan is broken", prefixes)
	}
	var unused []string
	for k := range catalogue["en"] {
		if strings.Contains(text, `"`+k+`"`) {
			continue
		}
		used := false
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				used = true
				break
			}
		}
		if !used {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	for _, k := range unused {
		t.Errorf("message key %q is used by no template and no Go code: remove it from every language", k)
	}
}
