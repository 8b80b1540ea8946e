package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/philippseith/signalr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
)

// Status is the hub connection's state.
type Status int

// Connection states. A client starts Connecting, is Connected while a
// connection is up, Reconnecting between a loss and the next connection,
// and Closed once Run has returned.
const (
	Connecting Status = iota
	Connected
	Reconnecting
	Closed
)

func (s Status) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Reconnecting:
		return "reconnecting"
	case Closed:
		return "closed"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// State is a snapshot of the connection for health checks and metrics.
type State struct {
	Status     Status
	Since      time.Time // when Status was entered
	Reconnects int       // connections re-established after a loss
	LastError  error     // why the last connection ended or the last dial failed
}

// Config configures a Client. BaseURL and APIKey are required.
type Config struct {
	// BaseURL is the API base, e.g. SandboxURL; the hub is at BaseURL+Path.
	BaseURL string
	// APIKey is sent as the access token. Never logged.
	APIKey string
	// HTTPClient performs negotiate and the WebSocket upgrade. Nil means a
	// client with a 10 s timeout that follows no redirects.
	HTTPClient *http.Client
	// Logger receives connection changes and decode problems. Nil discards.
	Logger *slog.Logger
	// Registerer receives the engine_hercle_hub_* metrics. Nil means none.
	Registerer prometheus.Registerer
	// Clock stamps state changes and times reconnect and resubscribe
	// backoff; the zero value is the system clock.
	Clock clock.Clock
	// MinBackoff and MaxBackoff bound the reconnect delay, which doubles per
	// failed attempt and is jittered into [d/2, d]. Defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Seed seeds the jitter.
	Seed uint64
	// OnPrice receives every decoded price update, in arrival order, on the
	// connection's read goroutine. It must not block.
	OnPrice func(PriceUpdate)
	// OnEvent receives every other decoded event (execution events, pushes
	// and refusals), in arrival order on the read goroutine. It must not
	// block.
	OnEvent func(Event)
	// OnState is told of every state change, on the goroutine running Run.
	// After a reconnect it is called once the subscriptions were re-sent.
	OnState func(State)
}

// String describes the configuration without the API key.
func (c Config) String() string {
	key := "[unset]"
	if c.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("hub.Config{BaseURL:%q APIKey:%s MinBackoff:%v MaxBackoff:%v}",
		c.BaseURL, key, c.MinBackoff, c.MaxBackoff)
}

// GoString is String: %#v would otherwise print the key.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Config) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue keeps the key out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Client is a client of the Hercle SignalR hub: it keeps one connection
// up (reconnecting forever with capped, jittered exponential backoff),
// re-subscribes every active price subscription after each reconnect and
// decodes the hub's events for OnPrice and OnEvent.
//
// Create it with NewClient and start Run. Subscribing while no connection
// is up remembers the subscription and returns ErrNotConnected; the next
// connection sends it. A Client is safe for concurrent use.
type Client struct {
	cfg  Config
	log  *slog.Logger
	m    *hubMetrics
	recv *hubReceiver
	http *http.Client

	mu      sync.Mutex
	state   State
	client  signalr.Client // nil while disconnected
	conn    *hubConn
	subs    map[subKey]string  // active price subscriptions → ClientId used
	forms   map[string]argForm // per-method argument form that works
	rng     *rand.Rand
	changed chan struct{} // closed and replaced on every state change
}

type subKey struct {
	pair string
	size string // Number text, so 1 and 1.0 differ as the venue would see them
}

type argForm int

const (
	argsSeparate argForm = iota // invoke('M', a, b, c)
	argsArray                   // invoke('M', [a, b, c])
)

// ErrNotConnected is returned by a subscription call while the hub is
// not connected. Nothing was sent.
var ErrNotConnected = errors.New("hercle: hub not connected")

