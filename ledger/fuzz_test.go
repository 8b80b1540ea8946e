package ledger

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The decoders of stored records face bytes from disk, which may be
// damaged: they must never panic, and whatever they accept must survive a
// round trip unchanged.

func FuzzDecodeEntry(f *testing.F) {
	e := trade("hercle:trade:1", "0.5", "30000")
	e.Seq, e.Time, e.Recorded, e.Refs = 1, time.Unix(1700000000, 5).UTC(), time.Unix(1700000001, 0).UTC(), map[string]string{"trade_id": "1"}
	b, err := encodeEntry(e)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	r := Reverse(e, time.Unix(1700000002, 0).UTC(), "fix")
	r.Seq = 2
	b, _ = encodeEntry(r)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decodeEntry accepted an entry that does not validate: %v", err)
		}
		b2, err := encodeEntry(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := decodeEntry(b2)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", b2, err)
		}
		if diff := cmp.Diff(e, e2, cmp.AllowUnexported(Account{})); diff != "" {
			t.Fatalf("round trip changed the entry:\n%s", diff)
		}
	})
}

func FuzzDecodeIntent(f *testing.F) {
	in := Intent{ClientID: "W1", Kind: IntentWithdrawal, Venue: Hercle, Request: json.RawMessage(`{"amount":1.5}`),
		State: StateUnknown, History: []Attempt{{To: StatePending}, {From: StatePending, To: StateUnknown, Note: "timeout"}}}
	b, _ := json.Marshal(intentRecord(in))
	f.Add(b)
	f.Add([]byte(`{"client_id":"x","state":"pending","history":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeIntent(b)
		if err != nil {
			return
		}
		b2, err := json.Marshal(intentRecord(in))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeIntent(b2); err != nil {
			t.Fatalf("re-decode of %s: %v", b2, err)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	b, _ := json.Marshal(eventRecord(Event{Source: SourceHercleWebhook, ID: "e1", Body: []byte(`{"a":1}`), Deliveries: 1}))
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(b)
		if err != nil {
			return
		}
		b2, _ := json.Marshal(eventRecord(ev))
		ev2, err := decodeEvent(b2)
		if err != nil || string(ev2.Body) != string(ev.Body) {
			t.Fatalf("round trip: %v, body %q -> %q", err, ev.Body, ev2.Body)
		}
	})
}

func FuzzParseAccount(f *testing.F) {
	for _, s := range []string{"venue:hercle:available", "transit:withdrawal:W1", "external:address:BTC:bc1q:x", "equity:opening", "fees:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAccount(s)
		if err != nil {
			return
		}
		if a.String() != s || a.Class() == "" {
			t.Fatalf("ParseAccount(%q) = %q", s, a)
		}
	})
}
