package console

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestTemplatesUseOnlyCatalogueKeysWithTrf: every literal key a template
// passes to trf (a translation with arguments) exists in the catalogue, like
// TestTemplatesUseOnlyCatalogueKeys for t.
func TestTemplatesUseOnlyCatalogueKeysWithTrf(t *testing.T) {
	re := regexp.MustCompile(`\btrf \$?[.\w]* "([a-z0-9_.]+)"`)
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	n := 0
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := catalogue["en"][m[1]]; !ok {
				t.Errorf("%s uses unknown key %q", f, m[1])
			}
		}
	}
	if n < 5 {
		t.Errorf("found only %d trf keys in the templates: is the pattern right?", n)
	}
}
