package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
)

// DefaultStaleAfter is how long a pair may go without a tick before it is stale.
const DefaultStaleAfter = 5 * time.Second

// Subscriber is the part of *hub.Client a Source uses to manage
// subscriptions. Subscribe must keep the subscription across reconnects.
type Subscriber interface {
	SubscribePairPriceChannel(ctx context.Context, clientID, pair string, size hercle.Number) error
	UnsubscribePairPriceChannel(ctx context.Context, clientID, pair string, size hercle.Number) error
}

// Config configures a Source. The zero value is usable.
type Config struct {
	// StaleAfter is the staleness threshold. Default DefaultStaleAfter.
	StaleAfter time.Duration
	// Clock stamps receive times and drives staleness; the zero value is
	// the system clock.
	Clock clock.Clock
	// Buffer is the capacity of Updates. Default 4096.
	Buffer int
	// OnStale is told, from Run's goroutine, whenever a subscribed pair
	// becomes stale or fresh again.
	OnStale func(pair string, stale bool, at time.Time)
	// Logger and Registerer: nil means none.
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Hold keeps Updates empty until Deliver is called, while the View
	// follows every tick: a standby keeps its prices current this way,
	// with no backlog to replay when it takes over.
	Hold bool
}

// Update is one tick as the Source delivers it. Gap reports that the pair's
// subscription resumed after a disconnect: ticks may have been missed
// between the previous update and this one.
type Update struct {
	Tick market.Tick
	Gap  bool
}

// Source turns hub price updates into ticks. Create it with NewSource, wire
// HandlePrice and HandleState into the hub client's OnPrice and OnState,
// subscribe pairs with Subscribe, and run Run for staleness transitions.
// A Source is safe for concurrent use.
type Source struct {
	cfg     Config
	clock   clock.Clock
	log     *slog.Logger
	view    *View
	updates chan Update
	m       *metrics

	dropped atomic.Uint64 // full channel
	foreign atomic.Uint64 // unsubscribed pair

	mu      sync.Mutex
	subs    map[string]subscription // pair → subscription
	deliver bool                    // Updates are fed; false while held
}

type subscription struct {
	size     decimal.Decimal
	clientID string
	gap      bool // the next tick follows a disconnect
	stale    bool // as last reported by checkStale
}

// NewSource returns a Source.
func NewSource(cfg Config) (*Source, error) {
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 4096
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Source{
		cfg: cfg, clock: cfg.Clock, log: log, m: m,
		updates: make(chan Update, cfg.Buffer),
		subs:    map[string]subscription{},
		deliver: !cfg.Hold,
	}
	s.view = &View{clock: cfg.Clock, staleAfter: cfg.StaleAfter, last: map[string]market.Tick{}}
	return s, nil
}

// View returns the Source's last-price view.
func (s *Source) View() *View { return s.view }

// Updates returns the channel of ticks, in arrival order per pair.
func (s *Source) Updates() <-chan Update { return s.updates }

// Dropped returns how many updates were dropped because Updates was full,
// and how many arrived for pairs the Source is not subscribed to.
func (s *Source) Dropped() (full, unsubscribed uint64) {
	return s.dropped.Load(), s.foreign.Load()
}

// Subscribe subscribes pair at size through sub with clientID (at most 36
// characters). One size per pair: subscribing again replaces the size.
func (s *Source) Subscribe(ctx context.Context, sub Subscriber, clientID, pair string, size decimal.Decimal) error {
	if pair == "" || !size.IsPositive() {
		return fmt.Errorf("feeds: subscribe %q size %s: pair and a positive size are required", pair, size)
	}
	s.mu.Lock()
	old, had := s.subs[pair]
	s.subs[pair] = subscription{size: size, clientID: clientID}
	s.mu.Unlock()
	s.view.track(pair, true)
	if had && !old.size.Equal(size) {
		_ = sub.UnsubscribePairPriceChannel(ctx, old.clientID, pair, hercle.N(old.size))
	}
	if err := sub.SubscribePairPriceChannel(ctx, clientID, pair, hercle.N(size)); err != nil && !errors.Is(err, hub.ErrNotConnected) {
		return fmt.Errorf("feeds: subscribe %s: %w", pair, err)
	}
	return nil
}

