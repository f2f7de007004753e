package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// splitCommas splits a comma-separated flag value, dropping empty entries.
func splitCommas(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cmdProductsList(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		ps, err := s.ListProducts(ctx, team)
		if err != nil {
			return err
		}
		vs := adminapi.ProductViews(ps)
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "KEY\tNAME\tBASE")
			for _, p := range vs {
				base := ""
				if p.Base {
					base = "base"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", p.Key, p.Name, base)
			}
		})
	})
}

func cmdProductsAdd(fs *pflag.FlagSet) runFunc {
	key := fs.String("key", "", "the product's key (lower-case letters, digits, dashes)")
	name := fs.String("name", "", "the product's name")
	base := fs.Bool("base", false, "make it the team's base product (the one every project member needs)")
	return teamCommand(fs, []string{"key", "name"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.AddProduct(ctx, team, db.Product{Key: *key, Name: *name, Base: *base}, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProductViews([]db.Product{p})[0]
		return e.confirm(v, "added product %s (%s)", v.Key, v.Name)
	})
}

// cmdProductsRename renames a product and, with --base, moves the base
// mark to it (R-MEM-4).
func cmdProductsRename(fs *pflag.FlagSet) runFunc {
	product := fs.String("product", "", "the product: key or name")
	name := fs.String("name", "", "the new name (empty: keep it)")
	base := fs.Bool("base", false, "make it the team's base product (every project member must have it already)")
	return teamCommand(fs, []string{"product"}, func(e *env, args []string) error {
		if *name == "" && !*base {
			return usagef("give --name or --base")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.UpdateProduct(ctx, team, *product, *name, *base, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProductViews([]db.Product{p})[0]
		return e.confirm(v, "product %s is now %q (base: %v)", v.Key, v.Name, v.Base)
	})
}

// cmdProductsRemove removes a product and revokes it from every project
// member (R-MEM-4).
func cmdProductsRemove(fs *pflag.FlagSet) runFunc {
	product := fs.String("product", "", "the product: key or name")
	return teamCommand(fs, []string{"product"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.FindProduct(ctx, team, *product)
		if err != nil {
			return err
		}
		n, err := s.RemoveProduct(ctx, team, p.Key, e.operator())
		if err != nil {
			return err
		}
		return e.confirm(adminapi.ProductRemoval{Product: p.Key, Revoked: n}, "removed product %s (revoked from %d project memberships)", p.Key, n)
	})
}

func cmdProjectsCreate(fs *pflag.FlagSet) runFunc {
	name := fs.String("name", "", "the project's name")
	return teamCommand(fs, []string{"name"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.CreateProject(ctx, team, *name, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProjectViews([]db.Project{p})[0]
		return e.confirm(v, "created project %s (%s)", v.Name, v.ID)
	})
}

func cmdProjectsList(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		ps, err := s.ListProjects(ctx, team)
		if err != nil {
			return err
		}
		vs := adminapi.ProjectViews(ps)
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "ID\tNAME")
			for _, p := range vs {
				fmt.Fprintf(w, "%s\t%s\n", p.ID, p.Name)
			}
		})
	})
}

func projectMemberTable(w *tabwriter.Writer, vs []adminapi.ProjectMemberView) {
	fmt.Fprintln(w, "EMAIL\tLEVEL\tPRODUCTS\tSTATUS\tTYPE\tSOURCE")
	for _, m := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Email, m.Level, strings.Join(m.Products, ","), m.Status, m.Type, m.Source)
	}
}

// cmdProjectsAddMember puts a person on a project; one not yet in the team
// is created with source product and classified by the policy (R-POL-2).
func cmdProjectsAddMember(fs *pflag.FlagSet) runFunc {
	project := fs.String("project", "", "the project: its id or name")
	email := fs.String("email", "", "the person's address")
	level := fs.String("level", "member", "project level: member or admin")
	products := fs.String("products", "", "product keys or names, comma-separated; must include the base product")
	return teamCommand(fs, []string{"project", "email", "products"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		m, created, err := s.AddProjectMember(ctx, team, *project, db.NewProjectMember{Email: *email, Level: db.ProjectLevel(*level),
			Products: splitCommas(*products)}, db.Actor{Kind: db.ActorProduct, ID: "cli", Name: e.operator().Name})
		if err != nil {
			return err
		}
		v := adminapi.ProjectMemberViewOf(m)
		v.Created = created
		note := ""
		if created {
			note = fmt.Sprintf(" (new to the team: source product, %s)", v.Type)
		}
		return e.confirm(v, "added %s to the project with %s%s", v.Email, strings.Join(v.Products, ","), note)
	})
}

// cmdProjectsSetAccess replaces a member's products; without the base
// product the member leaves the project (R-MEM-4).
func cmdProjectsSetAccess(fs *pflag.FlagSet) runFunc {
	project := fs.String("project", "", "the project: its id or name")
	email := fs.String("email", "", "the member's address")
	products := fs.String("products", "", "the products the member keeps, comma-separated (empty or without the base product: removed from the project)")
	return teamCommand(fs, []string{"project", "email"}, func(e *env, args []string) error {
		if !fs.Changed("products") {
			return usagef("--products is required (give an empty value to remove every product)")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		u, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		m, removed, err := s.SetProjectAccess(ctx, team, *project, u.ID, splitCommas(*products), e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProjectMemberViewOf(m)
		v.Removed = removed
		if removed {
			return e.confirm(v, "removed %s from the project (no base product)", v.Email)
		}
		return e.confirm(v, "%s now has %s", v.Email, strings.Join(v.Products, ","))
	})
}

func cmdProjectsMembers(fs *pflag.FlagSet) runFunc {
	project := fs.String("project", "", "the project: its id or name")
	status := fs.String("status", "", "only members with this status: active, inactive or pending")
	level := fs.String("level", "", "only members with this project level: member or admin")
	typ := fs.String("type", "", "only members of this type: standard or external")
	source := fs.String("source", "", "only members from this source: scim, directory, sso, admin, product")
	product := fs.String("product", "", "only members with this product on the project (key or name)")
	lf := listFlags(fs, db.ProjectMemberSortColumns)
	return teamCommand(fs, []string{"project"}, func(e *env, args []string) error {
		if err := lf.check(); err != nil {
			return err
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.QueryProjectMembers(ctx, team, *project, db.ProjectMemberQuery{Q: *lf.q, Status: db.Status(*status), Level: db.ProjectLevel(*level),
			Type: db.UserType(*typ), Source: db.Source(*source), Company: *lf.company, Product: *product,
			Sort: *lf.sort, Desc: *lf.order == "desc", After: *lf.after, Limit: *lf.limit})
		if err != nil {
			return err
		}
		vs := adminapi.ProjectMemberViews(p.Members)
		if err := e.output(e.format, vs, func(w *tabwriter.Writer) { projectMemberTable(w, vs) }); err != nil {
			return err
		}
		lf.next(e, "project members", p.Next)
		return nil
	})
}
