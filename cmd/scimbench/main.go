// Command scimbench is a SCIM load generator for a running `roster serve`. It
// creates users, then runs the workloads of issue 3 at each concurrency and
// prints requests per second and latency percentiles per workload:
//
//	scimbench --url http://127.0.0.1:8080/scim/v2 --token $TOKEN --n 10000
//
// It needs a team of its own (the list workload pages through every user of
// the team) and the server's SCIM rate limit off (ROSTER_SCIM_RATE_LIMIT=0).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	run := run
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "ceiling" {
		run, args = runCeiling, args[1:]
	} else if len(args) > 0 && args[0] == "compare" {
		run, args = runCompare, args[1:]
	} else if len(args) > 0 && args[0] == "seed" {
		run, args = runSeed, args[1:]
	} else if len(args) > 0 && args[0] == "scale" {
		run, args = runScale, args[1:]
	} else if len(args) > 0 && args[0] == "scalereport" {
		run, args = runScaleReport, args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, args, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "scimbench:", err)
		os.Exit(1)
	}
}

type bench struct {
	base   string
	token  string
	client *http.Client
	run    string // unique prefix so repeated runs do not collide

	mu    sync.Mutex
	users []user
}

type user struct{ id, userName, email string }

type result struct {
	name     string
	conc     int
	n        int
	errors   int64
	elapsed  time.Duration
	lat      []time.Duration
	firstErr string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scimbench", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080/scim/v2", "SCIM base URL")
	token := fs.String("token", os.Getenv("SCIMBENCH_TOKEN"), "SCIM bearer token (or $SCIMBENCH_TOKEN)")
	n := fs.Int("n", 10000, "users to create (at concurrency 16; concurrency 1 creates n/10 more)")
	concs := fs.String("concurrency", "1,16", "comma-separated concurrency levels")
	dur := fs.Duration("duration", 5*time.Second, "how long each read/PATCH workload runs per concurrency")
	groupSize := fs.Int("group-size", 10000, "members of the big group")
	batch := fs.Int("batch", 100, "members per group PATCH")
	jsonOut := fs.String("json", "", "also write the results to this file as JSON (for scimbench compare)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		return fmt.Errorf("--token is required")
	}
	levels, err := parseLevels(*concs)
	if err != nil {
		return err
	}
	b := newBench(*base, *token)
	if code, body, err := b.do(ctx, "GET", "/ServiceProviderConfig", nil); err != nil || code != 200 {
		return fmt.Errorf("server not reachable or token refused: %d %v %s", code, err, body)
	}
	var results []result
	// create: n at the highest concurrency, n/10 at the others.
	for _, c := range levels {
		count := *n
		if c != levels[len(levels)-1] {
			count = *n / 10
		}
		r := b.create(ctx, c, count)
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "create c=%d: %d users in %s\n", c, r.n, r.elapsed.Round(time.Millisecond))
	}
	if len(b.users) == 0 {
		return fmt.Errorf("no users were created: %s", results[0].firstErr)
	}
	workloads := b.userWorkloads(true)
	for _, w := range workloads {
		for _, c := range levels {
			r := b.timed(ctx, w.name, c, *dur, w.req)
			results = append(results, r)
			fmt.Fprintf(os.Stderr, "%s c=%d: %d requests\n", w.name, c, r.n)
		}
	}
	for _, c := range levels {
		results = append(results, b.listAll(ctx, c))
	}
	for _, c := range levels {
		grow, remove, err := b.group(ctx, c, *groupSize, *batch)
		if err != nil {
			return err
		}
		results = append(results, grow, remove)
	}
	printResults(out, results)
	if *jsonOut != "" {
		if err := writeResults(*jsonOut, results); err != nil {
			return err
		}
	}
	for _, r := range results {
		if r.firstErr != "" {
			fmt.Fprintf(out, "first error in %s (c=%d): %s\n", r.name, r.conc, r.firstErr)
		}
	}
	return nil
}

