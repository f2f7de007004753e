package main

import (
	"bytes"
	"testing"
)

// TestSyncProgressOnlyOnATerminal: the sync progress bar draws on a
// terminal in table output, and -o json or a pipe get no bar at all.
func TestSyncProgressOnlyOnATerminal(t *testing.T) {
	for _, tc := range []struct {
		tty    bool
		format string
		draws  bool
	}{{true, "table", true}, {true, "json", false}, {false, "table", false}, {false, "json", false}} {
		var buf bytes.Buffer
		progress, done := syncProgress(&buf, tc.tty, tc.format, "syncing")
		if (progress != nil) != tc.draws {
			t.Errorf("tty %v, -o %s: progress callback %v, want %v", tc.tty, tc.format, progress != nil, tc.draws)
		}
		if progress != nil {
			progress(1, 500)
			progress(2, 1000)
		}
		done()
		if drew := buf.Len() > 0; drew != tc.draws {
			t.Errorf("tty %v, -o %s: wrote %q", tc.tty, tc.format, buf.String())
		}
	}
	var pipe bytes.Buffer
	if isTerminal(&pipe) {
		t.Error("a buffer is not a terminal")
	}
}
