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

// The account ladder (R-OWN, R-HIE) and classic user management (R-CLS):
// `roster account …` and `roster contracts …`. A person acting with --as is
// named by email; the store checks that they are active and allowed, and
// audits refused attempts too.

func accountFlag(fs *pflag.FlagSet) *string {
	return fs.String("account", "", "the account id (`roster team show` prints it as account_id)")
}

// accountStore requires --account (and the named flags), opens the store and
// checks that the account exists.
func (e *env) accountStore(ctx context.Context, fs *pflag.FlagSet, account string, flags ...string) (*gormdb.Store, error) {
	if err := required(fs, append([]string{"account"}, flags...)...); err != nil {
		return nil, err
	}
	s, err := e.Store(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.GetAccount(ctx, account); err != nil {
		return nil, err
	}
	return s, nil
}

// actorFor is the audit actor: the person --as names, else the operator.
func (e *env) actorFor(as string) db.Actor {
	if as == "" {
		return e.operator()
	}
	return adminapi.PersonActor(as)
}

func nameFlags(fs *pflag.FlagSet) (first, last *string) {
	return fs.String("first-name", "", "their first name, if they are new to the account"),
		fs.String("last-name", "", "their last name, if they are new to the account")
}

func accountTable(w *tabwriter.Writer, v adminapi.AccountView) {
	fmt.Fprintf(w, "ID\t%s\nNAME\t%s\nOWNER\t%s\nVIEWS\t%s\n", v.ID, v.Name, v.Owner, strings.Join(v.Views, ","))
}

func cmdAccountShow(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account)
		if err != nil {
			return err
		}
		a, err := s.GetAccount(ctx, *account)
		if err != nil {
			return err
		}
		v := adminapi.AccountViewOf(a)
		return e.output(e.format, v, func(w *tabwriter.Writer) { accountTable(w, v) })
	}
}

func roleTable(w *tabwriter.Writer, vs []adminapi.AccountRoleView) {
	fmt.Fprintln(w, "EMAIL\tROLE\tNAME\tSTATUS")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s %s\t%s\n", v.Email, v.Role, v.FirstName, v.LastName, v.Status)
	}
}

func cmdAccountRoles(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account)
		if err != nil {
			return err
		}
		ms, err := s.ListAccountMembers(ctx, *account)
		if err != nil {
			return err
		}
		vs := adminapi.AccountRoleViews(ms)
		return e.output(e.format, vs, func(w *tabwriter.Writer) { roleTable(w, vs) })
	}
}

func cmdAccountSetRole(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	email := fs.String("email", "", "the person whose role changes")
	role := fs.String("role", "", "secondary-owner, company-admin, product-user or none (R-HIE-2: below your own; never owner)")
	as := fs.String("as", "", "the email of the member making the change")
	first, last := nameFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "account", "email", "role", "as"); err != nil {
			return err
		}
		r, ok := db.ParseAccountRole(*role)
		if !ok {
			return usagef("--role must be secondary-owner, company-admin, product-user or none")
		}
		s, err := e.accountStore(ctx, fs, *account)
		if err != nil {
			return err
		}
		m, err := s.SetAccountRole(ctx, *account, *as, db.Person{Email: *email, FirstName: *first, LastName: *last}, r, e.actorFor(*as))
		if err != nil {
			return err
		}
		v := adminapi.AccountRoleViewOf(m)
		return e.confirm(v, "%s is now %s", v.Email, v.Role)
	}
}

func cmdAccountTransfer(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	to := fs.String("to", "", "the new owner's email")
	as := fs.String("as", "", "the email of the current owner (R-OWN-3)")
	first, last := nameFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "account", "to", "as"); err != nil {
			return err
		}
		s, err := e.accountStore(ctx, fs, *account)
		if err != nil {
			return err
		}
		a, err := s.TransferOwnership(ctx, *account, *as, db.Person{Email: *to, FirstName: *first, LastName: *last}, e.actorFor(*as))
		if err != nil {
			return err
		}
		v := adminapi.AccountViewOf(a)
		return e.confirm(v, "%s now owns account %s; %s is a secondary owner", v.Owner, v.ID, *as)
	}
}

