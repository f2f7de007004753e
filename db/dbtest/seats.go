package dbtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testSeats is R-MEM-5: subscriptions give seats per product; a grant
// beyond them is refused with nothing changed; a product without a
// subscription has no limit; a user with an external subscription uses no
// internal seat; usage is reported per product.
func testSeats(t *testing.T, s db.Store) {
	ss, ok1 := s.(db.SeatStore)
	ps, ok2 := s.(db.ProjectStore)
	ms, ok3 := s.(db.MemberStore)
	if !ok1 || !ok2 || !ok3 {
		missing(t, "it does not implement db.SeatStore, db.ProjectStore and db.MemberStore")
	}
	t.Run("R-MEM-5 SeatsAndExternalSubscriptions", func(t *testing.T) {
		team, _ := NewTeam(t, s, "")
		pr, err := ps.CreateProject(ctx, team.ID, "Tower", Operator)
		if err != nil {
			t.Fatal(err)
		}
		added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: Email("a", "s.test")}, {Email: Email("b", "s.test")}, {Email: Email("c", "s.test")}}, Operator)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := added[0].User, added[1].User, added[2].User
		WantErr(t, ss.AddSubscription(ctx, team.ID, "build", 0, Operator), db.ErrInvalid, "seats_invalid")
		WantErr(t, ss.AddSubscription(ctx, team.ID, "nonesuch", 1, Operator), db.ErrNotFound, "product_not_found")
		if err := ss.AddSubscription(ctx, team.ID, "Build", 1, Operator); err != nil {
			t.Fatal(err)
		}
		add := func(u db.User, products ...string) error {
			_, _, err := ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: u.Email, Products: products}, Operator)
			return err
		}
		if err := add(a, "docs", "build"); err != nil {
			t.Fatal(err)
		}
		// The one build seat is taken: b is refused, and not added at all.
		WantErr(t, add(b, "docs", "build"), db.ErrRule, "seats_exhausted")
		if got, _ := ps.UserProjects(ctx, team.ID, b.ID); len(got) != 0 {
			t.Errorf("a refused grant left b on %v", got)
		}
		// docs has no subscription: no limit.
		if err := add(b, "docs"); err != nil {
			t.Fatal(err)
		}
		// c holds an external build subscription: no internal seat needed.
		if err := ss.SetExternalSubscription(ctx, team.ID, c.ID, "build", true, Operator); err != nil {
			t.Fatal(err)
		}
		if err := add(c, "docs", "build"); err != nil {
			t.Fatalf("external subscriber refused: %v", err)
		}
		// Its end would need an internal seat there is not: refused.
		WantErr(t, ss.SetExternalSubscription(ctx, team.ID, c.ID, "build", false, Operator), db.ErrRule, "seats_exhausted")
		usage, err := ss.Seats(ctx, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]db.SeatUsage{}
		for _, u := range usage {
			got[u.Product] = u
		}
		if u := got["build"]; u.Seats == nil || *u.Seats != 1 || u.Used != 1 || u.External != 1 {
			t.Errorf("build usage = %+v (seats %v), want 1 seat, 1 used, 1 external", u, u.Seats)
		}
		if u := got["docs"]; u.Seats != nil || u.Used != 3 {
			t.Errorf("docs usage = %+v, want no limit, 3 used", u)
		}
		// A second subscription adds seats; removing a member frees theirs.
		if err := ss.AddSubscription(ctx, team.ID, "build", 2, Operator); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ps.SetProjectAccess(ctx, team.ID, pr.ID, b.ID, []string{"docs", "build"}, Operator); err != nil {
			t.Fatal(err)
		}
		if err := ms.RemoveMember(ctx, team.ID, a.ID, Operator); err != nil {
			t.Fatal(err)
		}
		usage, _ = ss.Seats(ctx, team.ID)
		for _, u := range usage {
			if u.Product == "build" && (u.Used != 1 || *u.Seats != 3) {
				t.Errorf("build after removal = used %d of %d, want 1 of 3", u.Used, *u.Seats)
			}
		}
		other, _ := NewTeam(t, s, "")
		WantErr(t, ss.SetExternalSubscription(ctx, other.ID, c.ID, "build", true, Operator), db.ErrNotFound, "")
	})
	t.Run("R-MEM-5 ExternalAndInternalSeat", func(t *testing.T) { testInternalSeats(t, ss, ps, ms, s) })
	t.Run("R-MEM-5 LastSeatConcurrent", func(t *testing.T) { testLastSeatConcurrent(t, ss, ps, ms, s) })
}

