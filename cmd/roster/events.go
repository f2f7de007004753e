package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db/gormdb"
)

func eventsTable(w *tabwriter.Writer, vs []adminapi.EventView, header bool) {
	if header {
		fmt.Fprintln(w, "ID\tAT\tTYPE\tTARGET")
	}
	for _, v := range vs {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s:%s\n", v.ID, v.At.Format("2006-01-02 15:04:05"), v.Type, v.TargetKind, v.TargetID)
	}
}

// cmdEventsList prints the team's events after an id, oldest first (the
// admin API's GET /events).
func cmdEventsList(fs *pflag.FlagSet) runFunc {
	after := fs.Int64("after", 0, "show events with an id above this one")
	limit := fs.Int("limit", 100, fmt.Sprintf("events to show (at most %d)", adminapi.EventsPageMax))
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if *limit < 1 || *limit > adminapi.EventsPageMax {
			return fmt.Errorf("--limit must be from 1 to %d", adminapi.EventsPageMax)
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		es, err := s.ListEvents(ctx, team, *after, *limit)
		if err != nil {
			return err
		}
		vs := make([]adminapi.EventView, len(es))
		for i, ev := range es {
			vs[i] = adminapi.EventViewOf(ev)
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { eventsTable(w, vs, true) })
	})
}

// cmdEventsTail follows the team's events: it polls every --interval and
// prints each new event as it arrives (-o json: one JSON object per line),
// until interrupted or --count events were printed.
func cmdEventsTail(fs *pflag.FlagSet) runFunc {
	after := fs.Int64("after", -1, "start after this event id (default: only events from now on)")
	interval := fs.Duration("interval", 2*time.Second, "how often to poll")
	count := fs.Int("count", 0, "stop after this many events (0: follow until interrupted)")
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if *interval <= 0 {
			return fmt.Errorf("--interval must be positive")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		cursor := *after
		if cursor < 0 { // start at the newest event
			cursor = 0
			for {
				es, err := s.ListEvents(ctx, team, cursor, adminapi.EventsPageMax)
				if err != nil {
					return err
				}
				if len(es) == 0 {
					break
				}
				cursor = es[len(es)-1].ID
			}
		}
		printed := 0
		enc := json.NewEncoder(e.Stdout)
		for {
			es, err := s.ListEvents(ctx, team, cursor, adminapi.EventsPageMax)
			if err != nil {
				return err
			}
			for _, ev := range es {
				v := adminapi.EventViewOf(ev)
				if e.format == "json" {
					if err := enc.Encode(v); err != nil {
						return err
					}
				} else {
					w := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
					eventsTable(w, []adminapi.EventView{v}, false)
					w.Flush()
				}
				cursor = ev.ID
				printed++
				if *count > 0 && printed >= *count {
					return nil
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(*interval):
			}
		}
	})
}
