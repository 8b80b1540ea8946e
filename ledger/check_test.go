package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestCheck: the first Check verifies in full and records a checkpoint;
// the next ones decode only what came after it.
func TestCheck(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for i := range 10 {
		post(t, s, trade("t"+strconv.Itoa(i), "1", "100"))
	}
	rep, err := s.Check(ctx)
	if err != nil || !rep.Full || rep.Seq != 10 {
		t.Fatalf("first Check = %+v, %v; want a full check of 10 entries", rep, err)
	}
	for i := range 3 {
		post(t, s, trade("u"+strconv.Itoa(i), "1", "100"))
	}
	rep, err = s.Check(ctx)
	if err != nil || rep.Full || rep.Since != 10 || rep.Checked != 3 || rep.Seq != 13 {
		t.Fatalf("second Check = %+v, %v; want a quick check of the 3 entries after 10", rep, err)
	}
}

// tamper closes nothing: it rewrites the file at path (closed) with fn
// applied in a bbolt write transaction, as a disk or an editor would.
func tamper(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsAChangedPosting: one posting's amount changed in place
// (the same length), in an entry before the checkpoint: the quick check
// fails without decoding the entry, and the full check it falls back on
// names it. The same for a stored balance changed.
func TestCheckFindsAChangedPosting(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(tx *bbolt.Tx) error
		want string
	}{
		{"journal", func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketJournal)
			k := seqKey(3)
			v := append([]byte(nil), b.Get(k)...)
			i := bytes.Index(v, []byte("100"))
			if i < 0 {
				t.Fatal("no amount to change in entry 3")
			}
			v[i] = '9'
			return b.Put(k, v)
		}, "t2"},
		{"balance", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketBalances).Put(balanceKey(VenueAvailable(Hercle), "BTC"), []byte("7"))
		}, "venue:hercle:available BTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, path := openTemp(t)
			ctx := context.Background()
			for i := range 5 {
				post(t, s, trade("t"+strconv.Itoa(i), "1", "100"))
			}
			if _, err := s.Check(ctx); err != nil {
				t.Fatal(err)
			}
			post(t, s, trade("later", "1", "100"))
			s.Close()
			tamper(t, path, tc.edit)
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rep, err := s.Check(ctx)
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrCorrupt) || !rep.Full {
				t.Fatalf("Check of tampered books = %+v, %v; want a full check's VerifyError", rep, err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

// TestDamagedPagesNeverPanic: whichever page of the file is damaged, every
// read and write of an open store returns an error (or works, if the page
// is unused) and never panics: a damaged file must not crash-loop the
// engine.
func TestDamagedPagesNeverPanic(t *testing.T) {
	s, path := openTemp(t)
	for i := range 800 {
		post(t, s, trade("t"+strconv.Itoa(i), "1", "100"))
	}
	s.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	for pg := 2; (pg+1)*4096 <= len(good); pg++ {
		// A file per page: a failed open of a damaged file keeps its lock.
		damaged := filepath.Join(dir, "damaged-"+strconv.Itoa(pg)+".db")
		b := append([]byte(nil), good...)
		for i := pg * 4096; i < pg*4096+64; i++ {
			b[i] ^= 0xa5
		}
		if err := os.WriteFile(damaged, b, 0o600); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("page %d damaged: panic: %v", pg, r)
				}
			}()
			st, err := Open(damaged, Options{})
			if err != nil {
				return
			}
			defer st.Close()
			st.Check(ctx)
			st.Balances(ctx)
			st.Entries(ctx, Filter{})
			st.Unfinished(ctx)
			if _, _, err := st.Post(ctx, trade("new", "1", "100")); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInvalidEntry) {
				t.Logf("page %d damaged: Post = %v", pg, err)
			}
		}()
	}
}