// testLastSeatConcurrent is R-MEM-5 under concurrency: raceWriters grants
// of the last free seat at once (each through its own transaction, on
// separate connections): exactly one wins, the others are seats_exhausted,
// and used == seats afterwards (the seat check locks the product's row, so
// two PostgreSQL/MariaDB transactions cannot both count the seat free).
func testLastSeatConcurrent(t *testing.T, ss db.SeatStore, ps db.ProjectStore, ms db.MemberStore, s db.Store) {
	team, _ := NewTeam(t, s, "")
	pr, err := ps.CreateProject(ctx, team.ID, "Race", Operator)
	WantErr(t, err, nil, "")
	rows := make([]db.NewMember, raceWriters+1)
	for i := range rows {
		rows[i] = db.NewMember{Email: Email(fmt.Sprint("r", i), "s.test")}
	}
	added, err := ms.AddMembers(ctx, team.ID, rows, Operator)
	WantErr(t, err, nil, "")
	WantErr(t, ss.AddSubscription(ctx, team.ID, "build", 2, Operator), nil, "")
	// One seat taken beforehand, so the race is for the last one.
	_, _, err = ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: added[0].User.Email, Products: []string{"docs", "build"}}, Operator)
	WantErr(t, err, nil, "")
	for _, r := range []struct {
		round string
		grant func(i int) error
	}{
		{"AddProjectMember", func(i int) error {
			_, _, err := ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: added[i+1].User.Email, Products: []string{"docs", "build"}}, Operator)
			return err
		}},
		{"SetProjectAccess", func(i int) error {
			_, _, err := ps.SetProjectAccess(ctx, team.ID, pr.ID, added[i+1].User.ID, []string{"docs", "build"}, Operator)
			return err
		}},
	} {
		t.Run(r.round, func(t *testing.T) {
			if r.round == "SetProjectAccess" {
				// Everyone on the project with docs only; the last seat free again.
				for i := 1; i <= raceWriters; i++ {
					if _, _, err := ps.SetProjectAccess(ctx, team.ID, pr.ID, added[i].User.ID, []string{"docs"}, Operator); err != nil {
						_, _, err = ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: added[i].User.Email, Products: []string{"docs"}}, Operator)
						WantErr(t, err, nil, "")
					}
				}
			}
			errs := race(raceWriters, r.grant)
			wins := 0
			for i, err := range errs {
				switch {
				case err == nil:
					wins++
				case errors.Is(err, db.ErrRule) && db.CodeOf(err) == "seats_exhausted":
				default:
					t.Errorf("grant %d: %v, want success or seats_exhausted", i, err)
				}
			}
			if wins != 1 {
				t.Errorf("%d concurrent grants of the last seat won, want exactly 1", wins)
			}
			usage, err := ss.Seats(ctx, team.ID)
			WantErr(t, err, nil, "")
			for _, u := range usage {
				if u.Product == "build" && (u.Seats == nil || u.Used != *u.Seats) {
					t.Errorf("build after the race: used %d, want used == seats == 2", u.Used)
				}
			}
		})
	}
}

