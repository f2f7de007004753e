package dbtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testInvalidText is issue 9 #11: a NUL or invalid UTF-8 in any value the
// store is given (written, looked up, filtered on, paged after) is ErrInvalid
// "invalid_text" on every backend, and nothing is written. PostgreSQL used to
// fail with a driver error (a 500) while SQLite stored the bytes.
func testInvalidText(t *testing.T, s db.Store) {
	team, _ := NewTeam(t, s, "")
	scim, _ := s.(db.SCIMStore)
	ds, _ := s.(db.DirectoryStore)
	var conn db.DirectoryConnection
	if ds != nil {
		_, conn = newDirConn(t, s, ds)
	}
	before, err := s.CountUsers(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ name, s string }{
		{"nul", "a\x00b"},
		{"invalid utf-8", "a\xffb"},
		{"overlong nul", "a\xc0\x80b"},
		{"lone surrogate", "a\xed\xa0\x80b"},
	} {
		ops := []struct {
			name string
			run  func() error
		}{
			{"create user first name", func() error {
				_, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: Email("t", "x.test"), FirstName: bad.s, LastName: "L", Source: db.SourceAdmin}, Operator)
				return err
			}},
			{"create user email", func() error {
				_, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "t" + bad.s + "@x.test", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, Operator)
				if db.CodeOf(err) == "email_invalid" {
					// the email syntax check runs first: also ErrInvalid, a 400
					return db.CheckText("email", bad.s)
				}
				return err
			}},
			{"get user id", func() error { _, err := s.GetUser(ctx, team.ID, bad.s); return err }},
			{"get team id", func() error { _, err := s.GetTeam(ctx, bad.s); return err }},
			{"find user email", func() error { _, err := s.FindUser(ctx, team.ID, db.UserKey{Email: bad.s + "@x.test"}); return err }},
			{"list users after", func() error { _, err := s.ListUsers(ctx, team.ID, db.Page{After: bad.s, Limit: 5}); return err }},
			{"create group", func() error {
				_, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: bad.s, Source: db.SourceAdmin}, Operator)
				return err
			}},
			{"update user", func() error {
				u := NewUser(t, s, team.ID, "upd", "x.test", db.SourceAdmin)
				before = before + 1
				_, err := s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(u *db.User) error { u.LastName = bad.s; return nil })
				return err
			}},
		}
		if scim != nil {
			ops = append(ops,
				struct {
					name string
					run  func() error
				}{"scim create userName", func() error {
					_, err := scim.CreateSCIMUser(ctx, team.ID, db.NewUser{Email: Email("s", "x.test"), UserName: bad.s, FirstName: "F", LastName: "L", Source: db.SourceSCIM}, nil, Operator)
					return err
				}},
				struct {
					name string
					run  func() error
				}{"scim get user id", func() error { _, err := scim.GetSCIMUser(ctx, team.ID, bad.s); return err }},
				struct {
					name string
					run  func() error
				}{"scim filter value", func() error {
					_, _, err := scim.SearchUsers(ctx, team.ID, db.Query{Limit: 5, Filter: &db.Expr{Op: db.ExprCmp, Field: db.FieldUserName, Cmp: db.CmpEq, Value: bad.s}})
					return err
				}},
				struct {
					name string
					run  func() error
				}{"scim cursor", func() error {
					_, _, err := scim.SearchUsers(ctx, team.ID, db.Query{Limit: 5, After: bad.s})
					return err
				}},
			)
		}
		if ds != nil {
			ops = append(ops, struct {
				name string
				run  func() error
			}{"directory batch", func() error {
				// One entry the database cannot hold is skipped and reported,
				// not a failed batch: the rest of the directory still syncs.
				u := dirUser("bad-anchor", Email("dir", "example.test"))
				u.FirstName = bad.s
				res, err := ds.ApplyDirectoryBatch(ctx, conn, db.DirectoryBatch{Users: []db.DirectoryUser{u}}, Operator)
				if err != nil {
					return err
				}
				if res.Counts.Skipped != 1 || res.Counts.Created != 0 {
					return fmt.Errorf("directory batch counts = %+v, want one skip", res.Counts)
				}
				for _, c := range res.Changes {
					if c.Action == "skip" && strings.HasPrefix(c.Detail, "a directory value:") && db.CheckText("skip detail", c.Detail) == nil {
						return db.CheckText("first name", bad.s) // the reported reason: invalid_text
					}
				}
				return fmt.Errorf("no skip reported: %+v", res.Changes)
			}})
		}
		for _, op := range ops {
			t.Run(bad.name+"/"+op.name, func(t *testing.T) {
				WantErr(t, op.run(), db.ErrInvalid, "invalid_text")
			})
		}
	}
	after, err := s.CountUsers(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("users = %d after rejected writes, want %d (nothing written)", after, before)
	}
}
