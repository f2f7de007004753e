package dbtest

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// WebhookKey is the server key the suites seal webhook secrets with.
var WebhookKey = bytes.Repeat([]byte{7}, 32)

func webhookStores(t *testing.T, s db.Store) (db.WebhookStore, db.WebhookDispatchStore) {
	t.Helper()
	ws, ok := s.(db.WebhookStore)
	if !ok {
		missing(t, "it does not implement db.WebhookStore")
	}
	ds, ok := s.(db.WebhookDispatchStore)
	if !ok {
		missing(t, "it does not implement db.WebhookDispatchStore")
	}
	return ws, ds
}

// NewWebhook registers an endpoint with a fresh sealed secret.
func NewWebhook(t *testing.T, ws db.WebhookStore, teamID, url string, events ...string) (db.WebhookEndpoint, string) {
	t.Helper()
	secret, sealed, err := db.NewWebhookSecret(WebhookKey)
	WantErr(t, err, nil, "")
	e, err := ws.CreateWebhook(ctx, teamID, db.NewWebhook{URL: url, Events: events, SealedSecret: sealed}, Operator)
	WantErr(t, err, nil, "")
	return e, secret
}

// lastEvent is the team's newest event of type typ.
func lastEvent(t *testing.T, s db.Store, teamID, typ string) (db.Event, map[string]json.RawMessage) {
	t.Helper()
	es := allEvents(t, s, teamID, 1000)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Type == typ {
			var p map[string]json.RawMessage
			if err := json.Unmarshal([]byte(es[i].Payload), &p); err != nil {
				t.Fatalf("payload of %s: %v", typ, err)
			}
			return es[i], p
		}
	}
	t.Fatalf("no %s event among %d", typ, len(es))
	return db.Event{}, nil
}

// sameJSON fails unless the payload's resource is v encoded.
func sameJSON(t *testing.T, what string, got json.RawMessage, v any) {
	t.Helper()
	want, _ := json.Marshal(v)
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal(want, &b)
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("%s resource (-want +got):\n%s", what, diff)
	}
}

// testEventResources: an event's payload carries the affected resource in
// exactly the view the admin API shows (db.UserViewOf, db.TeamViewOf, ...),
// read in the change's transaction: after the change, and as the last
// state for a deleted resource (db.DeletedView).
func testEventResources(t *testing.T, s db.Store) {
	team, _ := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "res", "acme.test", db.SourceAdmin)
	exp, err := s.ExpectedTypes(ctx, team.ID, []string{u.ID})
	WantErr(t, err, nil, "")
	_, p := lastEvent(t, s, team.ID, "user.created")
	sameJSON(t, "user.created", p["resource"], db.UserViewOf(u, exp[u.ID]))

	u2, err := s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { x.FirstName = "Renamed"; return nil })
	WantErr(t, err, nil, "")
	_, p = lastEvent(t, s, team.ID, "user.updated")
	sameJSON(t, "user.updated", p["resource"], db.UserViewOf(u2, exp[u.ID]))

	u3, err := s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { x.Status = db.StatusInactive; return nil })
	WantErr(t, err, nil, "")
	_, p = lastEvent(t, s, team.ID, "user.deactivated")
	sameJSON(t, "user.deactivated", p["resource"], db.UserViewOf(u3, exp[u.ID]))

	WantErr(t, s.DeleteUser(ctx, team.ID, u.ID, Operator), nil, "")
	_, p = lastEvent(t, s, team.ID, "user.deleted")
	sameJSON(t, "user.deleted", p["resource"], db.DeletedView{Kind: "user", ID: u.ID, Deleted: true})

	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "Res group", Source: db.SourceSCIM}, Operator)
	WantErr(t, err, nil, "")
	_, p = lastEvent(t, s, team.ID, "group.created")
	sameJSON(t, "group.created", p["resource"], db.GroupViewOf(g))

	tok, err := s.CreateToken(ctx, db.Token{TeamID: team.ID, Kind: db.TokenSCIM, Prefix: "rst_res", Hash: bytes.Repeat([]byte{byte(len(t.Name()))}, 32)}, Operator)
	WantErr(t, err, nil, "")
	_, p = lastEvent(t, s, team.ID, "token.created")
	sameJSON(t, "token.created", p["resource"], db.TokenViewOf(tok))
	if bytes.Contains(p["resource"], []byte("hash")) {
		t.Errorf("token event carries the hash: %s", p["resource"])
	}
}

