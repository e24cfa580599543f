package db

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"guichet.dev/guichet"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is the database handle. It is safe for concurrent use.
type DB struct {
	db *sqlx.DB
	// Now returns the current time; tests replace it. Defaults to time.Now.
	Now func() time.Time
	// Claimed, if set, is called after a new claim (or candidacy) is committed with its outbox
	// message, with guichet.OutboxWakeGathered. A claim does not notify the dispatchers through
	// PostgreSQL (a NOTIFY at every commit costs claims a tenth of their throughput): the
	// process that made it wakes its own dispatcher with this; the others find the message when
	// they next poll. Set it before the DB is used.
	Claimed func(wake string)
	// WaitlistOffer is how long an offer to the first in a lot's line lasts
	// (guichet.WaitlistOfferUntil; guichet.DefaultWaitlistOffer when zero).
	WaitlistOffer time.Duration
	// stmts are the hot statements, prepared once for the pool (see prepared).
	stmts stmtCache
}

var _ guichet.Store = (*DB)(nil)

// now returns the time by d.Now, time.Now when unset.
func (d *DB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Open connects to the PostgreSQL database at url (a postgres:// URL or a key=value DSN) and
// checks that it answers. It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	sdb, err := sqlx.Open("postgres", singleRoundTrip(url))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sdb.SetMaxOpenConns(32)
	sdb.SetMaxIdleConns(16)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{db: sdb, Now: time.Now}, nil
}

// singleRoundTrip asks lib/pq to send each parameterised statement in one round trip (parse,
// bind and execute together) instead of two (lib/pq otherwise waits for the statement's
// description before binding). Its condition: byte-slice arguments are sent in binary, so JSON
// must be passed as a string (see jsonArg). A setting already in dsn is kept.
func singleRoundTrip(dsn string) string {
	if strings.Contains(dsn, "binary_parameters") {
		return dsn
	}
	if u, err := neturl.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " binary_parameters=yes"
}

// jsonArg marshals v for a jsonb parameter, as a string: with binary parameters a byte slice
// would reach PostgreSQL in jsonb's binary format, which it is not.
func jsonArg(v any) (string, error) {
	js, err := json.Marshal(v)
	return string(js), err
}

// Close closes the connection pool.
func (d *DB) Close() error { return d.db.Close() }

// SQL returns the underlying handle, for tests and tools that need raw queries.
func (d *DB) SQL() *sqlx.DB { return d.db }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Migrate applies every pending migration under a PostgreSQL advisory lock, so that replicas
// starting together migrate once. Running it again is a no-op. It returns the versions applied.
func (d *DB) Migrate(ctx context.Context) ([]int64, error) {
	return migrate(ctx, d.db.DB)
}

func migrate(ctx context.Context, sqlDB *sql.DB) ([]int64, error) {
	p, err := migrations(sqlDB)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []int64
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// migrations returns the migrations' provider for sqlDB, locking with an advisory lock.
func migrations(sqlDB *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// MigrateURL opens url, applies the migrations and closes it.
func MigrateURL(ctx context.Context, url string) ([]int64, error) {
	d, err := Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Migrate(ctx)
}

// inTx runs fn in one transaction, committed if fn returns nil and rolled back otherwise.
func (d *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into the domain's ENOTFOUND with messageID, and wraps the rest.
func notFound(err error, messageID string, kv ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return guichet.Errorf(guichet.ENOTFOUND, messageID, kv...)
	}
	return fmt.Errorf("query: %w", err)
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation on the named
// constraint or index ("" matches any).
func isUniqueViolation(err error, constraint string) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return constraint == "" || pqErr.Constraint == constraint
	}
	return false
}

// audit writes an audit entry in tx.
func audit(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, action string, eventID, lotID, supplierID int64, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	js, err := jsonArg(detail)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit (actor_id, actor_name, action, event_id, lot_id, supplier_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		actor.UserID, actor.Username, action, nullID(eventID), nullID(lotID), nullID(supplierID), js)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// enqueue writes an outbox message in tx, due at once.
func enqueue(ctx context.Context, tx *sqlx.Tx, kind guichet.OutboxKind, p guichet.OutboxPayload) error {
	js, err := jsonArg(p)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (kind, payload) VALUES ($1, $2)`, string(kind), js)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	// Wake dispatchers listening on this channel; delivered at commit.
	_, err = tx.ExecContext(ctx, `SELECT pg_notify('guichet_outbox', '')`)
	return err
}

func pqStrings(s []string) any {
	if s == nil {
		s = []string{}
	}
	return pq.StringArray(s)
}

func pqInts(s []int64) any {
	if s == nil {
		s = []int64{}
	}
	return pq.Int64Array(s)
}

// stmtCache holds statements prepared for the pool, by query.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sqlx.Stmt
	// claim holds the claim's statements once all are prepared (see claimStatements).
	claim atomic.Pointer[claimStatements]
}

// prepared returns the statement for query prepared for the pool, preparing it on first use.
// database/sql then prepares it on each connection the first time it runs there and keeps it,
// so a hot statement is parsed and planned once per connection rather than on every call. Call
// it before taking a connection for a transaction (it may need one of its own), and use the
// statement in the transaction with tx.StmtxContext.
func (d *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	if s, ok := d.stmts.m[query]; ok {
		return s, nil
	}
	s, err := d.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if d.stmts.m == nil {
		d.stmts.m = map[string]*sqlx.Stmt{}
	}
	d.stmts.m[query] = s
	return s, nil
}
