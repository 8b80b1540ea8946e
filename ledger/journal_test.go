package ledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

func TestPostAndDuplicate(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	e1, created, err := s.Post(ctx, trade("hercle:trade:1", "0.5", "30000"))
	if err != nil || !created || e1.Seq != 1 || e1.Recorded.IsZero() || e1.Time.IsZero() {
		t.Fatalf("Post = %+v, %v, %v; want created seq 1 with times", e1, created, err)
	}
	// Same key, different content: a no-op returning the original.
	e2, created, err := s.Post(ctx, trade("hercle:trade:1", "9", "9"))
	if err != nil || created {
		t.Fatalf("Post(duplicate) = %v, %v; want created false, nil", created, err)
	}
	if diff := cmp.Diff(e1, e2, cmp.AllowUnexported(Account{})); diff != "" {
		t.Errorf("Post(duplicate) returned another entry (-first +second):\n%s", diff)
	}
	got, err := s.Balance(ctx, VenueAvailable(Hercle), "BTC")
	if err != nil || !got.Equal(d("0.5")) {
		t.Errorf("Balance(hercle available BTC) = %s, %v; want 0.5", got, err)
	}
	got, _ = s.Balance(ctx, VenueAvailable(Hercle), "USDT")
	if !got.Equal(d("-30000")) {
		t.Errorf("Balance(hercle available USDT) = %s, want -30000", got)
	}
	mustVerify(t, s)
}

func TestPostRefusesAndWritesNothing(t *testing.T) {
	unbalanced := trade("u", "1", "100")
	unbalanced.Postings[3].Amount = d("99.99")
	badAccount := trade("a", "1", "100")
	badAccount.Postings[0].Account = Transit(TransitBank, "has space")
	var zeroAccount Entry = trade("z", "1", "100")
	zeroAccount.Postings[1].Account = Account{}
	zeroAmount := trade("0", "1", "100")
	zeroAmount.Postings = append(zeroAmount.Postings, Posting{Fees(Hercle), "USDT", d("0")})
	tooPrecise := trade("p", "0.0000000000000000001", "100")
	badAsset := trade("s", "1", "100")
	badAsset.Postings[0].Asset, badAsset.Postings[1].Asset = "btc", "btc"
	huge := trade("h", "1e40", "100")
	orphanReversal := Reverse(trade("never-posted", "1", "1"), time.Time{}, "")
	// A venue time in milliseconds read as seconds: year 55840, which no
	// RFC 3339 (JSON) export of the journal can write.
	msAsSeconds := trade("ms", "1", "100")
	msAsSeconds.Time = time.Unix(1700000000000, 0)
	beforeYearOne := trade("y0", "1", "100")
	beforeYearOne.Time = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		e    Entry
		want error
	}{
		{"unbalanced", unbalanced, ErrUnbalanced},
		{"one posting", Entry{Key: "k", Kind: KindFee, Postings: unbalanced.Postings[:1]}, ErrInvalidEntry},
		{"no key", Entry{Kind: KindTrade, Postings: trade("x", "1", "1").Postings}, ErrInvalidEntry},
		{"unknown kind", Entry{Key: "k", Kind: "gift", Postings: trade("x", "1", "1").Postings}, ErrInvalidEntry},
		{"invalid account", badAccount, ErrInvalidAccount},
		{"zero account", zeroAccount, ErrInvalidAccount},
		{"zero amount", zeroAmount, ErrInvalidEntry},
		{"too many decimals", tooPrecise, ErrInvalidEntry},
		{"lower-case asset", badAsset, ErrInvalidEntry},
		{"huge amount", huge, ErrInvalidEntry},
		{"reversal of a missing entry", orphanReversal, ErrNotFound},
		{"time past year 9999", msAsSeconds, ErrInvalidEntry},
		{"time before year 1", beforeYearOne, ErrInvalidEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := openTemp(t)
			ctx := context.Background()
			if _, _, err := s.Post(ctx, trade("base", "1", "100")); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Balances(ctx)
			_, created, err := s.Post(ctx, tt.e)
			if !errors.Is(err, tt.want) || created {
				t.Fatalf("Post = %v, created %v; want %v", err, created, tt.want)
			}
			t.Logf("error text: %v", err)
			after, _ := s.Balances(ctx)
			if diff := cmp.Diff(before, after, cmp.AllowUnexported(Account{})); diff != "" {
				t.Errorf("a refused Post changed balances:\n%s", diff)
			}
			if tt.e.Key != "" {
				if _, err := s.Entry(ctx, tt.e.Key); !errors.Is(err, ErrNotFound) {
					t.Errorf("Entry(%s) after refusal = %v, want ErrNotFound", tt.e.Key, err)
				}
			}
			mustVerify(t, s)
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
			}
		})
	}
}