// testWebhooks: endpoints are registered with a checked URL and filter,
// audited as events; each event is queued, in its own transaction, to
// every enabled endpoint of its team whose filter takes it; a team never
// sees another's endpoints or deliveries; replay and delete.
func testWebhooks(t *testing.T, s db.Store) {
	ws, ds := webhookStores(t, s)
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	_, sealed, err := db.NewWebhookSecret(WebhookKey)
	WantErr(t, err, nil, "")
	for _, c := range []struct {
		name, url string
		events    []string
		sealed    string
		code      string
	}{
		{"not http", "ftp://hooks.example/x", nil, sealed, "url_invalid"},
		{"file", "file:///etc/passwd", nil, sealed, "url_invalid"},
		{"no host", "http:///x", nil, sealed, "url_invalid"},
		{"relative", "/hooks", nil, sealed, "url_invalid"},
		{"user info", "https://u:p@hooks.example/x", nil, sealed, "url_invalid"},
		{"unknown event", "https://hooks.example/x", []string{"user.exploded"}, sealed, "events_invalid"},
		{"unsealed secret", "https://hooks.example/x", nil, "whsec_plain", "secret_invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ws.CreateWebhook(ctx, team.ID, db.NewWebhook{URL: c.url, Events: c.events, SealedSecret: c.sealed}, Operator)
			WantErr(t, err, db.ErrInvalid, c.code)
		})
	}
	if hs, _ := ws.ListWebhooks(ctx, team.ID); len(hs) != 0 {
		t.Fatalf("refused registrations left %d endpoints", len(hs))
	}
	all, secret := NewWebhook(t, ws, team.ID, "https://all.example/hook")
	groups, _ := NewWebhook(t, ws, team.ID, "https://groups.example/hook", "group.*", "user.deleted")
	if sec, err := db.OpenSecret(WebhookKey, all.SealedSecret); err != nil || sec != secret {
		t.Fatalf("sealed secret opens to %q, %v; want the secret shown once", sec, err)
	}
	if bytes.Contains([]byte(all.SealedSecret), []byte(secret[6:])) {
		t.Fatalf("the stored secret contains the plaintext")
	}
	_, p := lastEvent(t, s, team.ID, "webhook.created")
	sameJSON(t, "webhook.created", p["resource"], db.WebhookViewOf(groups))

	u := NewUser(t, s, team.ID, "hook", "acme.test", db.SourceAdmin)
	_, err = s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "Hooked", Source: db.SourceSCIM}, Operator)
	WantErr(t, err, nil, "")
	WantErr(t, s.DeleteUser(ctx, team.ID, u.ID, Operator), nil, "")
	NewUser(t, s, other.ID, "elsewhere", "acme.test", db.SourceAdmin)

	types := func(endpoint string) []string {
		t.Helper()
		d, err := ws.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: endpoint, Limit: 1000})
		WantErr(t, err, nil, "")
		var out []string
		for _, x := range d {
			if x.Status != db.DeliveryPending || x.Attempts != 0 {
				t.Errorf("new delivery %+v is not pending with no attempts", x)
			}
			out = append(out, x.EventType)
		}
		sort.Strings(out)
		return out
	}
	if got, want := types(groups.ID), []string{"group.created", "user.deleted"}; !slices.Equal(got, want) {
		t.Errorf("filtered endpoint got %q, want %q", got, want)
	}
	if got, want := types(all.ID), []string{"group.created", "user.created", "user.deleted", "webhook.created", "webhook.created"}; !slices.Equal(got, want) {
		t.Errorf("unfiltered endpoint got %q, want %q (its own and the second endpoint's creation, nothing of the other team)", got, want)
	}
	if d, err := ws.ListDeliveries(ctx, other.ID, db.DeliveryQuery{}); err != nil || len(d) != 0 {
		t.Errorf("other team sees %d deliveries (%v)", len(d), err)
	}
	if _, err := ws.DeleteWebhook(ctx, other.ID, all.ID, Operator); err == nil {
		t.Errorf("another team deleted the endpoint")
	} else {
		WantErr(t, err, db.ErrNotFound, "webhook_not_found")
	}

	// Replay by delivery and by event: a new pending delivery, the same event.
	d, err := ws.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: groups.ID, Limit: 1})
	WantErr(t, err, nil, "")
	r, err := ws.ReplayDelivery(ctx, team.ID, d[0].ID, Operator)
	WantErr(t, err, nil, "")
	if r.EventID != d[0].EventID || r.ReplayOf != d[0].ID || r.Status != db.DeliveryPending || r.ID == d[0].ID {
		t.Errorf("replay = %+v of %+v", r, d[0])
	}
	ev, _ := lastEvent(t, s, team.ID, "user.created")
	r2, err := ws.ReplayEvent(ctx, team.ID, groups.ID, ev.ID, Operator)
	WantErr(t, err, nil, "")
	if r2.EventID != ev.ID || r2.EventType != "user.created" {
		t.Errorf("replay of an event the filter does not take = %+v", r2)
	}
	_, err = ws.ReplayEvent(ctx, team.ID, groups.ID, 1<<40, Operator)
	WantErr(t, err, db.ErrNotFound, "event_not_found")
	_, err = ws.ReplayDelivery(ctx, other.ID, d[0].ID, Operator)
	WantErr(t, err, db.ErrNotFound, "delivery_not_found")
	lastEvent(t, s, team.ID, "webhook.replayed")

	// Delete removes the endpoint and its deliveries; its event carries the deleted marker.
	gone, err := ws.DeleteWebhook(ctx, team.ID, groups.ID, Operator)
	WantErr(t, err, nil, "")
	if gone.ID != groups.ID {
		t.Errorf("deleted %+v", gone)
	}
	_, p = lastEvent(t, s, team.ID, "webhook.deleted")
	sameJSON(t, "webhook.deleted", p["resource"], db.DeletedView{Kind: "webhook", ID: groups.ID, Deleted: true})
	if d, _ := ws.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: groups.ID}); len(d) != 0 {
		t.Errorf("deleted endpoint keeps %d deliveries", len(d))
	}
	_ = ds
}

