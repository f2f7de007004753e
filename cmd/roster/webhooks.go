package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

func webhooksTable(w *tabwriter.Writer, vs []adminapi.WebhookView) {
	fmt.Fprintln(w, "ID\tURL\tEVENTS\tENABLED\tCREATED")
	for _, v := range vs {
		ev := strings.Join(v.Events, ",")
		if ev == "" {
			ev = "*"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\n", v.ID, v.URL, ev, v.Enabled, v.CreatedAt.Format(time.RFC3339))
	}
}

func deliveriesTable(w *tabwriter.Writer, vs []adminapi.DeliveryView) {
	fmt.Fprintln(w, "ID\tWEBHOOK\tEVENT\tTYPE\tSTATUS\tATTEMPTS\tLAST\tNEXT")
	for _, v := range vs {
		last, next := "-", "-"
		if v.Attempts > 0 {
			last = strconv.Itoa(v.LastStatus)
			if v.LastError != "" {
				last += " " + v.LastError
			}
		}
		if v.NextAttemptAt != nil {
			next = v.NextAttemptAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", v.ID, v.WebhookID, v.EventID, v.EventType, v.Status, v.Attempts, last, next)
	}
}

// cmdWebhooksAdd registers an endpoint and prints its signing secret once.
func cmdWebhooksAdd(fs *pflag.FlagSet) runFunc {
	url := fs.String("url", "", "the endpoint's http(s) URL")
	events := fs.StringSlice("events", nil, "only these event types (comma-separated; group.* takes a prefix); default every event")
	// set by the check, read by the body:
	var cfg *Config
	return teamCommand(fs, []string{"url"}, func(e *env, args []string) error {
		var err error
		cfg, err = e.Config()
		return err
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		v, err := adminapi.AddWebhook(ctx, s, cfg.Webhooks.key(), team, *url, *events, e.operator())
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "added webhook %s for %s\nsigning secret (shown once): %s\n", v.ID, v.URL, v.Secret)
		})
	})
}

// cmdWebhooksList lists a team's endpoints.
func cmdWebhooksList(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		es, err := s.ListWebhooks(ctx, team)
		if err != nil {
			return err
		}
		vs := make([]adminapi.WebhookView, len(es))
		for i, x := range es {
			vs[i] = db.WebhookViewOf(x)
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { webhooksTable(w, vs) })
	})
}

// webhookIDArg takes the endpoint id from --id or the one argument.
func webhookIDArg(id *string, args []string) error {
	switch {
	case len(args) > 1:
		return usagef("unexpected argument %q", args[1])
	case len(args) == 1 && *id != "" && *id != args[0]:
		return usagef("give the webhook id once (--id or the argument)")
	case len(args) == 1:
		*id = args[0]
	}
	return nil
}

// cmdWebhooksRemove removes an endpoint and its deliveries.
func cmdWebhooksRemove(fs *pflag.FlagSet) runFunc {
	return webhookChange(fs, "removed", func(ctx context.Context, s db.WebhookStore, team, id string, by db.Actor) (db.WebhookEndpoint, error) {
		return s.DeleteWebhook(ctx, team, id, by)
	})
}

// cmdWebhooksEnable turns a disabled endpoint back on.
func cmdWebhooksEnable(fs *pflag.FlagSet) runFunc {
	return webhookChange(fs, "enabled", func(ctx context.Context, s db.WebhookStore, team, id string, by db.Actor) (db.WebhookEndpoint, error) {
		return s.EnableWebhook(ctx, team, id, by)
	})
}

func webhookChange(fs *pflag.FlagSet, verb string, do func(context.Context, db.WebhookStore, string, string, db.Actor) (db.WebhookEndpoint, error)) runFunc {
	id := fs.String("id", "", "webhook id (or give it as the argument)")
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if err := webhookIDArg(id, args); err != nil {
			return err
		}
		return required(fs, "id")
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		x, err := do(ctx, s, team, *id, e.operator())
		if err != nil {
			return err
		}
		return e.confirm(db.WebhookViewOf(x), "%s webhook %s (%s)", verb, x.ID, x.URL)
	})
}

// cmdWebhooksDeliveries lists deliveries with their attempts, newest first.
func cmdWebhooksDeliveries(fs *pflag.FlagSet) runFunc {
	hook := fs.String("webhook", "", "only this endpoint's deliveries")
	event := fs.Int64("event", 0, "only this event's deliveries")
	limit := fs.Int("limit", 100, fmt.Sprintf("deliveries to show (at most %d)", adminapi.DeliveriesPageMax))
	var q db.DeliveryQuery // set by the check, read by the body
	return teamCommand(fs, nil, func(e *env, args []string) error {
		ev := ""
		if *event != 0 {
			ev = strconv.FormatInt(*event, 10)
		}
		var err error
		q, err = adminapi.DeliveryQueryOf(*hook, ev, strconv.Itoa(*limit))
		return err
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		vs, err := adminapi.ListDeliveryViews(ctx, s, team, q)
		if err != nil {
			return err
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { deliveriesTable(w, vs) })
	})
}

// cmdWebhooksReplay queues a delivery again (--delivery) or an event to an
// endpoint (--webhook and --event), as a new delivery due now.
func cmdWebhooksReplay(fs *pflag.FlagSet) runFunc {
	delivery := fs.String("delivery", "", "the delivery to send again")
	hook := fs.String("webhook", "", "the endpoint to send --event to")
	event := fs.Int64("event", 0, "the event to send to --webhook")
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if (*delivery == "") == (*hook == "" && *event == 0) || (*delivery == "" && (*hook == "" || *event < 1)) {
			return usagef("give --delivery ID, or --webhook ID with --event ID")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		var d db.WebhookDelivery
		var err error
		if *delivery != "" {
			d, err = s.ReplayDelivery(ctx, team, *delivery, e.operator())
		} else {
			d, err = s.ReplayEvent(ctx, team, *hook, *event, e.operator())
		}
		if err != nil {
			return err
		}
		return e.confirm(adminapi.DeliveryViewOf(d, nil), "queued delivery %s of event %d", d.ID, d.EventID)
	})
}
