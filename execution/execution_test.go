package execution_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// rig is a simulator on loopback, a client over HTTP and a ledger file.
type rig struct {
	srv    *sim.Server
	client *hercle.Client
	store  *ledger.Store
	exec   *execution.Executor
	pairs  map[string]market.Pair
}

func newRig(t *testing.T, faults sim.Faults, quoteOK func(risk.Quote) error) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := sim.Start(ctx, sim.Options{Seed: 7, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	client, err := hercle.NewClient(hercle.Config{BaseURL: srv.URL(), APIKey: srv.APIKey(), RateLimit: 1000, Burst: 100, MaxRetries: 2,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r := &rig{srv: srv, client: client, store: store, pairs: map[string]market.Pair{}}
	for _, p := range srv.Venue().Pairs() {
		r.pairs[p.Symbol] = p
	}
	n := 0
	r.exec, err = execution.New(execution.Options{
		Venue: client, Store: store,
		Pairs: func(s string) (market.Pair, bool) { p, ok := r.pairs[s]; return p, ok },
		CheckQuote: func(_ time.Time, _ strategy.Intent, q risk.Quote) error {
			if quoteOK != nil {
				return quoteOK(q)
			}
			return nil
		},
		NewClientID: func() (string, error) { n++; return fmt.Sprintf("%s-%d", t.Name(), n), nil },
		Follow:      time.Millisecond,
		Lookups:     3,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) intent(t *testing.T, id string) ledger.Intent {
	t.Helper()
	it, err := r.store.Intent(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func buy(path strategy.Path, size string) strategy.Intent {
	return strategy.Intent{Strategy: "test", Pair: "BTCUSDT", Side: market.Buy, Size: d(size), Path: path, MaxSlippage: d("1")}
}

func TestOTCFillIsRecordedOnce(t *testing.T) {
	r := newRig(t, sim.Faults{}, nil)
	ctx := context.Background()
	res := r.exec.Execute(ctx, buy(strategy.OTC, "0.1"))
	if res.Status != execution.Filled || !res.Size.Equal(d("0.1")) || res.TradeID == "" {
		t.Fatalf("result = %+v", res)
	}
	if n := r.srv.Venue().Executions(res.Intent.ID); n != 1 {
		t.Fatalf("venue executed %d times", n)
	}
	if it := r.intent(t, res.Intent.ID); it.State != ledger.StateSucceeded || it.VenueRef != res.TradeID {
		t.Fatalf("intent = %s %s", it.State, it.VenueRef)
	}
	e, err := r.store.Entry(ctx, ledger.TradeKey(res.TradeID))
	if err != nil {
		t.Fatal(err)
	}
	if e.ClientID != res.Intent.ID || e.Kind != ledger.KindTrade {
		t.Fatalf("entry = %+v", e)
	}
	btc, _ := r.store.Balance(ctx, ledger.VenueAvailable(ledger.Hercle), "BTC")
	usdt, _ := r.store.Balance(ctx, ledger.VenueAvailable(ledger.Hercle), "USDT")
	if !btc.Equal(d("0.1")) || !usdt.Equal(res.Amount.Neg()) {
		t.Fatalf("ledger BTC %s USDT %s, want 0.1 and -%s", btc, usdt, res.Amount)
	}
	if err := r.store.Verify(ctx); err != nil {
		t.Fatal(err)
	}

	// The same Client-Id again is never sent: it is looked up instead.
	again := r.exec.Execute(ctx, res.Intent)
	if n := r.srv.Venue().Executions(res.Intent.ID); n != 1 {
		t.Fatalf("re-executing a recorded intent sent it again (%d executions)", n)
	}
	// ... and reported as the fill it was, so no caller trades it again.
	if again.Status != execution.Filled || again.TradeID != res.TradeID || !again.Size.Equal(res.Size) || !again.Amount.Equal(res.Amount) {
		t.Fatalf("second Execute = %+v, want the recorded fill %+v", again, res)
	}
}

func TestRFQAcceptedOrDeclined(t *testing.T) {
	decline := false
	r := newRig(t, sim.Faults{}, func(q risk.Quote) error {
		if decline {
			return errors.New("deviates from the streaming price")
		}
		return nil
	})
	ctx := context.Background()
	res := r.exec.Execute(ctx, buy(strategy.RFQ, "0.2"))
	if res.Status != execution.Filled || !res.Size.Equal(d("0.2")) {
		t.Fatalf("accepted RFQ = %+v", res)
	}
	decline = true
	res = r.exec.Execute(ctx, buy(strategy.RFQ, "0.2"))
	if res.Status != execution.Failed {
		t.Fatalf("declined RFQ = %+v", res)
	}
	if n := r.srv.Venue().Executions(res.Intent.ID); n != 0 {
		t.Fatalf("a declined quote was accepted (%d)", n)
	}
	r.notRecorded(t, res.Intent.ID)
}

// notRecorded fails the test if the ledger holds an intent under id: a
// request declined before it was recorded is never in the books.
func (r *rig) notRecorded(t *testing.T, id string) {
	t.Helper()
	if _, err := r.store.Intent(context.Background(), id); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("intent %s: %v, want none recorded", id, err)
	}
}

// An OTC price quote is checked as an RFQ quote is, before the order: a
// declined quote sends no order and records nothing.
func TestOTCQuoteDeclined(t *testing.T) {
	var seen []risk.Quote
	decline := false
	r := newRig(t, sim.Faults{}, func(q risk.Quote) error {
		seen = append(seen, q)
		if decline {
			return errors.New("deviates from the streaming price")
		}
		return nil
	})
	ctx := context.Background()
	if res := r.exec.Execute(ctx, buy(strategy.OTC, "0.1")); res.Status != execution.Filled {
		t.Fatalf("OTC = %+v, want filled", res)
	}
	if len(seen) != 1 || !seen[0].Price.IsPositive() {
		t.Fatalf("quotes checked %+v, want the order's buy price once", seen)
	}
	decline = true
	res := r.exec.Execute(ctx, buy(strategy.OTC, "0.1"))
	if res.Status != execution.Failed {
		t.Fatalf("declined OTC = %+v, want failed", res)
	}
	if n := r.srv.Venue().Executions(res.Intent.ID); n != 0 {
		t.Fatalf("an order was placed on a declined quote (%d)", n)
	}
	r.notRecorded(t, res.Intent.ID)
}

func TestExactlyOnceUnderFaults(t *testing.T) {
	// Dedup is off (as in production) and 30% of requests fail: 429s,
	// resets before the request is read, and 500s after the order executed.
	r := newRig(t, sim.Faults{RateLimited: 0.1, ResetBeforeRead: 0.1, ErrorAfterApply: 0.1}, nil)
	ctx := context.Background()
	counts := map[execution.Status]int{}
	for i := 0; i < 60; i++ {
		path := strategy.OTC
		if i%3 == 0 {
			path = strategy.RFQ
		}
		res := r.exec.Execute(ctx, buy(path, "0.01"))
		counts[res.Status]++
		n := r.srv.Venue().Executions(res.Intent.ID)
		it, err := r.store.Intent(ctx, res.Intent.ID)
		if errors.Is(err, ledger.ErrNotFound) {
			// Refused before it was recorded (a quote request that
			// failed): nothing may have been sent.
			if res.Status != execution.Failed || n != 0 {
				t.Fatalf("%s not recorded, %v, executed %d times", res.Intent.ID, res.Status, n)
			}
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		switch res.Status {
		case execution.Filled:
			if n != 1 {
				t.Fatalf("%s filled but executed %d times", res.Intent.ID, n)
			}
			if _, err := r.store.Entry(ctx, ledger.TradeKey(res.TradeID)); err != nil {
				t.Fatalf("%s filled without a journal entry: %v", res.Intent.ID, err)
			}
			if it.State != ledger.StateSucceeded && !(it.State == ledger.StateResolved && it.Outcome == ledger.StateSucceeded) {
				t.Fatalf("%s filled, intent %s/%s", res.Intent.ID, it.State, it.Outcome)
			}
		case execution.Failed:
			if n != 0 {
				t.Fatalf("%s failed but executed %d times: %s", res.Intent.ID, n, res.Detail)
			}
			if !it.State.Final() {
				t.Fatalf("%s failed, intent %s", res.Intent.ID, it.State)
			}
		case execution.Unresolved:
			if n > 1 || it.State.Final() {
				t.Fatalf("%s unresolved: executions %d, intent %s", res.Intent.ID, n, it.State)
			}
		}
	}
	if counts[execution.Filled] == 0 || counts[execution.Failed] == 0 {
		t.Fatalf("faults did not exercise both outcomes: %v", counts)
	}
	if err := r.store.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("outcomes: %v", counts)
}

func TestOutcomeUnknownAfterApply(t *testing.T) {
	r := newRig(t, sim.Faults{}, nil)
	ctx := context.Background()
	// An order executed at the venue whose answer was lost: the intent
	// is in the ledger as submitted, as a crash would leave it.
	in := buy(strategy.OTC, "0.3")
	in.ID = "crashed-1"
	req, _ := json.Marshal(map[string]any{"strategy": "test", "pair": in.Pair, "side": in.Side, "size": in.Size, "amount": "0", "path": "otc"})
	if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: in.ID, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(ctx, in.ID, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	q, err := r.srv.Venue().Quote(in.Pair, in.Size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.srv.Venue().PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: in.Side, Slippage: d("1"), ClientID: in.ID}); err != nil {
		t.Fatal(err)
	}
	// And one that never left: pending.
	never := "crashed-2"
	if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: never, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
		t.Fatal(err)
	}
	// And one submitted that the venue never received.
	lost := "crashed-3"
	if _, _, err := r.store.CreateIntent(ctx, ledger.Intent{ClientID: lost, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Transition(ctx, lost, ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}

	results, err := r.exec.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]execution.Status{}
	for _, res := range results {
		got[res.Intent.ID] = res.Status
	}
	want := map[string]execution.Status{in.ID: execution.Filled, never: execution.Failed, lost: execution.Failed}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("recovered %s: %v, want %v (all: %v)", id, got[id], st, got)
		}
	}
	for _, id := range []string{in.ID, never, lost} {
		if n := r.srv.Venue().Executions(id); n > 1 || (id != in.ID && n != 0) {
			t.Errorf("%s executed %d times at the venue during recovery", id, n)
		}
	}
	// Submitted, then learnt by lookup: succeeded or failed, the lookup's
	// answer in the transition's note.
	if it := r.intent(t, in.ID); it.State != ledger.StateSucceeded {
		t.Errorf("executed intent = %s/%s", it.State, it.Outcome)
	}
	if it := r.intent(t, lost); it.State != ledger.StateFailed {
		t.Errorf("lost intent = %s/%s", it.State, it.Outcome)
	}
	if left, _ := r.store.Unfinished(ctx); len(left) != 0 {
		t.Errorf("unfinished after recovery: %v", left)
	}
	btc, _ := r.store.Balance(ctx, ledger.VenueAvailable(ledger.Hercle), "BTC")
	if !btc.Equal(d("0.3")) {
		t.Errorf("recovered fill not posted: BTC %s", btc)
	}
}