func TestReversal(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	orig, _, err := s.Post(ctx, trade("t1", "1", "100"))
	if err != nil {
		t.Fatal(err)
	}
	bad := Reverse(orig, time.Time{}, "")
	bad.Postings[0].Amount, bad.Postings[1].Amount = d("-0.5"), d("0.5")
	if _, _, err := s.Post(ctx, bad); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("Post(partial reversal) = %v, want ErrInvalidEntry", err)
	}
	for range 2 { // the second is a no-op: the reversal key is derived from the original's
		if _, _, err := s.Post(ctx, Reverse(orig, time.Time{}, "wrong size")); err != nil {
			t.Fatal(err)
		}
	}
	// A second reversal of the same entry under another key would undo it
	// twice.
	again := Reverse(orig, time.Time{}, "reversed again by another path")
	again.Key = "correction:t1"
	if _, _, err := s.Post(ctx, again); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("Post(second reversal of t1 under key %s) = %v, want ErrInvalidEntry", again.Key, err)
	}
	bs, _ := s.Balances(ctx)
	if len(bs) != 0 {
		t.Errorf("Balances after reversal = %v, want none", bs)
	}
	es, _ := s.Entries(ctx, Filter{})
	if len(es) != 2 || es[1].Kind != KindReversal || es[1].Reverses != "t1" {
		t.Errorf("journal = %+v, want the original and one reversal", es)
	}
	mustVerify(t, s)
}

func TestJournalFilter(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	entries := []Entry{
		{Key: "open", Kind: KindOpening, Time: t0, Postings: []Posting{
			{VenueAvailable(Hercle), "BTC", d("2")}, {OpeningBalance(), "BTC", d("-2")}}},
		{Key: "W1", Kind: KindWithdrawal, Time: t0.Add(time.Hour), ClientID: "W1", Postings: []Posting{
			{VenueAvailable(Hercle), "BTC", d("-1")}, {Transit(TransitWithdrawal, "W1"), "BTC", d("1")}}},
		{Key: "W1:settled", Kind: KindWithdrawalSettled, Time: t0.Add(2 * time.Hour), ClientID: "W1", Postings: []Posting{
			{Transit(TransitWithdrawal, "W1"), "BTC", d("-1")},
			{ExternalAddress("BTC", "bc1qxy"), "BTC", d("0.9999")},
			{Fees(Hercle), "BTC", d("0.0001")}}},
		{Key: "dep", Kind: KindDeposit, Time: t0.Add(3 * time.Hour), Postings: []Posting{
			{VenueAvailable(Heropayments), "USDT", d("500")}, {ExternalUnknown(), "USDT", d("-500")}}},
	}
	for _, e := range entries {
		if _, _, err := s.Post(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(f Filter) []string {
		es, err := s.Entries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, e.Key)
		}
		return out
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, []string{"open", "W1", "W1:settled", "dep"}},
		{"account prefix", Filter{Account: "venue:hercle"}, []string{"open", "W1"}},
		{"transit", Filter{Account: "transit"}, []string{"W1", "W1:settled"}},
		{"asset", Filter{Asset: "USDT"}, []string{"dep"}},
		{"kind", Filter{Kind: KindWithdrawalSettled}, []string{"W1:settled"}},
		{"time", Filter{From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour)}, []string{"W1", "W1:settled"}},
		{"client id", Filter{ClientID: "W1"}, []string{"W1", "W1:settled"}},
		{"paging", Filter{AfterSeq: 1, Limit: 2}, []string{"W1", "W1:settled"}},
		{"sequence range", Filter{AfterSeq: 1, ToSeq: 3}, []string{"W1", "W1:settled"}},
		{"sequence range and kind", Filter{ToSeq: 3, Kind: KindWithdrawalSettled}, []string{"W1:settled"}},
		{"newest first", Filter{Newest: true}, []string{"dep", "W1:settled", "W1", "open"}},
		{"the last two", Filter{Newest: true, Limit: 2}, []string{"dep", "W1:settled"}},
		{"newest first in a range", Filter{Newest: true, AfterSeq: 1, ToSeq: 3}, []string{"W1:settled", "W1"}},
		{"newest first, range past the end", Filter{Newest: true, ToSeq: 99}, []string{"dep", "W1:settled", "W1", "open"}},
		{"the last withdrawal", Filter{Newest: true, Kind: KindWithdrawal, Limit: 1}, []string{"W1"}},
	}
	for _, tt := range tests {
		if got := keys(tt.f); !cmp.Equal(got, tt.want) {
			t.Errorf("%s: Entries(%+v) = %v, want %v", tt.name, tt.f, got, tt.want)
		}
	}
	got, _ := s.Balance(ctx, Transit(TransitWithdrawal, "W1"), "BTC")
	if !got.IsZero() {
		t.Errorf("transit balance after settlement = %s, want 0", got)
	}
}

