package backtest

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// tk is a hand-made tick received at monday plus at.
type tk struct {
	at        time.Duration
	pair      string
	buy, sell string
}

// writeTicks records ticks, in the order given, into a new plain
// recording and returns its path.
func writeTicks(t *testing.T, ticks ...tk) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ticks.ndjson")
	rec, err := feeds.CreateRecorder(path, feeds.Header{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ticks {
		at := monday.Add(x.at)
		if err := rec.Write(feeds.Update{Tick: market.Tick{Pair: x.pair, Size: d("0.0001"), BuyPrice: d(x.buy), SellPrice: d(x.sell), Time: at, Received: at}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// btcOnly is Options over one pair, BTCEUR, starting with balances in
// EUR and BTC, with no venue costs unless the test sets them.
func btcOnly(t *testing.T, feed string, s ...strategy.Strategy) Options {
	t.Helper()
	o := options(t, feed)
	o.Strategies = s
	o.Gate = nil
	o.Pairs = []market.Pair{{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}}
	o.Balances = map[market.Asset]decimal.Decimal{"EUR": d("10000"), "BTC": d("0")}
	o.Venue = VenueModel{}
	return o
}

// onTick trades once, on the first tick it sees.
type onTick struct {
	in   strategy.Intent
	done bool
}

func (s *onTick) Name() string { return "ontick" }

func (s *onTick) Handle(_ strategy.View, ev strategy.Event) strategy.Decision {
	if _, ok := ev.(strategy.Price); !ok || s.done {
		return strategy.Decision{}
	}
	s.done = true
	return strategy.Decision{Intents: []strategy.Intent{s.in}}
}

// A trade on the very first tick is part of the run: its fee shows in the
// PnL and the return, the start equity and balances are those before it.
func TestStartEquityBeforeFirstTrade(t *testing.T) {
	for _, n := range []int{3, 1} { // one tick: the run starts and ends on it
		var ticks []tk
		for i := range n {
			ticks = append(ticks, tk{time.Duration(i) * time.Minute, "BTCEUR", "50000", "50000"})
		}
		o := btcOnly(t, writeTicks(t, ticks...), &onTick{in: strategy.Intent{Ref: "first", Pair: "BTCEUR", Side: market.Buy, Size: d("0.1"), Path: strategy.OTC, MaxSlippage: d("1")}})
		o.Venue.FeeBps = d("100") // 1%: 50 EUR on 5000
		s := run(t, o)
		if s.Trades != 1 || s.Fees != "50" {
			t.Fatalf("%d ticks: trades %d, fees %s; want 1 trade paying 50", n, s.Trades, s.Fees)
		}
		if s.StartEquity != "10000" || s.EndEquity != "9950" || s.PnL != "-50" || s.Return != "-0.005" {
			t.Fatalf("%d ticks: start equity %s, end %s, PnL %s, return %s; want 10000, 9950, -50 (the fee), -0.005", n, s.StartEquity, s.EndEquity, s.PnL, s.Return)
		}
		if a := s.Assets["EUR"]; a.Start != "10000" || a.Change != "-5050" {
			t.Fatalf("%d ticks: EUR %+v, want start 10000 and change -5050", n, a)
		}
	}
}

// Fills whose exact notional or fee has more than 18 decimal places (fine
// prices, fractional basis points) are booked the same by the venue model
// and the ledger, so the run's end-of-run check passes.
func TestFineFillsAgreeWithLedger(t *testing.T) {
	for _, path := range []strategy.Path{strategy.OTC, strategy.RFQ} {
		feed := writeTicks(t,
			tk{0, "BTCEUR", "50000.123456789", "49999.987654321"},
			tk{time.Minute, "BTCEUR", "50000.123456789", "49999.987654321"})
		o := btcOnly(t, feed, &onTick{in: strategy.Intent{Ref: "fine", Pair: "BTCEUR", Side: market.Buy, Size: d("0.12345678"), Path: path, MaxSlippage: d("1")}})
		o.Venue = VenueModel{FeeBps: d("2.5"), SlippageBps: d("1.5"), RFQMarkupBps: d("0.75")}
		s := run(t, o)
		if s.Trades != 1 {
			t.Fatalf("%s: %d trades, want 1", path, s.Trades)
		}
	}
}

// writeStamped is writeTicks with the venue's timestamp given apart from
// the receive time.
func writeStamped(t *testing.T, ticks ...market.Tick) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stamped.ndjson")
	rec, err := feeds.CreateRecorder(path, feeds.Header{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ticks {
		x.Size = d("0.0001")
		if err := rec.Write(feeds.Update{Tick: x}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// One tick stamped far in the future by the venue does not freeze the
// venue model's price: it takes later ticks as the loop does (the loop
// distrusts a timestamp further ahead of its clock than any skew), so an
// order fills at the price the strategy saw, not at the bad tick's.
func TestFutureStampDoesNotFreezeFills(t *testing.T) {
	for _, latency := range []time.Duration{0, 200 * time.Millisecond} {
		at := func(s float64) time.Time { return monday.Add(time.Duration(s * float64(time.Second))) }
		feed := writeStamped(t,
			market.Tick{Pair: "BTCEUR", BuyPrice: d("50000"), SellPrice: d("50000"), Time: at(0), Received: at(0)},
			market.Tick{Pair: "BTCEUR", BuyPrice: d("50000"), SellPrice: d("50000"), Time: at(7200), Received: at(1)}, // the venue's clock jumped
			market.Tick{Pair: "BTCEUR", BuyPrice: d("60000"), SellPrice: d("60000"), Time: at(2), Received: at(2)},
			market.Tick{Pair: "BTCEUR", BuyPrice: d("60000"), SellPrice: d("60000"), Time: at(3), Received: at(3)},
			market.Tick{Pair: "BTCEUR", BuyPrice: d("60000"), SellPrice: d("60000"), Time: at(4), Received: at(4)})
		o := btcOnly(t, feed, &once{due: at(2.5), path: strategy.OTC})
		o.Venue.Latency = latency
		var fills []execution.Result
		o.OnExecuted = func(r execution.Result) { fills = append(fills, r) }
		s := run(t, o)
		if len(fills) != 1 || fills[0].Status != execution.Filled || !fills[0].Price.Equal(d("60000")) {
			t.Fatalf("latency %s: fills %+v, want one at 60000, the price recorded at 2 s", latency, fills)
		}
		if s.EndEquity != "10000" {
			t.Fatalf("latency %s: end equity %s, want 10000 (0.1 BTC bought and valued at 60000)", latency, s.EndEquity)
		}
	}
}

// A recorded tick without a price (the live source passes on whatever the
// venue sends) is no reason to value the holdings at nothing: equity keeps
// the last valid price, so no drawdown appears from it.
func TestPricelessTickKeepsEquity(t *testing.T) {
	feed := writeTicks(t,
		tk{0, "BTCEUR", "50000", "50000"},
		tk{30 * time.Second, "BTCEUR", "0", "0"},
		tk{90 * time.Second, "BTCEUR", "50000", "50000"},
		tk{150 * time.Second, "BTCEUR", "50000", "50000"})
	o := btcOnly(t, feed, &watch{fn: func(market.Tick) {}})
	o.Balances["BTC"] = d("0.1")
	s := run(t, o)
	if s.StartEquity != "15000" || s.EndEquity != "15000" || s.MaxDrawdown != "0" {
		t.Fatalf("start %s, end %s, max drawdown %s; want 15000, 15000, 0", s.StartEquity, s.EndEquity, s.MaxDrawdown)
	}
	for _, row := range readCSV(t, filepath.Join(o.Out, FileEquity))[1:] {
		if row[1] != "15000" {
			t.Fatalf("equity.csv row %v: equity %s, want 15000", row, row[1])
		}
	}
}

// A trade made before every asset has a price (here on BTCEUR's first
// tick, before ETHEUR's) is part of the run too: the start is the
// opening balances, valued at the first prices of every asset.
func TestStartIsOpeningBalances(t *testing.T) {
	feed := writeTicks(t,
		tk{0, "BTCEUR", "50000", "50000"},
		tk{5 * time.Second, "ETHEUR", "2000", "2000"},
		tk{time.Minute, "BTCEUR", "50000", "50000"},
		tk{2 * time.Minute, "ETHEUR", "2000", "2000"})
	o := btcOnly(t, feed, &onTick{in: strategy.Intent{Ref: "early", Pair: "BTCEUR", Side: market.Buy, Size: d("0.1"), Path: strategy.OTC, MaxSlippage: d("1")}})
	o.Pairs = pairs()
	o.Balances = map[market.Asset]decimal.Decimal{"EUR": d("10000"), "ETH": d("1")}
	o.Venue.FeeBps = d("100")
	s := run(t, o)
	if s.Trades != 1 || s.StartEquity != "12000" || s.EndEquity != "11950" || s.PnL != "-50" {
		t.Fatalf("trades %d, start %s, end %s, PnL %s; want 1 trade, 12000, 11950, -50 (the fee)", s.Trades, s.StartEquity, s.EndEquity, s.PnL)
	}
	if a := s.Assets["BTC"]; a.Start != "0" || a.Change != "0.1" {
		t.Fatalf("BTC %+v, want start 0, change 0.1", a)
	}
	rows := readCSV(t, filepath.Join(o.Out, FileEquity))
	if head, first := rows[0], rows[1]; first[1] != "12000" || head[5] != "balance_BTC" || first[5] != "0" || first[2] != "12000" {
		t.Fatalf("equity.csv starts %v / %v; want the opening balances (no BTC) worth 12000, the benchmark too", head, first)
	}
}

// Sharpe and Sortino are on the equity at each UTC midnight, whatever the
// sampling interval of the equity curve: a curve sampled every 48 hours,
// or every 7 minutes (not a divisor of a day), gives the same daily
// returns as one sampled every minute.
func TestDailyReturnsWhateverTheInterval(t *testing.T) {
	h := time.Hour
	feed := writeTicks(t,
		tk{time.Second, "BTCEUR", "100", "100"},
		tk{12 * h, "BTCEUR", "110", "110"},     // Monday closes at 110: +10%
		tk{36 * h, "BTCEUR", "99", "99"},       // Tuesday at 99: -10%
		tk{60 * h, "BTCEUR", "108.9", "108.9"}, // Wednesday at 108.9: +10%
		tk{73 * h, "BTCEUR", "108.9", "108.9"}) // Thursday, partial: 0%
	rets := []float64{0.1, -0.1, 0.1, 0}
	var mean, ss, down float64
	for _, r := range rets {
		mean += r / 4
	}
	for _, r := range rets {
		ss += (r - mean) * (r - mean)
		down += min(r, 0) * min(r, 0)
	}
	wantSharpe := math.Round(mean/math.Sqrt(ss/3)*math.Sqrt(365)*1e4) / 1e4
	wantSortino := math.Round(mean/math.Sqrt(down/4)*math.Sqrt(365)*1e4) / 1e4
	for _, every := range []time.Duration{time.Minute, 7 * time.Minute, 5 * h, 48 * h} {
		o := btcOnly(t, feed, &watch{fn: func(market.Tick) {}})
		o.Balances = map[market.Asset]decimal.Decimal{"BTC": d("1")}
		o.EquityInterval = every
		s := run(t, o)
		if s.Days != 4 || s.Sharpe == nil || *s.Sharpe != wantSharpe || s.Sortino == nil || *s.Sortino != wantSortino {
			t.Errorf("interval %s: %d days, Sharpe %v, Sortino %v; want 4 days, %v, %v", every, s.Days, fptr(s.Sharpe), fptr(s.Sortino), wantSharpe, wantSortino)
		}
	}
}

func fptr(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// A recording whose receive times step back (the recorder's wall clock
// was set back) replays in file order with time never running backwards:
// the step-back tick counts as received with the one before it, as the
// live loop (on a monotonic clock) processed it after that one. The
// report's times stay in order and the last tick is the latest.
func TestReceiveTimeSteppingBack(t *testing.T) {
	feed := writeTicks(t,
		tk{0, "BTCEUR", "50000", "50000"},
		tk{90 * time.Second, "BTCEUR", "50000", "50000"},
		tk{30 * time.Second, "BTCEUR", "50000", "50000"}, // the clock was set back a minute
		tk{95 * time.Second, "BTCEUR", "50000", "50000"},
		tk{100 * time.Second, "BTCEUR", "50000", "50000"})
	for _, to := range []time.Duration{0, 92 * time.Second} {
		o := btcOnly(t, feed, &watch{fn: func(market.Tick) {}})
		var want int64 = 5
		if to > 0 {
			o.To, want = monday.Add(to), 3
		}
		s := run(t, o)
		wantLast := monday.Add(100 * time.Second)
		if to > 0 {
			wantLast = monday.Add(90 * time.Second)
		}
		if s.Ticks != want || !s.LastTick.Equal(wantLast) {
			t.Fatalf("to %s: %d ticks, last at %s; want %d, last at %s", to, s.Ticks, s.LastTick, want, wantLast)
		}
		var prev time.Time
		for _, row := range readCSV(t, filepath.Join(o.Out, FileEquity))[1:] {
			at, err := time.Parse(time.RFC3339Nano, row[0])
			if err != nil {
				t.Fatal(err)
			}
			if at.Before(prev) {
				t.Fatalf("to %s: equity.csv goes back in time, %s after %s", to, at, prev)
			}
			prev = at
		}
	}
}

// Options that make no sense are refused up front, naming the problem,
// and leave no report.
func TestNonsenseOptions(t *testing.T) {
	feed := writeTicks(t, tk{0, "BTCEUR", "50000", "50000"})
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"negative balance", func(o *Options) { o.Balances["EUR"] = d("-1") }, "EUR"},
		{"pair min above max", func(o *Options) { o.Pairs[0].MinSize, o.Pairs[0].MaxSize = d("2"), d("1") }, "BTCEUR"},
		{"negative pair size", func(o *Options) { o.Pairs[0].MinQuoteSize = d("-5") }, "BTCEUR"},
	} {
		o := btcOnly(t, feed, &watch{fn: func(market.Tick) {}})
		c.edit(&o)
		_, err := Run(context.Background(), o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want an error naming %s", c.name, err, c.want)
		}
		noReport(t, o.Out)
	}
}

// A run starting exactly at midnight starts that day: no day of zero
// length (and zero return) before it dilutes Sharpe and Sortino.
func TestRunStartingAtMidnight(t *testing.T) {
	h := time.Hour
	feed := writeTicks(t,
		tk{0, "BTCEUR", "100", "100"},
		tk{12 * h, "BTCEUR", "110", "110"},
		tk{36 * h, "BTCEUR", "99", "99"},
		tk{50 * h, "BTCEUR", "99", "99"})
	o := btcOnly(t, feed, &watch{fn: func(market.Tick) {}})
	o.Balances = map[market.Asset]decimal.Decimal{"BTC": d("1")}
	s := run(t, o)
	if s.Days != 3 {
		t.Fatalf("%d days, want 3 (Monday +10%%, Tuesday -10%%, Wednesday 0%%)", s.Days)
	}
}
