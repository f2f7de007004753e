package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/rolepolicy"
)

// runSeed is `scimbench seed`: it writes n bench users into a team straight
// through the store's batched writer (gormdb.Store.CreateUsers), the same
// rows a SCIM POST of userBody leaves behind (user, email index, role-policy
// classification, audit entry and event, actor = the SCIM token), at
// thousands of users per second instead of a POST each. It writes a sample
// of the seeded users (id, userName, email per line) for `scimbench scale`.
// TestSeedEqualsSCIMCreate checks the rows against real SCIM creates.
func runSeed(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scimbench seed", flag.ContinueOnError)
	dsn := fs.String("db", os.Getenv("ROSTER_DATABASE"), "database (as ROSTER_DATABASE)")
	team := fs.String("team", "", "team id")
	token := fs.String("token", os.Getenv("SCIMBENCH_TOKEN"), "the team's SCIM token (its id and prefix are the audit actor)")
	n := fs.Int("n", 10000, "users to seed")
	batch := fs.Int("batch", 2000, "users per transaction")
	run := fs.String("run", "", "userName prefix (default: random)")
	sample := fs.String("sample", "", "write this many-line sample of the seeded users to this file")
	sampleN := fs.Int("sample-n", 20000, "users in the sample")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *team == "" || *token == "" || *dsn == "" {
		return fmt.Errorf("--db, --team and --token are required")
	}
	if *run == "" {
		*run = fmt.Sprintf("%x", rand.Uint32())
	}
	st, err := gormdb.Open(ctx, gormdb.Config{DSN: *dsn, SkipMigrate: true, Classify: rolepolicy.Classify})
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	users, err := seed(ctx, st, *team, *token, *run, *n, *batch, *sampleN, func(done int) {
		el := time.Since(start)
		fmt.Fprintf(os.Stderr, "seeded %d users in %s (%.0f/s)\n", done, el.Round(time.Second), float64(done)/el.Seconds())
	})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(out, "seeded %d users in %s: %.0f users/s; seeder peak RSS %s\n", *n, el.Round(time.Millisecond),
		float64(*n)/el.Seconds(), vmHWM(os.Getpid()))
	if *sample != "" {
		return writeSample(*sample, users)
	}
	return nil
}

// seed writes n users of userBody(run, "s", i) in batches and returns a
// uniform sample of at most sampleN of them (reservoir sampling: memory
// stays bounded whatever n is). progress is called every 100,000 users.
func seed(ctx context.Context, st *gormdb.Store, teamID, token, run string, n, batch, sampleN int, progress func(int)) ([]user, error) {
	sum := sha256.Sum256([]byte(token))
	tok, err := st.TokenByHash(ctx, sum[:])
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if tok.TeamID != teamID {
		return nil, fmt.Errorf("the token is not the team's")
	}
	by := db.Actor{Kind: db.ActorSCIMToken, ID: tok.ID, Name: tok.Prefix}
	var sample []user
	seen := 0
	for lo := 1; lo <= n; lo += batch {
		hi := min(lo+batch-1, n)
		muts := make([]db.UserCreate, 0, hi-lo+1)
		for i := lo; i <= hi; i++ {
			in, emails, err := seedUser(run, i)
			if err != nil {
				return nil, err
			}
			muts = append(muts, db.UserCreate{User: in, Emails: emails, By: by})
		}
		created, err := st.CreateUsers(ctx, teamID, muts)
		if err != nil {
			return nil, err
		}
		for k, u := range created {
			su := user{id: u.ID, userName: u.UserName, email: muts[k].Emails[0].Value}
			seen++
			if len(sample) < sampleN {
				sample = append(sample, su)
			} else if j := rand.IntN(seen); j < sampleN {
				sample[j] = su
			}
		}
		if progress != nil && (hi/100000 != (lo-1)/100000 || hi == n) {
			progress(hi)
		}
	}
	return sample, nil
}

// seedUser is what the SCIM create handler makes of userBody(run, "s", i):
// the user's own fields, its emails and the remaining attributes as JSON
// (name, emails and the enterprise extension, keys sorted as json.Marshal
// sorts a map). TestSeedEqualsSCIMCreate holds it to the real handler.
func seedUser(run string, i int) (db.NewUser, []db.UserEmail, error) {
	userName, email, body := userBody(run, "s", i)
	rest := map[string]any{}
	for _, k := range []string{"name", "emails", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"} {
		rest[k] = body[k]
	}
	attrs, err := json.Marshal(rest)
	if err != nil {
		return db.NewUser{}, nil, err
	}
	name := body["name"].(map[string]any)
	return db.NewUser{Email: email, UserName: userName, FirstName: name["givenName"].(string), LastName: name["familyName"].(string),
			Status: db.StatusActive, Source: db.SourceSCIM, ExternalID: body["externalId"].(string), Attributes: attrs},
		[]db.UserEmail{{Value: email, Type: "work", Primary: true}}, nil
}

func writeSample(path string, users []user) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, u := range users {
		fmt.Fprintf(w, "%s\t%s\t%s\n", u.id, u.userName, u.email)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readSample(path string) ([]user, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []user
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		out = append(out, user{id: f[0], userName: f[1], email: f[2]})
	}
	return out, nil
}

// vmHWM is a process's peak resident set (VmHWM in /proc/<pid>/status).
func vmHWM(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.Join(strings.Fields(strings.TrimPrefix(line, "VmHWM:")), " ")
		}
	}
	return "?"
}