// TestPropertyBalancesEqualRebuild posts random sequences of entries, with
// duplicates (same or different content) and unbalanced or invalid ones,
// from several goroutines, and checks after each round that balances equal
// both Rebuild and a model kept by the test, and that every stored entry
// sums to zero per asset.
func TestPropertyBalancesEqualRebuild(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 20250304} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, seed))
			s, _ := openTemp(t)
			ctx := context.Background()
			model := map[string]string{} // "account asset" -> amount, from accepted entries only
			accepted := map[string]Entry{}
			for round := range 15 {
				batch := make([]Entry, 4+rng.IntN(30))
				wantErr := make([]bool, len(batch))
				for i := range batch {
					batch[i], wantErr[i] = randomEntry(rng, round, i)
				}
				type result struct {
					e       Entry
					created bool
					err     error
				}
				results := make([]result, len(batch))
				var wg sync.WaitGroup
				for i := range batch {
					wg.Go(func() {
						e, c, err := s.Post(ctx, batch[i])
						results[i] = result{e, c, err}
					})
				}
				wg.Wait()
				// Apply to the model in the order the store assigned.
				var created []Entry
				for i, r := range results {
					if wantErr[i] {
						if r.err == nil || !(errors.Is(r.err, ErrUnbalanced) || errors.Is(r.err, ErrInvalidEntry)) {
							t.Fatalf("round %d: Post(%s, bad) = %v, want a refusal", round, batch[i].Key, r.err)
						}
						continue
					}
					if r.err != nil {
						t.Fatalf("round %d: Post(%s) = %v", round, batch[i].Key, r.err)
					}
					if r.created {
						created = append(created, r.e)
						continue
					}
					orig, ok := accepted[r.e.Key]
					if !ok {
						// a duplicate within this round: its original is in created
						continue
					}
					if orig.Seq != r.e.Seq {
						t.Fatalf("duplicate %s returned seq %d, original %d", r.e.Key, r.e.Seq, orig.Seq)
					}
				}
				seen := map[string]bool{}
				for _, e := range created {
					if seen[e.Key] || accepted[e.Key].Seq != 0 {
						t.Fatalf("key %s created twice", e.Key)
					}
					seen[e.Key] = true
					accepted[e.Key] = e
					for _, p := range e.Postings {
						k := p.Account.String() + " " + string(p.Asset)
						cur := d("0")
						if v, ok := model[k]; ok {
							cur = d(v)
						}
						model[k] = cur.Add(p.Amount).String()
					}
				}
				checkAgainstModel(t, s, model)
			}
		})
	}
}

