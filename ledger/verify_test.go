package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
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