// NewClient checks cfg and returns a client; Run connects it.
func NewClient(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.APIKey == "" {
		return nil, errors.New("hercle: hub needs BaseURL and APIKey")
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newHubMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("hercle: hub metrics: %w", err)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Timeout:       hercle.DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	c := &Client{
		cfg: cfg, log: log, m: m, http: hc,
		state:   State{Status: Connecting, Since: cfg.Clock.Now()},
		subs:    map[subKey]string{},
		forms:   map[string]argForm{},
		rng:     rand.New(rand.NewPCG(cfg.Seed, 0x68756221)),
		changed: make(chan struct{}),
	}
	c.recv = newHubReceiver(log, cfg.OnPrice, cfg.OnEvent, m)
	m.setState(Connecting)
	return c, nil
}

// State returns the current connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// WaitConnected blocks until the client is connected or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		st, ch := c.state.Status, c.changed
		c.mu.Unlock()
		switch st {
		case Connected:
			return nil
		case Closed:
			return ErrNotConnected
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Client) setState(s Status, err error) State {
	c.mu.Lock()
	if s == Connected && c.state.Status == Reconnecting {
		c.state.Reconnects++
		if c.m != nil {
			c.m.reconnects.Inc()
		}
	}
	c.state.Status, c.state.Since = s, c.cfg.Clock.Now()
	if err != nil {
		c.state.LastError = err
	}
	st := c.state
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	c.m.setState(s)
	if c.cfg.OnState != nil {
		c.cfg.OnState(st)
	}
	return st
}

// Run connects and keeps the connection up until ctx ends, then closes it
// and returns ctx's error. Call it once.
func (c *Client) Run(ctx context.Context) error {
	defer c.setState(Closed, nil)
	attempt := 0
	for {
		err := c.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			attempt++
			c.log.Warn("hub connection lost", "err", err, "attempt", attempt)
		}
		if c.State().Status == Connected || err == nil {
			attempt = 1
		}
		if c.State().Status != Reconnecting {
			c.setState(Reconnecting, err)
		}
		if err := c.cfg.Clock.Sleep(ctx, c.backoff(attempt)); err != nil {
			return err
		}
	}
}

// backoff returns the delay before attempt n (n ≥ 1): MinBackoff·2^(n-1)
// capped at MaxBackoff, jittered into [d/2, d]… but never below MinBackoff,
// so a dropped connection always leaves a visible gap of at least MinBackoff.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	c.mu.Lock()
	j := time.Duration(c.rng.Int64N(int64(d)/2 + 1))
	c.mu.Unlock()
	return max(d-j, c.cfg.MinBackoff)
}

// session runs one connection from dial to loss.
func (c *Client) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, hercle.DefaultTimeout)
	conn, err := dialHub(dctx, c.http, c.cfg.BaseURL, c.cfg.APIKey, c.recv)
	cancel()
	if err != nil {
		return err
	}
	defer conn.close()
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	client, err := signalr.NewClient(sctx,
		signalr.WithConnection(conn),
		signalr.Logger(slogAdapter{c.log}, false),
		signalr.TimeoutInterval(30*time.Second),
		signalr.KeepAliveInterval(15*time.Second),
	)
	if err != nil {
		return fmt.Errorf("hercle: hub client: %w", err)
	}
	client.Start()
	defer client.Stop()
	wctx, wcancel := context.WithTimeout(ctx, hercle.DefaultTimeout)
	err = <-client.WaitForState(wctx, signalr.ClientConnected)
	wcancel()
	if err != nil {
		return fmt.Errorf("hercle: hub handshake: %w", err)
	}
	c.mu.Lock()
	c.client, c.conn = client, conn
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.client, c.conn = nil, nil
		c.mu.Unlock()
	}()
	// The signalr client closes by itself on a protocol error (a completion
	// for an invocation it does not know, say) without closing the
	// connection under it: without watching for that, the session would
	// stay "connected" with no command and no price getting through.
	closed := client.WaitForState(sctx, signalr.ClientClosed)
	failed := c.resubscribe(ctx, nil)
	c.setState(Connected, nil)
	c.log.Info("hub connected", "reconnects", c.State().Reconnects)
	// A subscription the hub refused is sent again, with backoff, for as
	// long as the connection lasts: otherwise its pair would stay without
	// prices until the next disconnect.
	for attempt := 1; ; attempt++ {
		var retry <-chan time.Time
		var t clock.Timer
		if len(failed) > 0 {
			t = c.cfg.Clock.NewTimer(c.backoff(attempt))
			retry = t.C()
		}
		select {
		case <-conn.done:
			if t != nil {
				t.Stop()
			}
			return errors.New("hercle: hub connection closed")
		case err := <-closed:
			if t != nil {
				t.Stop()
			}
			if err == nil {
				return errors.New("hercle: hub client closed (protocol error)")
			}
			closed = nil // only ctx ended; the cases below see it
		case <-ctx.Done():
			if t != nil {
				t.Stop()
			}
			return nil
		case <-retry:
			failed = c.resubscribe(ctx, failed)
		}
	}
}

