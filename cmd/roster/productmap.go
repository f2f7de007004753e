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

// mappingFlags are the flags naming a group-to-product mapping.
func mappingFlags(fs *pflag.FlagSet) (group, project, product *string) {
	return fs.String("group", "", "the SCIM/directory group: id or display name"),
		fs.String("project", "", "the project: id or name"),
		fs.String("product", "", "the product: key or name")
}

func printMappings(e *env, vs []adminapi.ProductMappingView) error {
	return e.output(e.format, vs, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tGROUP\tPROJECT\tPRODUCT\tMEMBERS\tWAITING")
		for _, m := range vs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\n", m.ID, m.GroupName, m.ProjectName, m.Product, m.Members, m.Waiting)
		}
	})
}

func cmdProductsMapGroup(fs *pflag.FlagSet) runFunc {
	group, project, product := mappingFlags(fs)
	return teamCommand(fs, []string{"group", "project", "product"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		m, err := s.MapGroup(ctx, team, *group, *project, *product, e.operator())
		if err != nil {
			return err
		}
		return printMappings(e, adminapi.ProductMappingViews([]db.ProductMapping{m}))
	})
}

func cmdProductsUnmapGroup(fs *pflag.FlagSet) runFunc {
	id := fs.String("id", "", "the mapping's id (or give --group, --project and --product)")
	group, project, product := mappingFlags(fs)
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		if *id == "" {
			if err := required(fs, "group", "project", "product"); err != nil {
				return err
			}
			g, err := s.MapGroupRef(ctx, team, *group, *project, *product)
			if err != nil {
				return err
			}
			*id = g
		}
		if err := s.UnmapGroup(ctx, team, *id, e.operator()); err != nil {
			return err
		}
		return e.confirm(map[string]string{"id": *id, "status": "removed"}, "removed mapping %s (its group-derived grants are revoked)", *id)
	})
}

func cmdProductsMappings(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		ms, err := s.ProductMappings(ctx, team)
		if err != nil {
			return err
		}
		return printMappings(e, adminapi.ProductMappingViews(ms))
	})
}
