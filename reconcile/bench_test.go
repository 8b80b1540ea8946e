package reconcile_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
)

// memVenue serves a prepared venue history from memory: the benchmark
// measures reconciliation, not the network or JSON decoding.
type memVenue struct {
	trades []hercle.Trade
	txs    []hercle.Transaction
	bal    hercle.Balances
}

func inRange[T any](items []T, at func(T) time.Time, from, to time.Time) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if t := at(it); !t.Before(from) && !t.After(to) {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

func none[T any]() iter.Seq2[T, error] { return func(func(T, error) bool) {} }

func (m *memVenue) Balances(context.Context) (hercle.Balances, error) { return m.bal, nil }
func (m *memVenue) Trades(_ context.Context, q hercle.PageQuery) iter.Seq2[hercle.Trade, error] {
	return inRange(m.trades, func(t hercle.Trade) time.Time { return t.Timestamp.Time }, q.From, q.To)
}
func (m *memVenue) HistoricalTrades(_ context.Context, q hercle.PageQuery) iter.Seq2[hercle.Trade, error] {
	return m.Trades(context.Background(), q)
}
func (m *memVenue) TradesByClientID(context.Context, string) ([]hercle.Trade, error) { return nil, nil }
func (m *memVenue) Transactions(_ context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error] {
	return inRange(m.txs, func(t hercle.Transaction) time.Time { return t.Timestamp.Time }, q.From, q.To)
}
func (m *memVenue) HistoricalTransactions(_ context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error] {
	return m.Transactions(context.Background(), q)
}
func (m *memVenue) WithdrawalsPaginated(context.Context, hercle.PageQuery) iter.Seq2[hercle.Withdrawal, error] {
	return none[hercle.Withdrawal]()
}
func (m *memVenue) Withdrawals(context.Context, hercle.WithdrawalFilter) ([]hercle.Withdrawal, error) {
	return nil, nil
}
func (m *memVenue) WithdrawalsByClientID(context.Context, string) ([]hercle.Withdrawal, error) {
	return nil, nil
}
func (m *memVenue) Transfers(context.Context, hercle.TransferQuery) iter.Seq2[hercle.Transfer, error] {
	return none[hercle.Transfer]()
}
func (m *memVenue) TransactionLedger(_ context.Context, id string) (hercle.LedgerTransaction, error) {
	return hercle.LedgerTransaction{}, fmt.Errorf("transaction %s: %w", id, hercle.ErrNotFound)
}

// benchBooks is a prepared ledger and the venue history it reconciles
// with exactly.
type benchBooks struct {
	path    string
	venue   *memVenue
	since   time.Time
	now     time.Time
	nTrades int
	nDeps   int
}

var (
	benchOnce sync.Once
	benchData benchBooks
	benchErr  error
)

// prepareBench builds, once per test binary, 100,000 trades (with the 2
// trade legs each the venue lists) and 100,000 deposits, the ledger's fill
// and deposit entries for each, and a deposit webhook for each in the
// inbox. Seeded, so every run reconciles the same books.
func prepareBench(b *testing.B) benchBooks {
	benchOnce.Do(func() { benchData, benchErr = buildBench(b.TempDir()) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchData
}

func buildBench(dir string) (benchBooks, error) {
	const nTrades, nDeps, benchSeed = 100_000, 100_000, 7
	rng := rand.New(rand.NewPCG(benchSeed, 0))
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	bb := benchBooks{path: filepath.Join(dir, "bench.db"), venue: &memVenue{}, since: start.Add(-time.Hour),
		now: start.Add(6*24*time.Hour + 12*time.Hour), nTrades: nTrades, nDeps: nDeps}
	s, err := ledger.Open(bb.path, ledger.Options{Clock: clock.NewManual(bb.now).Clock()})
	if err != nil {
		return bb, err
	}
	defer s.Close()
	ctx := context.Background()

	opening := map[market.Asset]decimal.Decimal{"BTC": decimal.NewFromInt(1_000_000), "USDT": decimal.NewFromInt(100_000_000_000), "ETH": decimal.NewFromInt(10_000_000)}
	total := map[market.Asset]decimal.Decimal{}
	var entries []ledger.Entry
	var events []ledger.Event
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	for a, amt := range opening {
		total[a] = amt
		entries = append(entries, ledger.Entry{Key: "opening:" + string(a), Kind: ledger.KindOpening, Time: start.Add(-48 * time.Hour),
			Postings: []ledger.Posting{{Account: avail, Asset: a, Amount: amt}, {Account: ledger.OpeningBalance(), Asset: a, Amount: amt.Neg()}}})
	}
	v := bb.venue
	for i := range nTrades {
		at := start.Add(time.Duration(i) * 5 * time.Second)
		id, cid := fmt.Sprintf("t-%06d", i), fmt.Sprintf("c-%06d", i)
		q := decimal.New(int64(1+rng.IntN(100_000)), -6)
		p := decimal.New(int64(5_900_000+rng.IntN(200_000)), -2)
		notional := q.Mul(p)
		side, sign := market.Buy, decimal.NewFromInt(1)
		if i%2 == 1 {
			side, sign = market.Sell, sign.Neg()
		}
		v.trades = append(v.trades, hercle.Trade{ID: id, ClientID: cid, Instrument: "BTC/USDT", Side: side,
			Price: hercle.N(p), QuantityFilled: hercle.N(q), Timestamp: hercle.T(at)})
		v.txs = append(v.txs,
			hercle.Transaction{ID: id + "-b", Type: hercle.TxTrade, Asset: "BTC", Amount: hercle.N(q.Mul(sign)), Timestamp: hercle.T(at)},
			hercle.Transaction{ID: id + "-q", Type: hercle.TxTrade, Asset: "USDT", Amount: hercle.N(notional.Mul(sign).Neg()), Timestamp: hercle.T(at)})
		total["BTC"] = total["BTC"].Add(q.Mul(sign))
		total["USDT"] = total["USDT"].Sub(notional.Mul(sign))
		entries = append(entries, ledger.Entry{Key: ledger.TradeKey(id), Kind: ledger.KindTrade, Time: at, ClientID: cid,
			Refs: map[string]string{"trade_id": id, "pair": "BTCUSDT", "side": string(side)},
			Postings: []ledger.Posting{
				{Account: avail, Asset: "BTC", Amount: q.Mul(sign)}, {Account: cp, Asset: "BTC", Amount: q.Mul(sign).Neg()},
				{Account: avail, Asset: "USDT", Amount: notional.Mul(sign).Neg()}, {Account: cp, Asset: "USDT", Amount: notional.Mul(sign)},
			}})
	}
	assets := []market.Asset{"BTC", "ETH", "USDT"}
	for i := range nDeps {
		at := start.Add(time.Duration(i)*5*time.Second + 2*time.Second)
		id := fmt.Sprintf("d-%06d", i)
		a := assets[i%3]
		amt := decimal.New(int64(1+rng.IntN(1_000_000)), -4)
		v.txs = append(v.txs, hercle.Transaction{ID: id, Type: hercle.TxDeposit, Asset: string(a), Amount: hercle.N(amt), Timestamp: hercle.T(at)})
		total[a] = total[a].Add(amt)
		entries = append(entries, ledger.Entry{Key: ledger.DepositKey(id), Kind: ledger.KindDeposit, Time: at,
			Refs:     map[string]string{"transaction_id": id},
			Postings: []ledger.Posting{{Account: avail, Asset: a, Amount: amt}, {Account: ledger.ExternalUnknown(), Asset: a, Amount: amt.Neg()}}})
		body := fmt.Sprintf(`{"EventId":"e-%06d","EventType":"Banking.Deposit.StatusUpdated","Timestamp":%q,"Data":{"Id":%q,"Status":"SUCCESS","Asset":%q,"Amount":%s}}`,
			i, at.Format(time.RFC3339Nano), id, a, amt)
		events = append(events, ledger.Event{Source: ledger.SourceHercleWebhook, ID: fmt.Sprintf("e-%06d", i), Type: "Banking.Deposit.StatusUpdated", Body: []byte(body)})
	}
	for _, a := range assets {
		v.bal.Assets = append(v.bal.Assets, hercle.AssetBalance{Name: string(a), Available: hercle.N(total[a])})
	}
	v.bal.Sequence = 1
	events = append(events, ledger.Event{Source: ledger.SourceHercleWebhook, ID: "balance-1", Type: "Balance.Updated",
		Body: []byte(`{"EventId":"balance-1","EventType":"Balance.Updated","Data":{"Sequence":1,"Assets":[]}}`)})

	// Concurrent writers share fsyncs (the ledger's group commit).
	work := make(chan func() error)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fn := range work {
				if err := fn(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, e := range entries {
		work <- func() error { _, _, err := s.Post(ctx, e); return err }
	}
	for _, ev := range events {
		work <- func() error {
			if _, _, err := s.PutEvent(ctx, ev); err != nil {
				return err
			}
			return s.MarkProcessed(ctx, ev.Source, ev.ID)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return bb, err
	default:
	}
	return bb, nil
}

// BenchmarkReconcile100kTradesAnd100kTransactions reconciles 100,000
// trades and 100,000 deposit transactions (plus the 200,000 trade legs the
// venue lists with the trades, and a webhook per deposit in the inbox)
// against a prepared ledger, the venue's history served from memory. One
// op is one whole Run: venue listing, ledger read, every comparison, the
// balance check and the stored report. Run it with:
//
//	go test -run '^$' -bench Reconcile100k -benchtime 5x ./reconcile/
//
// Sub-benchmarks:
//
//   - startup: a new Reconciler each time, as at start-up or for `engine
//     reconcile`: the whole journal window and inbox are read and decoded.
//   - scheduled: one Reconciler, as the daemon's scheduled runs: journal
//     entries and webhooks read by an earlier run are reused.
func BenchmarkReconcile100kTradesAnd100kTransactions(b *testing.B) {
	bb := prepareBench(b)
	s, err := ledger.Open(bb.path, ledger.Options{Clock: clock.NewManual(bb.now).Clock()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	newRec := func(b *testing.B) *reconcile.Reconciler {
		rec, err := reconcile.New(reconcile.Config{Grace: 10 * time.Minute, KeepReports: 10},
			reconcile.Deps{Ledger: s, Venue: bb.venue, Clock: clock.NewManual(bb.now).Clock()})
		if err != nil {
			b.Fatal(err)
		}
		return rec
	}
	run := func(b *testing.B, rec *reconcile.Reconciler) {
		rep, err := rec.Run(ctx, bb.since)
		if err != nil {
			b.Fatal(err)
		}
		if !rep.Clean() || len(rep.Findings) != 0 || rep.Count(reconcile.CheckTrades, reconcile.Matched) != bb.nTrades ||
			rep.Count(reconcile.CheckTransactions, reconcile.Matched) != bb.nDeps+2*bb.nTrades {
			var sb []byte
			for _, c := range rep.Counts {
				sb = fmt.Appendf(sb, "%s/%s=%d ", c.Check, c.Outcome, c.N)
			}
			b.Fatalf("the prepared books do not reconcile cleanly: breaks %d findings %d counts %s", rep.Breaks, len(rep.Findings), sb)
		}
	}
	// cpu-s/op is the process's CPU time per op (every goroutine, the
	// garbage collector's included): on a machine shared with other work
	// it says more than the wall time.
	b.Run("startup", func(b *testing.B) {
		b.ReportAllocs()
		c0, n := cpuTime(), 0
		for b.Loop() {
			run(b, newRec(b))
			n++
		}
		b.ReportMetric((cpuTime()-c0).Seconds()/float64(n), "cpu-s/op")
	})
	b.Run("scheduled", func(b *testing.B) {
		rec := newRec(b)
		run(b, rec) // the start-up run fills the cache
		b.ReportAllocs()
		c0, n := cpuTime(), 0
		for b.Loop() {
			run(b, rec)
			n++
		}
		b.ReportMetric((cpuTime()-c0).Seconds()/float64(n), "cpu-s/op")
	})
}
