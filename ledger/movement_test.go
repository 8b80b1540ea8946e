package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestDestination(t *testing.T) {
	for _, c := range []struct {
		network, address string
		want             Account
	}{
		{"Lightning", "lnbc1u1p3xyz", ExternalLightning("lnbc1u1p3xyz")},
		{"SEPA", "DE89 3704 0044 0532 0130 00", ExternalBank("DE89370400440532013000")},
		{"swift", "GB29NWBK60161331926819", ExternalBank("GB29NWBK60161331926819")},
		{" btc ", " bc1qxy ", ExternalAddress("BTC", "bc1qxy")},
		{"ERC20", "", ExternalUnknown()},
		{"ETH", "has space", ExternalUnknown()},
		{"", "bc1qxy", ExternalUnknown()}, // no network: no valid address account
	} {
		if got := Destination(c.network, c.address); got != c.want {
			t.Errorf("Destination(%q, %q) = %s, want %s", c.network, c.address, got, c.want)
		}
	}
}

func TestEntryTo(t *testing.T) {
	for _, c := range []struct {
		refs map[string]string
		want Account
		ok   bool
	}{
		{map[string]string{RefTo: "external:lightning:ln"}, ExternalLightning("ln"), true},
		{map[string]string{RefTo: "venue:hercle:available"}, VenueAvailable(Hercle), true},
		{map[string]string{RefTo: "transit:bank:B1"}, Account{}, false},
		{map[string]string{RefTo: "external:bank:has space"}, Account{}, false},
		{map[string]string{"destination": "ln"}, Account{}, false},
		{nil, Account{}, false},
	} {
		got, ok := Entry{Refs: c.refs}.To()
		if got != c.want || ok != c.ok {
			t.Errorf("Entry{Refs: %v}.To() = %s, %v; want %s, %v", c.refs, got, ok, c.want, c.ok)
		}
	}
}

func TestSentTo(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	post := func(cid string, refs map[string]string) {
		t.Helper()
		if _, _, err := s.Post(ctx, Entry{Key: SentKey(cid), Kind: KindWithdrawal, ClientID: cid, Refs: refs, Postings: []Posting{
			{Account: VenueAvailable(Hercle), Asset: "BTC", Amount: decimal.RequireFromString("-1")},
			{Account: Transit(TransitWithdrawal, cid), Asset: "BTC", Amount: decimal.RequireFromString("1")},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	post("W1", map[string]string{RefTo: "external:address:BTC:bc1qxy"})
	post("W2", nil)
	for _, c := range []struct {
		cid  string
		want Account
		ok   bool
	}{
		{"W1", ExternalAddress("BTC", "bc1qxy"), true},
		{"W2", Account{}, false}, // no ref
		{"W3", Account{}, false}, // no sent entry
	} {
		got, ok, err := SentTo(ctx, s, c.cid)
		if err != nil || got != c.want || ok != c.ok {
			t.Errorf("SentTo(%s) = %s, %v, %v; want %s, %v", c.cid, got, ok, err, c.want, c.ok)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SentTo(ctx, s, "W1"); err == nil {
		t.Error("SentTo on a closed store: no error")
	}
}

// A movement's settled and failed entries exclude each other: whichever
// is posted second is refused and writes nothing; posting the first again
// is still the idempotent no-op.
func TestOutcomesExcludeEachOther(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	one := decimal.RequireFromString("1")
	out := func(key string, to Account) Entry {
		return Entry{Key: key, Kind: KindWithdrawalSettled, ClientID: "W1", Postings: []Posting{
			{Account: Transit(TransitWithdrawal, "W1"), Asset: "BTC", Amount: one.Neg()},
			{Account: to, Asset: "BTC", Amount: one},
		}}
	}
	failed := out(FailedKey("W1"), VenueAvailable(Hercle))
	failed.Kind = KindWithdrawalFailed
	if _, created, err := s.Post(ctx, failed); err != nil || !created {
		t.Fatalf("Post(failed) = %v, %v", created, err)
	}
	if _, _, err := s.Post(ctx, out(SettledKey("W1"), ExternalAddress("BTC", "bc1qxy"))); !errors.Is(err, ErrOutcomeConflict) {
		t.Errorf("Post(settled after failed) = %v, want ErrOutcomeConflict", err)
	}
	if _, err := s.Entry(ctx, SettledKey("W1")); !errors.Is(err, ErrNotFound) {
		t.Errorf("settled entry after the refusal: %v, want none", err)
	}
	if _, created, err := s.Post(ctx, failed); err != nil || created {
		t.Errorf("Post(failed) again = %v, %v; want the original, not created", created, err)
	}
	if _, created, err := s.Post(ctx, out(SettledKey("W2"), ExternalAddress("BTC", "bc1qxy"))); err != nil || !created {
		t.Errorf("Post(settled of another movement) = %v, %v", created, err)
	}
	mustVerify(t, s)
}

// TestReversedOutcomeCanBeCorrected: the package's correction procedure
// (post Reverse(original), then the right entry) works for a movement's
// outcome: once the failed entry is reversed, the settled entry may be
// posted, and the other way round; an outcome not reversed still
// excludes the other.
func TestReversedOutcomeCanBeCorrected(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	one := decimal.RequireFromString("1")
	at := time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)
	dest := ExternalAddress("BTC", "bc1qxy")
	sent := Entry{Key: SentKey("W1"), Kind: KindWithdrawal, ClientID: "W1", Refs: map[string]string{RefTo: dest.String()},
		Postings: []Posting{{VenueAvailable(Hercle), "BTC", one.Neg()}, {Transit(TransitWithdrawal, "W1"), "BTC", one}}}
	failed := Entry{Key: FailedKey("W1"), Kind: KindWithdrawalFailed, ClientID: "W1",
		Postings: []Posting{{Transit(TransitWithdrawal, "W1"), "BTC", one.Neg()}, {VenueAvailable(Hercle), "BTC", one}}}
	settled := Entry{Key: SettledKey("W1"), Kind: KindWithdrawalSettled, ClientID: "W1",
		Postings: []Posting{{Transit(TransitWithdrawal, "W1"), "BTC", one.Neg()}, {dest, "BTC", one}}}
	for _, e := range []Entry{sent, failed} {
		if _, _, err := s.Post(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// The venue later reports the withdrawal settled after all.
	if _, _, err := s.Post(ctx, Reverse(failed, at, "the venue settled it after reporting it failed")); err != nil {
		t.Fatal(err)
	}
	if _, created, err := s.Post(ctx, settled); err != nil || !created {
		t.Fatalf("Post(settled after the failed entry was reversed) = %v, %v; want created", created, err)
	}
	if got, _ := s.Balance(ctx, dest, "BTC"); !got.Equal(one) {
		t.Errorf("destination balance = %s, want 1", got)
	}
	if got, _ := s.Balance(ctx, Transit(TransitWithdrawal, "W1"), "BTC"); !got.IsZero() {
		t.Errorf("transit balance = %s, want 0", got)
	}
	// settled stands (not reversed): failed is still refused.
	if _, _, err := s.Post(ctx, Entry{Key: FailedKey("W2"), Kind: KindWithdrawalFailed, ClientID: "W2",
		Postings: failed.Postings}); err != nil {
		t.Fatal(err)
	}
	s2 := settled
	s2.Key = SettledKey("W2")
	if _, _, err := s.Post(ctx, s2); !errors.Is(err, ErrOutcomeConflict) {
		t.Errorf("Post(settled while failed stands) = %v, want ErrOutcomeConflict", err)
	}
	mustVerify(t, s)
}
