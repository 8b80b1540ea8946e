package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func report(breaks int, at time.Time) Report {
	return Report{Started: at, Finished: at.Add(time.Second), Breaks: breaks,
		Body: json.RawMessage(fmt.Sprintf(`{"breaks":%d}`, breaks))}
}

func TestReportsStoreListAndPrune(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

	if _, err := s.LastReport(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastReport on a new ledger = %v, want ErrNotFound", err)
	}
	if rs, err := s.Reports(ctx, 0); err != nil || len(rs) != 0 {
		t.Fatalf("Reports on a new ledger = %v, %v; want none", rs, err)
	}
	for i, breaks := range []int{0, 2, 0, 3} {
		r, err := s.PutReport(ctx, report(breaks, at.Add(time.Duration(i)*time.Minute)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != uint64(i+1) {
			t.Fatalf("report %d got id %d", i, r.ID)
		}
	}
	last, err := s.LastReport(ctx)
	if err != nil || last.ID != 4 || last.Breaks != 3 || last.Clean() {
		t.Fatalf("LastReport = %+v, %v; want id 4 with 3 breaks", last, err)
	}
	clean, err := s.LastCleanReport(ctx)
	if err != nil || clean.ID != 3 || !clean.Clean() || !clean.Started.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("LastCleanReport = %+v, %v; want id 3", clean, err)
	}
	if string(clean.Body) != `{"breaks":0}` {
		t.Fatalf("body = %s", clean.Body)
	}
	rs, err := s.Reports(ctx, 2)
	if err != nil || len(rs) != 2 || rs[0].ID != 4 || rs[1].ID != 3 {
		t.Fatalf("Reports(2) = %v, %v; want ids 4, 3", rs, err)
	}

	// keep 2: the fifth report prunes 1 to 3.
	if _, err := s.PutReport(ctx, report(1, at.Add(time.Hour)), 2); err != nil {
		t.Fatal(err)
	}
	rs, err = s.Reports(ctx, 0)
	if err != nil || len(rs) != 2 || rs[0].ID != 5 || rs[1].ID != 4 {
		t.Fatalf("after pruning Reports = %v, %v; want ids 5, 4", rs, err)
	}
	if _, err := s.LastCleanReport(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastCleanReport after pruning every clean one = %v, want ErrNotFound", err)
	}
	mustVerify(t, s)

	// Durable, and readable read-only.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	got, err := ro.LastReport(ctx)
	if err != nil || got.ID != 5 {
		t.Fatalf("read-only LastReport = %+v, %v", got, err)
	}
	if _, err := ro.PutReport(ctx, report(0, at), 0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only PutReport = %v, want ErrReadOnly", err)
	}
}

func TestPutReportRefusesInvalid(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	for name, r := range map[string]Report{
		"no times":        {Body: json.RawMessage(`{}`)},
		"finish < start":  {Started: at, Finished: at.Add(-time.Second), Body: json.RawMessage(`{}`)},
		"negative breaks": {Started: at, Finished: at, Breaks: -1, Body: json.RawMessage(`{}`)},
		"array body":      {Started: at, Finished: at, Body: json.RawMessage(`[]`)},
		"invalid body":    {Started: at, Finished: at, Body: json.RawMessage(`{"a":`)},
		"empty body":      {Started: at, Finished: at},
		"huge body":       {Started: at, Finished: at, Body: json.RawMessage(`{"a":"` + string(make([]byte, MaxReportBody)) + `"}`)},
	} {
		if _, err := s.PutReport(ctx, r, 0); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("PutReport(%s) = %v, want ErrInvalidEntry", name, err)
		}
	}
	if _, err := s.LastReport(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused report was stored: %v", err)
	}
}

// An old ledger file has no reports bucket; a read-only store over it
// lists no reports instead of failing.
func TestReportsOnFileWithoutBucket(t *testing.T) {
	s, path := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.LastReport(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastReport = %v, want ErrNotFound", err)
	}
}

func FuzzDecodeReport(f *testing.F) {
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	r := report(2, at)
	r.ID = 7
	b, err := encodeReport(r)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte(`{"id":1,"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T09:00:00Z","breaks":0,"body":{}}`))
	f.Add([]byte(`{"id":1,"started":"2025-03-04T10:00:00Z","finished":"2025-03-04T10:00:00Z","breaks":0,"body":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeReport(b)
		if err != nil {
			return
		}
		if err := r.validate(); err != nil || r.ID == 0 {
			t.Fatalf("decodeReport accepted an invalid report %+v: %v", r, err)
		}
		b2, err := encodeReport(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := decodeReport(b2)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", b2, err)
		}
		if diff := cmp.Diff(r, r2); diff != "" {
			t.Fatalf("round trip changed the report:\n%s", diff)
		}
	})
}
