package dbtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testRaces is issue 9's race tests on every backend: concurrent writers of
// one resource either win or get the documented error, and no write is
// lost or shares a version with another.
func testRaces(t *testing.T, s db.Store) {
	ss, ok := s.(db.SCIMStore)
	if !ok {
		missing(t, "it has no SCIM writes")
	}
	t.Run("SameUserName", func(t *testing.T) { testRaceSameUserName(t, s, ss) })
	t.Run("GroupMembers", func(t *testing.T) { testRaceGroupMembers(t, s) })
	t.Run("IfMatch", func(t *testing.T) { testRaceIfMatch(t, s, ss) })
	t.Run("MixedCreates", func(t *testing.T) { testRaceMixedCreates(t, s, ss) })
	if ds, ok := s.(db.DirectoryStore); ok {
		t.Run("DirectoryVsSCIM", func(t *testing.T) { testRaceDirectoryVsSCIM(t, s, ss, ds) })
	}
}

const raceWriters = 8

// race runs f(i) for i in [0, n) at once and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// Concurrent SCIM creates of one userName (different emails): exactly one
// wins, the rest are ErrConflict (SCIM 409 uniqueness).
func testRaceSameUserName(t *testing.T, s db.Store, ss db.SCIMStore) {
	team, _ := NewTeam(t, s, "")
	name := Email("same", "acme.test")
	errs := race(raceWriters, func(i int) error {
		_, err := ss.CreateSCIMUser(ctx, team.ID, db.NewUser{Email: Email(fmt.Sprint("e", i), "acme.test"), UserName: name,
			FirstName: "S", LastName: "N", Source: db.SourceSCIM}, nil, Operator)
		return err
	})
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, db.ErrConflict):
		default:
			t.Errorf("writer %d: %v, want success or ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent creates of one userName won, want 1", wins)
	}
}

// Concurrent SCIM creates, two pairs of them clashing, the others distinct
// (SQLite commits concurrent writes together, issue 15): every distinct user
// is created with its audit entry and event, a clash fails only the loser,
// and nothing of a loser is written.
func testRaceMixedCreates(t *testing.T, s db.Store, ss db.SCIMStore) {
	team, primary := NewTeam(t, s, "")
	const writers = 16
	names := make([]string, writers)
	for i := range names {
		names[i] = Email(fmt.Sprint("mix", i), "acme.test")
	}
	name := func(i int) string {
		if i < 4 {
			i -= i % 2 // writers 0,1 and 2,3 clash
		}
		return names[i]
	}
	created := make([]db.User, writers)
	errs := race(writers, func(i int) error {
		u, err := ss.CreateSCIMUser(ctx, team.ID, db.NewUser{Email: name(i), UserName: name(i),
			FirstName: "M", LastName: "X", Source: db.SourceSCIM}, nil, Operator)
		created[i] = u
		return err
	})
	wins := map[string]string{} // userName -> id
	for i, err := range errs {
		switch {
		case err == nil:
			if _, dup := wins[name(i)]; dup {
				t.Errorf("writer %d: a second create of %s won", i, name(i))
			}
			wins[name(i)] = created[i].ID
		case errors.Is(err, db.ErrConflict) && i < 4:
		default:
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if len(wins) != writers-2 {
		t.Fatalf("%d distinct users created, want %d", len(wins), writers-2)
	}
	audited := map[string]bool{}
	entries, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == "user.create" && e.TargetID != primary.ID {
			audited[e.TargetID] = true
		}
	}
	evented := map[string]bool{}
	events, err := s.ListEvents(ctx, team.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Type == "user.created" {
			evented[e.TargetID] = true
		}
	}
	for n, id := range wins {
		if _, err := s.GetUser(ctx, team.ID, id); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if !audited[id] || !evented[id] {
			t.Errorf("%s: audit entry %v, event %v, want both", n, audited[id], evented[id])
		}
	}
	if got := len(audited); got != len(wins) {
		t.Errorf("%d user.create audit entries, want %d (one per created user, none for a loser)", got, len(wins))
	}
}

// Concurrent member adds to one group: every member is there afterwards.
func testRaceGroupMembers(t *testing.T, s db.Store) {
	team, _ := NewTeam(t, s, "")
	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "racers", Source: db.SourceSCIM}, Operator)
	WantErr(t, err, nil, "")
	users := make([]db.User, raceWriters)
	for i := range users {
		users[i] = NewUser(t, s, team.ID, fmt.Sprint("m", i), "acme.test", db.SourceSCIM)
	}
	errs := race(raceWriters, func(i int) error {
		_, err := s.ModifyMembers(ctx, team.ID, g.ID, []string{users[i].ID}, nil, Operator)
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("member add %d: %v", i, err)
		}
	}
	ms, err := s.ListMembers(ctx, team.ID, g.ID, db.Page{Limit: 100})
	WantErr(t, err, nil, "")
	if len(ms) != raceWriters {
		t.Fatalf("%d members after %d concurrent adds, want %d (a lost member)", len(ms), raceWriters, raceWriters)
	}
}

