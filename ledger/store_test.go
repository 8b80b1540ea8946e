package ledger

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"go.etcd.io/bbolt"
)

func TestOpenCreatesPrivateFileAndReopens(t *testing.T) {
	s, path := openTemp(t)
	if _, _, err := s.Post(context.Background(), trade("t1", "1", "100")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if names, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(names) != 1 {
		t.Errorf("files next to the ledger after creating it: %v", names)
	}
	if names, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(names) != 0 {
		t.Errorf("temporary files left after creating the ledger: %v", names)
	}
	if _, _, err := s.Post(context.Background(), trade("t2", "1", "100")); !errors.Is(err, ErrClosed) {
		t.Errorf("Post after Close = %v, want ErrClosed", err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Entry(context.Background(), "t1"); err != nil {
		t.Errorf("Entry(t1) after reopen = %v", err)
	}
	if _, _, err := ro.Post(context.Background(), trade("t2", "1", "100")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Post on a read-only store = %v, want ErrReadOnly", err)
	}
}

// TestOpenRefuses: a corrupt, foreign, newer or unreachable file gives a
// clear error and is left byte for byte as it was.
func TestOpenRefuses(t *testing.T) {
	ledgerBytes := func(t *testing.T, mutate func(tx *bbolt.Tx) error) []byte {
		t.Helper()
		s, path := openTemp(t)
		if _, _, err := s.Post(context.Background(), trade("t1", "1", "100")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if mutate != nil {
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(mutate); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	foreign := func(t *testing.T) []byte {
		p := filepath.Join(t.TempDir(), "other.db")
		db, err := bbolt.Open(p, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
		db.Close()
		b, _ := os.ReadFile(p)
		return b
	}
	garbledMeta := func(t *testing.T) []byte {
		b := ledgerBytes(t, nil)
		for i := 16; i < 80; i++ { // both meta pages, past the page header
			b[i] ^= 0x5a
			b[4096+i] ^= 0x5a
		}
		return b
	}
	// foreignUnsyncedFreelist is another program's bbolt file written with
	// NoFreelistSync (as etcd writes its files): bbolt's read-write Open
	// commits a transaction to such a file before anyone can look at it.
	foreignUnsyncedFreelist := func(t *testing.T) []byte {
		p := filepath.Join(t.TempDir(), "other.db")
		db, err := bbolt.Open(p, 0o600, &bbolt.Options{NoFreelistSync: true})
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
		db.Close()
		b, _ := os.ReadFile(p)
		return b
	}
	// bigLedger is a ledger spanning many pages, for truncation.
	bigLedger := func(t *testing.T) []byte {
		s, path := openTemp(t)
		for i := range 1500 {
			if _, _, err := s.Post(context.Background(), trade("t"+strconv.Itoa(i), "1", "100")); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		file func(t *testing.T) []byte
		want error
	}{
		{"empty file", func(*testing.T) []byte { return []byte{} }, ErrNotLedger},
		{"another program's bbolt file without a synced freelist", foreignUnsyncedFreelist, ErrNotLedger},
		{"truncated to half", func(t *testing.T) []byte { b := bigLedger(t); return b[:len(b)/2] }, ErrNotLedger},
		{"last page cut off", func(t *testing.T) []byte {
			// bbolt may grow a file past its pages; cut into the pages.
			b := bigLedger(t)
			p := filepath.Join(t.TempDir(), "full.db")
			os.WriteFile(p, b, 0o600)
			db, err := bbolt.Open(p, 0o600, &bbolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var size int64
			db.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })
			db.Close()
			return b[:size-4096]
		}, ErrNotLedger},
		{"text file", func(*testing.T) []byte { return []byte("mode = \"paper\"\n") }, ErrNotLedger},
		{"random bytes", func(*testing.T) []byte { return bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096) }, ErrNotLedger},
		{"garbled meta pages", garbledMeta, ErrNotLedger},
		{"another program's bbolt file", foreign, ErrNotLedger},
		{"newer schema", func(t *testing.T) []byte {
			return ledgerBytes(t, func(tx *bbolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(metaSchema, []byte(strconv.Itoa(SchemaVersion+1)))
			})
		}, ErrNewerSchema},
		{"wrong format name", func(t *testing.T) []byte {
			return ledgerBytes(t, func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaFormat, []byte("x")) })
		}, ErrNotLedger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.file(t)
			path := filepath.Join(t.TempDir(), "ledger.db")
			if err := os.WriteFile(path, body, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					s.Close()
				}
				if !errors.Is(err, tt.want) {
					t.Fatalf("Open(ReadOnly=%v) = %v, want %v", ro, err, tt.want)
				}
				t.Logf("error text: %v", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(body, after) {
				t.Error("a refused Open changed the file")
			}
		})
	}
}

func TestOpenReadOnlyDirectory(t *testing.T) {
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// Root ignores permission bits but not the immutable attribute.
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("running as root and chattr +i failed (%v: %s)", err, out)
		}
		defer exec.Command("chattr", "-i", dir).Run()
	} else {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
	}
	path := filepath.Join(dir, "ledger.db")
	_, err := Open(path, Options{})
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Open in a read-only directory = %v, want a permission error", err)
	}
	t.Logf("error text: %v", err)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed Open left a file behind: %v", err)
	}
}

func TestOpenReadOnlyMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.db")
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(read-only, missing) = %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a read-only Open created the file")
	}
}

func TestOpenSameProcessInUse(t *testing.T) {
	_, path := openTemp(t)
	if _, err := Open(path, Options{LockTimeout: 50e6}); !errors.Is(err, ErrInUse) {
		t.Errorf("second Open = %v, want ErrInUse", err)
	}
}

// TestOpenCreatesThroughSymlink: a ledger path that is a symlink to a file
// not yet created (a data volume) gets the ledger created at the target.
func TestOpenCreatesThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "data", "ledger.db")
	if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "ledger.db")
	if err := os.Symlink(filepath.Join("data", "ledger.db"), link); err != nil {
		t.Fatal(err)
	}
	s, err := Open(link, Options{})
	if err != nil {
		t.Fatalf("Open(symlink to a missing file) = %v", err)
	}
	if _, _, err := s.Post(context.Background(), trade("t1", "1", "1")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v, %v", fi.Mode(), err)
	}
	ro, err := Open(target, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Entry(context.Background(), "t1"); err != nil {
		t.Errorf("entry at the symlink's target: %v", err)
	}
}
