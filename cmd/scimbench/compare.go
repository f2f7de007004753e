package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
)

// jsonResult is one workload at one concurrency, as --json writes it.
type jsonResult struct {
	Name   string  `json:"name"`
	Conc   int     `json:"concurrency"`
	N      int     `json:"requests"`
	Errors int64   `json:"errors"`
	RPS    float64 `json:"requests_per_second"`
	P50us  int64   `json:"p50_us"`
	P99us  int64   `json:"p99_us"`
}

func writeResults(path string, rs []result) error {
	b, err := json.MarshalIndent(toJSON(rs), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func toJSON(rs []result) []jsonResult {
	out := make([]jsonResult, 0, len(rs))
	for _, r := range rs {
		sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
		j := jsonResult{Name: r.name, Conc: r.conc, N: r.n, Errors: r.errors, RPS: float64(r.n) / r.elapsed.Seconds()}
		if len(r.lat) > 0 {
			j.P50us = r.lat[int(float64(len(r.lat)-1)*0.5)].Microseconds()
			j.P99us = r.lat[int(float64(len(r.lat)-1)*0.99)].Microseconds()
		}
		out = append(out, j)
	}
	return out
}

func readResults(path string) ([]jsonResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []jsonResult
	return rs, json.Unmarshal(b, &rs)
}

// runCompare prints Roster's figure, the ceiling's and their ratio per
// workload and concurrency (issue 15). A workload with errors on either
// side has no ratio: its figure is not a measurement of the same work.
func runCompare(_ context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scimbench compare", flag.ContinueOnError)
	roster := fs.String("roster", "", "results of the run against Roster (--json)")
	ceiling := fs.String("ceiling", "", "results of the run against the no-store ceiling (--json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := readResults(*roster)
	if err != nil {
		return fmt.Errorf("roster results: %w", err)
	}
	b, err := readResults(*ceiling)
	if err != nil {
		return fmt.Errorf("ceiling results: %w", err)
	}
	type key struct {
		name string
		conc int
	}
	// "(23 pages)" and "(to 10000)" may differ by the team's own admin
	base := func(name string) string {
		if i := strings.Index(name, " ("); i > 0 {
			return name[:i]
		}
		return name
	}
	ceil := map[key]jsonResult{}
	for _, r := range b {
		ceil[key{base(r.Name), r.Conc}] = r
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workload\tconc\troster req/s\tceiling req/s\tratio\t\n")
	for _, r := range a {
		c, ok := ceil[key{base(r.Name), r.Conc}]
		ratio := "-"
		switch {
		case !ok:
			ratio = "no ceiling run"
		case r.Errors > 0 || c.Errors > 0:
			ratio = fmt.Sprintf("n/a (errors: roster %d, ceiling %d)", r.Errors, c.Errors)
		case c.RPS > 0:
			ratio = fmt.Sprintf("%.2f", r.RPS/c.RPS)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%s\t\n", r.Name, r.Conc, r.RPS, c.RPS, ratio)
	}
	return tw.Flush()
}