// Unsubscribe ends pair's subscription; later ticks for it are dropped and
// the View forgets it.
func (s *Source) Unsubscribe(ctx context.Context, sub Subscriber, pair string) error {
	s.mu.Lock()
	old, had := s.subs[pair]
	delete(s.subs, pair)
	s.mu.Unlock()
	s.view.track(pair, false)
	if !had {
		return nil
	}
	if err := sub.UnsubscribePairPriceChannel(ctx, old.clientID, pair, hercle.N(old.size)); err != nil && !errors.Is(err, hub.ErrNotConnected) {
		return fmt.Errorf("feeds: unsubscribe %s: %w", pair, err)
	}
	return nil
}

// Deliver starts feeding Updates (see Config.Hold). The first update of
// each pair after it is marked Gap: whoever reads Updates missed the ticks
// before it.
func (s *Source) Deliver() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deliver {
		return
	}
	for pair, sub := range s.subs {
		sub.gap = true
		s.subs[pair] = sub
	}
	s.deliver = true
}

// HandlePrice takes one hub price update (hub.Config.OnPrice). It
// never blocks.
func (s *Source) HandlePrice(p hub.PriceUpdate) {
	now := s.clock.Now()
	s.mu.Lock()
	sub, ok := s.subs[p.Pair]
	if !ok || !sub.size.Equal(p.Size.Decimal) {
		s.mu.Unlock()
		s.foreign.Add(1)
		s.m.foreign()
		return
	}
	gap, deliver := sub.gap, s.deliver
	if gap && deliver {
		sub.gap = false
		s.subs[p.Pair] = sub
	}
	s.mu.Unlock()
	t := market.Tick{
		Pair: p.Pair, Size: p.Size.Decimal, BuyPrice: p.BuyPrice.Decimal, SellPrice: p.SellPrice.Decimal,
		Time: p.Timestamp.Time, Received: now,
	}
	s.view.set(t)
	s.m.tick(p.Pair, gap && deliver)
	if !deliver {
		return
	}
	select {
	case s.updates <- Update{Tick: t, Gap: gap}:
	default:
		s.dropped.Add(1)
		s.m.full()
	}
}

// HandleState takes the hub client's state changes (hub.Config.OnState):
// once the connection is lost, the next tick of every subscribed pair is
// marked as a gap.
func (s *Source) HandleState(st hub.State) {
	if st.Status != hub.Reconnecting && st.Status != hub.Closed {
		return
	}
	s.mu.Lock()
	for pair, sub := range s.subs {
		sub.gap = true
		s.subs[pair] = sub
	}
	s.mu.Unlock()
}

// Run reports staleness transitions (Config.OnStale, the engine_feeds_stale
// gauge) until ctx ends, checking every StaleAfter/10 on the Source's clock.
func (s *Source) Run(ctx context.Context) error {
	period := max(s.cfg.StaleAfter/10, time.Millisecond)
	for {
		t := s.clock.NewTimer(period)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
		s.CheckStale()
	}
}

// CheckStale compares every subscribed pair's staleness with the last
// report and reports the changes, in pair order. Run calls it; a test or
// backtest driving a manual clock may call it directly.
func (s *Source) CheckStale() {
	now := s.clock.Now()
	type change struct {
		pair  string
		stale bool
	}
	var changes []change
	s.mu.Lock()
	for pair, sub := range s.subs {
		st := s.view.staleAt(pair, now)
		if st != sub.stale {
			sub.stale = st
			s.subs[pair] = sub
			changes = append(changes, change{pair, st})
		}
	}
	s.mu.Unlock()
	sort.Slice(changes, func(i, j int) bool { return changes[i].pair < changes[j].pair })
	for _, c := range changes {
		s.m.stale(c.pair, c.stale)
		s.log.Info("feed staleness changed", "pair", c.pair, "stale", c.stale)
		if s.cfg.OnStale != nil {
			s.cfg.OnStale(c.pair, c.stale, now)
		}
	}
}
