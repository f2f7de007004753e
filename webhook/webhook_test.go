package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/dbtest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/webhook"
	"github.com/roster-dev/roster/webhook/webhooktest"
)

// twoStores opens two handles on one fresh database: two replicas.
func twoStores(t *testing.T, d gormdb.Dialect) (*gormdb.Store, *gormdb.Store) {
	dsn := gormdbtest.DSN(t, d)
	var out [2]*gormdb.Store
	for i := range out {
		s, err := gormdb.Open(context.Background(), gormdb.Config{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out[0], out[1]
}

// TestDispatchTwoReplicas: two dispatchers on two handles of one database
// (as two replicas) deliver every event; a receiver that answers 500 twice
// per message sees exactly three requests per webhook-id (the same id on
// every attempt), every signature valid, retries at the schedule's times
// (the clock is injected: nothing waits), and each attempt recorded once.
func TestDispatchTwoReplicas(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			ctx := context.Background()
			a, b := twoStores(t, d)
			c := webhooktest.NewClock(time.Now().UTC().Add(time.Hour))
			rcv := webhooktest.NewReceiver(t, c, 2)
			team, _ := dbtest.NewTeam(t, a, "")
			ep, secret := dbtest.NewWebhook(t, a, team.ID, rcv.URL+"/hook")
			rcv.Secret = secret
			for i := 0; i < 8; i++ {
				dbtest.NewUser(t, b, team.ID, "disp", "acme.test", db.SourceAdmin)
			}
			sched := []time.Duration{5 * time.Second, 5 * time.Minute}
			var mu sync.Mutex
			results := map[string]int{}
			mk := func(s *gormdb.Store, owner string) *webhook.Dispatcher {
				return &webhook.Dispatcher{Store: s, Key: dbtest.WebhookKey, Client: webhook.NewClient(true, 5*time.Second),
					Now: c.Now, Schedule: sched, Owner: owner, Batch: 3,
					OnAttempt: func(r string, _ time.Duration) { mu.Lock(); results[r]++; mu.Unlock() }}
			}
			ds := []*webhook.Dispatcher{mk(a, "replica-a"), mk(b, "replica-b")}
			// Step the clock 5 s at a time past the whole schedule.
			for round := 0; round < 70; round++ {
				for {
					var wg sync.WaitGroup
					var n [2]int
					for i, x := range ds {
						wg.Add(1)
						go func() {
							defer wg.Done()
							var err error
							if n[i], err = x.RunOnce(ctx); err != nil {
								t.Errorf("%s: %v", x.Owner, err)
							}
						}()
					}
					wg.Wait()
					if n[0]+n[1] == 0 {
						break
					}
				}
				c.Add(5 * time.Second)
			}
			// 9 messages: webhook.created and 8 user.created.
			hits, msgs := rcv.Hits(), rcv.Messages()
			if len(hits) != 9 || rcv.Bad() != 0 {
				t.Fatalf("receiver got %d messages, %d with a bad signature; want 9, 0", len(hits), rcv.Bad())
			}
			for id, n := range hits {
				if n != 3 {
					t.Errorf("%s (%s) requested %d times, want 3 (500, 500, 204)", id, msgs[id].Type, n)
				}
			}
			if results[webhook.ResultRetry] != 18 || results[webhook.ResultDelivered] != 9 || results[webhook.ResultFailed] != 0 {
				t.Errorf("attempt results = %v", results)
			}
			ws, _ := a.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: ep.ID, Limit: 100})
			owners := map[string]int{}
			for _, x := range ws {
				at, err := a.DeliveryAttempts(ctx, team.ID, x.ID)
				if err != nil {
					t.Fatal(err)
				}
				if x.Status != db.DeliveryDelivered || x.Attempts != 3 || len(at) != 3 {
					t.Errorf("delivery %+v has %d attempts", x, len(at))
					continue
				}
				if gap := at[1].At.Sub(at[0].At); gap < sched[0] || gap > 30*time.Second {
					t.Errorf("first retry %v after the first attempt, want within 30 s and not before %v", gap, sched[0])
				}
				if at[0].Status != 500 || at[2].Status != 204 || !strings.HasPrefix(at[0].ResponsePrefix, "boom") || len(at[0].ResponsePrefix) > db.WebhookResponsePrefix {
					t.Errorf("attempts = %+v", at)
				}
				for _, y := range at {
					owners[y.Owner]++
				}
			}
			if owners["replica-a"]+owners["replica-b"] != 27 {
				t.Errorf("attempt owners = %v, want 27 attempts in all", owners)
			}
			t.Logf("attempts by replica: %v", owners)
		})
	}
}

