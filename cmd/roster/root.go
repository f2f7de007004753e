package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runFunc is a command's body: it runs with the positional arguments after
// cobra has parsed the flags (anywhere on the line).
type runFunc func(ctx context.Context, e *env, args []string) error

// newRootCmd is the whole command tree, in one place (issue 10 #4: no init()
// registries). Each command's builder declares its flags on the cobra
// command's flag set and returns its body.
func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "roster",
		Short: "account administration (SCIM, directory sync, SAML SSO, role policy)",
		Long: "roster: account administration (SCIM, directory sync, SAML SSO, role policy).\n\n" +
			"`roster serve` runs the HTTP server; the other commands administer the configured database directly.",
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				cmd.HelpFunc()(cmd, args)
				return usagef("a command is required")
			}
			return usagef("unknown command %q (see roster help)", args[0])
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if e.format != "table" && e.format != "json" {
				return usagef("unknown output format %q (use table or json)", e.format)
			}
			return nil
		},
	}
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	root.SetVersionTemplate("roster {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	pf := root.PersistentFlags()
	// --config and --database are taken out of the arguments before cobra
	// parses them (run needs the database to redact its password); they are
	// declared here for the help.
	pf.String("config", "", "configuration file (YAML); ROSTER_* variables override it")
	pf.String("database", "", "database: a SQLite file path or sqlite: URL, postgres://… or mysql://… (overrides ROSTER_DATABASE)")
	pf.StringVarP(&e.format, "output", "o", "table", "output format: table or json")
	pf.BoolVar(&e.create, "create", false, "create the SQLite database file if it does not exist (serve and migrate always do)")

	leaf := func(use, short string, build func(fs *pflag.FlagSet) runFunc) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short}
		body := build(c.Flags())
		positional := strings.Contains(use, " ")
		c.Args = func(_ *cobra.Command, args []string) error {
			if !positional && len(args) > 0 {
				return usagef("unexpected argument %q", args[0])
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, args []string) error { return body(cmd.Context(), e, args) }
		return c
	}
	group := func(use, short string, subs ...*cobra.Command) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return usagef("roster %s needs a subcommand (see roster %s --help)", use, use)
				}
				return usagef("unknown command %q (see roster %s --help)", use+" "+args[0], use)
			}}
		c.AddCommand(subs...)
		return c
	}

	root.AddCommand(
		leaf("serve", "run the HTTP server (admin API, SCIM, SSO, directory sync); creates the database", cmdServe),
		leaf("migrate", "apply pending database migrations (creates the database)", cmdMigrate),
		leaf("backup", "copy a SQLite database to a new file while it runs (--to FILE)", cmdBackup),
		leaf("healthcheck", "probe the local server's /healthz (for container HEALTHCHECK)", cmdHealthcheck),
		leaf("version", "print roster's version", cmdVersion),
		group("team", "teams",
			leaf("create", "create a team with its primary admin", cmdTeamCreate),
			leaf("list", "list teams", cmdTeamList),
			leaf("show", "show a team", cmdTeamShow),
		),
		group("users", "a team's users",
			leaf("add", "add a user to a team", cmdUsersAdd),
			leaf("list", "list a team's users", cmdUsersList),
			leaf("remove", "remove a user from a team", cmdUsersRemove),
			leaf("set-type EMAIL...", "set the type of one or many users (--type standard|external)", cmdUsersSetType),
			leaf("set-external-subscription", "mark that a user holds an external subscription to a product (--on|--off)", cmdUsersSetExternalSubscription),
			leaf("set-internal-seat", "give an external subscriber an internal seat anyway, or take it back (--on|--off)", cmdUsersSetInternalSeat),
		),
		group("members", "a team's members: company, job role, access level (issue 11)",
			leaf("add", "add members by a pasted address list (--emails, at most 100) or a per-row --file; all or nothing", cmdMembersAdd),
			leaf("list", "search, filter and sort a team's members (paged)", cmdMembersList),
			leaf("edit", "bulk-edit members' company, role or level (says what it overwrote)", cmdMembersEdit),
			leaf("remove", "remove a member from the team", cmdMembersRemove),
			leaf("companies", "list the team's companies", cmdMembersCompanies),
		),
		group("invitations", "members' invitations (expire after 7 days unless accepted)",
			leaf("list", "list a team's invitations (--state pending|expired|accepted)", cmdInvitationsList),
			leaf("resend", "send a member a new invitation (new link, new expiry); prints the link once", cmdInvitationsResend),
		),
		group("subscriptions", "a team's subscriptions (seats per product)",
			leaf("add", "add a subscription of --seats N to a product", cmdSubscriptionsAdd),
		),
		leaf("seats", "seat usage per product: seats, used, external", cmdSeats),
		group("products", "a team's product catalogue",
			leaf("list", "list the team's products (the base first)", cmdProductsList),
			leaf("add", "add a product to the catalogue (--base makes it the base)", cmdProductsAdd),
			leaf("rename", "rename a product (--name) or make it the base (--base)", cmdProductsRename),
			leaf("remove", "remove a product and revoke it from every project member (not the base)", cmdProductsRemove),
			leaf("map-group", "map a SCIM/directory group to a product on a project: members get it, leavers lose it", cmdProductsMapGroup),
			leaf("unmap-group", "remove a group-to-product mapping (--id, or --group --project --product); revokes its grants", cmdProductsUnmapGroup),
			leaf("mappings", "list the group-to-product mappings with members and those waiting for a seat", cmdProductsMappings),
		),
		group("projects", "a team's projects and their members' product access",
			leaf("create", "create a project", cmdProjectsCreate),
			leaf("list", "list the team's projects", cmdProjectsList),
			leaf("add-member", "put a person on a project with a level and products (new people join the team as source product)", cmdProjectsAddMember),
			leaf("set-access", "replace a project member's products (without the base product: removed from the project)", cmdProjectsSetAccess),
			leaf("set-level", "change a project member's level: member or admin (the last admin cannot be demoted)", cmdProjectsSetLevel),
			leaf("members", "list a project's members and their products", cmdProjectsMembers),
		),
		group("admin", "a team's admins",
			leaf("set", "give a user an admin role, acting as an admin (--as)", cmdAdminSet),
			leaf("list", "list a team's admins", cmdAdminList),
		),
		group("token", "SCIM and admin API tokens",
			leaf("create", "create a SCIM (or admin API) token; shown once", cmdTokenCreate),
			leaf("list", "list a team's tokens", cmdTokenList),
			leaf("revoke [ID]", "revoke a token (its id as --id or the argument)", cmdTokenRevoke),
		),
		leaf("audit", "list a team's audit log, newest first", cmdAudit),
		group("account", "an account's owner, roles and views (R-OWN, R-HIE)",
			leaf("show", "show an account: owner and views (team, classic)", cmdAccountShow),
			leaf("roles", "list the account's members and their roles", cmdAccountRoles),
			leaf("set-role", "change a member's account role, acting as a member (--as)", cmdAccountSetRole),
			leaf("transfer-ownership", "transfer ownership, acting as the owner (--as)", cmdAccountTransfer),
			leaf("set-status", "activate or deactivate a member on the account ladder", cmdAccountSetStatus),
			leaf("notify", "record a renewal/invoice notice to the owner or a release notice to a coordinator", cmdAccountNotify),
			leaf("audit", "list an account's audit log (roles, ownership, contracts, notices), newest first", cmdAccountAudit),
		),
		group("contracts", "classic user management: contracts (R-CLS)",
			leaf("create", "create a contract with its contract manager", cmdContractsCreate),
			leaf("list", "list an account's contracts", cmdContractsList),
			leaf("show", "show a contract", cmdContractsShow),
			leaf("set-manager", "hand the contract manager role on, acting as the current one (--as)", cmdContractsSetManager),
			leaf("set-coordinator", "assign the software coordinator, acting as the contract manager (--as)", cmdContractsSetCoordinator),
			group("users", "a contract's users (the classic view)",
				leaf("add", "add a user to a contract", cmdContractUsersAdd),
				leaf("remove", "remove a user from a contract", cmdContractUsersRemove),
				leaf("list", "list a contract's users", cmdContractUsersList),
			),
		),
		leaf("authz", "print the authorization table: who may do what (role x action)", cmdAuthz),
		group("console", "the web admin console",
			leaf("login-link", "print a single-use console sign-in link (15 minutes) for an active admin", cmdConsoleLoginLink),
		),
		group("events", "a team's change events (one per audited change)",
			leaf("list", "list a team's events after an id, oldest first", cmdEventsList),
			leaf("tail", "follow a team's events as they happen", cmdEventsTail),
		),
		group("webhooks", "signed webhook endpoints that receive a team's events",
			leaf("add", "register an endpoint (--url, --events a,b); prints its signing secret once", cmdWebhooksAdd),
			leaf("list", "list a team's webhook endpoints", cmdWebhooksList),
			leaf("remove [ID]", "remove an endpoint and its deliveries (its id as --id or the argument)", cmdWebhooksRemove),
			leaf("enable [ID]", "turn a disabled endpoint back on (its id as --id or the argument)", cmdWebhooksEnable),
			leaf("deliveries", "list deliveries with their attempts, newest first", cmdWebhooksDeliveries),
			leaf("replay", "send a delivery (--delivery) or an event (--webhook, --event) again", cmdWebhooksReplay),
		),
		group("directory", "LDAP / Active Directory connections",
			leaf("add", "connect a team to an LDAP / Active Directory directory", cmdDirectoryAdd),
			leaf("list", "list a team's directory connections", cmdDirectoryList),
			leaf("remove", "remove a directory connection (synced users stay)", cmdDirectoryRemove),
			leaf("status", "last sync run of a team's directories", cmdDirectoryStatus),
			leaf("groups", "a team's groups with their (flattened) member emails", cmdDirectoryGroups),
		),
		leaf("sync", "sync a team's directories now", cmdSync),
		group("sso", "SAML single sign-on",
			leaf("set", "configure a team's SAML SSO (IdP metadata file or URL, domains, JIT, IdP-initiated)", cmdSSOSet),
			leaf("show", "show a team's SAML SSO configuration, SP URLs and warnings", cmdSSOShow),
			leaf("verify-domain", "check a domain's DNS TXT record and mark it verified", cmdSSOVerifyDomain),
			leaf("rotate-key", "add a new SP key pair (the old one stays published until retired)", cmdSSORotateKey),
			leaf("retire-key", "remove an old SP key pair", cmdSSORetireKey),
			leaf("refresh", "fetch a team's IdP metadata URL again", cmdSSORefresh),
		),
		group("policy", "the role policy (standard and external users)",
			leaf("set", "set a team's role policy (--mode default|domain [--domains a,b] [--dry-run])", cmdPolicySet),
			leaf("domains", "add or remove approved domains (--add a,b --remove c; one must remain)", cmdPolicyDomains),
			leaf("show", "show a team's role policy and its exception counts", cmdPolicyShow),
			leaf("exceptions", "list users whose type differs from the policy's", cmdPolicyExceptions),
			leaf("revert [EMAIL...]", "set users (or --all exceptions) to the type the policy expects", cmdPolicyRevert),
		),
		group("report", "reports",
			leaf("usage", "export the usage report with the external flag (--format csv|json)", cmdReportUsage),
		),
	)
	root.InitDefaultCompletionCmd()
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [COMMAND]",
		Short: "help about any command",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("unknown help topic %q (see roster help)", strings.Join(args, " "))
			}
			return c.Help()
		},
	})
	root.InitDefaultHelpCmd()
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd != root {
			defaultHelp(cmd, args)
			return
		}
		rootHelp(root)
	})
	return root
}

