package heropayments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/metrictest"
)

const testKey = "hp-test-key-0123456789"

// fakeAPI checks every request's key and signature the way the document
// says Heropayments does, then answers with the next scripted reply.
type fakeAPI struct {
	t       *testing.T
	mu      sync.Mutex
	bodies  []string
	queries []string
	replies []reply
}

type reply struct {
	status int
	body   string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ok := r.Header.Get(APIKeyHeader) == testKey
	if r.Method == http.MethodPost {
		norm, err := Normalize(body)
		ok = ok && err == nil && string(norm) == string(body) && VerifyBody(testSecret, body, r.Header.Get(SignHeader)) == nil
	} else {
		ok = ok && SignQuery(testSecret, r.URL.RawQuery) == r.Header.Get(SignHeader)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, string(body))
	f.queries = append(f.queries, r.URL.RawQuery)
	if !ok {
		f.t.Errorf("%s %s: key or signature refused", r.Method, r.URL.Path)
		http.Error(w, `{"error":"invalid signature"}`, http.StatusUnauthorized)
		return
	}
	rp := reply{200, `{}`}
	if len(f.replies) > 0 {
		rp, f.replies = f.replies[0], f.replies[1:]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

func (f *fakeAPI) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

func newTestClient(t *testing.T, api *fakeAPI, limits *Limits) *Client {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	const seed = 7
	t.Logf("backoff seed %d", seed)
	c, err := NewClient(Config{BaseURL: srv.URL, APIKey: testKey, APISecret: testSecret, MaxRetries: 3, Limits: limits,
		Rand:  rand.New(rand.NewPCG(seed, seed)),
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientSignsAndDecodes(t *testing.T) {
	ctx := context.Background()
	api := &fakeAPI{t: t, replies: []reply{
		{200, `{"currency":"USDT","amount":12345.678901234567890}`},
		{200, `{"id":"p1","externalOrderId":"wd-1","sequence":"original","type":"withdrawal","status":"waiting","amount":1.5}`},
		{200, `{"id":"p1","externalOrderId":"wd-1","status":"finished","merchantAmount":"90000.5"}`},
	}}
	c := newTestClient(t, api, nil)
	bal, err := c.Balance(ctx, FlowV2)
	if err != nil || bal.Amount.String() != "12345.67890123456789" {
		t.Fatalf("Balance = %+v, %v; want the exact decimal", bal, err)
	}
	p, err := c.CreateWithdrawal(ctx, FlowCustody, WithdrawalRequest{ExternalOrderID: "wd-1", CustomerID: "c1",
		Currency: "BTC", Amount: MustAmount("1.50"), Address: "bc1q<x>"}, WithdrawalOptions{})
	if err != nil || p.Status != StatusWaiting || p.Key() != (PaymentKey{"wd-1", "original"}) {
		t.Fatalf("CreateWithdrawal = %+v, %v", p, err)
	}
	p, err = c.PaymentStatus(ctx, FlowCustody, Ref{ExternalOrderID: "wd-1"})
	if err != nil || p.Status != StatusFinished || p.MerchantAmount.String() != "90000.5" {
		t.Fatalf("PaymentStatus = %+v, %v", p, err)
	}
	want := `{"externalOrderId":"wd-1","customerId":"c1","currency":"BTC","amount":1.5,"address":"bc1q<x>"}`
	if api.bodies[1] != want {
		t.Errorf("withdrawal body = %s, want %s", api.bodies[1], want)
	}
	if api.queries[0] != "" || api.queries[2] != "externalOrderId=wd-1" {
		t.Errorf("queries = %q, want none for the balance and externalOrderId=wd-1 for the status", api.queries)
	}
}

func TestClientRetriesReadsOnly(t *testing.T) {
	ctx := context.Background()
	api := &fakeAPI{t: t, replies: []reply{{503, `busy`}, {502, ``}, {200, `{"currency":"BTC","minAmount":0.0001}`}}}
	c := newTestClient(t, api, nil)
	m, err := c.MinAmount(ctx, "BTC")
	if err != nil || m.MinAmount.String() != "0.0001" || api.requests() != 3 {
		t.Fatalf("MinAmount = %+v, %v after %d requests; want success on the third", m, err, api.requests())
	}

	limits := newTestLimits(t, clock.NewManual(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)))
	api = &fakeAPI{t: t, replies: []reply{{503, `{"error":{"code":"E_BUSY","message":"busy"}}`}, {200, `{}`}}}
	reg := prometheus.NewRegistry()
	c = newTestClient(t, api, limits)
	if c.metrics, err = newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	req := WithdrawalRequest{ExternalOrderID: "wd-7", CustomerID: "c1", Currency: "USDT", Amount: MustAmount("250"), Address: "T1"}
	_, err = c.CreateWithdrawal(ctx, FlowV2, req, WithdrawalOptions{})
	var ue *UnknownOutcomeError
	if !errors.As(err, &ue) || ue.ExternalOrderID != "wd-7" || !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrServer) {
		t.Fatalf("CreateWithdrawal after a 503 = %v, want an UnknownOutcomeError for wd-7", err)
	}
	if api.requests() != 1 {
		t.Fatalf("withdrawal sent %d times, want once: never blindly retried", api.requests())
	}
	if got := metrictest.Counter(t, reg, "engine_heropayments_requests_total", "route", "withdrawal_v2", "outcome", "unknown"); got != 1 {
		t.Errorf("requests_total{withdrawal_v2,unknown} = %v, want 1", got)
	}
	// Unknown outcome keeps the amount counted: 250 of alice's 300 is used.
	if _, err := limits.Reserve(ctx, "c1", decimal.RequireFromString("51")); !errors.Is(err, ErrLimitExceeded) {
		t.Errorf("after an unknown outcome Reserve(51) = %v, want the 250 still counted", err)
	}
}

func TestClientRefusesBeforeSending(t *testing.T) {
	ctx := context.Background()
	limits := newTestLimits(t, clock.NewManual(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)))
	api := &fakeAPI{t: t, replies: []reply{{400, `{"code":"LIMIT","message":"key ` + testKey + ` over limit"}`}}}
	c := newTestClient(t, api, limits)
	w := func(amount, currency string) WithdrawalRequest {
		return WithdrawalRequest{ExternalOrderID: "wd-1", CustomerID: "c1", Currency: currency, Amount: MustAmount(amount), Address: "T1"}
	}
	for name, tc := range map[string]struct {
		req  WithdrawalRequest
		want error
	}{
		"inexact amount":     {w("0.12345678901234567890", "USDT"), ErrInexactAmount},
		"over customer":      {w("300.01", "USDT"), ErrLimitExceeded},
		"zero amount":        {w("0", "USDT"), ErrInvalidInput},
		"other currency":     {w("1", "BTC"), ErrInvalidInput},
		"no externalOrderId": {WithdrawalRequest{CustomerID: "c", Currency: "USDT", Amount: MustAmount("1"), Address: "a"}, ErrInvalidInput},
	} {
		if _, err := c.CreateWithdrawal(ctx, FlowV2, tc.req, WithdrawalOptions{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: CreateWithdrawal = %v, want %v", name, err, tc.want)
		}
	}
	if n := api.requests(); n != 0 {
		t.Fatalf("%d requests sent for refused withdrawals, want 0", n)
	}
	// A definitive refusal releases the reservation and never leaks the key.
	_, err := c.CreateWithdrawal(ctx, FlowV2, w("300", "USDT"), WithdrawalOptions{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !errors.Is(err, ErrBadRequest) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("CreateWithdrawal refused by the server = %v; want a redacted APIError 400", err)
	}
	if _, err := limits.Reserve(ctx, "c1", decimal.RequireFromString("300")); err != nil {
		t.Errorf("after a definitive refusal Reserve(300) = %v, want the amount released", err)
	}
	for _, s := range []string{fmt.Sprint(Config{APIKey: testKey, APISecret: testSecret}), fmt.Sprintf("%#v", Config{APIKey: testKey, APISecret: testSecret}), c.String()} {
		if strings.Contains(s, testKey) || strings.Contains(s, testSecret) {
			t.Errorf("%s leaks a credential", s)
		}
	}
}

func TestNewClientConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no key":        {APISecret: "s"},
		"no secret":     {APIKey: "k"},
		"http remote":   {APIKey: "k", APISecret: "s", BaseURL: "http://api.example.com"},
		"credentials":   {APIKey: "k", APISecret: "s", BaseURL: "https://u:p@api.example.com"},
		"retries":       {APIKey: "k", APISecret: "s", MaxRetries: 11},
		"key with ctrl": {APIKey: "k\n", APISecret: "s"},
	} {
		_, err := NewClient(cfg)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: NewClient = %v, want ErrConfig", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "k\n") {
			t.Errorf("%s: error echoes the key", name)
		}
	}
}