func cmdAccountSetStatus(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	email := fs.String("email", "", "the member")
	status := fs.String("status", "", "active or inactive (an inactive member holds no power on any ladder)")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "email", "status")
		if err != nil {
			return err
		}
		m, err := s.SetAccountMemberStatus(ctx, *account, *email, db.Status(*status), e.operator())
		if err != nil {
			return err
		}
		v := adminapi.AccountRoleViewOf(m)
		return e.confirm(v, "%s is now %s", v.Email, v.Status)
	}
}

func cmdAccountNotify(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	kind := fs.String("kind", "", "renewal or invoice (to the owner), or release (to --contract's software coordinator)")
	contract := fs.String("contract", "", "the contract number, for release notices")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "kind")
		if err != nil {
			return err
		}
		n, err := s.Notify(ctx, *account, db.NoticeKind(*kind), *contract, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.NoticeView{Kind: string(n.Kind), To: n.To, Contract: n.Contract}
		return e.confirm(v, "recorded a %s notice to %s", v.Kind, v.To)
	}
}

func cmdAccountAudit(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	limit := fs.Int("limit", 100, "entries to show")
	before := fs.Int64("before", 0, "show entries older than this id")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account)
		if err != nil {
			return err
		}
		es, err := s.ListAudit(ctx, *account, db.AuditQuery{Limit: *limit, BeforeID: *before})
		if err != nil {
			return err
		}
		return e.auditOutput(es)
	}
}

func contractTable(w *tabwriter.Writer, vs []adminapi.ContractView) {
	fmt.Fprintln(w, "NUMBER\tCONTRACT MANAGER\tSOFTWARE COORDINATOR\tPRODUCTS\tSEATS")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", v.Number, v.ContractManager, v.SoftwareCoordinator, strings.Join(v.Products, ","), v.Seats)
	}
}

func cmdContractsCreate(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	number := fs.String("number", "", "the contract number (unique in the account)")
	cm := fs.String("contract-manager", "", "the contract manager's email (the purchaser; created in the account if new)")
	products := fs.String("products", "", "the contract's products, comma-separated")
	seats := fs.Int("seats", 0, "the contract's seats")
	first, last := nameFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "number", "contract-manager")
		if err != nil {
			return err
		}
		c, err := s.CreateContract(ctx, db.NewContract{AccountID: *account, Number: *number,
			ContractManager: db.Person{Email: *cm, FirstName: *first, LastName: *last}, Products: splitList([]string{*products}), Seats: *seats}, e.operator())
		if err != nil {
			return err
		}
		v := adminapi.ContractViewOf(c)
		return e.output(e.format, v, func(w *tabwriter.Writer) { contractTable(w, []adminapi.ContractView{v}) })
	}
}

func cmdContractsList(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account)
		if err != nil {
			return err
		}
		cs, err := s.ListContracts(ctx, *account)
		if err != nil {
			return err
		}
		vs := make([]adminapi.ContractView, len(cs))
		for i, c := range cs {
			vs[i] = adminapi.ContractViewOf(c)
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { contractTable(w, vs) })
	}
}

func cmdContractsShow(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	number := fs.String("contract", "", "the contract number")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "contract")
		if err != nil {
			return err
		}
		c, err := s.GetContract(ctx, *account, *number)
		if err != nil {
			return err
		}
		v := adminapi.ContractViewOf(c)
		return e.output(e.format, v, func(w *tabwriter.Writer) { contractTable(w, []adminapi.ContractView{v}) })
	}
}

func cmdContractsSetManager(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	number := fs.String("contract", "", "the contract number")
	email := fs.String("email", "", "the new contract manager")
	as := fs.String("as", "", "the email of the current contract manager (R-CLS-2)")
	first, last := nameFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "contract", "email", "as")
		if err != nil {
			return err
		}
		c, err := s.SetContractManager(ctx, *account, *number, *as, db.Person{Email: *email, FirstName: *first, LastName: *last}, e.actorFor(*as))
		if err != nil {
			return err
		}
		v := adminapi.ContractViewOf(c)
		return e.confirm(v, "%s is now the contract manager of %s", v.ContractManager, v.Number)
	}
}