// Concurrent updates with the same If-Match version: one wins, the rest are
// ErrStale (SCIM 412).
func testRaceIfMatch(t *testing.T, s db.Store, ss db.SCIMStore) {
	team, _ := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "ifm", "acme.test", db.SourceSCIM)
	errs := race(raceWriters, func(i int) error {
		_, err := ss.UpdateSCIMUser(ctx, team.ID, u.ID, u.Version, Operator, func(x *db.User, _ *[]db.UserEmail) error {
			x.LastName = fmt.Sprint("writer", i)
			return nil
		})
		return err
	})
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, db.ErrStale):
		default:
			t.Errorf("writer %d: %v, want success or ErrStale", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent If-Match updates won, want 1", wins)
	}
}

// A directory batch updating a user races SCIM updates of the same user:
// every successful write gets its own version (two different states never
// share an ETag), so the final version counts every write.
func testRaceDirectoryVsSCIM(t *testing.T, s db.Store, ss db.SCIMStore, ds db.DirectoryStore) {
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "race test"}
	du := dirUser("race1", Email("racer", "example.test"))
	_, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{du}}, by)
	WantErr(t, err, nil, "")
	u, err := s.FindUser(ctx, team.ID, db.UserKey{Email: du.Email})
	WantErr(t, err, nil, "")
	const rounds = 15
	var mu sync.Mutex
	scimVersions := map[int64]string{}
	dirUpdates, scimWrites := 0, 0
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			d := du
			d.FirstName, d.Hash = fmt.Sprint("Dir", i), fmt.Sprint("h", i)
			res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{d}}, by)
			if err != nil {
				t.Errorf("directory round %d: %v", i, err)
				return
			}
			mu.Lock()
			dirUpdates += res.Counts.Updated
			mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < rounds; i++ {
			attrs := fmt.Sprintf(`{"title":"scim %d"}`, i)
			got, err := ss.UpdateSCIMUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User, _ *[]db.UserEmail) error {
				x.Attributes = []byte(attrs)
				return nil
			})
			if errors.Is(err, db.ErrStale) {
				continue // lost a race without If-Match: the client retries
			}
			if err != nil {
				t.Errorf("SCIM round %d: %v", i, err)
				return
			}
			mu.Lock()
			scimWrites++
			if prev, dup := scimVersions[got.Version]; dup {
				t.Errorf("version %d returned for two SCIM writes (%s and %s)", got.Version, prev, attrs)
			}
			scimVersions[got.Version] = attrs
			mu.Unlock()
		}
	}()
	wg.Wait()
	final, err := s.GetUser(ctx, team.ID, u.ID)
	WantErr(t, err, nil, "")
	if want := u.Version + int64(dirUpdates+scimWrites); final.Version != want {
		t.Fatalf("final version %d after %d directory updates and %d SCIM writes from version %d, want %d: two writes shared a version",
			final.Version, dirUpdates, scimWrites, u.Version, want)
	}
	if final.FirstName != fmt.Sprint("Dir", rounds-1) {
		t.Errorf("first name %q, want the directory's last value", final.FirstName)
	}
}
