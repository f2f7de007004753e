package scim

import (
	"context"
	"errors"
	"net/http"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
)

// The library turns any status it does not list for a method (503 for
// writes) into a 500. unavailableGuard sits between it and our resource
// handlers: a 503 is noted in the request's context and the library gets a
// status it passes through; serveLibrary then answers 503 with Retry-After.

type ctxUnavailableKey struct{}

// unavailableNote records that the store was unavailable during a library call.
type unavailableNote struct{ set bool }

type unavailableGuard struct{ lib.ResourceHandler }

func (g unavailableGuard) note(r *http.Request, err error) error {
	var se scimerr.ScimError
	if errors.As(err, &se) && se.Status == http.StatusServiceUnavailable {
		if n, _ := r.Context().Value(ctxUnavailableKey{}).(*unavailableNote); n != nil {
			n.set = true
		}
		return scimerr.ScimError{Status: http.StatusBadRequest, Detail: unavailableDetail}
	}
	return err
}

func (g unavailableGuard) Create(r *http.Request, a lib.ResourceAttributes) (lib.Resource, error) {
	res, err := g.ResourceHandler.Create(r, a)
	return res, g.note(r, err)
}

func (g unavailableGuard) Get(r *http.Request, id string) (lib.Resource, error) {
	res, err := g.ResourceHandler.Get(r, id)
	return res, g.note(r, err)
}

func (g unavailableGuard) GetAll(r *http.Request, p lib.ListRequestParams) (lib.Page, error) {
	res, err := g.ResourceHandler.GetAll(r, p)
	return res, g.note(r, err)
}

func (g unavailableGuard) Replace(r *http.Request, id string, a lib.ResourceAttributes) (lib.Resource, error) {
	res, err := g.ResourceHandler.Replace(r, id, a)
	return res, g.note(r, err)
}

func (g unavailableGuard) Delete(r *http.Request, id string) error {
	return g.note(r, g.ResourceHandler.Delete(r, id))
}

func (g unavailableGuard) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	res, err := g.ResourceHandler.Patch(r, id, ops)
	return res, g.note(r, err)
}

// withUnavailableNote adds a fresh note to ctx.
func withUnavailableNote(ctx context.Context) (context.Context, *unavailableNote) {
	n := &unavailableNote{}
	return context.WithValue(ctx, ctxUnavailableKey{}, n), n
}
