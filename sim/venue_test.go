package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

func newVenue(t *testing.T, opts sim.Options) (*sim.Venue, *clock.Manual) {
	t.Helper()
	clk := newClock()
	opts.Clock = clk.Clock()
	t.Logf("sim seed %d", opts.Seed)
	return sim.NewVenue(opts), clk
}

func TestPricesDeterministicForSeed(t *testing.T) {
	read := func(seed uint64, reads int) string {
		v, clk := newVenue(t, sim.Options{Seed: seed})
		var last market.Tick
		for range reads {
			clk.Advance(100 * time.Second / time.Duration(reads))
			var err error
			if last, err = v.Tick("BTCUSDT"); err != nil {
				t.Fatal(err)
			}
		}
		return last.BuyPrice.String() + "/" + last.SellPrice.String()
	}
	a, b, c := read(7, 1), read(7, 100), read(8, 1)
	if a != b {
		t.Errorf("price at t+100s depends on how often it was read: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same price %s", a)
	}
}

func TestDedup(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		v, _ := newVenue(t, sim.Options{Seed: seed, Dedup: dedup})
		q, err := v.Quote("BTCUSDT", d("0.01"))
		if err != nil {
			t.Fatal(err)
		}
		req := sim.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: d("1"), ClientID: "same"}
		first, err := v.PlaceOrder(req)
		if err != nil {
			t.Fatal(err)
		}
		second, err := v.PlaceOrder(req)
		if err != nil {
			t.Fatal(err)
		}
		want, sameTrade := 2, false
		if dedup {
			want, sameTrade = 1, true
		}
		if n := v.Executions("same"); n != want {
			t.Errorf("Dedup=%v: Executions = %d, want %d", dedup, n, want)
		}
		if (first.TradeID == second.TradeID) != sameTrade {
			t.Errorf("Dedup=%v: trade ids %s and %s", dedup, first.TradeID, second.TradeID)
		}
	}
}

func TestSlippageAndQuoteExpiry(t *testing.T) {
	v, clk := newVenue(t, sim.Options{Seed: seed})
	q, err := v.Quote("BTCUSDT", d("1"))
	if err != nil {
		t.Fatal(err)
	}
	// Up 2%: a buy with 1% slippage is refused, one with 3% fills.
	if err := v.SetPrice("BTCUSDT", q.MarkPrice.Mul(d("1.02"))); err != nil {
		t.Fatal(err)
	}
	ex, err := v.PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: d("1"), ClientID: "a"})
	if err != nil || ex.Status != sim.StatusCancelled || ex.StatusError == "" {
		t.Errorf("buy 2%% above quote with 1%% slippage = %+v, %v; want cancelled with a status error", ex, err)
	}
	ex, err = v.PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: d("3"), ClientID: "b"})
	if err != nil || ex.Status != sim.StatusExecuted || !ex.Price.GreaterThan(q.BuyPrice) {
		t.Errorf("buy with 3%% slippage = %+v, %v; want executed at the new price", ex, err)
	}
	if got := v.TradesByClientID("a"); len(got) != 0 {
		t.Errorf("refused order traded: %+v", got)
	}
	clk.Advance(sim.DefaultQuoteTTL)
	if _, err := v.PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: d("3")}); !errors.Is(err, sim.ErrExpired) {
		t.Errorf("order on an expired quote = %v, want ErrExpired", err)
	}
	if _, err := v.Quote("BTCUSDT", d("21")); !errors.Is(err, sim.ErrInvalid) {
		t.Errorf("quote above the pair's max size = %v, want ErrInvalid", err)
	}
}

func TestPendingOrdersSettleWithTheClock(t *testing.T) {
	v, clk := newVenue(t, sim.Options{Seed: seed, PendingProbability: 1})
	sub := v.Subscribe()
	defer sub.Close()
	q, _ := v.Quote("ETHUSDT", d("1"))
	ex, err := v.PlaceOrder(sim.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: d("1"), ClientID: "p"})
	if err != nil || (ex.Status != sim.StatusCreated && ex.Status != sim.StatusPending) {
		t.Fatalf("PlaceOrder = %+v, %v; want Created or Pending", ex, err)
	}
	usdt := func() sim.AssetBalance {
		for _, a := range v.Balances().Assets {
			if a.Name == "USDT" {
				return a
			}
		}
		t.Fatal("no USDT balance")
		return sim.AssetBalance{}
	}
	if got := usdt(); !got.Allocated.Equal(ex.Notional) {
		t.Errorf("allocated while pending = %s, want %s", got.Allocated, ex.Notional)
	}
	clk.Advance(sim.DefaultPendingFor)
	o, _ := v.Order(ex.TradeID)
	if o.Status != sim.StatusExecuted || !usdt().Allocated.IsZero() {
		t.Errorf("after PendingFor: status %d, allocated %s; want executed and nothing allocated", o.Status, usdt().Allocated)
	}
	var kinds []string
	var seq uint64
	for {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		e, err := sub.Next(ctx)
		cancel()
		if err != nil {
			break
		}
		if h := e.Header(); h.Seq != seq+1 && seq != 0 {
			t.Errorf("event seq %d after %d", h.Seq, seq)
		}
		seq = e.Header().Seq
		switch e.(type) {
		case sim.OrderChanged:
			kinds = append(kinds, "order")
		case sim.TradeExecuted:
			kinds = append(kinds, "trade")
		case sim.BalanceChanged:
			kinds = append(kinds, "balance")
		}
		if len(kinds) == 5 {
			break
		}
	}
	if got := strings.Join(kinds, ","); got != "balance,order,balance,order,trade" {
		t.Errorf("events = %s, want balance,order,balance,order,trade", got)
	}
}

