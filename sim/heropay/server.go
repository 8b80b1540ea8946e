package heropay

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
)

// Options configure the simulator. APIKey and APISecret are required;
// every other zero field takes a default.
type Options struct {
	// Addr is the listen address; it must be a loopback host. Default
	// "127.0.0.1:0".
	Addr string
	// APIKey and APISecret are the credentials requests must carry; the
	// secret also signs callbacks. Never logged.
	APIKey    string
	APISecret string
	// Clock drives expiry, status progress and callback retries. The zero
	// value is the system clock; tests pass a clock.Manual's and advance it.
	Clock clock.Clock
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
	// Customers pay deposits on their own, on the simulator's clock (see
	// Customers); the zero value has none.
	Customers Customers
	// HTTPClient delivers callbacks; nil means one with a 10s timeout. It
	// is copied, and the copy follows no redirect.
	HTTPClient *http.Client
	// Logger receives callback failures; nil discards.
	Logger *slog.Logger
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	o.Addr = cmp.Or(o.Addr, "127.0.0.1:0")
	o.DepositTTL = cmp.Or(o.DepositTTL, 4*time.Hour)
	o.Step = cmp.Or(o.Step, time.Minute)
	o.CallbackAttempts = cmp.Or(o.CallbackAttempts, 5)
	o.CallbackBackoff = cmp.Or(o.CallbackBackoff, 30*time.Second)
	o.Rates, o.MinAmounts = maps.Clone(o.Rates), maps.Clone(o.MinAmounts) // the caller's maps stay the caller's
	if o.Rates == nil {
		o.Rates = map[string]decimal.Decimal{"USDT": decimal.NewFromInt(1), "USDC": decimal.NewFromInt(1),
			"BTC": decimal.NewFromInt(60000), "ETH": decimal.NewFromInt(3000)}
	}
	if o.MinAmounts == nil {
		o.MinAmounts = map[string]decimal.Decimal{}
		for c, r := range o.Rates {
			o.MinAmounts[c] = decimal.NewFromInt(1).DivRound(r, 8)
		}
	}
	o.Customers = o.Customers.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server is a running simulator. Its methods are safe for concurrent use.
type Server struct {
	opts  Options
	clock clock.Clock
	url   string
	srv   *http.Server
	hc    *http.Client
	log   *slog.Logger
	kick  chan struct{} // wakes the worker; buffered, never blocks
	fresh freshConns
	stop  context.CancelFunc
	done  sync.WaitGroup

	mu        sync.Mutex // guards everything below
	rnd       *rand.Rand
	balance   decimal.Decimal
	payments  []*record            // creation order
	byID      map[string]*record   // id → payment
	orders    map[string]*record   // externalOrderId → original payment
	addresses map[string][]*record // payAddress → deposits, creation order
	static    map[string]string    // customerId → static address
	withdrawn map[string]decimal.Decimal
	queue     []*delivery // callbacks to deliver
	drop      int         // callbacks still to lose
	errAfter  int         // create requests still to answer 502 after applying
	delivered int         // callbacks answered 2xx
	cust      customerState
	closed    bool
}

// Payment is a deposit or a withdrawal as the simulator holds it. Payments
// returns copies.
type Payment struct {
	ID              string
	ExternalOrderID string
	// Sequence is SequenceOriginal for an externalOrderId's first payment
	// and a new 32-hex id for each further payment to its address.
	Sequence   string
	Flow       Flow
	Type       Kind
	Status     Status
	CustomerID string
	Currency   string
	// Amount is the amount asked for (zero for a deposit created without
	// one); PaidAmount what the customer sent to a deposit address.
	Amount     decimal.Decimal
	PaidAmount decimal.Decimal
	// MerchantAmount is the USDT credited (deposit) or debited
	// (withdrawal).
	MerchantAmount decimal.Decimal
	PayAddress     string // a deposit's address
	Address        string // a withdrawal's destination
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time // a deposit's; zero for a withdrawal
}

// record is a payment and the simulator's own state of it.
type record struct {
	Payment
	callbackURL string
	// steps are the statuses still to come on their own, one every Step
	// from next.
	steps []Status
	next  time.Time
	last  []byte // body of the last callback, for Resend
}

// Start starts the simulator on a loopback address. It runs until ctx
// ends or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.APIKey == "" || opts.APISecret == "" {
		return nil, errors.New("heropay: APIKey and APISecret are required")
	}
	opts = opts.withDefaults()
	if err := opts.Customers.check(opts.Rates); err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return nil, fmt.Errorf("heropay: listen address %q is not loopback", opts.Addr)
	}
	s := &Server{
		opts: opts, clock: opts.Clock, log: opts.Logger,
		kick:      make(chan struct{}, 1),
		rnd:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		balance:   opts.Balance,
		byID:      map[string]*record{},
		orders:    map[string]*record{},
		addresses: map[string][]*record{},
		static:    map[string]string{},
		withdrawn: map[string]decimal.Decimal{},
		cust:      customerState{rnd: rand.New(rand.NewPCG(opts.Seed, 0xc057))},
	}
	if opts.Customers.Every > 0 {
		s.cust.next = opts.Clock.Now().Add(opts.Customers.Every)
	}
	hc := http.Client{Timeout: 10 * time.Second}
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.hc = &hc
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("heropay: listen: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ConnState: s.fresh.note}
	ctx, s.stop = context.WithCancel(ctx)
	s.done.Add(3)
	go func() {
		defer s.done.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("heropay: serve", "err", err)
		}
	}()
	go func() {
		defer s.done.Done()
		<-ctx.Done()
		s.shutdown()
	}()
	go func() {
		defer s.done.Done()
		s.run(ctx)
	}()
	return s, nil
}

