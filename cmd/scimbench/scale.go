package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// scaleRun is one `scimbench scale` run: one database at one team size.
type scaleRun struct {
	DB      string       `json:"db"`
	N       int          `json:"n"`
	Results []jsonResult `json:"results"`
	HWMkB   int64        `json:"server_vmhwm_kb"`
	Load    string       `json:"loadavg"`
}

// runScale is `scimbench scale`: the read and PATCH workloads of the SCIM
// bench against a team seeded by `scimbench seed` (users taken from its
// sample), plus list pages by cursor at fixed positions of the whole list
// (first, middle, last page), and the server's peak RSS (VmHWM of --pid).
// Every run appends to --json; `scimbench scalereport` prints the ratios.
func runScale(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scimbench scale", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080/scim/v2", "SCIM base URL")
	token := fs.String("token", os.Getenv("SCIMBENCH_TOKEN"), "SCIM bearer token")
	sample := fs.String("users", "", "sample file written by scimbench seed")
	concs := fs.String("concurrency", "1,16", "comma-separated concurrency levels")
	dur := fs.Duration("duration", 3*time.Second, "how long each workload runs per concurrency")
	pid := fs.Int("pid", 0, "the server's process id (for its VmHWM)")
	label := fs.String("db", "sqlite", "database label for the report")
	n := fs.Int("n", 0, "users in the team (for the report)")
	jsonOut := fs.String("json", "", "append this run to this file (a JSON list of runs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	levels, err := parseLevels(*concs)
	if err != nil {
		return err
	}
	users, err := readSample(*sample)
	if err != nil {
		return err
	}
	b := newBench(*base, *token)
	b.users = users
	results, err := b.scale(ctx, levels, *dur)
	if err != nil {
		return err
	}
	printResults(out, results)
	for _, r := range results {
		if r.firstErr != "" {
			fmt.Fprintf(out, "first error in %s (c=%d): %s\n", r.name, r.conc, r.firstErr)
		}
	}
	run := scaleRun{DB: *label, N: *n, Results: toJSON(results), Load: loadavg()}
	if *pid > 0 {
		hwm := vmHWM(*pid)
		fmt.Fprintf(out, "server peak RSS (VmHWM): %s\n", hwm)
		kb, _ := strconv.ParseInt(strings.TrimSuffix(hwm, " kB"), 10, 64)
		run.HWMkB = kb
	}
	if *jsonOut == "" {
		return nil
	}
	var runs []scaleRun
	if b, err := os.ReadFile(*jsonOut); err == nil {
		if err := json.Unmarshal(b, &runs); err != nil {
			return fmt.Errorf("%s: %w", *jsonOut, err)
		}
	}
	runs = append(runs, run)
	j, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*jsonOut, j, 0o644)
}

// scale runs the workloads whose cost must not grow with the team.
func (b *bench) scale(ctx context.Context, levels []int, d time.Duration) ([]result, error) {
	if len(b.users) == 0 {
		return nil, fmt.Errorf("no users in the sample")
	}
	workloads := b.userWorkloads(false)
	var results []result
	for _, w := range workloads {
		for _, c := range levels {
			r := b.timed(ctx, w.name, c, d, w.req)
			results = append(results, r)
			fmt.Fprintf(os.Stderr, "%s c=%d: %d requests\n", w.name, c, r.n)
		}
	}
	cursors, walk, err := b.cursorWalk(ctx)
	if err != nil {
		return nil, err
	}
	results = append(results, walk)
	for _, pos := range []string{"first", "middle", "last"} {
		cur := cursors[pos]
		for _, c := range levels {
			r := b.timed(ctx, "list page of 100 by cursor ("+pos+")", c, d, func() (string, string, any, int) {
				return "GET", "/Users?count=100&cursor=" + url.QueryEscape(cur), nil, 200
			})
			results = append(results, r)
			fmt.Fprintf(os.Stderr, "list %s c=%d: %d requests\n", pos, c, r.n)
		}
	}
	return results, nil
}