// testWebhookLeases: a due delivery is claimed by exactly one of several
// concurrent dispatchers; a lease blocks others until it expires; only the
// holder records the attempt; a failure is retried at the time the
// dispatcher chose with the same delivery; success ends it; a delivery that
// fails its last attempt fails and disables an endpoint with no success
// since, with a webhook.disabled event, and nothing more is queued to it.
func testWebhookLeases(t *testing.T, s db.Store) {
	ws, ds := webhookStores(t, s)
	team, _ := NewTeam(t, s, "")
	ep, _ := NewWebhook(t, ws, team.ID, "https://lease.example/hook", "user.*")
	for i := 0; i < 12; i++ {
		NewUser(t, s, team.ID, "lease", "acme.test", db.SourceAdmin)
	}
	now := time.Now().UTC().Add(time.Minute)
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for _, owner := range []string{"replica-a", "replica-b", "replica-c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				jobs, err := ds.ClaimDeliveries(ctx, owner, now, time.Minute, 2)
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					if prev, ok := claimed[j.Delivery.ID]; ok {
						t.Errorf("delivery %s claimed by %s and %s", j.Delivery.ID, prev, owner)
					}
					claimed[j.Delivery.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != 12 {
		t.Fatalf("claimed %d deliveries, want 12", len(claimed))
	}
	if jobs, _ := ds.ClaimDeliveries(ctx, "replica-d", now.Add(30*time.Second), time.Minute, 100); len(jobs) != 0 {
		t.Fatalf("claimed %d leased deliveries before the lease expired", len(jobs))
	}
	// After the lease expires, one (and only one) claim gets each again.
	later := now.Add(2 * time.Minute)
	jobs, err := ds.ClaimDeliveries(ctx, "replica-d", later, time.Minute, 1)
	WantErr(t, err, nil, "")
	if len(jobs) != 1 {
		t.Fatalf("claimed %d expired leases, want 1", len(jobs))
	}
	j := jobs[0]
	if j.URL != ep.URL || j.SealedSecret != ep.SealedSecret || j.Event.ID != j.Delivery.EventID || j.Event.Type != "user.created" {
		t.Fatalf("job = %+v", j)
	}
	// The expired holder cannot record an attempt any more.
	WantErr(t, ds.FinishAttempt(ctx, claimed[j.Delivery.ID], j, db.AttemptResult{Attempt: db.WebhookAttempt{At: later, Status: 500}}), db.ErrConflict, "lease_lost")
	retry := later.Add(5 * time.Second)
	WantErr(t, ds.FinishAttempt(ctx, "replica-d", j, db.AttemptResult{Attempt: db.WebhookAttempt{At: later, Status: 500, Error: "status 500",
		ResponsePrefix: string(bytes.Repeat([]byte("x"), 1000))}, NextAt: &retry}), nil, "")
	WantErr(t, ds.FinishAttempt(ctx, "replica-d", j, db.AttemptResult{Attempt: db.WebhookAttempt{At: later, Status: 500}, NextAt: &retry}), db.ErrConflict, "lease_lost")
	// Just before the retry time the other eleven (their leases expired)
	// are claimable, the retried one is not.
	early, err := ds.ClaimDeliveries(ctx, "replica-e", retry.Add(-time.Second), time.Minute, 100)
	WantErr(t, err, nil, "")
	if len(early) != 11 || slices.ContainsFunc(early, func(x db.DeliveryJob) bool { return x.Delivery.ID == j.Delivery.ID }) {
		t.Fatalf("claimed %d before the retry time, want the 11 others", len(early))
	}
	jobs, err = ds.ClaimDeliveries(ctx, "replica-e", retry, time.Minute, 100)
	WantErr(t, err, nil, "")
	var j2 db.DeliveryJob
	for _, x := range jobs {
		if x.Delivery.ID == j.Delivery.ID {
			j2 = x
		}
	}
	if j2.Delivery.Attempts != 1 {
		t.Fatalf("retried delivery = %+v, want attempts 1", j2.Delivery)
	}
	// Every other delivery fails for good (NextAt nil: the schedule is
	// exhausted); the endpoint never answered 2xx since they were created,
	// so the first of them disables it.
	var last db.DeliveryJob
	for _, x := range early {
		WantErr(t, ds.FinishAttempt(ctx, "replica-e", x, db.AttemptResult{Attempt: db.WebhookAttempt{At: retry, Status: 0, Error: "connection refused"}}), nil, "")
		last = x
	}
	if last.Delivery.ID == "" {
		t.Fatalf("no other deliveries claimed")
	}
	WantErr(t, ds.FinishAttempt(ctx, "replica-e", j2, db.AttemptResult{Attempt: db.WebhookAttempt{At: retry, Status: 204}, Delivered: true}), nil, "")
	at, err := ws.DeliveryAttempts(ctx, team.ID, j.Delivery.ID)
	WantErr(t, err, nil, "")
	if len(at) != 2 || at[0].N != 1 || at[0].Owner != "replica-d" || at[0].Status != 500 || len(at[0].ResponsePrefix) != db.WebhookResponsePrefix ||
		at[1].N != 2 || at[1].Owner != "replica-e" || at[1].Status != 204 {
		t.Fatalf("attempts = %+v", at)
	}
	hs, err := ws.ListWebhooks(ctx, team.ID)
	WantErr(t, err, nil, "")
	if len(hs) != 1 || hs[0].Enabled || hs[0].DisabledAt == nil {
		t.Fatalf("endpoint after a failed schedule = %+v, want disabled", hs)
	}
	ev, p := lastEvent(t, s, team.ID, "webhook.disabled")
	if ev.TargetID != ep.ID || !bytes.Contains(p["resource"], []byte(`"enabled":false`)) {
		t.Errorf("webhook.disabled = %+v %s", ev, p["resource"])
	}
	before, _ := ws.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: ep.ID, Limit: 1000})
	NewUser(t, s, team.ID, "after", "acme.test", db.SourceAdmin)
	after, _ := ws.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: ep.ID, Limit: 1000})
	if len(after) != len(before) {
		t.Errorf("a disabled endpoint got %d new deliveries", len(after)-len(before))
	}
	_, err = ws.ReplayDelivery(ctx, team.ID, last.Delivery.ID, Operator)
	WantErr(t, err, db.ErrRule, "webhook_disabled")
	en, err := ws.EnableWebhook(ctx, team.ID, ep.ID, Operator)
	WantErr(t, err, nil, "")
	if !en.Enabled {
		t.Errorf("enable = %+v", en)
	}
	lastEvent(t, s, team.ID, "webhook.enabled")
	_, err = ws.ReplayDelivery(ctx, team.ID, last.Delivery.ID, Operator)
	WantErr(t, err, nil, "")
}
