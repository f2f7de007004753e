package directory

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/roster-dev/roster/db"
)

// ErrDeleteThreshold stops a run that would remove more users than the
// connection's deletion limit; nobody is removed and the cursor is kept.
var ErrDeleteThreshold = errors.New("deletion threshold exceeded")

// errCookieRefused makes an incremental run fall back to a full sync.
var errCookieRefused = errors.New("incremental cursor refused by the server")

// Syncer pulls users and groups from a team's directory into the store.
type Syncer struct {
	Store db.DirectoryStore
	Log   *slog.Logger
	Now   func() time.Time
	// SecretKey opens "enc:" bind passwords (AES-256-GCM, 32 bytes).
	SecretKey []byte
	Getenv    func(string) string
	// PageSize of paged searches (default 500; capped at 1,000 as Windows enforces).
	PageSize int
	// BatchSize is how many users a full run writes per transaction
	// (default 5,000): several pages, so fewer commits, while the next
	// pages are read.
	BatchSize int
	// DialAttempts bounds connection retries on network errors (default 4).
	DialAttempts int
	// OnRun, if set, sees each finished run's report and error (the
	// metrics count with it).
	OnRun func(Report, error)

	afterPage func(pages int) // test hook: called after each page of users is taken in (applied at the batch's end)
}

// progressLogInterval is how often a long full run logs its progress.
const progressLogInterval = 30 * time.Second

// Options change one run.
type Options struct {
	DryRun       bool // compute and report the changes, apply nothing
	AllowDeletes bool // confirm removals above the safety threshold
	Full         bool // ignore the cursor
	// Progress, when set, is called after each applied page of a full run
	// with the pages and users read so far (the CLI's progress bar).
	Progress func(pages, users int)
}

// Report is the outcome of one run (the JSON of `roster sync`).
type Report struct {
	ConnectionID string `json:"directory"`
	TeamID       string `json:"team"`
	Mode         string `json:"mode"` // full or delta
	DryRun       bool   `json:"dry_run"`
	db.DirectoryCounts
	// PendingDeletes is the number of removals held back by the threshold.
	PendingDeletes int                  `json:"pending_deletes,omitempty"`
	DeleteLimit    int                  `json:"delete_limit"`
	DurationMS     int64                `json:"duration_ms"`
	Error          string               `json:"error,omitempty"`
	Changes        []db.DirectoryChange `json:"changes,omitempty"`
	// run is the run as its history records it (ID 0 if recording failed).
	run db.DirectoryRun
}

func (r *Report) add(res db.DirectoryResult, keepChanges bool) {
	r.DirectoryCounts.Add(res.Counts)
	if keepChanges {
		r.Changes = append(r.Changes, res.Changes...)
	}
}

