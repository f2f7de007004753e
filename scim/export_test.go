package scim

import "net/http"

// DecodeLibraryWrites makes h answer writes from the library's encoding of
// the resource (the path taken before handlers rendered responses themselves).
func DecodeLibraryWrites(h http.Handler) { h.(*handler).libWrites = true }
