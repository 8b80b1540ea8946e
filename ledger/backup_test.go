package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// TestBackupWhileWriting: a backup taken while writers post is a
// consistent ledger (it verifies) holding a prefix of the journal, and
// a restore of it into a new path opens with exactly that journal.
func TestBackupWhileWriting(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := s.Post(ctx, trade(fmt.Sprintf("w%d-%d", w, i), "1", "100")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	dir := t.TempDir()
	var reps []BackupReport
	for i := range 5 {
		rep, err := s.BackupFile(ctx, filepath.Join(dir, "b"+strconv.Itoa(i)+".db"))
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	close(stop)
	wg.Wait()
	last, err := s.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reps[4].Seq == 0 || reps[4].Seq >= last {
		t.Fatalf("last backup holds %d entries of %d: the writers did not run across the backups", reps[4].Seq, last)
	}
	for i := 1; i < len(reps); i++ {
		if reps[i].Seq < reps[i-1].Seq {
			t.Errorf("backup %d holds %d entries, the one before %d", i, reps[i].Seq, reps[i-1].Seq)
		}
	}
	if fi, err := os.Stat(reps[0].Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	dst := filepath.Join(t.TempDir(), "restored.db")
	rr, err := Restore(ctx, reps[2].Path, dst, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Replaced != "" || rr.Seq != reps[2].Seq {
		t.Errorf("Restore = %+v; want nothing replaced and %d entries", rr, reps[2].Seq)
	}
	r, err := Open(dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, _ := r.LastSeq(ctx); n != reps[2].Seq {
		t.Errorf("restored ledger holds %d entries, the backup %d", n, reps[2].Seq)
	}
	if err := r.Verify(ctx); err != nil {
		t.Errorf("restored ledger: %v", err)
	}
}

// TestBackupRefusesAnExistingFile: a backup never overwrites a file.
func TestBackupRefusesAnExistingFile(t *testing.T) {
	s, _ := openTemp(t)
	path := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BackupFile(context.Background(), path); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("BackupFile over an existing file = %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Errorf("the existing file was changed")
	}
}

// TestRestoreRefuses: a backup that does not verify, or a ledger held by a
// running engine, changes nothing.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	post(t, s, trade("t1", "1", "100"))
	good := filepath.Join(t.TempDir(), "good.db")
	if _, err := s.BackupFile(ctx, good); err != nil {
		t.Fatal(err)
	}
	s.Close()

	tampered := filepath.Join(t.TempDir(), "tampered.db")
	copyFile(t, good, tampered)
	tamper(t, tampered, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBalances).Put(balanceKey(VenueAvailable(Hercle), "BTC"), []byte("7"))
	})
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("x"), 8192), 0o600); err != nil {
		t.Fatal(err)
	}

	dst, _ := openTemp(t) // a running engine's ledger
	post(t, dst, trade("mine", "1", "100"))
	before, err := os.ReadFile(dst.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, src string
		want      error
	}{
		{"tampered", tampered, ErrCorrupt},
		{"garbage", garbage, ErrNotLedger},
		{"held", good, ErrInUse},
	} {
		if _, err := Restore(ctx, tc.src, dst.Path(), 100*time.Millisecond); !errors.Is(err, tc.want) {
			t.Errorf("%s: Restore = %v, want %v", tc.name, err, tc.want)
		}
		if after, _ := os.ReadFile(dst.Path()); !bytes.Equal(before, after) {
			t.Errorf("%s: the ledger was changed", tc.name)
		}
	}
	path := dst.Path()
	dst.Close()
	rr, err := Restore(ctx, good, path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if old, err := os.ReadFile(rr.Replaced); err != nil || !bytes.Equal(old, before) {
		t.Errorf("the replaced ledger is not kept at %q: %v", rr.Replaced, err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Entry(ctx, "t1"); err != nil {
		t.Errorf("restored ledger lacks the backup's entry: %v", err)
	}
	if _, err := r.Entry(ctx, "mine"); !errors.Is(err, ErrNotFound) {
		t.Errorf("restored ledger still holds the replaced one's entry: %v", err)
	}
}

// TestScheduledBackupsKeepTheNewest: BackupInto names backups by time and
// prunes the oldest beyond keep, leaving other files alone.
func TestScheduledBackupsKeepTheNewest(t *testing.T) {
	s, _ := openTemp(t)
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var made []string
	for i := range 5 {
		post(t, s, trade("s"+strconv.Itoa(i), "1", "100"))
		rep, err := s.BackupInto(context.Background(), dir, 3, t0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, rep.Path)
	}
	got, err := Backups(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := made[2:]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Backups = %v, want %v", got, want)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not a backup was removed: %v", err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
