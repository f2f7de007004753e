package console

import (
	"html/template"
	"net/http"
	"strings"
	"time"
)

// Languages are the catalogue's languages: English first, then the seeds'
// (Dutch, German, Swedish, Finnish). A test checks every key exists in each.
var Languages = []string{"en", "nl", "de", "sv", "fi"}

// lang picks the first language of Accept-Language that the catalogue has.
func lang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		tag = strings.SplitN(tag, "-", 2)[0]
		if _, ok := catalogue[tag]; ok {
			return tag
		}
	}
	return "en"
}

// tr is the catalogue entry for key in language l (English if missing,
// which the catalogue test forbids; the key itself as a last resort).
func tr(l, key string) string {
	if s, ok := catalogue[l][key]; ok {
		return s
	}
	if s, ok := catalogue["en"][key]; ok {
		return s
	}
	return key
}

var funcs = template.FuncMap{
	"t": tr,
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return ""
	},
	"roleKey": func(r string) string {
		if r == "" {
			r = "none"
		}
		return "role." + r
	},
	"join": strings.Join,
	"list": func(s ...string) []string { return s },
	"add":  func(a, b int) int { return a + b },
}
