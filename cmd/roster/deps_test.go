package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

type listedPackage struct {
	ImportPath string
	Doc        string
	Imports    []string
	Deps       []string // every package it reaches, transitively (not its tests)
	Standard   bool
}

func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	cmd := exec.Command("go", "list", "-json", "github.com/roster-dev/roster/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []listedPackage
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

const module = "github.com/roster-dev/roster/"

// area returns the feature area a package belongs to, or "".
func area(path string) string {
	rest := strings.TrimPrefix(path, module)
	for _, a := range []string{"scim", "sso", "directory", "rolepolicy", "mail", "webhook"} {
		if rest == a || strings.HasPrefix(rest, a+"/") {
			return a
		}
	}
	return ""
}

var storageImports = []string{"gorm.io/", "github.com/glebarez/", "modernc.org/sqlite", "github.com/mattn/go-sqlite3",
	"github.com/jackc/pgx", "github.com/go-sql-driver/mysql", "github.com/lib/pq"}

// TestDependencyArrows keeps the architecture, following every transitive
// import (`go list -deps`), not just the direct ones: dependencies point into
// db; feature packages never reach each other, cmd, db/gormdb or gorm; only
// db/gormdb (and the test helpers and cmd that use it) touches gorm and SQL
// drivers; db itself reaches the standard library only; the admin API
// (cmd/roster/internal/adminapi) reaches no feature package and no backend.
func TestDependencyArrows(t *testing.T) {
	for _, p := range listPackages(t) {
		rest := strings.TrimPrefix(p.ImportPath, module)
		testHelper := strings.HasSuffix(rest, "test") // db/dbtest, gormdbtest, directorytest: used by tests only
		for _, imp := range p.Imports {
			for _, s := range storageImports {
				if strings.HasPrefix(imp, s) && !strings.HasPrefix(rest, "db/gormdb") {
					t.Errorf("%s imports %s: only db/gormdb may import gorm or SQL drivers", p.ImportPath, imp)
				}
			}
		}
		for _, dep := range p.Deps {
			if a, b := area(p.ImportPath), area(dep); a != "" && b != "" && a != b {
				t.Errorf("%s reaches %s: feature packages must not import each other (cmd/roster wires them)", p.ImportPath, dep)
			}
			if area(p.ImportPath) != "" && !testHelper && (strings.HasPrefix(dep, module+"cmd") || strings.HasPrefix(dep, module+"db/gormdb")) {
				t.Errorf("%s reaches %s: feature packages see the store only through the interfaces they declare", p.ImportPath, dep)
			}
			for _, s := range storageImports {
				if strings.HasPrefix(dep, s) && !strings.HasPrefix(rest, "db/gormdb") && !strings.HasPrefix(rest, "cmd/") && !testHelper {
					t.Errorf("%s reaches %s: only db/gormdb may use gorm or SQL drivers", p.ImportPath, dep)
				}
			}
			// issue 10 #4: the admin API gets the store and SSO through the
			// interfaces it declares; cmd/roster passes them in.
			if strings.HasPrefix(rest, "cmd/roster/internal/adminapi") &&
				(area(dep) != "" || strings.HasPrefix(dep, module+"db/gormdb") || dep == module+"cmd/roster") {
				t.Errorf("%s reaches %s: the admin API sees the store and features only through its own interfaces", p.ImportPath, dep)
			}
			if strings.HasPrefix(rest, "cmd/roster/internal/console") &&
				(area(dep) != "" || strings.HasPrefix(dep, module+"db/gormdb") || dep == module+"cmd/roster") {
				t.Errorf("%s reaches %s: the console acts only through the admin API's operations and its own interfaces", p.ImportPath, dep)
			}
			if rest == "db" && (strings.Contains(strings.Split(dep, "/")[0], ".")) {
				t.Errorf("db reaches %s: the domain package uses the standard library only", dep)
			}
		}
	}
}

// TestDependencyArrowsSeeTransitiveImports: the arrow test reads Deps, so a
// feature package that reached gorm through an intermediate package would
// be caught. This pins that go list fills Deps (an empty Deps would make
// the arrow test pass vacuously).
func TestDependencyArrowsSeeTransitiveImports(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.ImportPath != module+"scim" {
			continue
		}
		for _, d := range p.Deps {
			if d == module+"db" {
				// scim imports db directly; it must also reach what db imports
				for _, d2 := range p.Deps {
					if d2 == "unicode/utf8" {
						return
					}
				}
			}
		}
		t.Fatalf("scim's Deps lack db or a transitive standard package: %v", p.Deps)
	}
	t.Fatal("package scim not listed")
}

// TestPackageDocs: every package says what it is for.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
