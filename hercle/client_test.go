package hercle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/metrictest"
	"github.com/otcdesk/engine/market"
)

const testKey = "sk_test_eyJhbGciOiJIUzI1NiJ9.s3cr3t"

// fakeClock is the client's clock in tests: a manual clock whose Sleep
// records the wait and advances the clock at once, so no test waits for
// real.
type fakeClock struct {
	*clock.Manual
	mu     sync.Mutex // guards sleeps, and makes a sleep and its advance one step
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{Manual: clock.NewManual(time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))}
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.Advance(d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

const seed = 42

type harness struct {
	c     *Client
	clock *fakeClock
	reg   *prometheus.Registry
	srv   *httptest.Server
}

func newHarness(t *testing.T, h http.Handler, tweak ...func(*Config)) *harness {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	clk := newFakeClock()
	reg := prometheus.NewRegistry()
	t.Logf("jitter seed %d", seed)
	cfg := Config{
		BaseURL:    srv.URL,
		APIKey:     testKey,
		HTTPClient: srv.Client(),
		RateLimit:  1000,
		Burst:      100,
		MaxRetries: 3,
		Metrics:    reg,
		Rand:       rand.New(rand.NewPCG(seed, seed)),
		Clock:      clk.Clock(),
		Sleep:      clk.Sleep,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{c: c, clock: clk, reg: reg, srv: srv}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

const executionBody = `{"tradeId":"t1","side":"buy","pair":"BTCUSDT","price":26844.07,"size":0.01,"notional":268.4407,"status":1,"baseCurrency":"BTC","quoteCurrency":"USDT","timestamp":"2023-10-11T23:00:57.93094Z","statusError":""}`

func order() OrderRequest {
	return OrderRequest{PriceID: "p1", Side: market.Buy, Slippage: MustNumber("1")}
}

func TestHeadersAndClientID(t *testing.T) {
	var got []http.Header
	var mu sync.Mutex
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		writeJSON(w, 201, executionBody)
	}))
	ctx := context.Background()

	ex, id, err := h.c.PlaceOrder(ctx, order(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(id); err != nil {
		t.Errorf("generated Client-Id %q is not a UUID: %v", id, err)
	}
	if ex.Status != OrderExecuted || ex.Status.String() != "Executed" {
		t.Errorf("status = %v, want Executed", ex.Status)
	}
	if _, id2, err := h.c.PlaceOrder(ctx, order(), "my-order-1"); err != nil || id2 != "my-order-1" {
		t.Fatalf("passthrough: id %q, err %v", id2, err)
	}
	h.c.Pairs(ctx) // a GET, which must not carry a Client-Id; its decode error is irrelevant here
	if len(got) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(got))
	}
	for i, hd := range got {
		if hd.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("request %d: Authorization = %q", i, hd.Get("Authorization"))
		}
		if hd.Get("Idempotency-Key") != "" || hd.Get("X-Idempotency-Key") != "" {
			t.Errorf("request %d carries an idempotency key header; net/http would replay it", i)
		}
	}
	if got[0].Get("Client-Id") != id || got[1].Get("Client-Id") != "my-order-1" {
		t.Errorf("Client-Id headers = %q, %q; want %q, my-order-1", got[0].Get("Client-Id"), got[1].Get("Client-Id"), id)
	}
	if got[2].Get("Client-Id") != "" {
		t.Errorf("GET carried Client-Id %q", got[2].Get("Client-Id"))
	}
	for _, bad := range []string{"has space", "a/b", "..", strings.Repeat("x", 37)} {
		if _, _, err := h.c.PlaceOrder(ctx, order(), bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("PlaceOrder(client id %q) err = %v, want ErrInvalidInput", bad, err)
		}
	}
}

