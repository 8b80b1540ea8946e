package ledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/bbolt"

	"github.com/otcdesk/engine/internal/clock"
)

// BackupReport describes a backup file that verified.
type BackupReport struct {
	Path    string
	Bytes   int64
	Seq     uint64 // the journal's last entry in the copy
	Intents int    // intents in the copy not yet final
}

// Backup writes a consistent copy of the whole ledger to w while writes
// go on: one read transaction's view of the file (bbolt's Tx.WriteTo), so
// the copy holds every write committed before it began and none after.
// It returns the bytes written. ctx ends the copy half way (w then holds
// a partial file, which never verifies).
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("ledger: backup of %s: %w", s.path, err)
	}
	return n, nil
}

// ctxWriter stops a copy once its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// BackupFile writes a backup to path, which must not exist: under a
// temporary name beside it, synced, verified (VerifyFile), then renamed
// into place, so path is either absent or a complete backup that
// verifies. The file is created 0600.
func (s *Store) BackupFile(ctx context.Context, path string) (BackupReport, error) {
	return WriteBackup(ctx, path, func(w io.Writer) (int64, error) { return s.Backup(ctx, w) })
}

// WriteBackup writes what copy produces to path as BackupFile does: a
// temporary file beside it, synced and verified, renamed into place only
// if path does not exist. The command line uses it for a backup streamed
// from a running engine.
func WriteBackup(ctx context.Context, path string, copy func(io.Writer) (int64, error)) (BackupReport, error) {
	if _, err := os.Lstat(path); err == nil {
		return BackupReport{}, fmt.Errorf("ledger: backup to %s: %w (choose a new name)", path, fs.ErrExist)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".partial-*")
	if err != nil {
		return BackupReport{}, fmt.Errorf("ledger: backup to %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	n, err := copy(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupReport{}, fmt.Errorf("ledger: backup to %s: %w", path, err)
	}
	rep, err := VerifyFile(ctx, tmp)
	if err != nil {
		return BackupReport{}, fmt.Errorf("ledger: backup to %s does not verify, not kept: %w", path, err)
	}
	// Link, not rename: a file created at path meanwhile is never replaced.
	if err := os.Link(tmp, path); err != nil {
		return BackupReport{}, fmt.Errorf("ledger: backup to %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return BackupReport{}, fmt.Errorf("ledger: backup to %s: %w", path, err)
	}
	rep.Path, rep.Bytes = path, n
	return rep, nil
}

// VerifyFile opens the ledger file at path read-only and proves it sound
// the way start-up would, and more: the quick check against its
// checkpoint (Check) and the full Verify (every entry balances, balances
// equal the rebuild, the key index is whole). It writes nothing.
func VerifyFile(ctx context.Context, path string) (BackupReport, error) {
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		return BackupReport{}, err
	}
	defer s.Close()
	rep, err := s.Check(ctx)
	if err != nil {
		return BackupReport{}, err
	}
	if !rep.Full {
		if err := s.Verify(ctx); err != nil {
			return BackupReport{}, err
		}
	}
	open, err := s.Unfinished(ctx)
	if err != nil {
		return BackupReport{}, err
	}
	return BackupReport{Path: path, Seq: rep.Seq, Intents: len(open)}, nil
}

// RestoreReport is what Restore did.
type RestoreReport struct {
	BackupReport
	// Replaced is where the file that was at the ledger's path is kept
	// (a hard link), "" when there was none.
	Replaced string
}

// Restore replaces the ledger at dst with the backup at src. It first
// proves the backup (VerifyFile) and changes nothing if it fails. It
// refuses with ErrInUse while another process (a running engine) holds
// dst, and holds dst's lock itself until the new file is in place. The
// backup is copied beside dst, synced and verified again, the old file
// kept as dst.replaced-<time>, and the copy renamed over dst (atomic: dst
// is the old ledger or the new one, never a mix). Start-up recovery then
// resolves the intents the backup holds unfinished by Client-Id lookup.
func Restore(ctx context.Context, src, dst string, lockTimeout time.Duration) (RestoreReport, error) {
	if _, err := VerifyFile(ctx, src); err != nil {
		return RestoreReport{}, fmt.Errorf("ledger: restore %s: the backup does not verify, nothing changed: %w", src, err)
	}
	unlock, err := lockFile(dst, lockTimeout)
	if err != nil {
		return RestoreReport{}, err
	}
	defer unlock()
	dir, base := filepath.Split(dst)
	if dir == "" {
		dir = "."
	}
	tmp := filepath.Join(dir, "."+base+".restore")
	os.Remove(tmp)
	defer os.Remove(tmp)
	rep, err := WriteBackup(ctx, tmp, func(w io.Writer) (int64, error) {
		in, err := os.Open(src)
		if err != nil {
			return 0, err
		}
		defer in.Close()
		return io.Copy(ctxWriter{ctx, w}, in)
	})
	if err != nil {
		return RestoreReport{}, fmt.Errorf("ledger: restore %s: %w", src, err)
	}
	out := RestoreReport{BackupReport: rep}
	out.Path = dst
	if _, err := os.Stat(dst); err == nil {
		// Restore runs outside any engine (engine ledger restore), on the
		// system clock.
		var wall clock.Clock
		out.Replaced = dst + ".replaced-" + wall.Now().UTC().Format("20060102T150405Z")
		if err := os.Link(dst, out.Replaced); err != nil {
			return RestoreReport{}, fmt.Errorf("ledger: restore: keep the old ledger: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return RestoreReport{}, fmt.Errorf("ledger: restore: %w", err)
	}
	return out, syncDir(dir)
}

// lockFile takes the exclusive lock bbolt takes for a writer on path, if
// the file exists, waiting at most timeout; ErrInUse past it.
func lockFile(path string, timeout time.Duration) (unlock func(), err error) {
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: restore over %s: %w", path, err)
	}
	// The lock is polled against the system clock, as bbolt polls its
	// own: the wait is the operator's, whatever clock the books keep.
	var wall clock.Clock
	deadline := wall.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || wall.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("ledger: restore over %s: %w (stop the engine first)", path, ErrInUse)
		}
		// Polling the lock with a deadline, as bbolt does: flock has no
		// timed wait.
		t := time.NewTimer(50 * time.Millisecond)
		<-t.C
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// backupPrefix and backupSuffix frame the names of scheduled backups.
const (
	backupPrefix = "ledger-"
	backupSuffix = ".db"
	backupStamp  = "20060102T150405.000Z"
)

// BackupInto writes a scheduled backup into dir (created 0700), named
// ledger-<UTC time>.db by now, and then deletes the oldest scheduled
// backups beyond keep. Files of other names are never touched.
func (s *Store) BackupInto(ctx context.Context, dir string, keep int, now time.Time) (BackupReport, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return BackupReport{}, fmt.Errorf("ledger: backup directory: %w", err)
	}
	path := filepath.Join(dir, backupPrefix+now.UTC().Format(backupStamp)+backupSuffix)
	rep, err := s.BackupFile(ctx, path)
	if err != nil {
		return rep, err
	}
	return rep, PruneBackups(dir, keep)
}

// Backups lists the scheduled backups in dir, oldest first.
func Backups(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		stamp, ok := strings.CutPrefix(name, backupPrefix)
		stamp, ok2 := strings.CutSuffix(stamp, backupSuffix)
		if !ok || !ok2 || !e.Type().IsRegular() {
			continue
		}
		if _, err := time.Parse(backupStamp, stamp); err != nil {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	sort.Strings(out) // the stamp sorts by time
	return out, nil
}

// PruneBackups deletes the oldest scheduled backups in dir beyond keep.
func PruneBackups(dir string, keep int) error {
	all, err := Backups(dir)
	if err != nil {
		return err
	}
	var errs []error
	for len(all) > max(keep, 1) {
		if err := os.Remove(all[0]); err != nil {
			errs = append(errs, err)
		}
		all = all[1:]
	}
	return errors.Join(errs...)
}