// cursorWalk follows nextCursor through the whole user list in pages of
// 1,000 (timed: the walk is a workload too) and keeps the cursors that start
// the first page, the page in the middle and the last full page of 100.
func (b *bench) cursorWalk(ctx context.Context) (map[string]string, result, error) {
	var r rec
	var total, seen int
	cur := ""
	curs := map[string]string{"first": ""}
	start := time.Now()
	count := 1000
	for {
		t := time.Now()
		code, data, err := b.do(ctx, "GET", "/Users?count="+strconv.Itoa(count)+"&cursor="+url.QueryEscape(cur), nil)
		r.add(time.Since(t), code, 200, data, err)
		if err != nil || code != 200 {
			return nil, result{}, fmt.Errorf("cursor walk: %d %v %.200s", code, err, data)
		}
		var page struct {
			Total     int    `json:"totalResults"`
			Items     int    `json:"itemsPerPage"`
			Next      string `json:"nextCursor"`
			Resources []any  `json:"Resources"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, result{}, err
		}
		total = page.Total
		seen += len(page.Resources)
		if _, ok := curs["middle"]; !ok && seen >= total/2 && page.Next != "" {
			curs["middle"] = page.Next
		}
		if page.Next == "" {
			break
		}
		// Land exactly on the last page of 100 (count may change between
		// cursor pages): the next page stops 100 users short of the end.
		rest := total - seen
		if rest == 100 {
			curs["last"] = page.Next
		}
		count = 1000
		if rest > 100 && rest-1000 < 100 {
			count = rest - 100
		}
		cur = page.Next
	}
	if seen != total {
		return nil, result{}, fmt.Errorf("cursor walk saw %d users, totalResults %d", seen, total)
	}
	if _, ok := curs["middle"]; !ok {
		curs["middle"] = ""
	}
	if _, ok := curs["last"]; !ok {
		curs["last"] = curs["middle"]
	}
	res := r.result(fmt.Sprintf("walk all by cursor, pages of 1000 (%d users)", total), 1, time.Since(start))
	return curs, res, nil
}

// runScaleReport is `scimbench scalereport`: for each database, p50 of each
// workload at every team size and the ratio of the largest to the smallest
// against issue 15's 1.5×, and each run's server peak RSS against 150 MB.
func runScaleReport(_ context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scimbench scalereport", flag.ContinueOnError)
	in := fs.String("json", "", "the runs `scimbench scale --json` appended")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var runs []scaleRun
	if err := json.Unmarshal(b, &runs); err != nil {
		return err
	}
	dbs := map[string][]scaleRun{}
	var order []string
	for _, r := range runs {
		if _, ok := dbs[r.DB]; !ok {
			order = append(order, r.DB)
		}
		dbs[r.DB] = append(dbs[r.DB], r)
	}
	for _, name := range order {
		rs := dbs[name]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].N < rs[j].N })
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s: p50 (p99)\tconc\t", name)
		for _, r := range rs {
			fmt.Fprintf(tw, "N=%d\t", r.N)
		}
		fmt.Fprintf(tw, "%d÷%d p50\ttarget\t\n", rs[len(rs)-1].N, rs[0].N)
		for _, w := range rs[0].Results {
			if strings.HasPrefix(w.Name, "walk all") {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t", w.Name, w.Conc)
			var first, last *jsonResult
			for k := range rs {
				j := findResult(rs[k].Results, w.Name, w.Conc)
				if j == nil {
					fmt.Fprintf(tw, "-\t")
					continue
				}
				if first == nil {
					first = j
				}
				last = j
				errs := ""
				if j.Errors > 0 {
					errs = fmt.Sprintf(" %d errors", j.Errors)
				}
				fmt.Fprintf(tw, "%s (%s)%s\t", us(j.P50us), us(j.P99us), errs)
			}
			ratio, verdict := "-", ""
			if first != nil && last != nil && first.P50us > 0 && len(rs) > 1 {
				q := float64(last.P50us) / float64(first.P50us)
				ratio = fmt.Sprintf("%.2f", q)
				verdict = "≤ 1.5 met"
				if q > 1.5 {
					verdict = "≤ 1.5 MISSED"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t\n", ratio, verdict)
		}
		fmt.Fprintf(tw, "server peak RSS\t\t")
		for _, r := range rs {
			fmt.Fprintf(tw, "%d MB\t", r.HWMkB/1024)
		}
		verdict := "≤ 150 MB met"
		if rs[len(rs)-1].HWMkB > 150*1024 {
			verdict = "≤ 150 MB MISSED"
		}
		fmt.Fprintf(tw, "\t%s\t\n", verdict)
		fmt.Fprintf(tw, "load average\t\t")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t", r.Load)
		}
		fmt.Fprintf(tw, "\t\t\n")
		tw.Flush()
		fmt.Fprintln(out)
	}
	return nil
}

func findResult(rs []jsonResult, name string, conc int) *jsonResult {
	for i := range rs {
		if rs[i].Name == name && rs[i].Conc == conc {
			return &rs[i]
		}
	}
	return nil
}

func us(v int64) string {
	return pct([]time.Duration{time.Duration(v) * time.Microsecond}, 0)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