// TestDisableAfterSchedule: an endpoint that fails every attempt of the
// default schedule (eight attempts over more than 24 hours) is disabled,
// and the webhook.disabled event reaches the team's other endpoint.
func TestDisableAfterSchedule(t *testing.T) {
	ctx := context.Background()
	s := gormdbtest.New(t, gormdb.Config{})
	c := webhooktest.NewClock(time.Now().UTC().Add(time.Hour))
	bad := webhooktest.NewReceiver(t, c, 0)
	bad.Always = true
	good := webhooktest.NewReceiver(t, c, 0)
	team, _ := dbtest.NewTeam(t, s, "")
	var err error
	badEP, sec := dbtest.NewWebhook(t, s, team.ID, bad.URL, "user.*")
	bad.Secret = sec
	_, good.Secret = dbtest.NewWebhook(t, s, team.ID, good.URL, "webhook.*")
	dbtest.NewUser(t, s, team.ID, "doomed", "acme.test", db.SourceAdmin)
	d := &webhook.Dispatcher{Store: s, Key: dbtest.WebhookKey, Client: webhook.NewClient(true, 5*time.Second), Now: c.Now, Owner: "r1"}
	start := c.Now()
	var total time.Duration
	for _, step := range webhook.DefaultSchedule {
		total += step
	}
	if total < 24*time.Hour || webhook.DefaultSchedule[0] > 30*time.Second {
		t.Fatalf("schedule spans %v (first retry %v); want at least 24 h, first retry within 30 s", total, webhook.DefaultSchedule[0])
	}
	for range len(webhook.DefaultSchedule) + 2 {
		if _, err = d.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		c.Add(10 * time.Hour)
	}
	if _, err = d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var hits int
	for _, n := range bad.Hits() {
		hits += n
	}
	if hits != len(webhook.DefaultSchedule)+1 {
		t.Errorf("failing endpoint got %d requests, want %d", hits, len(webhook.DefaultSchedule)+1)
	}
	hs, _ := s.ListWebhooks(ctx, team.ID)
	for _, h := range hs {
		if h.ID == badEP.ID && (h.Enabled || h.DisabledAt == nil || h.DisabledAt.Sub(start) < 24*time.Hour) {
			t.Errorf("failing endpoint = %+v, want disabled after at least 24 h", h)
		}
	}
	var disabled bool
	for _, m := range good.Messages() {
		disabled = disabled || m.Type == "webhook.disabled"
	}
	if !disabled {
		t.Errorf("the other endpoint got %v, want webhook.disabled", good.Messages())
	}
}

// TestSSRF: without the private-address switch the client refuses
// loopback, private, link-local and metadata addresses at dial time, and
// does not follow redirects.
func TestSSRF(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "100.64.0.1", "::1", "fd00::1", "fe80::1", "0.0.0.0", "224.0.0.1"} {
		if webhook.Public(net.ParseIP(ip)) {
			t.Errorf("%s counted as public", ip)
		}
	}
	for _, ip := range []string{"93.184.216.34", "2606:4700::1111"} {
		if !webhook.Public(net.ParseIP(ip)) {
			t.Errorf("%s counted as private", ip)
		}
	}
	ctx := context.Background()
	s := gormdbtest.New(t, gormdb.Config{})
	c := webhooktest.NewClock(time.Now().UTC().Add(time.Minute))
	rcv := webhooktest.NewReceiver(t, c, 0)
	team, _ := dbtest.NewTeam(t, s, "")
	ep, sec := dbtest.NewWebhook(t, s, team.ID, rcv.URL)
	rcv.Secret = sec
	d := &webhook.Dispatcher{Store: s, Key: dbtest.WebhookKey, Client: webhook.NewClient(false, 2*time.Second), Now: c.Now, Owner: "r1"}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rcv.Hits()) != 0 {
		t.Fatalf("a loopback endpoint was reached without the switch")
	}
	ws, _ := s.ListDeliveries(ctx, team.ID, db.DeliveryQuery{EndpointID: ep.ID})
	if len(ws) != 1 || ws[0].LastError != "address_not_allowed" || ws[0].Status != db.DeliveryPending {
		t.Fatalf("deliveries = %+v", ws)
	}
	redirect := httptest.NewServer(http.RedirectHandler(rcv.URL, http.StatusFound))
	defer redirect.Close()
	req, _ := http.NewRequest(http.MethodPost, redirect.URL, nil)
	resp, err := webhook.NewClient(true, 2*time.Second).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("redirect followed: %d", resp.StatusCode)
	}
}

// TestSign matches the Standard Webhooks specification's example.
func TestSign(t *testing.T) {
	got, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		[]byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign = %q, %v", got, err)
	}
}

