package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/sso"
)

// newSSOService builds the sso package's service from the configuration.
// onSignIn (nil outside `serve`) counts sign-ins for the metrics.
func newSSOService(cfg *Config, store *gormdb.Store, log *slog.Logger, now func() time.Time, onSignIn func(string)) (*sso.Service, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	return sso.New(sso.Options{Store: store, BaseURL: base, Log: log, Now: now,
		OnSignIn:   onSignIn,
		SessionTTL: cfg.SSO.SessionTTL, CertWarning: cfg.SSO.CertWarning, MaxResponseBytes: cfg.SSO.MaxResponseBytes,
		Fetch: sso.FetchOptions{MaxBytes: cfg.SSO.MetadataMaxBytes, Timeout: cfg.SSO.MetadataTimeout,
			BlockPrivate: cfg.SSO.BlockPrivateMetadataURLs, AllowLoopback: cfg.SSO.AllowLoopbackMetadata}})
}

// ssoSetup resolves --team (rewriting *team to the id) and --as, and builds
// the sso service the sso commands call.
func ssoSetup(ctx context.Context, e *env, s *gormdb.Store, team, as string) (*sso.Service, db.Actor, error) {
	cfg, err := e.Config()
	if err != nil {
		return nil, db.Actor{}, err
	}
	by, err := actingAdmin(ctx, e, s, team, as, adminapi.SSOAdmins) // R-ADM-7
	if err != nil {
		return nil, db.Actor{}, err
	}
	// The SP URLs the CLI prints use the base URL serve runs with (issue 9 #16c).
	base, err := e.BaseURL(ctx)
	if err != nil {
		return nil, db.Actor{}, err
	}
	c := *cfg
	c.BaseURL = base
	svc, err := newSSOService(&c, s, e.Log, e.Now, nil)
	return svc, by, err
}

func cmdSSOSet(fs *pflag.FlagSet) runFunc {
	md := fs.String("idp-metadata", "", "IdP metadata: a file path, or an http(s) URL to fetch and refresh")
	domains := fs.String("domains", "", "comma-separated email domains of the connection")
	jit := fs.Bool("jit", false, "provision unknown users at their first sign-in")
	idpInit := fs.Bool("allow-idp-initiated", false, "accept IdP-initiated (unsolicited) sign-ins")
	preset := fs.String("attribute-preset", "", "attribute mapping preset: generic, entra or okta")
	enforce := fs.Bool("enforce-sso", false, "require SSO for users of verified domains (the primary admin keeps a break-glass path)")
	sha1 := fs.Bool("allow-sha1", false, "accept RSA-SHA1 signatures (old ADFS)")
	skew := fs.Int("clock-skew", 0, "tolerated clock skew with the IdP in seconds (0-180)")
	addCert := fs.String("add-cert", "", "a PEM file with an extra trusted IdP certificate (rollover)")
	as := fs.String("as", "", "optional: the email of the primary or SSO admin making the change (R-ADM-7); default: operator")
	var in sso.Settings // set by the check, applied by the body
	return teamCommand(fs, nil, func(e *env, args []string) error {
		set := map[string]bool{}
		fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
		in = sso.Settings{}
		if m := strings.TrimSpace(*md); m != "" {
			if strings.Contains(m, "://") { // a URL; the fetcher allows only http(s)
				in.MetadataURL = &m
			} else {
				x, err := readSmallFile(m, 4<<20)
				if err != nil {
					return err
				}
				in.MetadataXML = &x
			}
		}
		if set["domains"] {
			ds := []string{}
			for _, d := range strings.Split(*domains, ",") {
				if strings.TrimSpace(d) != "" {
					ds = append(ds, strings.TrimSpace(d))
				}
			}
			in.Domains = &ds
		}
		boolFlag := func(name string, v *bool) *bool {
			if set[name] {
				return v
			}
			return nil
		}
		in.JIT = boolFlag("jit", jit)
		in.AllowIdPInitiated = boolFlag("allow-idp-initiated", idpInit)
		in.EnforceSSO = boolFlag("enforce-sso", enforce)
		in.AllowSHA1 = boolFlag("allow-sha1", sha1)
		if set["attribute-preset"] {
			in.AttributePreset = preset
		}
		if set["clock-skew"] {
			in.ClockSkewSeconds = skew
		}
		if *addCert != "" {
			p, err := readSmallFile(*addCert, 64<<10)
			if err != nil {
				return err
			}
			in.AddCerts = []string{p}
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		svc, by, err := ssoSetup(ctx, e, s, team, *as)
		if err != nil {
			return err
		}
		v, err := svc.Update(ctx, team, by, in)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { ssoTable(w, v) })
	})
}

func readSmallFile(path string, max int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", db.Errorf(db.ErrInvalid, "file_unreadable", "cannot read %s: %v", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return "", db.Errorf(db.ErrInvalid, "file_unreadable", "cannot read %s: %v", path, err)
	}
	if int64(len(b)) > max {
		return "", db.Errorf(db.ErrInvalid, "file_too_large", "%s is larger than %d bytes", path, max)
	}
	return string(b), nil
}

