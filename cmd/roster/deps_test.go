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
	for _, a := range []string{"scim", "sso", "directory", "rolepolicy"} {
		if rest == a || strings.HasPrefix(rest, a+"/") {
			return a
		}
	}
	return ""
}

var storageImports = []string{"gorm.io/", "github.com/glebarez/", "modernc.org/sqlite", "github.com/mattn/go-sqlite3",
	"github.com/jackc/pgx", "github.com/go-sql-driver/mysql", "github.com/lib/pq"}

// TestDependencyArrows keeps the architecture: dependencies point into db;
// feature packages never import each other or cmd; only db/gormdb touches
// gorm and SQL drivers; db itself is standard library only.
func TestDependencyArrows(t *testing.T) {
	for _, p := range listPackages(t) {
		rest := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			if a, b := area(p.ImportPath), area(imp); a != "" && b != "" && a != b {
				t.Errorf("%s imports %s: feature packages must not import each other (cmd/roster wires them)", p.ImportPath, imp)
			}
			if area(p.ImportPath) != "" && strings.HasPrefix(imp, module+"cmd") {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
			for _, s := range storageImports {
				if strings.HasPrefix(imp, s) && !strings.HasPrefix(rest, "db/gormdb") {
					t.Errorf("%s imports %s: only db/gormdb may use gorm or SQL drivers", p.ImportPath, imp)
				}
			}
			if rest == "db" && strings.Contains(strings.Split(imp, "/")[0], ".") {
				t.Errorf("db imports %s: the domain package uses the standard library only", imp)
			}
		}
	}
}

// TestPackageDocs: every package says what it is for.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
