package ledger

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/otcdesk/engine/internal/clock"
)

// SchemaVersion is the layout this package reads and writes. A file with a
// higher version is refused with ErrNewerSchema; older versions are
// migrated on open.
//
// Schema 2 stores inbox events in a binary record (schema 1: JSON). This
// engine reads both forms, so the migration only raises the file's version
// (an older engine would not read the new records); a read-only open
// leaves the file as it is.
const SchemaVersion = 2

// formatName marks a bbolt file as a ledger, so another program's bbolt
// file is refused instead of being written to.
const formatName = "otcdesk-ledger"

// DefaultLockTimeout bounds the wait for a file held by another process
// when Options.LockTimeout is zero.
const DefaultLockTimeout = time.Second

// maxBatch caps how many queued writes share one transaction and fsync.
const maxBatch = 1024

var (
	bucketMeta         = []byte("meta")
	bucketJournal      = []byte("journal")       // seq (8 bytes BE) -> entry record
	bucketKeys         = []byte("keys")          // idempotency key -> seq
	bucketBalances     = []byte("balances")      // account 0x00 asset -> decimal string
	bucketIntents      = []byte("intents")       // client id -> intent record
	bucketIntentsOpen  = []byte("intents_open")  // client id -> "" while not final
	bucketInbox        = []byte("inbox")         // source 0x00 event id -> event record
	bucketInboxPending = []byte("inbox_pending") // source 0x00 event id -> "" until processed
	bucketCounters     = []byte("counters")      // metric 0x00 day 0x00 scope -> decimal string
	bucketCounterOps   = []byte("counter_ops")   // counter key 0x00 op id -> "" once applied

	allBuckets = [][]byte{bucketMeta, bucketJournal, bucketKeys, bucketBalances, bucketIntents,
		bucketIntentsOpen, bucketInbox, bucketInboxPending, bucketCounters, bucketCounterOps}

	metaFormat = []byte("format")
	metaSchema = []byte("schema")
)

// Options configures Open. The zero value opens read-write with a
// one-second lock timeout and the system clock.
type Options struct {
	// LockTimeout bounds the wait for the file lock held by another
	// process; past it Open returns ErrInUse. Zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// ReadOnly opens the file with a shared lock: several read-only
	// openers may coexist, but not with a writer. The file must exist.
	ReadOnly bool
	// Clock stamps Entry.Recorded and intent and inbox times; the zero
	// value is the system clock.
	Clock clock.Clock
	// OnCommit, if set, is told the duration of every write transaction
	// (fsync included) and how many writes it carried, on the writer
	// goroutine; it must not block. Metrics hang here.
	OnCommit func(d time.Duration, writes int)
	// OnWriteError, if set, is told of every write transaction that could
	// not be committed for a reason of the file or the disk (full,
	// read-only, I/O error), not of a write's own refusal; on the writer
	// goroutine, it must not block. The next successful commit is told to
	// OnCommit: together they say when writing stopped and resumed.
	OnWriteError func(err error)
}

// Store is the ledger: one bbolt file holding the journal, balances,
// intents, inbox and counters. It is safe for concurrent use. Writes from
// concurrent callers are queued to one writer goroutine that commits
// everything queued in one transaction and one fsync (group commit); every
// write has returned only once it is durable.
type Store struct {
	db       *bbolt.DB
	path     string
	clock    clock.Clock // stamps what is written
	readOnly bool
	onCommit func(time.Duration, int)
	onError  func(error)
	// wall times commits and checks. It is always the system clock: how
	// long an fsync takes is the disk's, and Clock may be a backtest's
	// manual clock, which would read every duration as zero.
	wall clock.Clock

	// Writes queue here in arrival order; the writer takes them in that
	// order, so a write queued before another commits no later than it.
	qmu       sync.Mutex
	queue     []*op
	closed    bool          // guarded by qmu; no write is queued after Close
	wake      chan struct{} // buffered 1: something was queued
	closing   chan struct{} // closed by Close
	done      chan struct{} // closed when the writer goroutine has stopped
	closeOnce sync.Once
	closeErr  error

	commits atomic.Uint64 // write transactions committed
	writes  atomic.Uint64 // queued writes those transactions carried

	// changed collects the balances the transaction being committed
	// changes, in order; only the writer goroutine touches it.
	changed []Balance
	// delta collects the records the transaction being committed writes,
	// for the replicator; diverged is set once a transaction appended to
	// the replicated log failed to commit here. Only the writer goroutine
	// touches them.
	delta    []change
	diverged error
	repl     atomic.Pointer[Replicator]
	// posted collects the entries it appends, in order; likewise.
	posted []Entry

	watchMu   sync.Mutex // guards watchers and nextWatch
	watchers  map[int]func(BalanceUpdate)
	nextWatch int
}

