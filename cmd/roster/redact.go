package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/roster-dev/roster/db/gormdb"
)

// redactingWriter replaces every spelling of a secret (as given, JSON- and
// Go-quoted, as slog's JSON and text handlers write it) with "xxxxx" before
// writing. slog writes each record with one Write, so a secret is never split.
type redactingWriter struct {
	w       io.Writer
	secrets [][]byte
	masks   [][]byte
}

func newRedactingWriter(w io.Writer, secrets []string) *redactingWriter {
	rw := &redactingWriter{w: w}
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			rw.secrets = append(rw.secrets, []byte(s))
			rw.masks = append(rw.masks, []byte(gormdb.Mask(s)))
		}
	}
	for _, s := range secrets {
		add(s)
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
		q := strconv.Quote(s)
		add(q[1 : len(q)-1])
	}
	return rw
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	out := p
	for i, s := range r.secrets {
		if bytes.Contains(out, s) {
			out = bytes.ReplaceAll(out, s, r.masks[i])
		}
	}
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