func TestMoneyCallsSendClientID(t *testing.T) {
	var ids []string
	var mu sync.Mutex
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Method+" "+r.URL.Path+" "+r.Header.Get("Client-Id"))
		mu.Unlock()
		writeJSON(w, 201, `{}`)
	}))
	ctx := context.Background()
	wr := WithdrawalRequest{Asset: "ETH", Amount: MustNumber("1"), Address: "0xdead", Network: "Ethereum"}
	calls := []func() (string, error){
		func() (string, error) { _, id, err := h.c.PlaceOrder(ctx, order(), "c1"); return id, err },
		func() (string, error) { _, id, err := h.c.AcceptRFQ(ctx, "rfq1", "c2"); return id, err },
		func() (string, error) { _, id, err := h.c.Withdraw(ctx, wr, "c3"); return id, err },
		func() (string, error) { _, id, err := h.c.WithdrawInstant(ctx, wr, "c4"); return id, err },
		func() (string, error) {
			_, id, err := h.c.WithdrawWithAddressParams(ctx, AddressParamsWithdrawalRequest{Asset: "EUR", Amount: MustNumber("45"), Address: "IT00", Network: "Sepa"}, "c5")
			return id, err
		},
		func() (string, error) {
			_, id, err := h.c.WithdrawLightning(ctx, LightningWithdrawalRequest{PaymentRequestHash: "lnbc1"}, "c6")
			return id, err
		},
		func() (string, error) {
			_, id, err := h.c.CreateTransfer(ctx, TransferRequest{Asset: "USD", Amount: MustNumber("1000.5"), InternalAddressID: "i", PayeeAddressID: "p", Description: "x"}, "c7")
			return id, err
		},
	}
	for i, call := range calls {
		id, err := call()
		if err != nil || id != fmt.Sprintf("c%d", i+1) {
			t.Errorf("call %d: id %q err %v", i+1, id, err)
		}
	}
	want := []string{
		"POST /api/v1/orders c1", "POST /api/v1/rfq/accept c2", "POST /api/v1/withdrawals c3",
		"POST /api/v1/withdrawals/instant c4", "POST /api/v1/withdrawals/address c5",
		"POST /api/v1/lightning/withdrawals c6", "POST /api/v1/transfer c7",
	}
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
}

func TestAmountsAreJSONNumbers(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		writeJSON(w, 201, `{}`)
	}))
	ctx := context.Background()
	const tiny = "0.123456789012345678"
	if _, _, err := h.c.PlaceOrder(ctx, OrderRequest{PriceID: "p", Side: market.Sell, Slippage: MustNumber("0.1")}, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.c.CreateTransfer(ctx, TransferRequest{Asset: "USD", Amount: MustNumber("26844.07"), InternalAddressID: "i", PayeeAddressID: "p"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.c.Withdraw(ctx, WithdrawalRequest{Asset: "ETH", Amount: MustNumber(tiny), Address: "a", Network: "Ethereum"}, ""); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`"slippage":0.1}`, `"amount":26844.07,`, `"amount":` + tiny + `,`} {
		if !strings.Contains(bodies[i], want) {
			t.Errorf("body %d = %s, want it to contain %s", i, bodies[i], want)
		}
	}
	var back struct{ Amount Number }
	if err := json.Unmarshal([]byte(`{"amount":`+tiny+`}`), &back); err != nil || back.Amount.String() != tiny {
		t.Errorf("decode %s = %s (%v)", tiny, back.Amount, err)
	}
}

func TestRateLimiter(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `[]`) }),
		func(c *Config) { c.RateLimit, c.Burst = 10, 2 })
	start := h.clock.Now()
	for i := 0; i < 6; i++ {
		if _, err := h.c.Pairs(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 2 from the burst, 4 more at 10/s: at least 400ms of the client's clock.
	if el := h.clock.Now().Sub(start); el < 400*time.Millisecond || el > 410*time.Millisecond {
		t.Errorf("6 calls at 10/s burst 2 took %v of fake time, want 400ms", el)
	}
}

func TestPathEscaping(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		writeJSON(w, 200, `[]`)
	}))
	ctx := context.Background()
	h.c.OrdersByClientID(ctx, "a/b c")
	h.c.PairSizeByAmount(ctx, "BTCUSDT", market.Buy, decimal.RequireFromString("500"))
	if _, err := h.c.OrdersByClientID(ctx, ".."); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("client id \"..\": err = %v, want ErrInvalidInput", err)
	}
	want := []string{"/api/v1/orders/a%2Fb%20c", "/api/v1/pairs/BTCUSDT/buy/500"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths = %v, want %v", paths, want)
	}
}

func TestConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key", Config{Environment: "sandbox"}, "APIKey is empty"},
		{"no env", Config{APIKey: "k"}, "set Environment"},
		{"bad env", Config{APIKey: "k", Environment: "prod"}, `got "prod"`},
		{"http remote", Config{APIKey: "k", BaseURL: "http://example.com"}, "loopback"},
		{"userinfo", Config{APIKey: "k", BaseURL: "https://u:p@example.com"}, "credentials"},
		{"key with newline", Config{APIKey: "k\nX-Evil: 1", Environment: "sandbox"}, "whitespace"},
		{"retries", Config{APIKey: "k", Environment: "sandbox", MaxRetries: 11}, "MaxRetries"},
	}
	for _, tc := range cases {
		_, err := NewClient(tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrConfig mentioning %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "X-Evil") {
			t.Errorf("%s: error echoes the key", tc.name)
		}
	}
	for env, want := range map[string]string{"sandbox": SandboxURL, "production": ProductionURL} {
		c, err := NewClient(Config{Environment: env, APIKey: testKey})
		if err != nil || c.BaseURL() != want {
			t.Errorf("%s: base %v, err %v", env, c, err)
		}
	}
	c, err := NewClient(Config{BaseURL: "http://127.0.0.1:8080/prefix/", APIKey: testKey, Environment: "production"})
	if err != nil || c.BaseURL() != "http://127.0.0.1:8080/prefix" {
		t.Fatalf("simulator base: %v, %v", c, err)
	}
	cfg := Config{Environment: "sandbox", APIKey: testKey}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg), c.String(), fmt.Sprintf("%+v", c)} {
		if strings.Contains(s, testKey) {
			t.Errorf("printing leaks the key: %s", s)
		}
	}
	// Two clients may share a registry.
	reg := prometheus.NewRegistry()
	for i := 0; i < 2; i++ {
		if _, err := NewClient(Config{Environment: "sandbox", APIKey: testKey, Metrics: reg}); err != nil {
			t.Errorf("client %d on a shared registry: %v", i, err)
		}
	}
}

func TestValidationSendsNothing(t *testing.T) {
	var hits atomic.Int32
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	ctx := context.Background()
	checks := []error{
		func() error {
			_, _, err := h.c.PlaceOrder(ctx, OrderRequest{PriceID: "p", Side: "hold"}, "")
			return err
		}(),
		func() error {
			_, _, err := h.c.PlaceOrder(ctx, OrderRequest{PriceID: "p", Side: market.Buy, Slippage: MustNumber("50")}, "")
			return err
		}(),
		func() error { _, err := h.c.CreateRFQ(ctx, RFQRequest{Pair: "BTCUSDT", Side: market.Buy}); return err }(),
		func() error {
			_, err := h.c.CreateCustomRFQ(ctx, CustomRFQRequest{Pair: "BTCUSDT", Side: market.Buy, Size: MustNumber("1"), ExpirationInSeconds: 241})
			return err
		}(),
		func() error {
			_, _, err := h.c.Withdraw(ctx, WithdrawalRequest{Asset: "ETH", Amount: MustNumber("-1"), Address: "a", Network: "n"}, "")
			return err
		}(),
		func() error {
			_, err := h.c.CreateInvoice(ctx, InvoiceRequest{AmountBtc: MustNumber("0.001"), ExpiryHours: 721})
			return err
		}(),
		func() error { _, err := h.c.Price(ctx, "BTCUSDT", decimal.Zero); return err }(),
	}
	for i, err := range checks {
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("check %d: err = %v, want ErrInvalidInput", i, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("invalid input reached the server %d times", hits.Load())
	}
}

// TestCallCountedWhenStoppedBeforeRetry: a call that got a 429 and whose
// context ended before the retry could be sent is still one call in
// engine_hercle_requests_total (outcome rejected); it used to be counted
// nowhere, so rate limiting that ended calls did not show.
func TestCallCountedWhenStoppedBeforeRetry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 429, `{"error":{"code":"rate_limit_exceeded","message":"slow down","type":"rate_limit_error"}}`)
	}), func(c *Config) {
		// The backoff wait ends the caller's context but itself completes,
		// so the call stops at the rate limiter before the retry.
		c.Sleep = func(context.Context, time.Duration) error { cancel(); return nil }
	})
	_, err := h.c.Pairs(ctx)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want the 429", err)
	}
	if v := metrictest.Counter(t, h.reg, "engine_hercle_requests_total", "route", "pairs", "outcome", "rejected"); v != 1 {
		t.Errorf("requests_total{pairs,rejected} = %v, want 1", v)
	}
}

// TestClientNeverPrintsKey: every fmt verb and slog handler on a *Client
// leaves the API key out. %#v does not call String, and printed the
// struct's fields, the "Bearer <key>" header value among them.
func TestClientNeverPrintsKey(t *testing.T) {
	c, err := NewClient(Config{Environment: "sandbox", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("client", "c", c)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("client", "c", c)
	//lint:ignore S1025 every formatting verb is what is under test
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c), logged.String()} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("client printed with its key: %s", s)
		}
	}
}