// TestOpenRefusesDamagedPages: a page in use damaged anywhere in the
// file (the freelist, the bucket directory, a branch or leaf of any
// bucket) makes Open fail, read-only as read-write, with ErrCorrupt or
// ErrNotLedger naming the file; so no command reads a part of the books
// and acts on it while another part is unreadable. Only a page bbolt
// lists as free may be damaged unnoticed.
func TestOpenRefusesDamagedPages(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	for i := range 300 {
		post(t, s, trade("t"+strconv.Itoa(i), "1", "100"))
		if _, _, err := s.CreateIntent(ctx, Intent{ClientID: "c" + strconv.Itoa(i), Kind: IntentOrder, Venue: Hercle}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Which pages are in use, as bbolt sees them (a read-write open loads
	// the freelist).
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	var used []int
	db.View(func(tx *bbolt.Tx) error {
		for id := 2; ; id++ {
			p, err := tx.Page(id)
			if p == nil || err != nil {
				return err
			}
			if p.Type != "free" {
				used = append(used, id)
				types[p.Type]++
			}
		}
	})
	db.Close()
	if types["branch"] == 0 || types["leaf"] == 0 || types["freelist"] == 0 {
		t.Fatalf("pages in use by type = %v, want branch, leaf and freelist pages", types)
	}
	dir := t.TempDir()
	for _, pg := range used {
		for _, ro := range []bool{true, false} {
			// A file per open: a failed open of a damaged file keeps its lock.
			damaged := filepath.Join(dir, fmt.Sprintf("damaged-%d-%t.db", pg, ro))
			b := bytes.Clone(good)
			for i := pg * 4096; i < pg*4096+64; i++ {
				b[i] ^= 0xa5
			}
			if err := os.WriteFile(damaged, b, 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := Open(damaged, Options{ReadOnly: ro})
			if err == nil {
				st.Close()
				t.Errorf("page %d damaged: Open(read-only %t) = nil, want an error", pg, ro)
				continue
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotLedger) || !strings.Contains(err.Error(), damaged) {
				t.Errorf("page %d damaged: Open(read-only %t) = %v, want ErrCorrupt or ErrNotLedger naming the file", pg, ro, err)
			}
			if after, _ := os.ReadFile(damaged); !bytes.Equal(after, b) {
				t.Errorf("page %d damaged: Open(read-only %t) wrote to the file", pg, ro)
			}
		}
	}
}

// BenchmarkCheck1M is the start-up check of a ledger of 1,000,000 entries
// (trades of four postings) against a checkpoint 1,000 entries old: the
// quick path (every record hashed, the last 1,000 decoded), and the full
// one (no checkpoint: every entry decoded, the balances rebuilt); and the
// Open that precedes it, which reads every page header (a damaged page
// anywhere is refused before anything reads the books).
//
//	go test -run '^$' -bench Check1M -benchtime 3x ./ledger/
func BenchmarkCheck1M(b *testing.B) {
	const total, tail = 1_000_000, 1_000
	s, path := openTemp(b)
	ctx := context.Background()
	fill := func(from, to int) {
		for lo := from; lo < to; lo += 2000 {
			err := s.write(ctx, func(tx *bbolt.Tx) error {
				for i := lo; i < min(lo+2000, to); i++ {
					e, err := s.prepare(trade("t"+strconv.Itoa(i), "0.001", "60.25"))
					if err != nil {
						return err
					}
					if _, err := s.postTx(tx, e); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	fill(0, total-tail)
	if _, err := s.Check(ctx); err != nil {
		b.Fatal(err)
	}
	fill(total-tail, total)
	var cp []byte
	s.db.View(func(tx *bbolt.Tx) error { cp = append(cp, tx.Bucket(bucketMeta).Get(metaCheckpoint)...); return nil })
	restore := func() {
		s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaCheckpoint, cp) })
	}
	b.Run("quick", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			restore()
			b.StartTimer()
			if rep, err := s.Check(ctx); err != nil || rep.Full {
				b.Fatalf("Check = %+v, %v", rep, err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaCheckpoint) })
			b.StartTimer()
			if rep, err := s.Check(ctx); err != nil || !rep.Full {
				b.Fatalf("Check = %+v, %v", rep, err)
			}
		}
	})
	s.Close() // Open takes the file's lock
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			o, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			o.Close()
		}
	})
}