// ssoAction builds the simple sso subcommands: --team, an optional --as
// (the acting primary or SSO admin, R-ADM-7), at most one more required flag,
// one Service call, and the resulting configuration as output.
func ssoAction(extra, extraUsage string, call func(ctx context.Context, svc *sso.Service, team, extra string, by db.Actor) (sso.View, error)) func(*pflag.FlagSet) runFunc {
	return func(fs *pflag.FlagSet) runFunc {
		as := fs.String("as", "", "optional: the email of the primary or SSO admin (R-ADM-7)")
		var extraVal *string
		var need []string
		if extra != "" {
			extraVal = fs.String(extra, "", extraUsage)
			need = append(need, extra)
		}
		return teamCommand(fs, need, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
			svc, by, err := ssoSetup(ctx, e, s, team, *as)
			if err != nil {
				return err
			}
			x := ""
			if extraVal != nil {
				x = *extraVal
			}
			v, err := call(ctx, svc, team, x, by)
			if err != nil {
				return err
			}
			return e.output(e.format, v, func(w *tabwriter.Writer) { ssoTable(w, v) })
		})
	}
}

var (
	cmdSSOShow = ssoAction("", "", func(ctx context.Context, svc *sso.Service, team, _ string, by db.Actor) (sso.View, error) {
		return svc.Show(ctx, team, by)
	})
	cmdSSOVerifyDomain = ssoAction("domain", "the domain whose TXT record to check", func(ctx context.Context, svc *sso.Service, team, domain string, by db.Actor) (sso.View, error) {
		return svc.VerifyDomain(ctx, team, domain, by)
	})
	cmdSSORotateKey = ssoAction("", "", func(ctx context.Context, svc *sso.Service, team, _ string, by db.Actor) (sso.View, error) {
		return svc.RotateKey(ctx, team, by)
	})
	cmdSSORetireKey = ssoAction("key", "the SP key id to retire (see sso show)", func(ctx context.Context, svc *sso.Service, team, key string, by db.Actor) (sso.View, error) {
		return svc.RetireKey(ctx, team, key, by)
	})
)

func cmdSSORefresh(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		svc, by, err := ssoSetup(ctx, e, s, team, "")
		if err != nil {
			return err
		}
		rerr := svc.Refresh(ctx, team)
		v, err := svc.Show(ctx, team, by)
		if err != nil {
			return err
		}
		if err := e.output(e.format, v, func(w *tabwriter.Writer) { ssoTable(w, v) }); err != nil {
			return err
		}
		if rerr != nil {
			return db.Errorf(db.ErrInvalid, "idp_metadata_refresh_failed", "metadata refresh failed; the last good metadata stays in use: %v", rerr)
		}
		return nil
	})
}

func ssoTable(w *tabwriter.Writer, v sso.View) {
	fmt.Fprintf(w, "TEAM\t%s\n", v.TeamID)
	fmt.Fprintf(w, "SP ENTITY ID\t%s\nACS URL\t%s\nLOGIN URL\t%s\n", v.SP.EntityID, v.SP.ACSURL, v.SP.LoginURL)
	fmt.Fprintf(w, "IDP ENTITY ID\t%s\nIDP SSO URL\t%s\n", v.IdP.EntityID, v.IdP.SSOURL)
	if v.IdP.MetadataURL != "" {
		fmt.Fprintf(w, "IDP METADATA URL\t%s\n", v.IdP.MetadataURL)
	}
	for _, c := range v.TrustedCerts {
		fmt.Fprintf(w, "TRUSTED CERT\t%s  %s  until %s\n", c.Fingerprint, c.Subject, c.NotAfter.Format(time.DateOnly))
	}
	for _, d := range v.Domains {
		state := "unverified: TXT " + d.TXTName + " = " + d.TXTValue
		if d.Verified {
			state = "verified"
		}
		fmt.Fprintf(w, "DOMAIN\t%s (%s)\n", d.Name, state)
	}
	fmt.Fprintf(w, "JIT\t%v\nIDP-INITIATED\t%v\nENFORCE SSO\t%v\nALLOW SHA-1\t%v\nCLOCK SKEW\t%ds\n",
		v.JIT, v.AllowIdPInitiated, v.EnforceSSO, v.AllowSHA1, v.ClockSkewSeconds)
	for _, wn := range v.Warnings {
		fmt.Fprintf(w, "WARNING\t%s\n", wn)
	}
}

// ssoAdminAPI adapts the sso service to the admin API's SSO interface.
type ssoAdminAPI struct{ svc *sso.Service }

func (s ssoAdminAPI) Show(ctx context.Context, team string, by db.Actor) (any, error) {
	return s.svc.Show(ctx, team, by)
}

func (s ssoAdminAPI) Update(ctx context.Context, team string, by db.Actor, decode func(any) error) (any, error) {
	var in sso.Settings
	if err := decode(&in); err != nil {
		return nil, err
	}
	return s.svc.Update(ctx, team, by, in)
}

func (s ssoAdminAPI) Delete(ctx context.Context, team string, by db.Actor) error {
	return s.svc.Delete(ctx, team, by)
}

func (s ssoAdminAPI) VerifyDomain(ctx context.Context, team, domain string, by db.Actor) (any, error) {
	return s.svc.VerifyDomain(ctx, team, domain, by)
}

func (s ssoAdminAPI) RotateKey(ctx context.Context, team string, by db.Actor) (any, error) {
	return s.svc.RotateKey(ctx, team, by)
}

func (s ssoAdminAPI) RetireKey(ctx context.Context, team, key string, by db.Actor) (any, error) {
	return s.svc.RetireKey(ctx, team, key, by)
}

func (s ssoAdminAPI) Refresh(ctx context.Context, team string) error { return s.svc.Refresh(ctx, team) }

func (s ssoAdminAPI) StartTest(ctx context.Context, team string, by db.Actor) (string, []byte, error) {
	st, err := s.svc.StartTest(ctx, team, by)
	return st.RedirectURL, st.PostForm, err
}
