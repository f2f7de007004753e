package directory

import (
	"context"
	"time"

	"github.com/roster-dev/roster/db"
)

// Service runs every enabled connection on its interval. Several replicas
// may run it: a connection runs only where its cluster lock
// (db.DirectoryStore.TryLockDirectory) is free, and only when its last
// recorded run is older than its interval.
type Service struct {
	Syncer *Syncer
	// Tick is how often due connections are looked for (default 15s).
	Tick time.Duration
	// DefaultInterval applies to connections without one (default 5m).
	DefaultInterval time.Duration
}

// Run loops until ctx ends.
func (s *Service) Run(ctx context.Context) {
	tick := s.Tick
	if tick <= 0 {
		tick = 15 * time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs each due connection once, skipping those another worker
// holds. It returns how many it ran.
func (s *Service) RunDue(ctx context.Context) int {
	st := s.Syncer.Store
	conns, err := st.ListDirectoryConnections(ctx, "")
	if err != nil {
		s.Syncer.log().Error("list directory connections", "err", err)
		return 0
	}
	ran := 0
	for _, c := range conns {
		if ctx.Err() != nil {
			return ran
		}
		if !c.Enabled {
			continue
		}
		if s.runOne(ctx, c) {
			ran++
		}
	}
	return ran
}

func (s *Service) runOne(ctx context.Context, c db.DirectoryConnection) bool {
	st := s.Syncer.Store
	unlock, ok, err := st.TryLockDirectory(ctx, c.ID)
	if err != nil {
		s.Syncer.log().Error("lock directory connection", "connection", c.ID, "err", err)
		return false
	}
	if !ok {
		return false // another replica is running it
	}
	defer unlock()
	// Decide under the lock, from the shared history, so two replicas never
	// both run a connection for the same interval.
	interval := c.Interval
	if interval <= 0 {
		interval = s.DefaultInterval
	}
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	runs, err := st.ListDirectoryRuns(ctx, c.TeamID, c.ID, 5)
	if err != nil {
		s.Syncer.log().Error("directory run history", "connection", c.ID, "err", err)
		return false
	}
	for _, r := range runs {
		if !r.DryRun {
			if s.Syncer.now().Sub(r.StartedAt) < interval {
				return false
			}
			break
		}
	}
	s.Syncer.Run(ctx, c, Options{}) // the outcome is recorded in the run history and logged
	return true
}
