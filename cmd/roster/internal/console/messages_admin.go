package console

import "fmt"

// trf is the catalogue entry for key in language l with args filled in.
func trf(l, key string, args ...any) string { return fmt.Sprintf(tr(l, key), args...) }

func init() {
	funcs["trf"] = trf
	funcs["deref"] = func(p *int) int { return *p }
	funcs["sortth"] = sortTH
	for l, m := range adminMessages {
		for k, v := range m {
			catalogue[l][k] = v
		}
	}
}
