package dbtest

import (
	"encoding/json"
	"testing"

	"github.com/roster-dev/roster/db"
)

// allAudit is every audit entry of the team (newest first, as ListAudit gives).
func allAudit(t *testing.T, s db.Store, teamID string) []db.AuditEntry {
	t.Helper()
	var out []db.AuditEntry
	q := db.AuditQuery{Limit: 1000}
	for {
		es, err := s.ListAudit(ctx, teamID, q)
		WantErr(t, err, nil, "")
		out = append(out, es...)
		if len(es) < q.Limit {
			return out
		}
		q.BeforeID = es[len(es)-1].ID
	}
}

// allEvents pages through the team's events with after=, pageSize at a time.
func allEvents(t *testing.T, s db.Store, teamID string, pageSize int) []db.Event {
	t.Helper()
	var out []db.Event
	var after int64
	for {
		es, err := s.ListEvents(ctx, teamID, after, pageSize)
		WantErr(t, err, nil, "")
		for i, e := range es {
			if e.ID <= after || (i > 0 && e.ID <= es[i-1].ID) {
				t.Fatalf("events out of order: %d after %d", e.ID, after)
			}
		}
		out = append(out, es...)
		if len(es) < pageSize {
			return out
		}
		after = es[len(es)-1].ID
	}
}

// testEventsOutbox: R-EVT-1 every audited change has exactly one event,
// written in the same transaction — from the applier's batched creates, the
// per-mutation audit helper and Store.Audit alike — typed after the audit
// action and carrying its target, actor and details; a rolled-back write
// leaves neither; a team sees only its own events, in id order by after=.
func testEventsOutbox(t *testing.T, s db.Store) {
	w, ok := s.(db.Writer)
	if !ok {
		missing(t, "it has no mutation applier")
	}
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "evt", "acme.test", db.SourceAdmin)
	var creates []db.Mutation
	for _, n := range []string{"b1", "b2", "b3"} {
		creates = append(creates, db.UserCreate{User: db.NewUser{Email: Email(n, "acme.test"), FirstName: "B", LastName: "E", Source: db.SourceProduct}, By: Operator})
	}
	_, err := w.Apply(ctx, team.ID, creates...) // the writer's batched path
	WantErr(t, err, nil, "")
	_, err = s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { x.FirstName = "Changed"; return nil })
	WantErr(t, err, nil, "")
	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "evt group"}, Operator)
	WantErr(t, err, nil, "")
	_, err = w.Apply(ctx, team.ID, db.GroupDelete{GroupID: g.ID, By: Operator})
	WantErr(t, err, nil, "")
	_, err = w.Apply(ctx, team.ID, db.UserDelete{UserID: u.ID, By: Operator})
	WantErr(t, err, nil, "")
	WantErr(t, s.Audit(ctx, db.AuditEntry{TeamID: team.ID, Actor: Operator, Action: "policy.set", TargetKind: "policy", TargetID: team.ID, Details: `{"k":"v"}`}), nil, "")
	// A target kind with no resource view is refused: its event would carry a null resource (issue 14 #4).
	WantErr(t, s.Audit(ctx, db.AuditEntry{TeamID: team.ID, Actor: Operator, Action: "setting.set", TargetKind: "setting", TargetID: "x"}), db.ErrInvalid, "target_kind_invalid")

	// R-EVT-1: a write that fails leaves no audit entry and no event
	before := len(allEvents(t, s, team.ID, 1000))
	_, err = w.Apply(ctx, team.ID,
		db.UserCreate{User: db.NewUser{Email: Email("rolled", "acme.test"), FirstName: "R", LastName: "B", Source: db.SourceAdmin}, By: Operator},
		db.GroupCreate{Group: db.NewGroup{DisplayName: "  "}, By: Operator})
	WantErr(t, err, db.ErrInvalid, "display_name_required")

	audits := allAudit(t, s, team.ID)
	events := allEvents(t, s, team.ID, 2) // small pages exercise after=
	if len(events) != before {
		t.Errorf("a rolled-back Apply left %d events", len(events)-before)
	}
	if len(events) != len(audits) {
		t.Fatalf("%d events for %d audit entries", len(events), len(audits))
	}
	byAudit := map[int64]db.Event{}
	for _, e := range events {
		if _, dup := byAudit[e.AuditID]; dup {
			t.Errorf("audit entry %d has two events", e.AuditID)
		}
		byAudit[e.AuditID] = e
		if e.TeamID != team.ID {
			t.Errorf("event %d of team %s in team %s's list", e.ID, e.TeamID, team.ID)
		}
	}
	want := map[string]string{"user.create": "user.created", "user.update": "user.updated", "user.delete": "user.deleted",
		"group.create": "group.created", "group.delete": "group.deleted", "policy.set": "policy.changed"}
	seen := map[string]bool{}
	for _, a := range audits {
		e, ok := byAudit[a.ID]
		if !ok {
			t.Errorf("audit entry %d (%s) has no event", a.ID, a.Action)
			continue
		}
		if wt, ok := want[a.Action]; ok && e.Type != wt {
			t.Errorf("audit %s: event type %q, want %q", a.Action, e.Type, wt)
		}
		seen[e.Type] = true
		if e.TargetKind != a.TargetKind || e.TargetID != a.TargetID {
			t.Errorf("event %d target %s/%s, audit %s/%s", e.ID, e.TargetKind, e.TargetID, a.TargetKind, a.TargetID)
		}
		var p struct {
			Target  map[string]string `json:"target"`
			Actor   map[string]string `json:"actor"`
			Details json.RawMessage   `json:"details"`
		}
		if err := json.Unmarshal([]byte(e.Payload), &p); err != nil {
			t.Errorf("event %d payload is not JSON: %v", e.ID, err)
			continue
		}
		if p.Target["id"] != a.TargetID || p.Actor["kind"] != string(a.Actor.Kind) {
			t.Errorf("event %d payload %s does not carry the audit's target and actor", e.ID, e.Payload)
		}
	}
	for _, wt := range want {
		if !seen[wt] {
			t.Errorf("no %s event", wt)
		}
	}
	if es, err := s.ListEvents(ctx, other.ID, 0, 1000); err != nil {
		t.Fatal(err)
	} else {
		for _, e := range es {
			if e.TeamID != other.ID {
				t.Errorf("team %s sees event %d of team %s", other.ID, e.ID, e.TeamID)
			}
		}
	}
}