// Stats counts the work of the group-commit writer since Open.
type Stats struct {
	Commits uint64 // write transactions committed, one fsync each
	Writes  uint64 // writes (Post, CreateIntent, ...) they carried
}

// Stats returns the writer's counters. Writes/Commits is the mean number of
// writes sharing one fsync. It is safe for concurrent use.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Writes: s.writes.Load()}
}

// Open opens or creates the ledger at path (mode 0600).
//
// A new ledger is created complete or not at all; an existing empty file
// is a ledger that lost its content and is refused.
//
// Open reads the header of every page in use (see checkPages), so a
// damaged page anywhere in the file is refused here, before any caller
// has read or acted on part of the books; that costs a read of the file,
// as the start-up Check does of the journal.
//
// It returns ErrInUse if another process holds the file past
// opts.LockTimeout, ErrNotLedger for a corrupt, truncated or empty file or
// another program's file, ErrCorrupt for a ledger with a damaged page,
// ErrNewerSchema for a file from a newer engine, and the underlying
// *fs.PathError for a missing file (read-only) or a directory that cannot
// be written. In every error case nothing is written to the file.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	// A damaged file can make bbolt read past the end of its memory map;
	// on this goroutine that is a panic, which openDB and inspect recover,
	// instead of a fatal fault.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	fi, err := os.Stat(path)
	if opts.ReadOnly && err != nil {
		return nil, fmt.Errorf("ledger: open %s read-only: %w", path, err)
	}
	if err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("ledger: open %s: not a regular file: %w", path, ErrNotLedger)
	}
	if err == nil && fi.Size() == 0 {
		// Open never leaves an empty file behind (see create), so this is
		// a ledger that lost its content: starting on empty books would
		// forget every intent and counter.
		return nil, fmt.Errorf("ledger: open %s: %w: the file is empty (truncated?); restore it from a backup, or delete it to start a new ledger", path, ErrNotLedger)
	}
	if errors.Is(err, fs.ErrNotExist) && !opts.ReadOnly {
		if err := create(path); err != nil {
			return nil, err
		}
	}
	if !opts.ReadOnly {
		// Look before writing: bbolt's read-write open may itself commit
		// to the file (it writes the freelist of a file whose freelist is
		// not synced, as etcd's are) before we can tell whether the file
		// is ours, so the file is checked read-only first.
		db, err := openDB(path, timeout, true)
		if err != nil {
			return nil, err
		}
		_, _, err = inspect(db)
		if err == nil {
			err = checkPages(db)
		}
		db.Close()
		if err != nil {
			return nil, fmt.Errorf("ledger: open %s: %w", path, err)
		}
	}
	db, err := openDB(path, timeout, opts.ReadOnly)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, clock: opts.Clock, readOnly: opts.ReadOnly, onCommit: opts.OnCommit, onError: opts.OnWriteError}
	err = s.checkSchema()
	if err == nil && s.readOnly {
		err = checkPages(db) // a read-write open checked them above
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: open %s: %w", path, err)
	}
	if !s.readOnly {
		s.wake = make(chan struct{}, 1)
		s.closing = make(chan struct{})
		s.done = make(chan struct{})
		go s.writer()
	}
	return s, nil
}

