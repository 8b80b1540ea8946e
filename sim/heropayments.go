package sim

// This file and the other heropayments*.go files are a self-contained
// simulator of the Heropayments API: they use nothing else of package sim.
// Every identifier they declare starts with hp or Heropayments.

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/venuehttp"
	"github.com/otcdesk/engine/scheduler"
	"github.com/shopspring/decimal"
)

// HeropaymentsOptions configure the Heropayments simulator. APIKey and
// APISecret are required; every other zero field takes a default.
type HeropaymentsOptions struct {
	// Addr is the listen address; it must be a loopback host. Default
	// "127.0.0.1:0".
	Addr string
	// APIKey and APISecret are the credentials requests must carry; the
	// secret also signs callbacks. Never logged.
	APIKey    string
	APISecret string
	// Clock drives expiry, status progress and callback retries. Nil means
	// the wall clock; tests pass a *scheduler.Manual and advance it.
	Clock scheduler.Clock
	// Seed seeds payment ids, addresses and sequences.
	Seed uint64
	// Rates are USDT per unit of each currency; default USDT 1, USDC 1,
	// BTC 60000, ETH 3000. MinAmounts are the smallest payments; default
	// 1 USDT-worth of each rate currency, rounded to 8 decimals.
	Rates      map[string]decimal.Decimal
	MinAmounts map[string]decimal.Decimal
	// Balance is the merchant's starting USDT balance.
	Balance decimal.Decimal
	// MerchantDailyLimit and CustomerDailyLimit bound withdrawals per UTC
	// day, in USDT. Zero means no limit.
	MerchantDailyLimit decimal.Decimal
	CustomerDailyLimit decimal.Decimal
	// DepositTTL is how long a deposit waits for payment; default 4h, as
	// the document says.
	DepositTTL time.Duration
	// Step is the time between two status changes of a paid deposit or a
	// withdrawal; default 1m.
	Step time.Duration
	// CallbackAttempts bounds the deliveries of one callback (default 5);
	// CallbackBackoff is the wait before the second, doubled each time
	// (default 30s).
	CallbackAttempts int
	CallbackBackoff  time.Duration
	// HTTPClient delivers callbacks; nil means one with a 10s timeout.
	HTTPClient *http.Client
	// Logger receives callback failures; nil discards.
	Logger *slog.Logger
}

// HeropaymentsServer is a running simulator. Its hooks are safe for
// concurrent use.
type HeropaymentsServer struct {
	opts  HeropaymentsOptions
	clock scheduler.Clock
	url   string
	srv   *http.Server
	hc    *http.Client
	log   *slog.Logger
	kick  chan struct{} // wakes the worker; buffered, never blocks
	conns idleNew
	stop  context.CancelFunc
	done  sync.WaitGroup

	mu        sync.Mutex // guards everything below
	rnd       *rand.Rand
	balance   decimal.Decimal
	payments  []*hpPayment            // creation order
	byID      map[string]*hpPayment   // id → payment
	orders    map[string]*hpPayment   // externalOrderId → original payment
	addresses map[string][]*hpPayment // payAddress → deposits, creation order
	static    map[string]string       // customerId → static address
	withdrawn map[string]decimal.Decimal
	queue     []*hpDelivery // callbacks to deliver
	drop      int           // callbacks still to lose
	errAfter  int           // create requests still to answer 502 after applying
	delivered int           // callbacks answered 2xx
	closed    bool
}

// hpPayment is one payment as the simulator keeps it.
type hpPayment struct {
	id, externalOrderID, sequence string
	flow                          heropayments.Flow
	kind                          heropayments.Kind
	status                        heropayments.Status
	customerID, currency          string
	amount, paid, merchant        decimal.Decimal
	payAddress, address           string
	callbackURL                   string
	created, updated, expires     time.Time
	// steps are the statuses still to come, one every Step from next.
	steps []heropayments.Status
	next  time.Time
	last  []byte // body of the last callback, for Resend
}