// resubscribe sends the active subscriptions on the current connection:
// all of them when only is nil, else those of only still active. It
// returns the ones that failed, logged; they stay active.
func (c *Client) resubscribe(ctx context.Context, only []subKey) []subKey {
	c.mu.Lock()
	type sub struct {
		k  subKey
		id string
	}
	var subs []sub
	if only == nil {
		for k, id := range c.subs {
			subs = append(subs, sub{k, id})
		}
	} else {
		for _, k := range only {
			if id, ok := c.subs[k]; ok {
				subs = append(subs, sub{k, id})
			}
		}
	}
	c.mu.Unlock()
	var failed []subKey
	for _, s := range subs {
		size, err := parseNumberText(s.k.size)
		if err != nil {
			continue
		}
		if err := c.invoke(ctx, MethodSubscribePairPriceChannel, s.id, s.k.pair, size); err != nil {
			c.log.Warn("hub resubscribe failed; retrying while connected", "pair", s.k.pair, "size", s.k.size, "err", err)
			failed = append(failed, s.k)
		}
	}
	return failed
}

func parseNumberText(s string) (hercle.Number, error) {
	var n hercle.Number
	err := hercle.ParseNumber([]byte(s), &n)
	return n, err
}

// bindingError matches the errors hubs give for arguments that do not bind:
// ASP.NET Core's "Invocation provides N argument(s) but target expects M" and
// "Error binding arguments", and philippseith/signalr's "parameter mismatch".
var bindingError = regexp.MustCompile(`(?i)argument\(s\)|binding arguments|parameter mismatch|invalid number of arguments`)

// invoke sends method with args in the form the hub accepts and waits for
// the completion. A binding error means the hub did not run the method, so
// the other form is tried once and, if it works, remembered.
func (c *Client) invoke(ctx context.Context, method string, args ...any) error {
	err := c.invokeRaw(ctx, method, args...)
	switch {
	case err == nil:
		c.m.invocation(method, outcomeOK)
	case !errors.Is(err, ErrNotConnected):
		c.m.invocation(method, outcomeError)
		return fmt.Errorf("hercle: hub %s: %w", method, err)
	}
	return err
}

// invokeRaw is invoke without the method prefix on errors and the outcome
// count (bar not_sent).
func (c *Client) invokeRaw(ctx context.Context, method string, args ...any) error {
	c.mu.Lock()
	client, form := c.client, c.forms[method]
	c.mu.Unlock()
	if client == nil {
		c.m.invocation(method, outcomeNotSent)
		return ErrNotConnected
	}
	err := c.invokeForm(ctx, client, method, form, args)
	if err == nil || !bindingError.MatchString(err.Error()) {
		return err
	}
	other := argsArray
	if form == argsArray {
		other = argsSeparate
	}
	c.log.Info("hub refused the argument form; retrying in the other", "method", method, "err", err)
	if err := c.invokeForm(ctx, client, method, other, args); err != nil {
		return err
	}
	c.mu.Lock()
	c.forms[method] = other
	c.mu.Unlock()
	if c.m != nil {
		c.m.argForm.WithLabelValues(method).Inc()
	}
	return nil
}

func (c *Client) invokeForm(ctx context.Context, client signalr.Client, method string, form argForm, args []any) error {
	var ch <-chan signalr.InvokeResult
	if form == argsArray {
		ch = client.Invoke(method, args)
	} else {
		ch = client.Invoke(method, args...)
	}
	select {
	case r := <-ch:
		return r.Error
	case <-ctx.Done():
		return fmt.Errorf("no answer to the invocation: %w", ctx.Err())
	}
}

// slogAdapter turns the signalr library's key-value logging into debug
// records (it is chatty; the client logs what matters itself).
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Log(kv ...any) error {
	a.l.Debug("signalr", kv...)
	return nil
}
