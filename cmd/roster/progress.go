package main

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

// isTerminal reports whether w is a terminal (the progress bar's condition).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// syncProgress is `roster sync`'s progress bar for one connection: a
// spinner with the users read so far, on stderr, only when stderr is a
// terminal and the output is not -o json (which stays machine-readable and
// quiet). It returns the directory.Options.Progress callback and a function
// that clears the bar; both are no-ops otherwise.
func syncProgress(w io.Writer, tty bool, format, label string) (func(pages, users int), func()) {
	if !tty || format == "json" {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(), progressbar.OptionSpinnerType(14), progressbar.OptionClearOnFinish())
	return func(pages, users int) { _ = bar.Set(users) }, func() { _ = bar.Finish() }
}