// StartHeropayments starts the simulator on a loopback address. It runs
// until ctx ends or Close is called.
func StartHeropayments(ctx context.Context, opts HeropaymentsOptions) (*HeropaymentsServer, error) {
	if opts.APIKey == "" || opts.APISecret == "" {
		return nil, errors.New("sim: heropayments: APIKey and APISecret are required")
	}
	opts.Addr = cmp.Or(opts.Addr, "127.0.0.1:0")
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil || !venuehttp.IsLoopback(host) {
		return nil, fmt.Errorf("sim: heropayments: listen address %q is not loopback", opts.Addr)
	}
	opts.DepositTTL = cmp.Or(opts.DepositTTL, 4*time.Hour)
	opts.Step = cmp.Or(opts.Step, time.Minute)
	opts.CallbackAttempts = cmp.Or(opts.CallbackAttempts, 5)
	opts.CallbackBackoff = cmp.Or(opts.CallbackBackoff, 30*time.Second)
	if opts.Rates == nil {
		opts.Rates = map[string]decimal.Decimal{"USDT": decimal.NewFromInt(1), "USDC": decimal.NewFromInt(1),
			"BTC": decimal.NewFromInt(60000), "ETH": decimal.NewFromInt(3000)}
	}
	if opts.MinAmounts == nil {
		opts.MinAmounts = map[string]decimal.Decimal{}
		for c, r := range opts.Rates {
			opts.MinAmounts[c] = decimal.NewFromInt(1).DivRound(r, 8)
		}
	}
	s := &HeropaymentsServer{
		opts: opts, clock: opts.Clock, hc: opts.HTTPClient, log: opts.Logger,
		kick:      make(chan struct{}, 1),
		rnd:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		balance:   opts.Balance,
		byID:      map[string]*hpPayment{},
		orders:    map[string]*hpPayment{},
		addresses: map[string][]*hpPayment{},
		static:    map[string]string{},
		withdrawn: map[string]decimal.Decimal{},
	}
	if s.clock == nil {
		s.clock = scheduler.System{}
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 10 * time.Second}
	}
	hc := *s.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.hc = &hc
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sim: heropayments: listen: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ConnState: s.conns.track}
	ctx, s.stop = context.WithCancel(ctx)
	s.done.Add(3)
	go func() {
		defer s.done.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sim: heropayments: serve", "err", err)
		}
	}()
	go func() {
		defer s.done.Done()
		<-ctx.Done()
		_ = shutdown(s.srv, &s.conns, 5*time.Second)
	}()
	go func() {
		defer s.done.Done()
		s.run(ctx)
	}()
	return s, nil
}

// URL is the simulator's base URL, for heropayments.Config.BaseURL.
func (s *HeropaymentsServer) URL() string { return s.url }

// Close stops the server and its callback worker and waits for both.
func (s *HeropaymentsServer) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.done.Wait()
	return nil
}

// wake asks the worker to look at the state again.
func (s *HeropaymentsServer) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// newIDLocked returns n random bytes in hex.
func (s *HeropaymentsServer) newIDLocked(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rnd.UintN(256))
	}
	return hex.EncodeToString(b)
}

// advanceLocked applies every status change due by now: expiry of waiting
// deposits and the steps of paid deposits and withdrawals. Each change
// queues a callback.
func (s *HeropaymentsServer) advanceLocked(now time.Time) {
	for _, p := range s.payments {
		if p.kind == heropayments.KindDeposit && len(p.steps) == 0 && hpWaiting(p) && !now.Before(p.expires) {
			s.setStatusLocked(p, heropayments.StatusExpired, p.expires)
		}
		for len(p.steps) > 0 && !now.Before(p.next) {
			at := p.next
			st := p.steps[0]
			p.steps = p.steps[1:]
			p.next = at.Add(s.opts.Step)
			s.setStatusLocked(p, st, at)
		}
	}
}

// hpWaiting reports whether a deposit still waits for its payment.
func hpWaiting(p *hpPayment) bool {
	return p.status == heropayments.StatusWaiting || p.status == heropayments.StatusNew
}

// setStatusLocked moves p to st, settles the balance on a final status,
// and queues the callback.
func (s *HeropaymentsServer) setStatusLocked(p *hpPayment, st heropayments.Status, at time.Time) {
	p.status, p.updated = st, at
	switch {
	case p.kind == heropayments.KindDeposit && st == heropayments.StatusFinished:
		s.balance = s.balance.Add(p.merchant)
	case p.kind == heropayments.KindWithdrawal && (st == heropayments.StatusFailed || st == heropayments.StatusRefunded):
		s.balance = s.balance.Add(p.merchant) // debited at creation
		day := p.created.UTC().Format(time.DateOnly)
		s.withdrawn[day] = s.withdrawn[day].Sub(p.merchant)
		s.withdrawn[day+"/"+p.customerID] = s.withdrawn[day+"/"+p.customerID].Sub(p.merchant)
	}
	if heropayments.Classify(p.flow, p.kind, st).Final() {
		p.steps = nil
	}
	s.queueCallbackLocked(p, at)
}

// rateLocked returns USDT per unit of currency.
func (s *HeropaymentsServer) rateLocked(currency string) (decimal.Decimal, bool) {
	r, ok := s.opts.Rates[currency]
	return r, ok
}
