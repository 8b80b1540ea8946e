package ledger

import (
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

// TestVerifyReportsDamagedPages: Verify is the check an operator runs on a
// suspect file (engine ledger verify). Whichever page of the file is
// damaged, Open refuses the file (ErrNotLedger, or ErrCorrupt from its
// page check) or Verify reports ErrCorrupt (or the damage is in a page no
// longer used), and nothing panics.
func TestVerifyReportsDamagedPages(t *testing.T) {
	s, path := openTemp(t)
	for i := range 1500 {
		if _, _, err := s.Post(context.Background(), trade("t"+strconv.Itoa(i), "1", "100")); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	reported := 0
	for pg := 2; (pg+1)*4096 <= len(good); pg++ {
		b := append([]byte(nil), good...)
		for i := pg * 4096; i < pg*4096+64; i++ { // the page header and its first elements
			b[i] ^= 0xa5
		}
		if err := os.WriteFile(damaged, b, 0o600); err != nil {
			t.Fatal(err)
		}
		ro, err := Open(damaged, Options{ReadOnly: true})
		if err != nil {
			if !errors.Is(err, ErrNotLedger) && !errors.Is(err, ErrCorrupt) {
				t.Errorf("page %d damaged: Open = %v, want ErrNotLedger or ErrCorrupt", pg, err)
			}
			reported++
			continue
		}
		err = func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("page %d damaged: Verify panicked: %v", pg, r)
				}
			}()
			return ro.Verify(context.Background())
		}()
		ro.Close()
		switch {
		case err == nil:
		case errors.Is(err, ErrCorrupt):
			reported++
		default:
			t.Errorf("page %d damaged: Verify = %v, want nil or ErrCorrupt", pg, err)
		}
	}
	if reported == 0 {
		t.Error("neither Open nor Verify reported any of the damaged pages")
	}
}

// TestVerifyDecodesEveryRecord: a record outside the journal that no
// longer decodes (an intent, an inbox event, a counter) is a problem Verify
// names by its key, though the journal and the balances are intact.
func TestVerifyDecodesEveryRecord(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		bucket []byte
		key    string
	}{
		{bucketIntents, "c1"},
		{bucketInbox, string(eventKey(SourceHercleWebhook, "e1"))},
		{bucketCounters, "notional\x002025-03-04\x00all"},
	} {
		t.Run(string(tc.bucket), func(t *testing.T) {
			s, path := openTemp(t)
			post(t, s, trade("t1", "1", "100"))
			if _, _, err := s.CreateIntent(ctx, Intent{ClientID: "c1", Kind: IntentOrder, Venue: Hercle}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.PutEvent(ctx, Event{Source: SourceHercleWebhook, ID: "e1", Type: "trade", Body: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, s)
			s.Close()
			tamper(t, path, func(tx *bbolt.Tx) error { return tx.Bucket(tc.bucket).Put([]byte(tc.key), []byte("\x00garbage")) })
			ro, err := Open(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			err = ro.Verify(ctx)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("%s %q", tc.bucket, tc.key)) {
				t.Errorf("Verify with a garbled %s record = %v, want ErrCorrupt naming %q", tc.bucket, err, tc.key)
			}
		})
	}
}