// TestRetention (issue 14 #3): with the store's clock moved past
// webhooks.retention, Prune deletes finished deliveries with their attempts
// and then the events no delivery refers to, in batches of PruneBatch;
// a pending delivery (still retrying) and its event stay whatever their
// age, and so does everything inside the window. On every backend.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			c := webhooktest.NewClock(time.Now().UTC().Add(time.Hour))
			s := gormdbtest.Open(t, d, gormdb.Config{Now: c.Now})
			good := webhooktest.NewReceiver(t, c, 0)
			bad := webhooktest.NewReceiver(t, c, 0)
			bad.Always = true
			team, _ := dbtest.NewTeam(t, s, "")
			_, good.Secret = dbtest.NewWebhook(t, s, team.ID, good.URL, "user.*")
			_, bad.Secret = dbtest.NewWebhook(t, s, team.ID, bad.URL, "group.*")
			for _, n := range []string{"r1", "r2", "r3"} {
				dbtest.NewUser(t, s, team.ID, n, "acme.test", db.SourceAdmin)
			}
			g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "kept"}, dbtest.Operator)
			if err != nil {
				t.Fatal(err)
			}
			disp := &webhook.Dispatcher{Store: s, Key: dbtest.WebhookKey, Client: webhook.NewClient(true, 5*time.Second), Now: c.Now,
				Owner: "r1", Retention: 30 * 24 * time.Hour, PruneBatch: 2}
			if _, err := disp.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			old, err := s.ListDeliveries(ctx, team.ID, db.DeliveryQuery{Limit: 100})
			if err != nil || len(old) != 4 {
				t.Fatalf("deliveries before = %d, %v; want 3 delivered and 1 retrying", len(old), err)
			}
			// Inside the window nothing goes.
			if nd, ne, err := disp.Prune(ctx); err != nil || nd+ne != 0 {
				t.Fatalf("prune inside the window: %d deliveries, %d events, %v", nd, ne, err)
			}
			c.Add(31 * 24 * time.Hour)
			fresh := dbtest.NewUser(t, s, team.ID, "r4", "acme.test", db.SourceAdmin)
			nd, ne, err := disp.Prune(ctx)
			if err != nil || nd != 3 || ne == 0 {
				t.Fatalf("prune = %d deliveries, %d events, %v; want the 3 delivered ones and the old events", nd, ne, err)
			}
			for _, o := range old {
				_, err := s.DeliveryAttempts(ctx, team.ID, o.ID)
				if o.Status == db.DeliveryDelivered && !errorsIs(err, db.ErrNotFound) {
					t.Errorf("delivered %s (%s) still there: %v", o.ID, o.EventType, err)
				}
				if o.Status != db.DeliveryDelivered && err != nil {
					t.Errorf("retrying %s (%s) was pruned: %v", o.ID, o.EventType, err)
				}
			}
			evs, err := s.ListEvents(ctx, team.ID, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range evs {
				left = append(left, e.Type+" "+e.TargetID)
			}
			want := []string{"group.created " + g.ID, "user.created " + fresh.ID}
			if strings.Join(left, ",") != strings.Join(want, ",") {
				t.Errorf("events left = %q, want %q", left, want)
			}
		})
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }

// TestRunRealClock (issue 14 #4): the loop `roster serve` runs —
// Dispatcher.Run on the real clock with a 20 ms poll and a 50 ms first
// retry — delivers an event, retries it after the receiver's 500 with the
// same webhook-id, records both attempts, and returns when its context
// ends. The test waits on the receiver with a deadline; nothing asserts on
// elapsed time.
func TestRunRealClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := gormdbtest.New(t, gormdb.Config{})
	rcv := webhooktest.NewReceiver(t, webhooktest.NewClock(time.Now()), 1) // 500, then 204
	team, _ := dbtest.NewTeam(t, s, "")
	_, rcv.Secret = dbtest.NewWebhook(t, s, team.ID, rcv.URL, "user.created")
	u := dbtest.NewUser(t, s, team.ID, "live", "acme.test", db.SourceAdmin)
	d := &webhook.Dispatcher{Store: s, Key: dbtest.WebhookKey, Client: webhook.NewClient(true, 5*time.Second), Owner: "live",
		Schedule: []time.Duration{50 * time.Millisecond}, Retention: 30 * 24 * time.Hour}
	done := make(chan struct{})
	go func() { d.Run(ctx, 20*time.Millisecond); close(done) }()

	deadline := time.Now().Add(30 * time.Second)
	var ds []db.WebhookDelivery
	for {
		var err error
		ds, err = s.ListDeliveries(ctx, team.ID, db.DeliveryQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].Status == db.DeliveryDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery within 30 s: %+v, receiver hits %v", ds, rcv.Hits())
		}
		time.Sleep(10 * time.Millisecond) // polling the receiver's outcome, not a timing assertion
	}
	cancel()
	<-done // Run ends with its context
	if rcv.Bad() != 0 {
		t.Errorf("%d requests failed the signature check", rcv.Bad())
	}
	hits := rcv.Hits()
	if len(hits) != 1 {
		t.Fatalf("receiver got webhook-ids %v, want one", hits)
	}
	for id, n := range hits {
		if n != 2 || rcv.Messages()[id].Type != "user.created" {
			t.Errorf("%s: %d requests of %s, want 2 of user.created (500, then the retry)", id, n, rcv.Messages()[id].Type)
		}
	}
	at, err := s.DeliveryAttempts(context.Background(), team.ID, ds[0].ID)
	if err != nil || len(at) != 2 || at[0].Status != 500 || at[1].Status != 204 || ds[0].EventType != "user.created" {
		t.Errorf("attempts = %+v, %v; want 500 then 204 (user %s)", at, err, u.ID)
	}
}
