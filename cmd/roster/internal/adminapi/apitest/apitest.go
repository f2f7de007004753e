// Package apitest checks the admin API's real traffic against its OpenAPI
// document (adminapi.OpenAPI) in tests: Handler wraps a server's handler so
// every request under the document's paths and its response are validated,
// and a mismatch fails the test. Used by the adminapi and cmd/roster tests.
//
// The validator is pb33f/libopenapi-validator, which reads OpenAPI 3.1 (JSON
// Schema 2020-12: type arrays with "null", no nullable) as the document is
// written; kin-openapi validates 3.0 and reads 3.1 only in part.
package apitest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

type verr = verrors.ValidationError

// describe is the validator's errors on one line each.
func describe(errs []*verr) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "\n\t%s", e.Message)
		if e.Reason != "" {
			fmt.Fprintf(&b, " (%s)", e.Reason)
		}
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n\t\t%s: %s", s.FieldPath, s.Reason)
		}
	}
	return b.String()
}

// Validator checks requests and responses against one OpenAPI document.
type Validator struct {
	mu sync.Mutex // the validator caches compiled schemas
	v  validator.Validator
}

var adminAPI = sync.OnceValues(func() (*Validator, error) {
	doc, err := adminapi.OpenAPI()
	if err != nil {
		return nil, err
	}
	return New(doc)
})

// AdminAPI is the validator for the admin API's served document
// (adminapi.OpenAPI), built once per test binary.
func AdminAPI(t testing.TB) *Validator {
	t.Helper()
	v, err := adminAPI()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// New builds a validator for the document spec (JSON or YAML).
func New(spec []byte) (*Validator, error) {
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithoutSecurityValidation(), config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapi validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("openapi document is not valid OpenAPI: %s", describe(verrs))
	}
	return &Validator{v: v}, nil
}

// InScope reports whether the document describes path: the admin API under
// /api/v1 and the public invitation link.
func InScope(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, "/invitations/")
}

// Check validates one exchange and returns what does not match the
// document (nothing when it matches). The request is checked only when the
// server accepted it (2xx): a request the server refused with a 4xx may
// break the document, that is the point of the 4xx — but the 4xx itself
// must be a documented status with the documented error body.
func (v *Validator) Check(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	resp := &http.Response{StatusCode: status, Header: header.Clone(), Body: io.NopCloser(bytes.NewReader(respBody)), Request: req}
	if resp.Header.Get("Content-Type") == "" && len(respBody) == 0 {
		resp.Header.Set("Content-Type", "application/json")
	}
	if (status == 404 || status == 405) && strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		return nil // not a route: the mux's own 404/405 (no admin API handler writes text/plain)
	}
	mk := func() *http.Request {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		if len(reqBody) > 0 && r.Header.Get("Content-Type") == "" {
			// the API reads every body as JSON, whatever its Content-Type
			r.Header.Set("Content-Type", "application/json")
		}
		return r
	}
	var out []string
	if status >= 200 && status < 300 {
		if ok, errs := v.v.ValidateHttpRequest(mk()); !ok {
			out = append(out, "request: "+describe(errs))
		}
	}
	if ok, errs := v.v.ValidateHttpResponse(mk(), resp); !ok {
		if (status == 404 || status == 405) && pathUnknown(errs) {
			return out // not a route: the mux's own 404/405
		}
		out = append(out, fmt.Sprintf("response %d %s: %s", status, bytes.TrimSpace(respBody), describe(errs)))
	}
	return out
}

func pathUnknown(errs []*verr) bool {
	for _, e := range errs {
		if e.ValidationType == "path" || strings.Contains(e.Message, "not found") && e.ValidationSubType == "missing" {
			return true
		}
	}
	return false
}

// Handler wraps next so that every in-scope exchange is checked against v;
// a mismatch is reported with t.Errorf (the test fails, the response is
// still delivered).
func Handler(t testing.TB, v *Validator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !InScope(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("apitest: reading the request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				panic(p) // an aborted response (http.ErrAbortHandler) is not checked
			}
			for _, m := range v.Check(r, body, rec.status, rec.Header(), rec.body.Bytes()) {
				t.Errorf("OpenAPI mismatch: %s %s: %s", r.Method, r.URL.RequestURI(), m)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// recorder passes the response through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := r.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
