package console

import "net/http"

// PagePattern is the console route pattern that serves method and path
// ("" when none does), for the route-coverage test.
func (c *Console) PagePattern(method, path string) string {
	r, err := http.NewRequest(method, path, nil)
	if err != nil {
		return ""
	}
	_, p := c.pages.Handler(r)
	return p
}