func checkAgainstModel(t *testing.T, s *Store, model map[string]string) {
	t.Helper()
	ctx := context.Background()
	mustVerify(t, s)
	stored, err := s.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := s.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	flat := func(bs []Balance) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Account.String()+" "+string(b.Asset)+" "+b.Amount.String())
		}
		return out
	}
	var want []string
	for k, v := range model {
		if !d(v).IsZero() {
			want = append(want, k+" "+v)
		}
	}
	sort.Strings(want)
	got := flat(stored)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Balances differ from the model (-model +stored):\n%s", diff)
	}
	if diff := cmp.Diff(flat(stored), flat(rebuilt)); diff != "" {
		t.Fatalf("Balances differ from Rebuild (-stored +rebuilt):\n%s", diff)
	}
	if err := s.Journal(ctx, Filter{}, func(e Entry) error {
		sums := map[market.Asset]string{}
		for _, p := range e.Postings {
			cur := d("0")
			if v, ok := sums[p.Asset]; ok {
				cur = d(v)
			}
			sums[p.Asset] = cur.Add(p.Amount).String()
		}
		for a, v := range sums {
			if !d(v).IsZero() {
				return fmt.Errorf("entry %s sums to %s %s", e.Key, v, a)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

var propAccounts = []Account{
	VenueAvailable(Hercle), VenueAllocated(Hercle), VenueAvailable(Heropayments),
	Counterparty(Hercle), Fees(Hercle), Transit(TransitWithdrawal, "W1"),
	ExternalAddress("ETH", "0xabc"), OpeningBalance(),
}

var propAssets = []market.Asset{"BTC", "USDT", "EUR"}

// randomEntry returns a random entry and whether Post must refuse it. Keys
// repeat across rounds so duplicates are common.
func randomEntry(rng *rand.Rand, round, i int) (Entry, bool) {
	key := fmt.Sprintf("r%d-%d", round, i)
	if rng.IntN(4) == 0 {
		key = fmt.Sprintf("dup-%d", rng.IntN(20))
	}
	e := Entry{Key: key, Kind: KindTrade}
	for range 1 + rng.IntN(3) { // legs, each balanced within one asset
		asset := propAssets[rng.IntN(len(propAssets))]
		amt := d(fmt.Sprintf("%d.%02d", rng.IntN(10000), 1+rng.IntN(99)))
		from := propAccounts[rng.IntN(len(propAccounts))]
		to := propAccounts[rng.IntN(len(propAccounts))]
		e.Postings = append(e.Postings, Posting{from, asset, amt.Neg()}, Posting{to, asset, amt})
	}
	switch rng.IntN(8) {
	case 0: // unbalanced by a tiny amount
		e.Key = fmt.Sprintf("bad-%d-%d", round, i)
		e.Postings[0].Amount = e.Postings[0].Amount.Add(d("0.000001"))
		return e, true
	case 1: // invalid account
		e.Key = fmt.Sprintf("bad-%d-%d", round, i)
		e.Postings[1].Account = Fees("Not A Venue")
		return e, true
	}
	return e, false
}

// TestGroupCommit: concurrent writers share transactions (and fsyncs), and
// every one of them is durable when Post returns.
func TestGroupCommit(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	const writers, each = 64, 20
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				if _, _, err := s.Post(ctx, trade(fmt.Sprintf("g%d-%d", g, i), "1", "10")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	t.Logf("%d writes in %d commits", st.Writes, st.Commits)
	if st.Writes != writers*each {
		t.Errorf("Stats.Writes = %d, want %d", st.Writes, writers*each)
	}
	if st.Commits > st.Writes/4 {
		t.Errorf("Stats.Commits = %d for %d concurrent writes: writers do not share commits", st.Commits, st.Writes)
	}
	got, _ := s.Balance(ctx, VenueAvailable(Hercle), "BTC")
	if !got.Equal(d(fmt.Sprint(writers * each))) {
		t.Errorf("balance = %s, want %d", got, writers*each)
	}
	mustVerify(t, s)
}

func TestPostContextDone(t *testing.T) {
	s, _ := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Post(ctx, trade("t1", "1", "1")); !errors.Is(err, context.Canceled) {
		t.Errorf("Post(cancelled ctx) = %v, want context.Canceled", err)
	}
	if _, err := s.Entry(context.Background(), "t1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Entry after a cancelled Post = %v, want ErrNotFound", err)
	}
}

func TestLastSeq(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if n, err := s.LastSeq(ctx); err != nil || n != 0 {
		t.Fatalf("LastSeq(empty) = %d, %v; want 0", n, err)
	}
	for i, key := range []string{"hercle:trade:1", "hercle:trade:2", "hercle:trade:2"} {
		if _, _, err := s.Post(ctx, trade(key, "0.5", "30000")); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
	}
	if n, err := s.LastSeq(ctx); err != nil || n != 2 {
		t.Fatalf("LastSeq after two entries and a duplicate = %d, %v; want 2", n, err)
	}
}

// TestLargestAmountsSumReadably: balances and counters are sums of
// amounts at the largest size Post accepts; they must stay readable, so
// that the account keeps working and Verify keeps passing.
func TestLargestAmountsSumReadably(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	const largest = "999999999999999999999999999999.999999999999999999" // 30 integer digits, 18 decimals
	want := d("0")
	for i := range 12 {
		e := Entry{Key: fmt.Sprintf("opening-%d", i), Kind: KindOpening, Postings: []Posting{
			{VenueAvailable(Hercle), "BTC", d(largest)},
			{OpeningBalance(), "BTC", d(largest).Neg()},
		}}
		if _, _, err := s.Post(ctx, e); err != nil {
			t.Fatalf("Post %d: %v", i, err)
		}
		want = want.Add(d(largest))
		if _, _, err := s.AddCounter(ctx, DailyNotional(time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), "BTC-USDT"), e.Key, d(largest).Neg()); err != nil {
			t.Fatalf("AddCounter %d: %v", i, err)
		}
	}
	if got, err := s.Balance(ctx, OpeningBalance(), "BTC"); err != nil || !got.Equal(want.Neg()) {
		t.Errorf("Balance = %s, %v; want %s", got, err, want.Neg())
	}
	if got, err := s.Counter(ctx, DailyNotional(time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC), "BTC-USDT")); err != nil || !got.Equal(want.Neg()) {
		t.Errorf("Counter = %s, %v; want %s", got, err, want.Neg())
	}
	mustVerify(t, s)
}

// TestAmountCheckedByValue: the limits on amounts (18 decimal places, 30
// integer digits) apply to the value, not to how the decimal happens to
// be represented: a product of three 18-decimal amounts carries exponent
// -54 whatever its value.
func TestAmountCheckedByValue(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	qty, price, rate := d("2.000000000000000000"), d("0.500000000000000000"), d("0.001000000000000000")
	fee := qty.Mul(price).Mul(rate) // 0.001, exponent -54
	if fee.Exponent() != -54 {
		t.Fatalf("fee exponent = %d, want -54", fee.Exponent())
	}
	e := Entry{Key: "fee1", Kind: KindFee, Postings: []Posting{
		{VenueAvailable(Hercle), "USDT", fee.Neg()}, {Fees(Hercle), "USDT", fee}}}
	got, created, err := s.Post(ctx, e)
	if err != nil || !created {
		t.Fatalf("Post(fee %s with exponent %d) = %v, %v; want created", fee, fee.Exponent(), created, err)
	}
	if stored, _ := s.Entry(ctx, "fee1"); !stored.Postings[1].Amount.Equal(d("0.001")) || !got.Postings[1].Amount.Equal(d("0.001")) {
		t.Errorf("stored fee = %s, want 0.001", stored.Postings[1].Amount)
	}
	mustVerify(t, s)
	for _, bad := range []decimal.Decimal{
		decimal.New(1, -19),                  // 19 decimal places
		decimal.New(1, -1000000),             // far too small, refused without building 10^1000000
		decimal.New(15, -50),                 // 1.5e-49
		decimal.New(1, 1000000),              // far too large
		d("1000000000000000000000000000000"), // 31 integer digits
	} {
		if err := checkAmount(bad); err == nil {
			t.Errorf("checkAmount(%s) = nil, want refused", bad.String()[:min(len(bad.String()), 40)])
		}
	}
}