func (s *Syncer) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Syncer) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Syncer) getenv(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

func (s *Syncer) dialAttempts() int {
	if s.DialAttempts <= 0 {
		return 4
	}
	return s.DialAttempts
}

func (s *Syncer) pageSize() uint32 {
	switch {
	case s.PageSize <= 0:
		return 500
	case s.PageSize > 1000:
		return 1000
	}
	return uint32(s.PageSize)
}

func (s *Syncer) batchSize() int {
	if s.BatchSize <= 0 {
		return 5000
	}
	return s.BatchSize
}

// DeleteLimit is the most users one run may remove without --allow-deletes:
// the connection's own limit, else min(500, 20% of its users, rounded up).
func DeleteLimit(c db.DirectoryConnection, users int) int {
	if c.DeleteLimit > 0 {
		return c.DeleteLimit
	}
	return min(500, int(math.Ceil(float64(users)*0.2)))
}

// UserFilter is the connection's user filter or its kind's preset.
func UserFilter(c db.DirectoryConnection) string {
	if f := strings.TrimSpace(c.UserFilter); f != "" {
		return wrap(f)
	}
	if c.Kind == db.DirectoryAD {
		return "(&(objectClass=user)(objectCategory=person))"
	}
	return "(objectClass=inetOrgPerson)"
}

// GroupFilter is the connection's group filter or its kind's preset.
func GroupFilter(c db.DirectoryConnection) string {
	if f := strings.TrimSpace(c.GroupFilter); f != "" {
		return wrap(f)
	}
	if c.Kind == db.DirectoryAD {
		return "(&(objectClass=group)(!(isCriticalSystemObject=TRUE)))"
	}
	return "(objectClass=groupOfNames)"
}

func wrap(f string) string {
	if !strings.HasPrefix(f, "(") {
		return "(" + f + ")"
	}
	return f
}

// ValidateFilter checks an admin-supplied LDAP filter.
func ValidateFilter(f string) error {
	if strings.TrimSpace(f) == "" {
		return nil
	}
	if _, err := ldap.CompileFilter(wrap(f)); err != nil {
		return db.Errorf(db.ErrInvalid, "filter_invalid", "LDAP filter %q is invalid: %v", f, err)
	}
	return nil
}

// scopeHash identifies what a cursor was taken for; a change forces a full sync.
func scopeHash(c db.DirectoryConnection) string {
	m := MappingFor(c)
	host := c.URL
	if u, err := url.Parse(c.URL); err == nil {
		host = u.Hostname() // the same server over ldaps:// or StartTLS keeps its cursor
	}
	return hashStrings(string(c.Kind), strings.ToLower(host), normDN(c.BaseDN), UserFilter(c), GroupFilter(c),
		fmt.Sprintf("%+v", m))
}

func actorFor(c db.DirectoryConnection) db.Actor {
	host := c.URL
	if u, err := url.Parse(c.URL); err == nil {
		host = u.Host
	}
	return db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory " + string(c.Kind) + " " + host}
}

// Run syncs one connection: incrementally when it has a valid cursor,
// otherwise (or when the server refuses the cursor) in full. Every run is
// recorded in the connection's history.
func (s *Syncer) Run(ctx context.Context, c db.DirectoryConnection, o Options) (Report, error) {
	start := s.now()
	rep := Report{ConnectionID: c.ID, TeamID: c.TeamID, DryRun: o.DryRun}
	err := s.run(ctx, c, o, &rep)
	rep.DurationMS = s.now().Sub(start).Milliseconds()
	if err != nil {
		rep.Error = err.Error()
	}
	run := db.DirectoryRun{ConnectionID: c.ID, TeamID: c.TeamID, Mode: rep.Mode, DryRun: o.DryRun, StartedAt: start,
		Duration: time.Duration(rep.DurationMS) * time.Millisecond, Counts: rep.DirectoryCounts, Error: rep.Error,
		PendingDeletes: rep.PendingDeletes, DeleteLimit: rep.DeleteLimit}
	rep.run = run
	if recorded, rerr := s.Store.RecordDirectoryRun(context.WithoutCancel(ctx), run); rerr != nil {
		s.log().Error("record directory run", "connection", c.ID, "err", rerr)
	} else {
		rep.run = recorded
	}
	if s.OnRun != nil {
		s.OnRun(rep, err)
	}
	s.log().Info("directory sync", "connection", c.ID, "team", c.TeamID, "mode", rep.Mode, "dry_run", o.DryRun,
		"created", rep.Created, "updated", rep.Updated, "deactivated", rep.Deactivated, "deleted", rep.Deleted,
		"unchanged", rep.Unchanged, "duration_ms", rep.DurationMS, "error", rep.Error)
	return rep, err
}

// SyncNow runs one connection now, on an admin's request (the admin API and
// the console's "Sync now"), under the connection's cluster lock: a run
// already going elsewhere is a conflict (nothing runs). The run's own
// outcome, a failure or the deletion threshold's pending removals
// included, is the returned run as its history records it, with the planned
// changes of a dry run; err is only for a run that could not start.
func (s *Syncer) SyncNow(ctx context.Context, c db.DirectoryConnection, dryRun, allowDeletes bool) (db.DirectoryRun, []db.DirectoryChange, error) {
	unlock, ok, err := s.Store.TryLockDirectory(ctx, c.ID)
	if err != nil {
		return db.DirectoryRun{}, nil, err
	}
	if !ok {
		return db.DirectoryRun{}, nil, db.Errorf(db.ErrConflict, "sync_running", "directory connection %s is being synced right now; try again when that run ends", c.ID)
	}
	defer unlock()
	rep, _ := s.Run(ctx, c, Options{DryRun: dryRun, AllowDeletes: allowDeletes}) // the error is in rep.run.Error
	return rep.run, rep.Changes, nil
}

func (s *Syncer) run(ctx context.Context, c db.DirectoryConnection, o Options, rep *Report) error {
	lc, err := s.dial(ctx, c)
	if err != nil {
		return err
	}
	defer lc.Close()
	users, err := s.Store.CountDirectoryAnchors(ctx, c.ID, "user")
	if err != nil {
		return err
	}
	rep.DeleteLimit = DeleteLimit(c, users)
	cur, err := s.Store.DirectoryCursor(ctx, c.ID)
	if err != nil {
		return err
	}
	if !o.Full && len(cur.Cookie) > 0 && cur.ScopeHash == scopeHash(c) {
		rep.Mode = "delta"
		err := s.delta(ctx, lc, c, cur, o, rep)
		if !errors.Is(err, errCookieRefused) {
			return err
		}
		s.log().Warn("directory cursor refused; running a full sync", "connection", c.ID, "err", err)
		*rep = Report{ConnectionID: c.ID, TeamID: c.TeamID, DryRun: o.DryRun, DeleteLimit: rep.DeleteLimit}
	}
	rep.Mode = "full"
	return s.full(ctx, lc, c, o, rep)
}

// full reads every user and group (paged, one transaction per page), then
// removes what is gone, applies groups and stores the cursor in one final
// transaction. A failure before the end removes nobody and keeps no cursor,
// so the next run starts over; pages already applied are unchanged then.
func (s *Syncer) full(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection, o Options, rep *Report) error {
	m := MappingFor(c)
	by := actorFor(c)
	// Take the cursor first: changes made while we read are seen again next time.
	phase := s.now()
	cookie, err := s.snapshotCookie(ctx, lc, c)
	if err != nil {
		return err
	}
	s.log().Debug("directory full sync: cursor taken", "connection", c.ID, "took", s.now().Sub(phase))
	phase = s.now()
	lastProgress := phase
	// What the run has seen is kept as 16-byte hashes, not strings (a few MB
	// at 100,000 users): anchors, and each user DN with its anchor's hash.
	// Groups resolve member DNs through the anchors the pages wrote, checked
	// against these. A dry run writes no anchors, so it keeps DN → anchor.
	seen := map[key16]struct{}{}
	dnSeen := map[key16]key16{}
	var dnAnchor map[string]string
	if o.DryRun {
		dnAnchor = map[string]string{}
	}
	pages := 0
	b := db.DirectoryBatch{DryRun: o.DryRun}
	apply := func() error {
		if len(b.Users) == 0 {
			return nil
		}
		res, err := s.Store.ApplyDirectoryBatch(ctx, c, b, by)
		if err != nil {
			return err
		}
		rep.add(res, o.DryRun)
		b.Users = b.Users[:0]
		return nil
	}
	batchSize := s.batchSize()
	err = pipelined(ctx, s, lc, c.BaseDN, UserFilter(c), m.userAttrs(), batchSize, m.mapUsers, func(us []db.DirectoryUser) error {
		for _, u := range us {
			ak := hash16(u.Anchor)
			if _, dup := seen[ak]; dup {
				continue
			}
			seen[ak] = struct{}{}
			if dnAnchor != nil {
				dnAnchor[u.DN] = u.Anchor
			} else {
				dnSeen[hash16(u.DN)] = ak
			}
			b.Users = append(b.Users, u)
		}
		// several pages go into one transaction (fewer commits; the next
		// pages are read meanwhile)
		if len(b.Users) >= batchSize {
			if err := apply(); err != nil {
				return err
			}
		}
		pages++
		if s.afterPage != nil {
			s.afterPage(pages)
		}
		if o.Progress != nil {
			o.Progress(pages, len(seen))
		}
		if now := s.now(); now.Sub(lastProgress) >= progressLogInterval {
			lastProgress = now
			s.log().Info("directory full sync: progress", "connection", c.ID, "pages", pages, "users", len(seen))
		}
		return nil
	})
	if err == nil {
		err = apply()
	}
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	s.log().Debug("directory full sync: users applied", "connection", c.ID, "users", len(seen), "took", s.now().Sub(phase))
	phase = s.now()
	groups, err := s.readGroups(ctx, lc, c, func(dns []string) (map[string]string, error) {
		out := make(map[string]string, len(dns))
		if dnAnchor != nil {
			for _, d := range dns {
				if a, ok := dnAnchor[d]; ok {
					out[d] = a
				}
			}
			return out, nil
		}
		for len(dns) > 0 {
			part := dns[:min(len(dns), 1000)]
			dns = dns[len(part):]
			byHash := make(map[key16]string, len(part))
			for _, d := range part {
				byHash[hash16(d)] = d
			}
			rows, err := s.Store.DirectoryAnchorsWithDN(ctx, c.ID, part)
			if err != nil {
				return nil, err
			}
			for _, a := range rows {
				dk := hash16(a.DN)
				// the anchor this run saw at this DN (not an older one that had it)
				if d, ok := byHash[dk]; ok && a.Kind == "user" && dnSeen[dk] == hash16(a.Anchor) {
					out[d] = a.Anchor
				}
			}
		}
		return out, nil
	}, nil)
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	groupSeen := make(map[string]bool, len(groups))
	for _, g := range groups {
		groupSeen[g.Anchor] = true
	}
	var delUsers, delGroups []string
	if err := s.Store.EachDirectoryAnchor(ctx, c.ID, "user", func(a db.DirectoryAnchor) error {
		if _, ok := seen[hash16(a.Anchor)]; !ok {
			delUsers = append(delUsers, a.Anchor)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := s.Store.EachDirectoryAnchor(ctx, c.ID, "group", func(a db.DirectoryAnchor) error {
		if !groupSeen[a.Anchor] {
			delGroups = append(delGroups, a.Anchor)
		}
		return nil
	}); err != nil {
		return err
	}
	s.log().Debug("directory full sync: groups read, removals found", "connection", c.ID, "groups", len(groups), "took", s.now().Sub(phase))
	phase = s.now()
	defer func() {
		s.log().Debug("directory full sync: final batch", "connection", c.ID, "took", s.now().Sub(phase))
	}()
	final := db.DirectoryBatch{Groups: groups, DryRun: o.DryRun}
	var thresholdErr error
	if len(delUsers) > rep.DeleteLimit && !o.AllowDeletes {
		rep.PendingDeletes = len(delUsers)
		thresholdErr = fmt.Errorf("%w: this run would remove %d users, more than the limit of %d; nobody was removed (re-run with --allow-deletes to confirm)",
			ErrDeleteThreshold, len(delUsers), rep.DeleteLimit)
	} else {
		final.DeleteUsers, final.DeleteGroups = delUsers, delGroups
		final.Cursor = &db.DirectoryCursor{Cookie: cookie, ScopeHash: scopeHash(c), FullAt: s.now()}
	}
	res, err := s.Store.ApplyDirectoryBatch(ctx, c, final, by)
	if err != nil {
		return err
	}
	rep.add(res, o.DryRun)
	return thresholdErr
}

// delta applies what changed since the cursor, and the new cursor, in one
// transaction. Above the deletion threshold it applies nothing.
func (s *Syncer) delta(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection, cur db.DirectoryCursor, o Options, rep *Report) error {
	var ch changes
	var err error
	phase := s.now()
	if c.Kind == db.DirectoryAD {
		ch, err = s.adChanges(ctx, lc, c, cur.Cookie)
	} else {
		ch, err = s.syncreplChanges(ctx, lc, c, cur.Cookie)
	}
	if err != nil {
		return err
	}
	b := db.DirectoryBatch{Users: ch.users, DeleteUsers: ch.deleted, DeleteGroups: ch.deleted, DryRun: o.DryRun,
		Cursor: &db.DirectoryCursor{Cookie: ch.cookie, ScopeHash: cur.ScopeHash, FullAt: cur.FullAt}}
	if len(ch.deleted) > 0 {
		known, err := s.Store.DirectoryAnchors(ctx, c.ID, ch.deleted)
		if err != nil {
			return err
		}
		n := 0
		for _, a := range known {
			if a.Kind == "user" {
				n++
			}
			if a.Kind == "group" {
				ch.groupsChanged = true
			}
		}
		if n > rep.DeleteLimit && !o.AllowDeletes {
			rep.PendingDeletes = n
			return fmt.Errorf("%w: this run would remove %d users, more than the limit of %d; nothing was applied (re-run with --allow-deletes to confirm)",
				ErrDeleteThreshold, n, rep.DeleteLimit)
		}
	}
	s.log().Debug("directory delta: changes read", "connection", c.ID, "users", len(ch.users), "deleted", len(ch.deleted),
		"groups_changed", ch.groupsChanged, "took", s.now().Sub(phase))
	phase = s.now()
	// Memberships are kept by user id, so a renamed or moved user stays in
	// its groups and a removed one leaves them with the user; groups are read
	// again only when a group entry changed (adding a user to a group does).
	if ch.groupsChanged {
		dnAnchor := map[string]string{}
		for _, u := range ch.users {
			dnAnchor[u.DN] = u.Anchor
		}
		groups, err := s.readGroups(ctx, lc, c, func(dns []string) (map[string]string, error) {
			out := make(map[string]string, len(dns))
			var ask []string
			for _, d := range dns {
				if a, ok := dnAnchor[d]; ok {
					out[d] = a
				} else {
					ask = append(ask, d)
				}
			}
			got, err := s.Store.DirectoryAnchorsByDN(ctx, c.ID, ask)
			if err != nil {
				return nil, err
			}
			for _, d := range ask {
				if a, ok := got[d]; ok && a.Kind == "user" {
					out[d] = a.Anchor
				}
			}
			return out, nil
		}, func(hashes map[string]string) (map[string]bool, error) {
			ids := make([]string, 0, len(hashes))
			for id := range hashes {
				ids = append(ids, id)
			}
			stored, err := s.Store.DirectoryAnchors(ctx, c.ID, ids)
			if err != nil {
				return nil, err
			}
			skip := map[string]bool{}
			for id, h := range hashes {
				if a, ok := stored[id]; ok && a.Kind == "group" && strings.HasPrefix(a.Hash, h+".") {
					skip[id] = true
				}
			}
			return skip, nil
		})
		if err != nil {
			return fmt.Errorf("read groups: %w", err)
		}
		b.Groups = groups
		s.log().Debug("directory delta: groups read", "connection", c.ID, "groups", len(groups), "took", s.now().Sub(phase))
		phase = s.now()
	}
	defer func() {
		s.log().Debug("directory delta: batch applied", "connection", c.ID, "took", s.now().Sub(phase))
	}()
	res, err := s.Store.ApplyDirectoryBatch(ctx, c, b, actorFor(c))
	if err != nil {
		return err
	}
	rep.add(res, o.DryRun)
	return nil
}

// changes is what an incremental read found.
type changes struct {
	users         []db.DirectoryUser
	deleted       []string // anchors of users or groups that are gone (or left the scope)
	groupsChanged bool
	cookie        []byte
}

// paged runs an RFC 2696 paged search, handing each page to fn, so memory
// holds one page at a time. On error it abandons the search (size 0).
func (s *Syncer) paged(ctx context.Context, lc *ldap.Conn, base, filter string, attrs []string, fn func([]*ldap.Entry) error, extra ...ldap.Control) error {
	pc := ldap.NewControlPaging(s.pageSize())
	req := ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, filter, attrs,
		append([]ldap.Control{pc}, extra...))
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := lc.Search(req)
		if err != nil {
			return err
		}
		if err := fn(r.Entries); err != nil {
			if len(pc.Cookie) > 0 {
				pc.PagingSize = 0
				lc.Search(req) // abandon the server-side result set
			}
			return err
		}
		rc, ok := ldap.FindControl(r.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok || len(rc.Cookie) == 0 {
			return nil
		}
		pc.SetCookie(rc.Cookie)
	}
}

// pipelined is paged with the server read, and each page converted by
// conv, on a goroutine of its own while fn takes the converted pages on the
// caller's goroutine: the directory, the mapping and the database work at
// the same time. At most about batch entries wait between them, so memory
// stays bounded while fn applies a batch.
func pipelined[T any](ctx context.Context, s *Syncer, lc *ldap.Conn, base, filter string, attrs []string, batch int,
	conv func([]*ldap.Entry) T, fn func(T) error) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan T, max(1, batch/int(s.pageSize())))
	readErr := make(chan error, 1)
	go func() {
		defer close(pages)
		readErr <- s.paged(rctx, lc, base, filter, attrs, func(es []*ldap.Entry) error {
			select {
			case pages <- conv(es):
				return nil
			case <-rctx.Done():
				return rctx.Err()
			}
		})
	}()
	for p := range pages {
		if err := fn(p); err != nil {
			cancel()
			for range pages {
			}
			<-readErr
			return err
		}
	}
	return <-readErr
}

// key16 is a 128-bit hash: collisions among a directory's entries are out of reach.
type key16 [16]byte

func hash16(s string) key16 {
	h := sha256.Sum256([]byte(s))
	return key16(h[:16])
}
