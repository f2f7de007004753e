// Command roster is Roster's single binary: `roster serve` runs the HTTP
// server (admin API, SCIM, SSO, directory sync), and the other subcommands
// administer the configured database directly, so an operator can bootstrap
// before any API token exists.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