func cmdContractsSetCoordinator(fs *pflag.FlagSet) runFunc {
	account := accountFlag(fs)
	number := fs.String("contract", "", "the contract number")
	email := fs.String("email", "", "the software coordinator")
	as := fs.String("as", "", "the email of the contract manager (R-CLS-3)")
	first, last := nameFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "contract", "email", "as")
		if err != nil {
			return err
		}
		c, err := s.SetSoftwareCoordinator(ctx, *account, *number, *as, db.Person{Email: *email, FirstName: *first, LastName: *last}, e.actorFor(*as))
		if err != nil {
			return err
		}
		v := adminapi.ContractViewOf(c)
		return e.confirm(v, "%s is now the software coordinator of %s", v.SoftwareCoordinator, v.Number)
	}
}

func contractUserFlags(fs *pflag.FlagSet) (account, number, as *string) {
	return accountFlag(fs), fs.String("contract", "", "the contract number"),
		fs.String("as", "", "act as this contract manager or software coordinator (default: the operator)")
}

func cmdContractUsersAdd(fs *pflag.FlagSet) runFunc {
	account, number, as := contractUserFlags(fs)
	email := fs.String("email", "", "the user (classic view only; not added to any team, R-CLS-4)")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "contract", "email")
		if err != nil {
			return err
		}
		if err := s.AddContractUser(ctx, *account, *number, *as, *email, e.actorFor(*as)); err != nil {
			return err
		}
		return e.confirm(map[string]string{"contract": *number, "email": *email}, "added %s to contract %s", *email, *number)
	}
}

func cmdContractUsersRemove(fs *pflag.FlagSet) runFunc {
	account, number, as := contractUserFlags(fs)
	email := fs.String("email", "", "the user")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "contract", "email")
		if err != nil {
			return err
		}
		if err := s.RemoveContractUser(ctx, *account, *number, *as, *email, e.actorFor(*as)); err != nil {
			return err
		}
		return e.confirm(map[string]string{"contract": *number, "email": *email}, "removed %s from contract %s", *email, *number)
	}
}

func cmdContractUsersList(fs *pflag.FlagSet) runFunc {
	account, number, as := contractUserFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.accountStore(ctx, fs, *account, "contract")
		if err != nil {
			return err
		}
		us, err := s.ListContractUsers(ctx, *account, *number, *as)
		if err != nil {
			return err
		}
		vs := adminapi.ContractUserViews(us)
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "EMAIL\tADDED")
			for _, v := range vs {
				fmt.Fprintf(w, "%s\t%s\n", v.Email, v.AddedAt.Format("2006-01-02 15:04"))
			}
		})
	}
}

// authzRow is one row of the authorization table as `roster authz` prints it.
type authzRow struct {
	Action  string   `json:"action"`
	Rule    string   `json:"rule"`
	What    string   `json:"what"`
	Allowed []string `json:"allowed"`
}

// cmdAuthz prints db.Authorization, the one table the admin API, the CLI's
// --as and the console read.
func cmdAuthz(fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		rows := make([]authzRow, len(db.Authorization))
		for i, p := range db.Authorization {
			allowed := make([]string, len(p.Allowed))
			for j, q := range p.Allowed {
				allowed[j] = string(q)
			}
			rows[i] = authzRow{Action: string(p.Action), Rule: p.Rule, What: p.What, Allowed: allowed}
		}
		return e.output(e.format, rows, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "ACTION\tRULE\tALLOWED")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\n", r.Action, r.Rule, strings.Join(r.Allowed, ", "))
			}
		})
	}
}

// authzMarkdown renders db.Authorization as the README's table (a test keeps
// the README equal to it).
func authzMarkdown() string {
	var b strings.Builder
	b.WriteString("| action | rule |")
	for _, p := range db.Principals {
		b.WriteString(" " + string(p) + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(db.Principals)) + "\n")
	for _, row := range db.Authorization {
		fmt.Fprintf(&b, "| `%s`: %s | %s |", row.Action, row.What, row.Rule)
		for _, p := range db.Principals {
			if db.Can(p, row.Action) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
