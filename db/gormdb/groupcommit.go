package gormdb

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// Group commit (issue 15): on SQLite every write transaction runs on one
// connection, owned by one goroutine, which takes the transactions waiting
// when it is free and runs them together inside one BEGIN IMMEDIATE …
// COMMIT. SQLite allows one writer at a time anyway; batching shares the
// commit (the WAL frames and the lock) among the callers, and because the
// connection is never handed to anyone else its prepared statements live as
// long as the store instead of being re-prepared in every transaction (gorm
// re-prepares a statement first prepared inside a transaction in each new
// one, ~8 % of a create's CPU).
//
// What each caller sees is unchanged: its fn runs as if in a transaction of
// its own (a savepoint per caller when the batch has more than one), its
// error rolls back only its own statements, and it is answered only after
// the COMMIT that made its writes durable. If the batch itself fails (the
// COMMIT, or a savepoint SQLite has discarded after an I/O error), every
// caller whose fn had succeeded is run again alone in its own transaction,
// so one caller's failure never fails another; fn must therefore be safe to
// run twice, as every store transaction is (each builds its state afresh).
type groupCommit struct {
	reqs chan *writeReq
	quit chan struct{}
	done chan struct{}
	once sync.Once

	conn *sql.Conn // the one write connection
	g    *gorm.DB  // gorm over conn, with its own prepared statements
}

// writeReq is one caller's transaction, answered on res.
type writeReq struct {
	ctx context.Context
	fn  func(*gorm.DB) error
	res chan error
}

// maxGroup caps the transactions in one batch, so a burst of writers does
// not make the first of them wait for hundreds of others.
const maxGroup = 64

// errStoreClosed answers writes that arrive after Close.
var errStoreClosed = fmt.Errorf("%w: database is closed", db.ErrUnavailable)

// startGroupCommit takes one connection from the pool for writes and starts
// the goroutine that owns it.
func startGroupCommit(ctx context.Context, g *gorm.DB, sqlDB *sql.DB) (*groupCommit, error) {
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	wg := g.Session(&gorm.Session{NewDB: true, Context: context.Background()})
	wg.Statement.ConnPool = gorm.NewPreparedStmtDB(conn, 0, stmtCacheTTL)
	gc := &groupCommit{reqs: make(chan *writeReq), quit: make(chan struct{}), done: make(chan struct{}),
		conn: conn, g: wg}
	go gc.loop()
	return gc, nil
}

// run queues fn and waits for its answer. A caller whose context ends while
// it waits in the queue is answered with the context's error and its fn is
// not run; once fn has started the caller waits for the commit, so an error
// return always means nothing of fn was committed.
func (gc *groupCommit) run(ctx context.Context, fn func(*gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, res: make(chan error, 1)}
	select {
	case gc.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-gc.quit:
		return errStoreClosed
	}
	return <-r.res
}

// close stops the writer after the batch it is running and releases its
// connection.
func (gc *groupCommit) close() {
	gc.once.Do(func() {
		close(gc.quit)
		<-gc.done
		gc.conn.Close()
	})
}

func (gc *groupCommit) loop() {
	defer close(gc.done)
	batch := make([]*writeReq, 0, maxGroup)
	for {
		select {
		case r := <-gc.reqs:
			batch = append(batch[:0], r)
		case <-gc.quit:
			return
		}
	drain:
		for len(batch) < maxGroup {
			select {
			case r := <-gc.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		gc.commit(batch)
	}
}

// commit runs a batch and answers every caller in it.
func (gc *groupCommit) commit(batch []*writeReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.res <- err
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		live[0].res <- gc.alone(live[0])
		return
	}
	errs, rerun, err := gc.together(live)
	if err != nil {
		// The batch did not commit: answer the failed callers (their work
		// was rolled back in any case) and run the others alone.
		for i, r := range live {
			if rerun[i] {
				r.res <- gc.alone(r)
			} else {
				r.res <- errs[i]
			}
		}
		return
	}
	for i, r := range live {
		r.res <- errs[i]
	}
}

// tx is the handle a caller's fn receives: the write connection, with the
// caller's context values but not its cancellation (an interrupted
// statement would make SQLite roll back the whole batch).
func (gc *groupCommit) tx(r *writeReq) *gorm.DB {
	return gc.g.WithContext(context.WithoutCancel(r.ctx))
}

// exec runs one transaction-control statement on the write connection.
func (gc *groupCommit) exec(stmt string) error {
	_, err := gc.conn.ExecContext(context.Background(), stmt)
	return err
}

// alone runs one caller's fn in a transaction of its own.
func (gc *groupCommit) alone(r *writeReq) error {
	if err := gc.exec("BEGIN IMMEDIATE"); err != nil {
		return unavailable(err)
	}
	if err := r.fn(gc.tx(r)); err != nil {
		gc.rollback()
		return err
	}
	if err := gc.exec("COMMIT"); err != nil {
		gc.rollback()
		return err
	}
	return nil
}

// together runs the callers' fns in one transaction, each behind its own
// savepoint. It returns each caller's error; if the batch as a whole failed
// (err), rerun marks the callers whose fn had succeeded or had not run.
func (gc *groupCommit) together(live []*writeReq) (errs []error, rerun []bool, err error) {
	errs = make([]error, len(live))
	rerun = make([]bool, len(live))
	if err := gc.exec("BEGIN IMMEDIATE"); err != nil {
		for i := range live {
			errs[i] = unavailable(err)
		}
		return errs, rerun, err
	}
	fail := func(err error) ([]error, []bool, error) {
		gc.rollback()
		for i := range live {
			rerun[i] = errs[i] == nil
		}
		return errs, rerun, err
	}
	for i, r := range live {
		if err := gc.exec("SAVEPOINT roster_write"); err != nil {
			return fail(err)
		}
		errs[i] = r.fn(gc.tx(r))
		if errs[i] != nil {
			if err := gc.exec("ROLLBACK TO roster_write"); err != nil {
				return fail(err)
			}
		}
		if err := gc.exec("RELEASE roster_write"); err != nil {
			return fail(err)
		}
	}
	if err := gc.exec("COMMIT"); err != nil {
		return fail(err)
	}
	return errs, rerun, nil
}

// rollback ends a failed transaction; SQLite may already have rolled it
// back itself (after an I/O error), which is not an error here.
func (gc *groupCommit) rollback() {
	_ = gc.exec("ROLLBACK") // "no transaction is active": nothing left to undo
}