// rootHelp lists every command by its full path ("team create"), then the
// global flags.
func rootHelp(root *cobra.Command) {
	w := root.OutOrStdout()
	fmt.Fprintf(w, "%s\n\nusage: roster [--config FILE] [--database DSN] [-o table|json] COMMAND [flags]\n\ncommands:\n", root.Long)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range runnableCommands(root) {
		if c == root {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimPrefix(c.CommandPath(), "roster "), c.Short)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nglobal flags (any command, anywhere on the line):\n%s\n`roster COMMAND --help` shows a command's flags with their defaults.\n",
		root.PersistentFlags().FlagUsages())
}

// runnableCommands walks the tree: every visible command that runs something
// (groups excluded), in help order.
func runnableCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	if !c.HasSubCommands() || c.Root() == c {
		out = append(out, c)
	}
	for _, s := range c.Commands() {
		if s.Hidden || (!s.IsAvailableCommand() && s.Name() != "help") {
			continue
		}
		out = append(out, runnableCommands(s)...)
	}
	return out
}

// goStyleFlags keeps the command lines of the flag-package CLI working:
// `-team X` (one dash, a long name) becomes `--team X`, and `--o json`
// becomes `-o json`. Arguments after "--" stay as they are.
func goStyleFlags(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(a, "=")
		switch {
		case name == "--o":
			out[i] = a[1:]
		case len(name) > 2 && name[0] == '-' && name[1] != '-' && long[name[1:]]:
			out[i] = "-" + a
		}
	}
	return out
}

// flagError turns pflag's parse errors into usage errors (exit code 2),
// worded as before the move to cobra for an unknown flag.
func flagError(err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		msg = "flag provided but not defined: " + name
	}
	if rest, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		msg = "flag provided but not defined: " + rest
	}
	return usagef("%s", msg)
}

// cmdVersion prints roster's version (`-o json`: {"version": ...}).
func cmdVersion(fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		v := map[string]string{"version": version}
		return e.output(e.format, v, func(w *tabwriter.Writer) { fmt.Fprintf(w, "roster %s\n", version) })
	}
}