// shutdown lets requests in flight finish for up to 5 seconds, then
// closes what is left. net/http's Shutdown waits up to 5 seconds for a
// connection that has not sent a request yet (a client's spare pooled
// connection), so those are closed here, again and again until Shutdown
// returns: no request was started on them.
func (s *Server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.srv.Shutdown(ctx) }()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		s.fresh.closeAll()
		select {
		case err := <-done:
			if err != nil {
				_ = s.srv.Close()
			}
			return
		case <-poll.C:
		}
	}
}

// freshConns are the server's connections that have sent no request yet.
type freshConns struct {
	mu  sync.Mutex // guards set
	set map[net.Conn]struct{}
}

// note is the server's ConnState hook.
func (f *freshConns) note(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case st != http.StateNew:
		delete(f.set, c)
	case f.set == nil:
		f.set = map[net.Conn]struct{}{c: {}}
	default:
		f.set[c] = struct{}{}
	}
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.set {
		_ = c.Close()
	}
	clear(f.set)
}

// URL is the simulator's base URL, for the client's base URL setting.
func (s *Server) URL() string { return s.url }

// Close stops the server and its callback worker and waits for both. It
// always returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.done.Wait()
	return nil
}

// wake asks the worker to look at the state again.
func (s *Server) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// newIDLocked returns n random bytes in hex.
func (s *Server) newIDLocked(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rnd.UintN(256))
	}
	return hex.EncodeToString(b)
}

// waiting reports whether a deposit still waits for its payment: it is at
// its flow's first status and nothing is scheduled.
func (r *record) waiting() bool {
	return r.Type == KindDeposit && r.Status == firstStatus(r.Flow) && len(r.steps) == 0
}

// firstStatus is the status a new deposit of flow starts at.
func firstStatus(flow Flow) Status {
	if flow == FlowCustody {
		return StatusNew
	}
	return StatusWaiting
}

// begin locks the simulator, applies every change due by now, and returns
// now. The caller unlocks s.mu.
func (s *Server) begin() time.Time {
	s.mu.Lock()
	now := s.clock.Now()
	s.advanceLocked(now)
	return now
}

// advanceLocked applies every change due by now, in the order of their
// times: the customers' payments, expiry of waiting deposits and the steps
// of paid deposits and withdrawals. Each change queues a callback.
func (s *Server) advanceLocked(now time.Time) {
	for every := s.opts.Customers.Every; every > 0 && !s.cust.next.After(now); s.cust.next = s.cust.next.Add(every) {
		s.advancePaymentsLocked(s.cust.next)
		s.customersActLocked(s.cust.next)
	}
	s.advancePaymentsLocked(now)
}

// advancePaymentsLocked applies the payments' own changes due by now.
func (s *Server) advancePaymentsLocked(now time.Time) {
	for _, p := range s.payments {
		if p.waiting() && !now.Before(p.ExpiresAt) {
			s.setStatusLocked(p, StatusExpired, p.ExpiresAt)
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

// setStatusLocked moves p to st and queues the callback. A deposit's
// merchant amount is credited when it first reaches a successful status; a
// withdrawal's, debited at creation, returns when it fails.
func (s *Server) setStatusLocked(p *record, st Status, at time.Time) {
	p.Status, p.UpdatedAt = st, at
	class := ClassOf(p.Flow, p.Type, st)
	switch {
	case p.Type == KindDeposit && class == Succeeded:
		s.balance = s.balance.Add(p.MerchantAmount)
	case p.Type == KindWithdrawal && class == Failed:
		s.balance = s.balance.Add(p.MerchantAmount)
		day := p.CreatedAt.UTC().Format(time.DateOnly)
		s.withdrawn[day] = s.withdrawn[day].Sub(p.MerchantAmount)
		s.withdrawn[day+"/"+p.CustomerID] = s.withdrawn[day+"/"+p.CustomerID].Sub(p.MerchantAmount)
	}
	if class.Final() {
		p.steps = nil
	}
	s.queueCallbackLocked(p, at)
}

// addLocked records a new payment.
func (s *Server) addLocked(p *record) {
	s.payments = append(s.payments, p)
	s.byID[p.ID] = p
	if p.Sequence == SequenceOriginal {
		s.orders[p.ExternalOrderID] = p
	}
	if p.PayAddress != "" {
		s.addresses[p.PayAddress] = append(s.addresses[p.PayAddress], p)
	}
	s.wake()
}