// create makes a new, complete ledger at path, atomically: it is built
// under a temporary name in the same directory, synced, and linked into
// place only if path still does not exist, so a crash or a full disk never
// leaves a partial (empty) file at path, and a file created meanwhile by
// another process is never replaced.
func create(path string) (err error) {
	// A symlink to a file not yet created (a data volume): create the
	// target, as opening with O_CREATE would.
	for range 8 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(path)
		if err != nil {
			return fmt.Errorf("ledger: create %s: %w", path, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".new-*")
	if err != nil {
		return fmt.Errorf("ledger: create %s: %w (the file and its directory must be writable by this user)", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	db, err := openDB(tmp, DefaultLockTimeout, false)
	if err != nil {
		return err
	}
	err = (&Store{db: db}).checkSchema()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("ledger: create %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("ledger: create %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("ledger: create %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("ledger: create %s: sync directory: %w", path, err)
	}
	return nil
}

// openDB opens the bbolt file and maps its errors to the package's. bbolt
// panics on some damaged files (a freelist page that is not one); that is
// reported as ErrNotLedger. The file descriptor and lock of such a failed
// open are then not released: the file is unusable anyway.
func openDB(path string, timeout time.Duration, readOnly bool) (db *bbolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("ledger: open %s: %w: unreadable pages (%s); if it is the ledger, restore it from a backup", path, ErrNotLedger, damage(r))
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:  timeout,
		ReadOnly: readOnly,
		// A read-only open would otherwise never read the freelist, and
		// a damaged one would go unseen by every command but verify.
		PreLoadFreelist: true,
		FreelistType:    bbolt.FreelistMapType,
	})
	if err != nil {
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, fmt.Errorf("ledger: open %s: %w (no lock within %s; is the engine running?)", path, ErrInUse, timeout)
		case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
			errors.Is(err, bolterrors.ErrVersionMismatch):
			return nil, fmt.Errorf("ledger: open %s: %w: %w", path, ErrNotLedger, err)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("ledger: open %s: %w (the file and its directory must be writable by this user)", path, err)
		}
		// bbolt reports a short or garbled file in several ways.
		return nil, fmt.Errorf("ledger: open %s: %w: %w", path, ErrNotLedger, err)
	}
	return db, nil
}

// inspect reads the meta bucket: empty is true for a bbolt file without
// any bucket (a new file), else version is the file's schema version. A
// file that is not a ledger, or is from a newer engine, is an error.
func inspect(db *bbolt.DB) (empty bool, version int, err error) {
	defer func() {
		// bbolt panics on some garbled pages; on open that means the file
		// is not a usable ledger, which the caller must hear as an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: unreadable pages (%s); if it is the ledger, restore it from a backup", ErrNotLedger, damage(r))
		}
	}()
	err = db.View(func(tx *bbolt.Tx) error {
		// A file shorter than its pages is truncated: reading the missing
		// pages through the memory map would crash the process later.
		fi, err := os.Stat(db.Path())
		if err != nil {
			return err
		}
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%w: truncated: %d bytes, its pages need %d", ErrNotLedger, fi.Size(), tx.Size())
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			n := 0
			if err := tx.ForEach(func([]byte, *bbolt.Bucket) error { n++; return nil }); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: a bbolt file without the ledger's meta bucket", ErrNotLedger)
			}
			empty = true
			return nil
		}
		if f := meta.Get(metaFormat); string(f) != formatName {
			return fmt.Errorf("%w: format %q, want %q", ErrNotLedger, f, formatName)
		}
		v, err := strconv.Atoi(string(meta.Get(metaSchema)))
		if err != nil || v < 1 {
			return fmt.Errorf("%w: schema version %q unreadable", ErrNotLedger, meta.Get(metaSchema))
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: file schema %d, this engine supports up to %d; use the newer engine or restore a backup", ErrNewerSchema, v, SchemaVersion)
		}
		for _, b := range allBuckets {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("%w: bucket %s missing", ErrNotLedger, b)
			}
		}
		version = v
		return nil
	})
	return empty, version, err
}

// checkSchema validates the meta bucket, or creates every bucket in an
// empty file. A bbolt file with other content is not ours and is left alone.
func (s *Store) checkSchema() error {
	empty, version, err := inspect(s.db)
	if err != nil {
		return err
	}
	if !empty {
		if version == SchemaVersion || s.readOnly {
			return nil
		}
		return s.db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(metaSchema, []byte(strconv.Itoa(SchemaVersion)))
		})
	}
	if s.readOnly {
		return fmt.Errorf("%w: empty file", ErrNotLedger)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(metaFormat, []byte(formatName)); err != nil {
			return err
		}
		return meta.Put(metaSchema, []byte(strconv.Itoa(SchemaVersion)))
	})
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close waits for queued writes, stops the writer and closes the file.
// Writes after Close return ErrClosed. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if !s.readOnly {
			s.qmu.Lock()
			s.closed = true
			s.qmu.Unlock()
			close(s.closing)
			<-s.done
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// view runs fn in a read transaction. A page bbolt cannot read (it panics
// on a damaged file) is an error naming the file, not a crash.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer s.recoverDamage(&err)
	return s.db.View(fn)
}

// recoverDamage turns a panic of bbolt's on a damaged page into an error
// wrapping ErrCorrupt that names the file and what bbolt said (the page).
func (s *Store) recoverDamage(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("ledger %s: %w: unreadable page (%s); restore the file from a backup, or run `engine ledger verify` for details", s.path, ErrCorrupt, damage(r))
	}
}
