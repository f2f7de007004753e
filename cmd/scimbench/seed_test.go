package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/rolepolicy"
	"github.com/roster-dev/roster/scim"
)

// scaleEnv is a fresh SQLite store with a team, a SCIM token and the SCIM
// handler on an httptest server, with a fixed clock so two of them write
// the same timestamps.
type scaleEnv struct {
	dsn    string
	st     *gormdb.Store
	teamID string
	token  string
	srv    *httptest.Server
}

func newScaleEnv(t *testing.T, secret string) *scaleEnv {
	t.Helper()
	at := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	e := &scaleEnv{dsn: gormdbtest.DSN(t, gormdb.SQLite), token: secret}
	st, err := gormdb.Open(context.Background(), gormdb.Config{DSN: e.dsn, Classify: rolepolicy.Classify, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	ctx := context.Background()
	op := db.Actor{Kind: db.ActorOperator, ID: "test", Name: "test"}
	team, _, err := st.CreateTeam(ctx, db.NewTeam{Name: "scale", PrimaryEmail: "owner@scale.example",
		PrimaryFirstName: "Owner", PrimaryLastName: "Scale"}, op)
	if err != nil {
		t.Fatal(err)
	}
	e.teamID = team.ID
	sum := sha256.Sum256([]byte(secret))
	if _, err := st.CreateToken(ctx, db.Token{TeamID: team.ID, Kind: db.TokenSCIM, Prefix: secret[:8], Hash: sum[:]}, op); err != nil {
		t.Fatal(err)
	}
	h := scim.NewHandler(st, scim.Options{BaseURL: "http://scim.test/scim/v2", TokenCacheTTL: -1, Now: func() time.Time { return at }})
	e.srv = httptest.NewServer(http.StripPrefix("/scim/v2", h))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *scaleEnv) bench() *bench {
	return &bench{base: e.srv.URL + "/scim/v2", token: e.token, run: "t", client: e.srv.Client()}
}

// snapshot is every row of every table with each generated id (team, token,
// users) replaced by a stable name, so two stores written the same way
// compare equal. The tokens table is left out: its secret hash and last use
// differ by construction.
func (e *scaleEnv) snapshot(t *testing.T) map[string][]string {
	t.Helper()
	conn, d := gormdbtest.RawDB(t, e.dsn)
	repl := []string{e.teamID, "TEAM"}
	rows, err := conn.Query("SELECT id, user_name FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		repl = append(repl, id, "USER("+name+")")
	}
	rows.Close()
	var tokID string
	if err := conn.QueryRow("SELECT id FROM tokens").Scan(&tokID); err != nil {
		t.Fatal(err)
	}
	repl = append(repl, tokID, "TOKEN", e.token[:8], "PREFIX")
	// Other generated ids: the team's account (one row per team here).
	for _, q := range []string{"SELECT id FROM accounts"} {
		var id string
		if err := conn.QueryRow(q).Scan(&id); err != nil {
			t.Fatal(err)
		}
		repl = append(repl, id, "ID("+q+")")
	}
	r := strings.NewReplacer(repl...)
	out := map[string][]string{}
	for tb, rs := range gormdbtest.Snapshot(t, conn, d) {
		if tb == "tokens" {
			continue
		}
		for _, row := range rs {
			out[tb] = append(out[tb], r.Replace(row))
		}
		slices.Sort(out[tb])
	}
	return out
}

// TestSeedEqualsSCIMCreate: the scale bench's seeder leaves exactly the rows
// that real SCIM POSTs of the same bodies leave — users (fields, attributes,
// classification), the email index, the audit entries and their events —
// every table compared row by row, ids aside. So the 1,000,000-user figures
// measure a team the product could have made itself.
func TestSeedEqualsSCIMCreate(t *testing.T) {
	const n = 200
	ctx := context.Background()
	viaSCIM := newScaleEnv(t, "rst_"+strings.Repeat("a", 48))
	b := viaSCIM.bench()
	for i := 1; i <= n; i++ {
		_, _, body := userBody("t", "s", i)
		code, data, err := b.do(ctx, "POST", "/Users", body)
		if err != nil || code != 201 {
			t.Fatalf("POST user %d: %d %v %s", i, code, err, data)
		}
	}
	seeded := newScaleEnv(t, "rst_"+strings.Repeat("b", 48))
	sample, err := seed(ctx, seeded.st, seeded.teamID, seeded.token, "t", n, 64, 50, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sample) != 50 {
		t.Fatalf("sample of %d users, want 50", len(sample))
	}
	want, got := viaSCIM.snapshot(t), seeded.snapshot(t)
	if len(want["users"]) != n+1 || len(want["user_emails"]) != n+1 || len(want["audit_log"]) < n || len(want["events"]) < n {
		t.Fatalf("the SCIM side wrote %d users, %d email rows, %d audit rows, %d events; want %d+1 (the owner)",
			len(want["users"]), len(want["user_emails"]), len(want["audit_log"]), len(want["events"]), n)
	}
	for tb, rows := range want {
		if !slices.Equal(rows, got[tb]) {
			for i := range max(len(rows), len(got[tb])) {
				var w, g string
				if i < len(rows) {
					w = rows[i]
				}
				if i < len(got[tb]) {
					g = got[tb][i]
				}
				if w != g {
					t.Fatalf("table %s differs at row %d (of %d via SCIM, %d seeded):\nSCIM:   %s\nseeded: %s", tb, i, len(rows), len(got[tb]), w, g)
				}
			}
		}
	}
	for tb := range got {
		if _, ok := want[tb]; !ok {
			t.Errorf("the seeder wrote table %s, SCIM did not", tb)
		}
	}

	// The same read through SCIM on both: the filter finds the user, and
	// the documents are equal but for the id.
	name, _, _ := userBody("t", "s", 7)
	docs := map[string]string{}
	for label, e := range map[string]*scaleEnv{"scim": viaSCIM, "seeded": seeded} {
		code, data, err := e.bench().do(ctx, "GET", "/Users?filter="+url.QueryEscape(`userName eq "`+name+`"`), nil)
		if err != nil || code != 200 || !strings.Contains(string(data), `"totalResults":1`) {
			t.Fatalf("%s filter: %d %v %s", label, code, err, data)
		}
		var id string
		for _, u := range []*scaleEnv{e} {
			conn, _ := gormdbtest.RawDB(t, u.dsn)
			if err := conn.QueryRow("SELECT id FROM users WHERE user_name = ?", name).Scan(&id); err != nil {
				t.Fatal(err)
			}
		}
		docs[label] = strings.ReplaceAll(string(data), id, "ID")
	}
	if docs["scim"] != docs["seeded"] {
		t.Errorf("filter answers differ:\nSCIM:   %s\nseeded: %s", docs["scim"], docs["seeded"])
	}
}

// TestScaleModeRuns: `scimbench scale`'s workloads run against a seeded team
// without an error, the cursor walk sees every user (totalResults agrees),
// and the report prints a ratio per workload.
func TestScaleModeRuns(t *testing.T) {
	ctx := context.Background()
	e := newScaleEnv(t, "rst_"+hex.EncodeToString([]byte(strings.Repeat("c", 24))))
	sample, err := seed(ctx, e.st, e.teamID, e.token, "t", 2500, 1000, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := e.bench()
	b.users = sample
	rs, err := b.scale(ctx, []int{2}, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, r := range rs {
		if r.errors != 0 || r.n == 0 {
			t.Errorf("%s: %d requests, %d errors (%s)", r.name, r.n, r.errors, r.firstErr)
		}
		names = append(names, r.name)
	}
	for _, want := range []string{"GET /Users/{id}", "filter userName eq", "PATCH active (Entra)",
		"walk all by cursor, pages of 1000 (2501 users)", "list page of 100 by cursor (first)",
		"list page of 100 by cursor (middle)", "list page of 100 by cursor (last)"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %q workload in %q", want, names)
		}
	}
}