// testInternalSeats is R-MEM-5's external + internal seat: an external
// subscriber gets access without an internal seat, may be given one anyway
// (so access survives the external subscription's end), and the report
// {seats, used, external} is right after every step, whatever the
// combination of access, external subscription and internal seat.
func testInternalSeats(t *testing.T, ss db.SeatStore, ps db.ProjectStore, ms db.MemberStore, s db.Store) {
	team, _ := NewTeam(t, s, "")
	pr, err := ps.CreateProject(ctx, team.ID, "Tower", Operator)
	WantErr(t, err, nil, "")
	rows := make([]db.NewMember, 7)
	for i := range rows {
		rows[i] = db.NewMember{Email: Email(fmt.Sprint("u", i), "s.test")}
	}
	added, err := ms.AddMembers(ctx, team.ID, rows, Operator)
	WantErr(t, err, nil, "")
	u := func(i int) db.User { return added[i].User }
	WantErr(t, ss.AddSubscription(ctx, team.ID, "build", 3, Operator), nil, "")
	grant := func(i int) error {
		_, _, err := ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: u(i).Email, Products: []string{"docs", "build"}}, Operator)
		return err
	}
	ext := func(i int, on bool) error {
		return ss.SetExternalSubscription(ctx, team.ID, u(i).ID, "build", on, Operator)
	}
	seat := func(i int, on bool) error { return ss.SetInternalSeat(ctx, team.ID, u(i).ID, "build", on, Operator) }
	steps := []struct {
		name           string
		do             func() error
		code           string // "" = succeeds
		used, external int    // build's usage afterwards
	}{
		{"access, no external: an internal seat", func() error { return grant(1) }, "", 1, 0},
		{"external first, then access: no internal seat", func() error { WantErr(t, ext(2, true), nil, ""); return grant(2) }, "", 1, 1},
		{"external + internal seat, with access: both", func() error {
			WantErr(t, ext(3, true), nil, "")
			WantErr(t, seat(3, true), nil, "")
			return grant(3)
		}, "", 2, 2},
		{"external without access: counts nowhere", func() error { return ext(4, true) }, "", 2, 2},
		{"external + internal seat without access: counts nowhere", func() error { WantErr(t, ext(5, true), nil, ""); return seat(5, true) }, "", 2, 2},
		{"an internal seat anyway for an external subscriber with access", func() error { return seat(2, true) }, "", 3, 2},
		{"marking external again keeps the internal seat", func() error { return ext(2, true) }, "", 3, 2},
		{"an internal seat for a user without external subscription", func() error { return seat(1, true) }, "not_external", 3, 2},
		{"seats full: an external subscriber still gets access", func() error { return grant(4) }, "", 3, 3},
		{"seats full: one who wants an internal seat too is refused", func() error { return grant(5) }, "seats_exhausted", 3, 3},
		{"seats full: a plain member is refused", func() error { return grant(6) }, "seats_exhausted", 3, 3},
		{"seats full: no internal seat for an external subscriber", func() error { return seat(4, true) }, "seats_exhausted", 3, 3},
		{"seats full: ending external without a seat is refused", func() error { return ext(4, false) }, "seats_exhausted", 3, 3},
		{"seats full: ending external with an internal seat keeps access", func() error { return ext(3, false) }, "", 3, 2},
		{"taking the internal seat back frees it", func() error { return seat(2, false) }, "", 2, 2},
		{"the freed seat is granted", func() error { return grant(6) }, "", 3, 2},
	}
	for _, st := range steps {
		err := st.do()
		if st.code == "" && err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.code != "" && db.CodeOf(err) != st.code {
			t.Fatalf("%s: error %v, want %s", st.name, err, st.code)
		}
		usage, err := ss.Seats(ctx, team.ID)
		WantErr(t, err, nil, "")
		for _, us := range usage {
			if us.Product == "build" && (us.Seats == nil || *us.Seats != 3 || us.Used != st.used || us.External != st.external) {
				t.Errorf("%s: build = used %d, external %d, want used %d, external %d (3 seats)", st.name, us.Used, us.External, st.used, st.external)
			}
		}
	}
	// The usage report (R-POL-9, issue 11 #9) says per user which products
	// they have, hold externally and use an internal seat for.
	if pol, ok := s.(db.PolicyStore); ok {
		type row struct{ products, external, seats string }
		want := map[string]row{
			u(1).ID: {"build,docs", "", "build,docs"},
			u(2).ID: {"build,docs", "build", "docs"},
			u(3).ID: {"build,docs", "", "build,docs"},
			u(4).ID: {"build,docs", "build", "docs"},
			u(5).ID: {"", "build", ""},
			u(6).ID: {"build,docs", "", "build,docs"},
		}
		seen := 0
		err := pol.UsageReport(ctx, team.ID, func(r db.UsageRow) error {
			if w, ok := want[r.UserID]; ok {
				seen++
				got := row{strings.Join(r.Products, ","), strings.Join(r.ExternalProducts, ","), strings.Join(r.Seats, ",")}
				if got != w {
					t.Errorf("usage report for %s = %+v, want %+v", r.Email, got, w)
				}
			}
			return nil
		})
		if err != nil || seen != len(want) {
			t.Errorf("usage report: %d of %d users, %v", seen, len(want), err)
		}
	}
	// u3 ended the external subscription and kept access on its internal seat.
	if got, _ := ps.UserProjects(ctx, team.ID, u(3).ID); len(got) != 1 || len(got[0].Products) != 2 {
		t.Errorf("u3 after the external subscription ended: %+v, want still on Tower with docs and build", got)
	}
	other, _ := NewTeam(t, s, "")
	WantErr(t, ss.SetInternalSeat(ctx, other.ID, u(2).ID, "build", true, Operator), db.ErrNotFound, "")
}
