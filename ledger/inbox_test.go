package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestInbox(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	body := []byte(`{"EventId":"e1","Type":"trade","Amount":1.50}`)
	ev, dup, err := s.PutEvent(ctx, Event{Source: SourceHercleWebhook, ID: "e1", Type: "trade", Body: body,
		Meta: map[string]string{"timestamp": "1700000000"}})
	if err != nil || dup || ev.Deliveries != 1 || ev.Received.IsZero() {
		t.Fatalf("PutEvent = %+v, %v, %v", ev, dup, err)
	}
	body[0] = 'X' // the store keeps its own copy
	again, dup, err := s.PutEvent(ctx, Event{Source: SourceHercleWebhook, ID: "e1", Body: []byte("other")})
	if err != nil || !dup || again.Deliveries != 2 || string(again.Body) != `{"EventId":"e1","Type":"trade","Amount":1.50}` {
		t.Fatalf("PutEvent(duplicate) = %+v, %v, %v; want the original body, duplicate, 2 deliveries", again, dup, err)
	}
	// Same id from another source is another event.
	if _, dup, err := s.PutEvent(ctx, Event{Source: SourceHeropaymentsCallback, ID: "e1", Body: []byte("{}")}); err != nil || dup {
		t.Fatalf("PutEvent(other source) = %v, %v", dup, err)
	}
	un, _ := s.Unprocessed(ctx)
	if len(un) != 2 {
		t.Fatalf("Unprocessed = %d events, want 2", len(un))
	}
	if err := s.MarkProcessed(ctx, SourceHercleWebhook, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkProcessed(ctx, SourceHercleWebhook, "e1"); err != nil {
		t.Errorf("MarkProcessed twice = %v, want nil", err)
	}
	if err := s.MarkProcessed(ctx, SourceHercleWebhook, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkProcessed(missing) = %v, want ErrNotFound", err)
	}
	un, _ = s.Unprocessed(ctx)
	if len(un) != 1 || un[0].Source != SourceHeropaymentsCallback {
		t.Errorf("Unprocessed = %+v, want the Heropayments event only", un)
	}
	got, err := s.GetEvent(ctx, SourceHercleWebhook, "e1")
	if err != nil || got.Processed.IsZero() || got.Deliveries != 2 {
		t.Errorf("GetEvent = %+v, %v", got, err)
	}
	if _, _, err := s.PutEvent(ctx, Event{Source: "Bad Source", ID: "x"}); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("PutEvent(bad source) = %v, want ErrInvalidEntry", err)
	}
}

func TestCounters(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	day := fixedClock().Now()
	k := DailyNotional(day, "BTCUSDT")
	if k.Day != "2025-03-04" {
		t.Fatalf("DailyNotional day = %q", k.Day)
	}
	steps := []struct {
		op, delta, total string
		applied          bool
	}{
		{"o1", "1000.5", "1000.5", true},
		{"o2", "250", "1250.5", true},
		{"o1", "1000.5", "1250.5", false}, // retried after a crash: once only
		{"o1-release", "-250", "1000.5", true},
	}
	for _, st := range steps {
		total, applied, err := s.AddCounter(ctx, k, st.op, d(st.delta))
		if err != nil || applied != st.applied || !total.Equal(d(st.total)) {
			t.Errorf("AddCounter(%s, %s) = %s, %v, %v; want %s, %v", st.op, st.delta, total, applied, err, st.total, st.applied)
		}
	}
	// The same op id on another counter is another operation.
	w := DailyWithdrawn(day, ExternalAddress("BTC", "bc1qxy"))
	if _, applied, _ := s.AddCounter(ctx, w, "o1", d("0.5")); !applied {
		t.Error("AddCounter on another counter with a used op id was not applied")
	}
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, _ := s2.Counter(ctx, k); !got.Equal(d("1000.5")) {
		t.Errorf("Counter after reopen = %s, want 1000.5", got)
	}
	if got, _ := s2.Counter(ctx, DailyNotional(day.AddDate(0, 0, 1), "BTCUSDT")); !got.IsZero() {
		t.Errorf("next day's counter = %s, want 0", got)
	}
	if _, _, err := s2.AddCounter(ctx, CounterKey{Metric: "notional", Day: "yesterday", Scope: "X"}, "o", d("1")); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("AddCounter(bad day) = %v, want ErrInvalidEntry", err)
	}
}

