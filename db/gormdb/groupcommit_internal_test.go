package gormdb

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"
)

// openGroupCommitStore is a migrated SQLite store with a scratch table k.
func openGroupCommitStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{DSN: filepath.Join(t.TempDir(), "gc.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.commits == nil {
		t.Fatal("SQLite store without a group commit")
	}
	if err := s.conn(ctx).Exec("CREATE TABLE gc_k (k TEXT PRIMARY KEY)").Error; err != nil {
		t.Fatal(err)
	}
	return s
}

func keys(t *testing.T, s *Store) []string {
	t.Helper()
	var ks []string
	if err := s.conn(context.Background()).Raw("SELECT k FROM gc_k ORDER BY k").Scan(&ks).Error; err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestGroupCommitIsolatesCallers runs batches straight through the writer
// (no timing: the batch is built by the test) and checks that each caller's
// outcome is what it would be in a transaction of its own: a failing
// caller's statements are undone and nobody else's are, a batch the
// database gave up on is re-run caller by caller, and a caller whose context
// ended while it queued is not run.
func TestGroupCommitIsolatesCallers(t *testing.T) {
	errMine := errors.New("my mutation failed")
	insert := func(k string) func(*gorm.DB) error {
		return func(tx *gorm.DB) error { return tx.Exec("INSERT INTO gc_k (k) VALUES (?)", k).Error }
	}
	insertThenFail := func(k string) func(*gorm.DB) error {
		return func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO gc_k (k) VALUES (?)", k).Error; err != nil {
				return err
			}
			return errMine
		}
	}
	// discard simulates SQLite rolling the whole transaction back under a
	// caller (as it does after an I/O error or a full disk).
	discard := func(k string, fail bool) func(*gorm.DB) error {
		return func(tx *gorm.DB) error {
			if err := tx.Exec("INSERT INTO gc_k (k) VALUES (?)", k).Error; err != nil {
				return err
			}
			if err := tx.Exec("ROLLBACK").Error; err != nil {
				return err
			}
			if fail {
				return errMine
			}
			return nil
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	for _, tc := range []struct {
		name     string
		ctxs     []context.Context // nil: Background
		fns      []func(*gorm.DB) error
		wantErrs []error
		wantKeys []string
	}{
		{name: "all commit together",
			fns:      []func(*gorm.DB) error{insert("a"), insert("b"), insert("c")},
			wantErrs: []error{nil, nil, nil}, wantKeys: []string{"a", "b", "c"}},
		{name: "a failing caller's writes are undone, the others' kept",
			fns:      []func(*gorm.DB) error{insert("a"), insertThenFail("b"), insert("c")},
			wantErrs: []error{nil, errMine, nil}, wantKeys: []string{"a", "c"}},
		{name: "a unique violation fails only its caller",
			fns:      []func(*gorm.DB) error{insert("a"), insert("a"), insert("c")},
			wantErrs: []error{nil, errConflictish, nil}, wantKeys: []string{"a", "c"}},
		{name: "a caller alone gets its own transaction",
			fns:      []func(*gorm.DB) error{insertThenFail("a")},
			wantErrs: []error{errMine}, wantKeys: nil},
		{name: "a failing caller that loses the batch: the others are re-run alone",
			fns:      []func(*gorm.DB) error{insert("a"), discard("b", true), insert("c")},
			wantErrs: []error{nil, errMine, nil}, wantKeys: []string{"a", "c"}},
		{name: "a batch that cannot commit: each caller re-run alone",
			fns:      []func(*gorm.DB) error{insert("a"), discard("b", false), insert("c")},
			wantErrs: []error{nil, errConflictish, nil}, wantKeys: []string{"a", "c"}},
		{name: "a caller whose context ended in the queue is not run",
			ctxs: []context.Context{nil, cancelled},
			fns: []func(*gorm.DB) error{insert("a"), func(*gorm.DB) error {
				ran = true
				return nil
			}},
			wantErrs: []error{nil, context.Canceled}, wantKeys: []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openGroupCommitStore(t)
			batch := make([]*writeReq, len(tc.fns))
			for i, fn := range tc.fns {
				ctx := context.Background()
				if i < len(tc.ctxs) && tc.ctxs[i] != nil {
					ctx = tc.ctxs[i]
				}
				batch[i] = &writeReq{ctx: ctx, fn: fn, res: make(chan error, 1)}
			}
			s.commits.commit(batch)
			for i, r := range batch {
				err := <-r.res
				switch want := tc.wantErrs[i]; {
				case want == nil && err != nil:
					t.Errorf("caller %d: %v, want success", i, err)
				case want == errConflictish && err == nil:
					t.Errorf("caller %d: success, want an error", i)
				case want != nil && want != errConflictish && !errors.Is(err, want):
					t.Errorf("caller %d: %v, want %v", i, err, want)
				}
			}
			if diff := cmp.Diff(tc.wantKeys, keys(t, s)); diff != "" {
				t.Errorf("committed keys (-want +got):\n%s", diff)
			}
			if ran {
				t.Error("the cancelled caller's fn ran")
			}
			// The writer is usable afterwards, through the public path.
			if err := s.tx(context.Background(), insert("z")); err != nil {
				t.Fatalf("write after the batch: %v", err)
			}
		})
	}
}

// errConflictish marks an expected error whose exact kind is the driver's.
var errConflictish = errors.New("any error")

// TestGroupCommitAfterClose: a write after Close is refused, not hung.
func TestGroupCommitAfterClose(t *testing.T) {
	s := openGroupCommitStore(t)
	s.Close()
	err := s.tx(context.Background(), func(tx *gorm.DB) error { return nil })
	if err == nil {
		t.Fatal("write after Close succeeded")
	}
}
