package ledger

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestAudit: records get increasing ids and the store's time, list oldest
// first through the filter, survive a reopen, and a bad record is refused
// with nothing written; a read-only store over a file without a trail
// lists nothing.
func TestAudit(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	empty, err := s.Audit(ctx, AuditFilter{})
	if err != nil || len(empty) != 0 {
		t.Fatalf("Audit on a new ledger = %v, %v; want none", empty, err)
	}
	t0 := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	for i, a := range []string{"pause", "order", "resume"} {
		r, err := s.PutAudit(ctx, AuditRecord{Time: t0.Add(time.Duration(i) * time.Minute), Who: "desk", Action: a, Target: "x", Result: "ok"})
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != uint64(i+1) {
			t.Errorf("PutAudit(%s).ID = %d, want %d", a, r.ID, i+1)
		}
	}
	zero, err := s.PutAudit(ctx, AuditRecord{Who: "desk", Action: "kill", Result: "ok"})
	if err != nil || zero.Time.IsZero() {
		t.Fatalf("PutAudit without a time = %+v, %v; want the store's clock", zero, err)
	}
	for _, bad := range []AuditRecord{
		{Action: "pause", Result: "ok"},
		{Who: "desk", Result: "ok"},
		{Who: "desk", Action: "pause"},
		{Who: "desk", Action: "pause", Result: "ok", Detail: strings.Repeat("x", maxAuditDetail+1)},
		{Who: "desk", Action: "pause", Result: "ok", Target: "\xff"},
	} {
		if _, err := s.PutAudit(ctx, bad); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("PutAudit(%+v) = %v, want ErrInvalidEntry", bad, err)
		}
	}
	got, err := s.Audit(ctx, AuditFilter{Since: t0.Add(time.Minute), Until: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "order" || got[1].Action != "resume" {
		t.Errorf("Audit(since, until) = %+v, want order then resume", got)
	}
	if got, _ := s.Audit(ctx, AuditFilter{Limit: 2}); len(got) != 2 || got[0].Action != "resume" || got[1].Action != "kill" {
		t.Errorf("Audit(limit 2) = %+v, want the newest two, oldest first", got)
	}
	if got, _ := s.Audit(ctx, AuditFilter{Action: "pause"}); len(got) != 1 || got[0].Who != "desk" || got[0].Target != "x" {
		t.Errorf("Audit(action pause) = %+v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if got, _ := ro.Audit(ctx, AuditFilter{}); len(got) != 4 {
		t.Errorf("after reopening: %d records, want 4", len(got))
	}
}