func TestEventsWalksOneSourceProcessedOrNot(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, ev := range []Event{
		{Source: SourceHercleWebhook, ID: "b", Type: "T", Body: []byte(`{}`)},
		{Source: SourceHercleWebhook, ID: "a", Type: "T", Body: []byte(`{}`)},
		{Source: SourceHeropaymentsCallback, ID: "c", Type: "T", Body: []byte(`{}`)},
	} {
		if _, _, err := s.PutEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkProcessed(ctx, SourceHercleWebhook, "a"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := s.Events(ctx, SourceHercleWebhook, func(ev Event) error {
		ids = append(ids, ev.ID+":"+map[bool]string{true: "done", false: "open"}[!ev.Processed.IsZero()])
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "a:done" || ids[1] != "b:open" {
		t.Errorf("Events = %v, want [a:done b:open]", ids)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Events(ctx, SourceHercleWebhook, func(Event) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("Events with a failing fn = %v after %d calls, want stop after 1", err, n)
	}
}

// TestInboxSchema1 opens a schema 1 file, whose events are JSON records:
// read-only it is read as it is; opened for writing it becomes schema 2,
// its old records still read, and rewritten ones take the binary form.
func TestInboxSchema1(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	received := time.Date(2025, 3, 3, 10, 0, 0, 5, time.UTC)
	old := Event{Source: SourceHercleWebhook, ID: "e1", Type: "Balance.Updated", Body: []byte(`{"a":1}`),
		Meta: map[string]string{"timestamp": "1700000000"}, Received: received, Deliveries: 1}
	rec, err := json.Marshal(eventRecord(old))
	if err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		k := eventKey(old.Source, old.ID)
		if err := tx.Bucket(bucketInbox).Put(k, rec); err != nil {
			return err
		}
		if err := tx.Bucket(bucketInboxPending).Put(k, nil); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(metaSchema, []byte("1"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	schema := func(s *Store) (v string) {
		s.view(ctx, func(tx *bbolt.Tx) error { v = string(tx.Bucket(bucketMeta).Get(metaSchema)); return nil })
		return v
	}

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ro.GetEvent(ctx, old.Source, old.ID)
	v := schema(ro)
	ro.Close()
	if err != nil || !reflect.DeepEqual(got, old) {
		t.Fatalf("schema 1 event read-only = %+v, %v; want %+v", got, err, old)
	}
	if v != "1" {
		t.Fatalf("a read-only open changed the schema to %s", v)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := schema(s); v != strconv.Itoa(SchemaVersion) {
		t.Fatalf("schema after a writable open = %s, want %d", v, SchemaVersion)
	}
	if un, err := s.Unprocessed(ctx); err != nil || len(un) != 1 || !reflect.DeepEqual(un[0], old) {
		t.Fatalf("Unprocessed = %+v, %v", un, err)
	}
	if err := s.MarkProcessed(ctx, old.Source, old.ID); err != nil {
		t.Fatal(err)
	}
	var stored []byte
	s.view(ctx, func(tx *bbolt.Tx) error {
		stored = bytes.Clone(tx.Bucket(bucketInbox).Get(eventKey(old.Source, old.ID)))
		return nil
	})
	if len(stored) == 0 || stored[0] != eventRecordV1 {
		t.Fatalf("rewritten record %q is not in the binary form", stored)
	}
	got, err = s.GetEvent(ctx, old.Source, old.ID)
	if err != nil || got.Processed.IsZero() || got.Meta["timestamp"] != "1700000000" || string(got.Body) != `{"a":1}` || !got.Received.Equal(received) {
		t.Fatalf("event after MarkProcessed = %+v, %v", got, err)
	}
}
