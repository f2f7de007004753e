package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

func cmdSubscriptionsAdd(fs *pflag.FlagSet) runFunc {
	product := fs.String("product", "", "the product: key or name")
	seats := fs.Int("seats", 0, "seats the subscription gives")
	return teamCommand(fs, []string{"product", "seats"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		if err := s.AddSubscription(ctx, team, *product, *seats, e.operator()); err != nil {
			return err
		}
		return e.confirm(map[string]any{"product": *product, "seats": *seats}, "added a subscription of %d seats to %s", *seats, *product)
	})
}

// cmdSeats reports seat usage per product (R-MEM-5).
func cmdSeats(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		us, err := s.Seats(ctx, team)
		if err != nil {
			return err
		}
		vs := adminapi.SeatViews(us)
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "PRODUCT\tSEATS\tUSED\tEXTERNAL")
			for _, v := range vs {
				seats := "no limit"
				if v.Seats != nil {
					seats = fmt.Sprint(*v.Seats)
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\n", v.Product, seats, v.Used, v.External)
			}
		})
	})
}

func cmdUsersSetExternalSubscription(fs *pflag.FlagSet) runFunc {
	return userProductSwitch(fs, "the user holds an external subscription to the product",
		"the user no longer does (needs a free internal seat)", "external", "external subscription",
		(*gormdb.Store).SetExternalSubscription)
}

// cmdUsersSetInternalSeat gives an external subscriber an internal seat
// anyway, or takes it back (R-MEM-5).
func cmdUsersSetInternalSeat(fs *pflag.FlagSet) runFunc {
	return userProductSwitch(fs, "give the external subscriber an internal seat too (needs a free seat)",
		"take the internal seat back (access then rests on the external subscription)", "internal_seat", "internal seat",
		(*gormdb.Store).SetInternalSeat)
}

// userProductSwitch is a command that turns a per-user, per-product seat
// setting --on or --off through the store method set picks.
func userProductSwitch(fs *pflag.FlagSet, onHelp, offHelp, field, what string,
	set func(s *gormdb.Store, ctx context.Context, teamID, userID, product string, on bool, by db.Actor) error) runFunc {
	email := fs.String("email", "", "the user's address")
	product := fs.String("product", "", "the product: key or name")
	on := fs.Bool("on", false, onHelp)
	off := fs.Bool("off", false, offHelp)
	return teamCommand(fs, []string{"email", "product"}, func(e *env, args []string) error {
		if *on == *off {
			return usagef("give --on or --off")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		u, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		if err := set(s, ctx, team, u.ID, *product, *on, e.operator()); err != nil {
			return err
		}
		return e.confirm(map[string]any{"email": u.Email, "product": *product, field: *on}, "%s of %s for %s: %v", what, u.Email, *product, *on)
	})
}
