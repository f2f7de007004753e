package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
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
	team := teamFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		ps, err := s.ListProducts(ctx, *team)
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
	}
}

func cmdProductsAdd(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	key := fs.String("key", "", "the product's key (lower-case letters, digits, dashes)")
	name := fs.String("name", "", "the product's name")
	base := fs.Bool("base", false, "make it the team's base product (the one every project member needs)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "key", "name"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		p, err := s.AddProduct(ctx, *team, db.Product{Key: *key, Name: *name, Base: *base}, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProductViews([]db.Product{p})[0]
		return e.confirm(v, "added product %s (%s)", v.Key, v.Name)
	}
}

// cmdProductsRename renames a product and, with --base, moves the base
// mark to it (R-MEM-4).
func cmdProductsRename(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	product := fs.String("product", "", "the product: key or name")
	name := fs.String("name", "", "the new name (empty: keep it)")
	base := fs.Bool("base", false, "make it the team's base product (every project member must have it already)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "product"); err != nil {
			return err
		}
		if *name == "" && !*base {
			return usagef("give --name or --base")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		p, err := s.UpdateProduct(ctx, *team, *product, *name, *base, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProductViews([]db.Product{p})[0]
		return e.confirm(v, "product %s is now %q (base: %v)", v.Key, v.Name, v.Base)
	}
}

// cmdProductsRemove removes a product and revokes it from every project
// member (R-MEM-4).
func cmdProductsRemove(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	product := fs.String("product", "", "the product: key or name")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "product"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		p, err := s.FindProduct(ctx, *team, *product)
		if err != nil {
			return err
		}
		n, err := s.RemoveProduct(ctx, *team, p.Key, e.operator())
		if err != nil {
			return err
		}
		return e.confirm(adminapi.ProductRemoval{Product: p.Key, Revoked: n}, "removed product %s (revoked from %d project memberships)", p.Key, n)
	}
}

func cmdProjectsCreate(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	name := fs.String("name", "", "the project's name")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "name"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		p, err := s.CreateProject(ctx, *team, *name, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProjectViews([]db.Project{p})[0]
		return e.confirm(v, "created project %s (%s)", v.Name, v.ID)
	}
}

func cmdProjectsList(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		ps, err := s.ListProjects(ctx, *team)
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
	}
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
	team := teamFlag(fs)
	project := fs.String("project", "", "the project: its id or name")
	email := fs.String("email", "", "the person's address")
	level := fs.String("level", "member", "project level: member or admin")
	products := fs.String("products", "", "product keys or names, comma-separated; must include the base product")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "project", "email", "products"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		m, created, err := s.AddProjectMember(ctx, *team, *project, db.NewProjectMember{Email: *email, Level: db.ProjectLevel(*level),
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
	}
}

// cmdProjectsSetAccess replaces a member's products; without the base
// product the member leaves the project (R-MEM-4).
func cmdProjectsSetAccess(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	project := fs.String("project", "", "the project: its id or name")
	email := fs.String("email", "", "the member's address")
	products := fs.String("products", "", "the products the member keeps, comma-separated (empty or without the base product: removed from the project)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "project", "email"); err != nil {
			return err
		}
		if !fs.Changed("products") {
			return usagef("--products is required (give an empty value to remove every product)")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		u, err := s.FindUser(ctx, *team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		m, removed, err := s.SetProjectAccess(ctx, *team, *project, u.ID, splitCommas(*products), e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProjectMemberViewOf(m)
		v.Removed = removed
		if removed {
			return e.confirm(v, "removed %s from the project (no base product)", v.Email)
		}
		return e.confirm(v, "%s now has %s", v.Email, strings.Join(v.Products, ","))
	}
}

// cmdProjectsSetLevel changes a member's project level; the project's last
// admin cannot be demoted (last_project_admin).
func cmdProjectsSetLevel(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	project := fs.String("project", "", "the project: its id or name")
	email := fs.String("email", "", "the member's address")
	level := fs.String("level", "", "the new level: member or admin")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "project", "email", "level"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		u, err := s.FindUser(ctx, *team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		m, err := s.SetProjectLevel(ctx, *team, *project, u.ID, db.ProjectLevel(*level), e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ProjectMemberViewOf(m)
		return e.confirm(v, "%s is now %s of the project", v.Email, v.Level)
	}
}

func cmdProjectsMembers(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	project := fs.String("project", "", "the project: its id or name")
	status := fs.String("status", "", "only members with this status: active, inactive or pending")
	level := fs.String("level", "", "only members with this project level: member or admin")
	typ := fs.String("type", "", "only members of this type: standard or external")
	source := fs.String("source", "", "only members from this source: scim, directory, sso, admin, product")
	product := fs.String("product", "", "only members with this product on the project (key or name)")
	lf := listFlags(fs, db.ProjectMemberSortColumns)
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "project"); err != nil {
			return err
		}
		if err := lf.check(); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		p, err := s.QueryProjectMembers(ctx, *team, *project, db.ProjectMemberQuery{Q: *lf.q, Status: db.Status(*status), Level: db.ProjectLevel(*level),
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
	}
}
