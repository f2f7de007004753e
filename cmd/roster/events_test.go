package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestEventsAPIAndCLI: every audited change is pulled from GET /events in
// id order with after=, shows the same as `roster events list`, and `roster
// events tail` prints new events one JSON object per line; another team's
// admin sees nothing of them.
func TestEventsAPIAndCLI(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	other := c.team("B", "bo@b.test")
	c.ok(nil, "users", "add", "--team", team, "--email", "sam@a.test", "--first-name", "Sam", "--last-name", "Ng")
	c.ok(nil, "users", "remove", "--team", team, "--email", "sam@a.test")
	s := startServer(t, c)
	tok := adminToken(t, c, team, "pat@a.test")
	api := s.url + "/api/v1/teams/" + team + "/events"

	r := call(t, "GET", api, tok, "")
	if r.status != 200 || len(r.list) == 0 {
		t.Fatalf("GET /events: %d %v", r.status, r.list)
	}
	types := map[string]int{}
	var last float64
	for _, e := range r.list {
		if id := e["id"].(float64); id <= last {
			t.Fatalf("events out of order: %v", r.list)
		} else {
			last = id
		}
		types[e["type"].(string)]++
		if _, ok := e["payload"].(map[string]any); !ok {
			t.Errorf("event %v has no payload object", e)
		}
	}
	for _, want := range []string{"team.created", "user.created", "user.deleted", "token.created"} {
		if types[want] == 0 {
			t.Errorf("no %s event in %v", want, types)
		}
	}
	first := int64(r.list[0]["id"].(float64))
	if r := call(t, "GET", api+"?after="+strconv.FormatInt(first, 10)+"&limit=1", tok, ""); r.status != 200 || len(r.list) != 1 ||
		int64(r.list[0]["id"].(float64)) <= first {
		t.Errorf("after=%d&limit=1: %d %v", first, r.status, r.list)
	}
	if r := call(t, "GET", api+"?after="+strconv.FormatInt(int64(last), 10), tok, ""); r.status != 200 || len(r.list) != 0 {
		t.Errorf("after the last event: %d %v", r.status, r.list)
	}
	for _, q := range []string{"?after=x", "?after=-1", "?limit=0", "?limit=1001"} {
		if r := call(t, "GET", api+q, tok, ""); r.status != 400 {
			t.Errorf("GET /events%s = %d, want 400", q, r.status)
		}
	}
	otherTok := adminToken(t, c, other, "bo@b.test")
	if r := call(t, "GET", api, otherTok, ""); r.status != 404 {
		t.Errorf("another team's admin: %d, want 404", r.status)
	}
	var cli []adminapi.EventView
	c.ok(&cli, "events", "list", "--team", team, "--limit", "1000", "-o", "json")
	// team B's token is B's event, not A's
	if len(cli) != len(r.list) || cli[len(cli)-1].ID != int64(last) {
		t.Errorf("CLI lists %d events up to %d, API %d up to %v", len(cli), cli[len(cli)-1].ID, len(r.list), last)
	}
	out, errs, code := c.run("events", "tail", "--team", team, "--after", strconv.FormatInt(first, 10), "--count", "2", "--interval", "10ms", "-o", "json")
	if code != 0 {
		t.Fatalf("events tail: %s", errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("events tail --count 2 printed %q", out)
	}
	for _, l := range lines {
		var v adminapi.EventView
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.ID <= first {
			t.Errorf("tail line %q: %v", l, err)
		}
	}
}