func TestWithdrawalLifecycle(t *testing.T) {
	v, clk := newVenue(t, sim.Options{Seed: seed, AutoApproveWhitelist: true, WithdrawalFailureRate: 1})
	if _, err := v.WhitelistAddress(sim.WhitelistRequest{Name: "x", Asset: "BTC", Address: "bc1q", Network: "Bitcoin"}); err != nil {
		t.Fatal(err)
	}
	w, err := v.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d("1"), Address: "bc1q", Network: "bitcoin", ClientID: "w"})
	if err != nil {
		t.Fatal(err)
	}
	status := func() sim.MovementStatus { return v.WithdrawalsByClientID("w")[0].Status }
	for _, step := range []struct {
		advance time.Duration
		want    sim.MovementStatus
	}{{0, sim.MovementCreated}, {sim.DefaultConfirmAfter, sim.MovementConfirming}, {sim.DefaultSettleAfter, sim.MovementFailure}} {
		clk.Advance(step.advance)
		if got := status(); got != step.want {
			t.Errorf("status after %v = %s, want %s", step.advance, got, step.want)
		}
	}
	for _, a := range v.Balances().Assets {
		if a.Name == "BTC" && (!a.Available.Equal(d("10")) || !a.Allocated.IsZero()) {
			t.Errorf("BTC after a failed withdrawal = %s/%s, want 10/0 (refunded)", a.Available, a.Allocated)
		}
	}
	if err := v.CompleteWithdrawal(w.ID, true); !errors.Is(err, sim.ErrConflict) {
		t.Errorf("CompleteWithdrawal on a final withdrawal = %v, want ErrConflict", err)
	}
	if _, err := v.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d("11"), Address: "bc1q", Network: "Bitcoin"}); !errors.Is(err, sim.ErrInsufficientFunds) {
		t.Errorf("withdrawing more than the balance = %v, want ErrInsufficientFunds", err)
	}
}

func TestPaginationLimits(t *testing.T) {
	v, clk := newVenue(t, sim.Options{Seed: seed})
	now := clk.Now()
	for _, tt := range []struct {
		p    sim.Page
		list func(sim.Page) ([]sim.Trade, error)
		ok   bool
	}{
		{sim.Page{From: now.Add(-7 * 24 * time.Hour), To: now, Size: 5}, v.Trades, true},
		{sim.Page{From: now.Add(-7*24*time.Hour - time.Second), To: now, Size: 5}, v.Trades, false},
		{sim.Page{From: now.Add(-30 * 24 * time.Hour), To: now, Size: 50}, v.HistoricalTrades, true},
		{sim.Page{From: now.Add(-31 * 24 * time.Hour), To: now, Size: 50}, v.HistoricalTrades, false},
		{sim.Page{From: now, To: now, Size: 4}, v.Trades, false},
		{sim.Page{From: now, To: now, Size: 51}, v.Trades, false},
		{sim.Page{From: now, To: now.Add(-time.Second), Size: 5}, v.Trades, false},
	} {
		if _, err := tt.list(tt.p); (err == nil) != tt.ok {
			t.Errorf("page %+v: err = %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}

// TestWireErrors checks authentication and both error formats on the wire.
func TestWireErrors(t *testing.T) {
	for _, flat := range []bool{false, true} {
		srv, _ := startServer(t, sim.Options{Seed: seed, FlatErrors: flat})
		get := func(key string) (int, string) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/api/v1/user/balances", nil)
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		wantMissing, wantBad := `{"error":{"code":"authentication_required"`, `{"error":{"code":"invalid_api_key"`
		if flat {
			wantMissing, wantBad = `{"code":"UNAUTHORIZED"`, `{"code":"UNAUTHORIZED"`
		}
		if st, body := get(""); st != 401 || !strings.HasPrefix(body, wantMissing) {
			t.Errorf("flat=%v no key: %d %s", flat, st, body)
		}
		if st, body := get("wrong"); st != 401 || !strings.HasPrefix(body, wantBad) || strings.Contains(body, srv.APIKey()) {
			t.Errorf("flat=%v wrong key: %d %s", flat, st, body)
		}
		if st, _ := get(srv.APIKey()); st != 200 {
			t.Errorf("flat=%v right key: %d", flat, st)
		}
		st, body := getJSON(t, srv, "/api/v1/price/NOPE/1")
		var e struct {
			Code  string `json:"code"` // the guide's flat form
			Error struct {
				Code string `json:"code"`
			} `json:"error"` // the documentation site's form
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("flat=%v unknown pair: body %s: %v", flat, body, err)
		}
		code := e.Error.Code
		if flat {
			code = e.Code
		}
		if st != 404 || (flat && code != "NOT_FOUND") || (!flat && code != "not_found") {
			t.Errorf("flat=%v unknown pair: %d %s", flat, st, body)
		}
	}
}

func TestMaintenanceWindow(t *testing.T) {
	// The clock starts on Wednesday 2025-12-03 09:00 UTC = 10:00 GMT+1.
	window := sim.WeeklyWindow(time.Wednesday, 10*time.Hour, time.Hour, time.FixedZone("GMT+1", 3600))
	srv, clk := startServer(t, sim.Options{Seed: seed, Maintenance: window})
	if st, body := getJSON(t, srv, "/api/v1/pairs"); st != http.StatusServiceUnavailable {
		t.Errorf("pairs in the window = %d %s, want 503", st, body)
	}
	clk.Advance(time.Hour)
	if st, body := getJSON(t, srv, "/api/v1/pairs"); st != http.StatusOK {
		t.Errorf("pairs after the window = %d %s, want 200", st, body)
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	if _, err := sim.Start(t.Context(), sim.Options{Addr: "0.0.0.0:0"}); err == nil {
		t.Error("Start on 0.0.0.0 succeeded, want an error")
	}
}
