package main

import (
	"os"
	"strings"
	"testing"
)

// TestMembersGuide runs docs/members.md's worked example in order against
// a fresh database: each line succeeds, or fails with the text its
// "# fails:" comment names. The guide's claims are the test's assertions.
func TestMembersGuide(t *testing.T) {
	b, err := os.ReadFile("../../docs/members.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start, end := strings.Index(doc, "<!-- example:start -->"), strings.Index(doc, "<!-- example:end -->")
	if start < 0 || end < start {
		t.Fatal("docs/members.md has no example block")
	}
	c := newCLI(t)
	ran := 0
	for _, line := range strings.Split(doc[start:end], "\n") {
		if !strings.HasPrefix(line, "roster ") {
			continue
		}
		cmd, fails, _ := strings.Cut(line, "# fails:")
		args := shellWords(t, strings.TrimPrefix(strings.TrimSpace(cmd), "roster "))
		switch {
		case fails != "":
			c.fails(strings.TrimSpace(fails), args...)
		case args[0] == "seats":
			// The text below the example: build has 1 seat, 1 used, 1 external.
			var seats []struct {
				Product        string
				Seats          *int
				Used, External int
			}
			c.ok(&seats, append(args, "-o", "json")...)
			for _, s := range seats {
				if s.Product == "build" && (s.Seats == nil || *s.Seats != 1 || s.Used != 1 || s.External != 1) {
					t.Errorf("build in the guide's seats = %+v, want 1 seat, 1 used, 1 external", s)
				}
			}
		default:
			c.ok(nil, args...)
		}
		ran++
	}
	if ran < 15 {
		t.Fatalf("ran %d commands of the guide, want them all", ran)
	}
	// What the guide says after the example.
	var seats []struct {
		Product        string
		Used, External int
	}
	c.ok(&seats, "seats", "--team", "Bau", "-o", "json")
	for _, s := range seats {
		if s.Product == "build" {
			t.Errorf("build is still in the seats after its removal: %+v", s)
		}
	}
	var ms []struct{ Email string }
	c.ok(&ms, "projects", "members", "--team", "Bau", "--project", "Tower", "-o", "json")
	if len(ms) != 1 || ms[0].Email != "ann@bau.example" {
		t.Errorf("Tower after the example = %+v, want ann only (bob was removed from the team)", ms)
	}
}

// shellWords splits a command line on spaces, keeping double-quoted words
// whole (all the guide uses).
func shellWords(t *testing.T, s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				out, inWord = append(out, cur.String()), false
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