func parseLevels(concs string) ([]int, error) {
	var levels []int
	for _, s := range strings.Split(concs, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || c < 1 {
			return nil, fmt.Errorf("bad --concurrency %q", concs)
		}
		levels = append(levels, c)
	}
	return levels, nil
}

func newBench(base, token string) *bench {
	return &bench{base: strings.TrimRight(base, "/"), token: token, run: strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}}
}

func printResults(out io.Writer, results []result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tconc\trequests\treq/s\tp50\tp99\terrors\t\n")
	for _, r := range results {
		sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
		rate := float64(r.n) / r.elapsed.Seconds()
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%d\t\n", r.name, r.conc, r.n, rate, pct(r.lat, 0.50), pct(r.lat, 0.99), r.errors)
	}
	tw.Flush()
}

func pct(l []time.Duration, p float64) string {
	if len(l) == 0 {
		return "-"
	}
	d := l[int(float64(len(l)-1)*p)]
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

func (b *bench) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// workload is one kind of request a timed run repeats.
type workload struct {
	name string
	req  func() (method, path string, body any, want int)
}

// userWorkloads are the per-user reads and PATCH of the bench and of
// scimbench scale, on users drawn at random from b.users; withEmail adds
// the Entra email value-path filter.
func (b *bench) userWorkloads(withEmail bool) []workload {
	pick := func() user { return b.users[rand.IntN(len(b.users))] }
	var active atomic.Bool
	ws := []workload{
		{"GET /Users/{id}", func() (string, string, any, int) { return "GET", "/Users/" + pick().id, nil, 200 }},
		{"filter userName eq", func() (string, string, any, int) {
			return "GET", "/Users?filter=" + url.QueryEscape(`userName eq "`+pick().userName+`"`), nil, 200
		}},
	}
	if withEmail {
		ws = append(ws, workload{"filter emails[type eq work].value eq", func() (string, string, any, int) {
			return "GET", "/Users?filter=" + url.QueryEscape(`emails[type eq "work"].value eq "`+pick().email+`"`), nil, 200
		}})
	}
	return append(ws, workload{"PATCH active (Entra)", func() (string, string, any, int) {
		v := "False"
		if active.Load() {
			v = "True"
		}
		active.Store(!active.Load())
		return "PATCH", "/Users/" + pick().id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": v}}}, 200
	}})
}

// userBody is the SCIM body of bench user i: the create workload posts it,
// and the seeder (scimbench seed) writes the user it makes. label tells
// apart users created at one concurrency, or seeded ("s").
func userBody(run, label string, i int) (userName, email string, body map[string]any) {
	userName = fmt.Sprintf("bench-%s-%s-%d@example.com", run, label, i)
	email = fmt.Sprintf("work-%s-%s-%d@example.com", run, label, i)
	body = map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
		"userName":   userName,
		"externalId": fmt.Sprintf("ext-%s-%s-%d", run, label, i),
		"active":     true,
		"name":       map[string]any{"givenName": "Bench", "familyName": fmt.Sprint("User", i)},
		"emails":     []any{map[string]any{"value": email, "type": "work", "primary": true}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": fmt.Sprint(i)},
	}
	return userName, email, body
}

// rec collects latencies of one workload from many goroutines.
type rec struct {
	mu       sync.Mutex
	lat      []time.Duration
	errors   atomic.Int64
	firstErr string
}

func (r *rec) add(d time.Duration, code, want int, body []byte, err error) {
	if err != nil || code != want {
		if r.errors.Add(1) == 1 {
			r.mu.Lock()
			if err != nil {
				r.firstErr = err.Error()
			} else {
				r.firstErr = fmt.Sprintf("status %d: %.200s", code, body)
			}
			r.mu.Unlock()
		}
	}
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
}

func (r *rec) result(name string, c int, elapsed time.Duration) result {
	return result{name: name, conc: c, n: len(r.lat), errors: r.errors.Load(), elapsed: elapsed, lat: r.lat, firstErr: r.firstErr}
}

func (b *bench) create(ctx context.Context, c, count int) result {
	var next atomic.Int64
	var r rec
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if int(i) > count {
					return
				}
				name, email, body := userBody(b.run, fmt.Sprint("c", c), int(i))
				t := time.Now()
				code, data, err := b.do(ctx, "POST", "/Users", body)
				r.add(time.Since(t), code, 201, data, err)
				if code == 201 {
					var doc struct {
						ID string `json:"id"`
					}
					if json.Unmarshal(data, &doc) == nil {
						b.mu.Lock()
						b.users = append(b.users, user{id: doc.ID, userName: name, email: email})
						b.mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	return r.result("create user", c, time.Since(start))
}

func (b *bench) timed(ctx context.Context, name string, c int, d time.Duration, req func() (string, string, any, int)) result {
	var r rec
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				m, p, body, want := req()
				t := time.Now()
				code, data, err := b.do(ctx, m, p, body)
				r.add(time.Since(t), code, want, data, err)
			}
		}()
	}
	wg.Wait()
	return r.result(name, c, time.Since(start))
}

