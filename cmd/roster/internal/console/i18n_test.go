package console

import (
	"io/fs"
	"net/http/httptest"
	"regexp"
	"testing"
)

// TestCatalogueComplete: every key exists, non-empty, in every language,
// and no language has a key English lacks.
func TestCatalogueComplete(t *testing.T) {
	en := catalogue["en"]
	if len(en) < 50 {
		t.Fatalf("English catalogue has only %d keys", len(en))
	}
	for _, l := range Languages {
		m, ok := catalogue[l]
		if !ok {
			t.Errorf("language %s has no catalogue", l)
			continue
		}
		for k := range en {
			if m[k] == "" {
				t.Errorf("%s: key %q missing or empty", l, k)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: key %q is not in English", l, k)
			}
		}
	}
	if len(catalogue) != len(Languages) {
		t.Errorf("catalogue has %d languages, Languages lists %d", len(catalogue), len(Languages))
	}
}

// TestTemplatesUseOnlyCatalogueKeys: every literal key a template passes to
// t (or trf, with arguments) exists in the catalogue (a typo would show the raw key).
func TestTemplatesUseOnlyCatalogueKeys(t *testing.T) {
	re := regexp.MustCompile(`\b(?:t|trf) \$?[.\w]* "([a-z0-9_.]+)"`)
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
	if n < 100 {
		t.Errorf("found only %d keys in the templates: is the pattern right?", n)
	}
}

func TestLanguageFromAcceptLanguage(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "en"}, {"nl-NL,nl;q=0.9,en;q=0.8", "nl"}, {"de", "de"}, {"sv-SE", "sv"}, {"fi", "fi"},
		{"fr-FR,de;q=0.5", "de"}, {"ja", "en"},
	} {
		r := httptest.NewRequest("GET", "/console/", nil)
		r.Header.Set("Accept-Language", tc.header)
		if got := lang(r); got != tc.want {
			t.Errorf("lang(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}
