package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
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
		if kind, at, ok := entryHead(b); !ok || Kind(kind) != e.Kind || !at.Equal(e.Time) {
			t.Fatalf("entryHead = %q %s %v; the entry has %q %s", kind, at, ok, e.Kind, e.Time)
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

// FuzzDecodeEvent: a record that decodes, in either form, re-encodes to
// a binary record that decodes to the same event.
func FuzzDecodeEvent(f *testing.F) {
	ev := Event{Source: SourceHercleWebhook, ID: "e1", Type: "Balance.Updated", Body: []byte(`{"a":1}`),
		Meta: map[string]string{"timestamp": "1700000000", "x": ""}, Received: time.Unix(1700000000, 5).UTC(), Deliveries: 2}
	b, _ := json.Marshal(eventRecord(ev))
	f.Add(b)
	f.Add(encodeEvent(ev))
	ev.Processed, ev.Meta = ev.Received.Add(time.Second), nil
	f.Add(encodeEvent(ev))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(b)
		if err != nil {
			return
		}
		b2 := encodeEvent(ev)
		ev2, err := decodeEvent(b2)
		if err != nil {
			t.Fatalf("re-decode of %q: %v", b2, err)
		}
		// Times compare by instant: a JSON record may carry a zone.
		ev.Received, ev.Processed = ev.Received.UTC(), ev.Processed.UTC()
		if len(ev.Meta) == 0 {
			ev.Meta = nil
		}
		if !ev.Received.Equal(ev2.Received) || !ev.Processed.Equal(ev2.Processed) || string(ev.Body) != string(ev2.Body) {
			t.Fatalf("round trip: %+v -> %+v", ev, ev2)
		}
		ev.Received, ev.Processed, ev.Body = ev2.Received, ev2.Processed, ev2.Body
		if !reflect.DeepEqual(ev, ev2) {
			t.Fatalf("round trip: %+v -> %+v", ev, ev2)
		}
		if b3 := encodeEvent(ev2); !bytes.Equal(b2, b3) {
			t.Fatalf("encoding is not stable: %q then %q", b2, b3)
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

// FuzzParseAmount: the int64 fast path gives exactly what
// decimal.NewFromString gives, coefficient and exponent alike.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "-0", "1", "-1.5", "0.012345", "59123.45", "007.0100", "999999999999999999",
		"9999999999999999999", "-0.000000000000000001", "1.", ".5", "-", "1.2.3", "1e5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseAmount([]byte(s))
		want, werr := decimal.NewFromString(s)
		if err != nil {
			return // refused forms are refused whatever NewFromString says
		}
		if werr != nil {
			t.Fatalf("parseAmount(%q) = %s, NewFromString refuses it: %v", s, got, werr)
		}
		if got.Coefficient().Cmp(want.Coefficient()) != 0 || got.Exponent() != want.Exponent() {
			t.Fatalf("parseAmount(%q) = %se%d, NewFromString %se%d", s, got.Coefficient(), got.Exponent(), want.Coefficient(), want.Exponent())
		}
	})
}

// FuzzSplitBalanceKey: a stored balance key that decodes names a valid
// account and asset and is exactly the key balanceKey makes for them.
func FuzzSplitBalanceKey(f *testing.F) {
	f.Add(balanceKey(VenueAvailable(Hercle), "BTC"))
	f.Add(balanceKey(ExternalAddress("BTC", "bc1q:x"), "USDT"))
	f.Add([]byte("venue:hercle:available"))
	f.Add([]byte("\x00BTC"))
	f.Add([]byte("equity:opening\x00btc"))
	f.Fuzz(func(t *testing.T, k []byte) {
		a, asset, err := splitBalanceKey(k)
		if err != nil {
			return
		}
		if _, err := ParseAccount(a.String()); err != nil || !validCode(string(asset)) {
			t.Fatalf("splitBalanceKey(%q) = %q %q, not a valid account and asset", k, a, asset)
		}
		if got := balanceKey(a, asset); !bytes.Equal(got, k) {
			t.Fatalf("splitBalanceKey(%q) = %q %q, which make key %q", k, a, asset, got)
		}
	})
}

// A stored record with anything after its JSON object is corrupt, a
// stray closing brace included (json.Decoder.More misses it).
func TestDecodeIntentRefusesTrailingData(t *testing.T) {
	in := Intent{ClientID: "W1", Kind: IntentWithdrawal, Venue: Hercle, State: StatePending, History: []Attempt{{To: StatePending}}}
	b, err := json.Marshal(intentRecord(in))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeIntent(b); err != nil {
		t.Fatalf("decodeIntent(valid) = %v", err)
	}
	for _, tail := range []string{"}", "]", " {}", ","} {
		if _, err := decodeIntent(append(slices.Clone(b), tail...)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decodeIntent(record + %q) = %v, want ErrCorrupt", tail, err)
		}
	}
}