// listAll walks every page of 100 users (startIndex paging); c workers take
// interleaved pages.
func (b *bench) listAll(ctx context.Context, c int) result {
	var r rec
	code, data, err := b.do(ctx, "GET", "/Users?count=0", nil)
	var head struct {
		Total int `json:"totalResults"`
	}
	if err != nil || code != 200 || json.Unmarshal(data, &head) != nil {
		r.add(0, code, 200, data, err)
		return r.result("list all pages of 100", c, time.Second)
	}
	pages := (head.Total + 99) / 100
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := int(next.Add(1)) - 1
				if p >= pages {
					return
				}
				t := time.Now()
				code, data, err := b.do(ctx, "GET", "/Users?count=100&startIndex="+strconv.Itoa(p*100+1), nil)
				r.add(time.Since(t), code, 200, data, err)
			}
		}()
	}
	wg.Wait()
	return r.result(fmt.Sprintf("list all pages of 100 (%d pages)", pages), c, time.Since(start))
}

// group grows one group to size members in PATCH batches (c batches in
// flight), then removes one member.
func (b *bench) group(ctx context.Context, c, size, batch int) (result, result, error) {
	code, data, err := b.do(ctx, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": fmt.Sprintf("bench-%s-c%d", b.run, c)})
	if err != nil || code != 201 {
		return result{}, result{}, fmt.Errorf("create group: %d %v %s", code, err, data)
	}
	var g struct {
		ID string `json:"id"`
	}
	json.Unmarshal(data, &g)
	if size > len(b.users) {
		size = len(b.users)
	}
	members := b.users[:size]
	var r rec
	var next atomic.Int64
	var wg sync.WaitGroup
	batches := (size + batch - 1) / batch
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= batches {
					return
				}
				end := min((i+1)*batch, size)
				vals := make([]any, 0, batch)
				for _, u := range members[i*batch : end] {
					vals = append(vals, map[string]any{"value": u.id})
				}
				body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
					"Operations": []any{map[string]any{"op": "Add", "path": "members", "value": vals}}}
				t := time.Now()
				code, data, err := b.do(ctx, "PATCH", "/Groups/"+g.ID, body)
				r.add(time.Since(t), code, 204, data, err)
			}
		}()
	}
	wg.Wait()
	grow := r.result(fmt.Sprintf("group PATCH +%d (to %d)", batch, size), c, time.Since(start))
	var rm rec
	start = time.Now()
	for i := 0; i < 20; i++ {
		u := members[i]
		body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "Remove", "path": `members[value eq "` + u.id + `"]`}}}
		t := time.Now()
		code, data, err := b.do(ctx, "PATCH", "/Groups/"+g.ID, body)
		rm.add(time.Since(t), code, 204, data, err)
	}
	return grow, rm.result(fmt.Sprintf("group PATCH -1 (of %d)", size), 1, time.Since(start)), nil
}
