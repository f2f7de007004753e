package scim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	scimerr "github.com/elimity-com/scim/errors"
)

type bulkOp struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// serveBulk implements /Bulk (RFC 7644 §3.7): each operation runs through the
// same dispatch as a single request; "bulkId:x" references are replaced with
// the ids created earlier in the request; failOnErrors stops processing.
func (h *handler) serveBulk(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Schemas      []string `json:"schemas"`
		FailOnErrors int      `json:"failOnErrors"`
		Operations   []bulkOp `json:"Operations"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidSyntax, "the bulk request is not valid JSON: "+jsonErr(err))
		return
	}
	if len(req.Schemas) != 1 || req.Schemas[0] != urnBulkRequest {
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "schemas must be [\""+urnBulkRequest+"\"]")
		return
	}
	if len(req.Operations) == 0 {
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "Operations must not be empty")
		return
	}
	if len(req.Operations) > h.opts.MaxBulkOperations {
		writeError(w, http.StatusRequestEntityTooLarge, "", "too many operations; maxOperations is "+strconv.Itoa(h.opts.MaxBulkOperations))
		return
	}
	ids := map[string]string{}
	errorsSeen := 0
	results := make([]any, 0, len(req.Operations))
	for _, op := range req.Operations {
		if req.FailOnErrors > 0 && errorsSeen >= req.FailOnErrors {
			break
		}
		res := map[string]any{"method": strings.ToUpper(op.Method)}
		if op.BulkID != "" {
			res["bulkId"] = op.BulkID
		}
		status, body, hdr := h.bulkOne(r, op, ids)
		res["status"] = strconv.Itoa(status)
		if loc := hdr.Get("Location"); loc != "" {
			res["location"] = loc
		} else if op.Path != "" && status < 300 && strings.Count(strings.Trim(op.Path, "/"), "/") == 1 {
			res["location"] = h.opts.BaseURL + "/" + strings.Trim(resolveBulkIDs(op.Path, ids), "/")
		}
		if v := hdr.Get("ETag"); v != "" {
			res["version"] = v
		}
		if status >= 400 {
			errorsSeen++
			var e any
			if json.Unmarshal(body, &e) == nil {
				res["response"] = e
			}
		} else if status == http.StatusCreated && op.BulkID != "" {
			var doc struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(body, &doc) == nil && doc.ID != "" {
				ids[op.BulkID] = doc.ID
			}
		}
		results = append(results, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{urnBulkResponse}, "Operations": results})
}

func resolveBulkIDs(s string, ids map[string]string) string {
	for k, v := range ids {
		s = strings.ReplaceAll(s, "bulkId:"+k, v)
	}
	return s
}

func (h *handler) bulkOne(r *http.Request, op bulkOp, ids map[string]string) (int, []byte, http.Header) {
	fail := func(status int, t scimerr.ScimType, detail string) (int, []byte, http.Header) {
		b, _ := json.Marshal(scimerr.ScimError{Status: status, ScimType: t, Detail: detail})
		return status, b, http.Header{}
	}
	method := strings.ToUpper(op.Method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return fail(http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "method must be POST, PUT, PATCH or DELETE")
	}
	if !strings.HasPrefix(op.Path, "/") || strings.Contains(op.Path, "Bulk") {
		return fail(http.StatusBadRequest, scimerr.ScimTypeInvalidPath, "path must be /Users, /Groups or one of their resources")
	}
	if method == http.MethodPost && op.BulkID == "" {
		return fail(http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "POST operations need a bulkId")
	}
	path := resolveBulkIDs(op.Path, ids)
	data := resolveBulkIDs(string(op.Data), ids)
	if strings.Contains(path, "bulkId:") || strings.Contains(data, "\"bulkId:") {
		return fail(http.StatusConflict, scimerr.ScimTypeInvalidValue, "a bulkId reference names no resource created earlier in this request")
	}
	sub, err := http.NewRequestWithContext(r.Context(), method, path, bytes.NewReader([]byte(data)))
	if err != nil {
		return fail(http.StatusBadRequest, scimerr.ScimTypeInvalidPath, "path is not a valid URL path")
	}
	if len(data) == 0 {
		sub.Body = http.NoBody
	}
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	rec := httptest.NewRecorder()
	h.dispatch(rec, sub)
	return rec.Code, rec.Body.Bytes(), rec.Header()
}
