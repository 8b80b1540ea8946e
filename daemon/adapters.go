package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/strategy"
)

// ledgerCounters keeps risk's daily totals in the ledger, so a restart
// does not reset them, without an fsync in the path from tick to order:
// totals live in memory (this process owns the ledger), loaded from the
// ledger on first use, and each Add is queued to the ledger's writer
// without waiting. The writer commits in queue order, so an Add made while
// approving an intent is durable no later than the intent itself, which
// execution records before anything is sent.
type ledgerCounters struct {
	s   *ledger.Store
	log *slog.Logger

	mu     sync.Mutex
	totals map[ledger.CounterKey]decimal.Decimal
}

func newLedgerCounters(s *ledger.Store, log *slog.Logger) *ledgerCounters {
	return &ledgerCounters{s: s, log: log, totals: map[ledger.CounterKey]decimal.Decimal{}}
}

func counterKey(key string, day time.Time) ledger.CounterKey {
	// day is midnight in risk's day zone: its own calendar date names it.
	return ledger.CounterKey{Metric: "risk", Day: day.Format(time.DateOnly), Scope: key}
}

// load returns k's total, reading the ledger once; c.mu is held.
func (c *ledgerCounters) load(ctx context.Context, k ledger.CounterKey) (decimal.Decimal, error) {
	if v, ok := c.totals[k]; ok {
		return v, nil
	}
	v, err := c.s.Counter(ctx, k)
	if err != nil {
		return decimal.Decimal{}, err
	}
	c.totals[k] = v
	return v, nil
}

func (c *ledgerCounters) Add(ctx context.Context, key string, day time.Time, v decimal.Decimal) error {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	k := counterKey(key, day)
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, err := c.load(ctx, k)
	if err != nil {
		return err
	}
	done, err := c.s.AddCounterAsync(k, "risk-"+hex.EncodeToString(b[:]), v)
	if err != nil {
		return err
	}
	c.totals[k] = cur.Add(v)
	go func() {
		if err := <-done; err != nil {
			c.log.Error("risk counter not persisted", "key", key, "day", k.Day, "err", err)
		}
	}()
	return nil
}

func (c *ledgerCounters) Get(ctx context.Context, key string, day time.Time) (decimal.Decimal, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load(ctx, counterKey(key, day))
}

// feedView is the strategy.View risk's RFQ quote check reads while an
// intent executes off the loop's goroutine: prices from the feed's
// concurrent-safe view. Portfolio methods are empty; the quote check does
// not use them.
type feedView struct {
	v      *feeds.View
	specs  map[string]market.Pair
	now    time.Time
	maxAge time.Duration
}

var _ strategy.View = feedView{}

func (f feedView) Now() time.Time                         { return f.now }
func (f feedView) Tick(pair string) (market.Tick, bool)   { return f.v.Last(pair) }
func (f feedView) Pair(s string) (market.Pair, bool)      { p, ok := f.specs[s]; return p, ok }
func (f feedView) Pairs() []market.Pair                   { return nil }
func (f feedView) Available(market.Asset) decimal.Decimal { return decimal.Zero }
func (f feedView) Total(market.Asset) decimal.Decimal     { return decimal.Zero }
func (f feedView) OpenIntents() []strategy.Intent         { return nil }
func (f feedView) Stale(t market.Tick) bool {
	age, ok := strategy.Age(t, f.now)
	return !ok || f.maxAge <= 0 || age > f.maxAge
}

// openingKey is the journal key of the opening balances of the Hercle
// account; one per ledger.
const openingKey = "hercle:opening"

// postOpening posts the venue balances as opening balances if the ledger
// has none yet. It reports whether it posted.
func postOpening(ctx context.Context, s *ledger.Store, b hercle.Balances) (bool, error) {
	if _, err := s.Entry(ctx, openingKey); err == nil {
		return false, nil
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return false, fmt.Errorf("opening balances: %w", err)
	}
	e := ledger.Entry{
		Key:  openingKey,
		Kind: ledger.KindOpening,
		Refs: map[string]string{"sequence": fmt.Sprint(b.Sequence)},
		Memo: "opening balances from the venue at first start",
	}
	for _, a := range b.Assets {
		for acct, amt := range map[ledger.Account]decimal.Decimal{
			ledger.VenueAvailable(ledger.Hercle): a.Available.Decimal,
			ledger.VenueAllocated(ledger.Hercle): a.Allocated.Decimal,
		} {
			if amt.IsZero() {
				continue
			}
			e.Postings = append(e.Postings,
				ledger.Posting{Account: acct, Asset: market.Asset(a.Name), Amount: amt},
				ledger.Posting{Account: ledger.OpeningBalance(), Asset: market.Asset(a.Name), Amount: amt.Neg()})
		}
	}
	if len(e.Postings) == 0 {
		return false, nil
	}
	if _, _, err := s.Post(ctx, e); err != nil {
		return false, fmt.Errorf("opening balances: %w", err)
	}
	return true, nil
}

// ledgerVenueBalances returns the ledger's Hercle balances per asset
// (available plus allocated), false for a ledger without opening balances.
// It also returns the journal's last sequence number.
func ledgerVenueBalances(ctx context.Context, s *ledger.Store) (map[market.Asset]decimal.Decimal, uint64, bool, error) {
	if _, err := s.Entry(ctx, openingKey); errors.Is(err, ledger.ErrNotFound) {
		return nil, 0, false, nil
	} else if err != nil {
		return nil, 0, false, err
	}
	bs, err := s.Balances(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	n, err := s.LastSeq(ctx)
	if err != nil {
		return nil, 0, false, err
	}
	out := map[market.Asset]decimal.Decimal{}
	avail, alloc := ledger.VenueAvailable(ledger.Hercle), ledger.VenueAllocated(ledger.Hercle)
	for _, b := range bs {
		if b.Account == avail || b.Account == alloc {
			out[b.Asset] = out[b.Asset].Add(b.Amount)
		}
	}
	return out, n, true, nil
}

// The kill switch survives restarts: a file next to the ledger holds the
// reason while it is on.
func (d *Daemon) killFile() string {
	return filepath.Join(filepath.Dir(d.cfg.Ledger.Path), "KILLED")
}

func readKill(path string) (string, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("kill switch file: %w", err)
	}
	reason := strings.TrimSpace(string(b))
	if reason == "" {
		reason = "kill switch"
	}
	return reason, true, nil
}

// writeKill records the kill switch and its reason in path, replacing the
// file atomically. The file and its directory entry are synced: a kill
// switch that a power cut could undo is no kill switch.
func writeKill(path, reason string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(reason + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// killGate closes treasury's gate while the maintenance window is open or
// trading is stopped (pause, kill switch): no money leaves then either.
type killGate struct {
	g  *scheduler.Gate
	rk *risk.Engine
}

func (k killGate) Open(t time.Time) bool {
	killed, _ := k.rk.Killed()
	return !killed && k.g.Open(t)
}

// depositRelay hands credited deposits to the event loop without blocking
// the webhook processor or treasury, once per journal entry, across
// restarts too: a webhook re-applied after a crash (between crediting the
// deposit and marking the event processed) reports its deposit again, and
// a strategy that converts deposits would convert it twice. Before a
// deposit goes to the loop it is marked in the ledger (a counter of
// relayed deposits per day, with the entry key as its op id); one already
// marked is dropped. A crash between the mark and the loop's handling
// loses the notification instead: the deposit stays credited, unconverted.
type depositRelay struct {
	log   *slog.Logger
	ch    chan inbound.Deposit
	store *ledger.Store

	mu   sync.Mutex
	seen map[string]bool // journal entry keys already queued by this process
}

func newDepositRelay(store *ledger.Store, log *slog.Logger) *depositRelay {
	return &depositRelay{log: log, store: store, ch: make(chan inbound.Deposit, 4096), seen: map[string]bool{}}
}

// relayedKey counts the deposits of t's UTC day handed to strategies.
func relayedKey(t time.Time) ledger.CounterKey {
	return ledger.CounterKey{Metric: "deposits_relayed", Day: t.UTC().Format(time.DateOnly), Scope: "strategies"}
}

// first marks dep as relayed in the ledger and reports whether it was not
// already.
func (r *depositRelay) first(ctx context.Context, dep inbound.Deposit) (bool, error) {
	at := dep.Time
	if at.IsZero() {
		at = time.Now()
	}
	_, applied, err := r.store.AddCounter(ctx, relayedKey(at), dep.EntryKey, decimal.NewFromInt(1))
	return applied, err
}

func (r *depositRelay) push(dep inbound.Deposit) {
	r.mu.Lock()
	dup := r.seen[dep.EntryKey]
	r.seen[dep.EntryKey] = true
	r.mu.Unlock()
	if dup {
		return
	}
	select {
	case r.ch <- dep:
	default:
		r.log.Error("deposit relay full; deposit not shown to strategies", "entry", dep.EntryKey)
	}
}

// pushEntry relays a deposit reconciliation imported (its webhook never
// came) as the processor would have.
func (r *depositRelay) pushEntry(e ledger.Entry) {
	if e.Kind != ledger.KindDeposit {
		return
	}
	avail := ledger.VenueAvailable(ledger.Hercle)
	for _, p := range e.Postings {
		if p.Account == avail && p.Amount.IsPositive() {
			r.push(inbound.Deposit{EventID: "reconcile", TransactionID: e.Key, Venue: ledger.Hercle,
				Asset: p.Asset, Amount: p.Amount, EntryKey: e.Key, Time: e.Time})
		}
	}
}

// depositSink receives deposits for the strategies; *trader.Loop is one.
type depositSink interface {
	Deposit(ctx context.Context, d strategy.Deposit)
}

// run hands queued deposits to the loop until ctx ends, each once.
func (r *depositRelay) run(ctx context.Context, loop depositSink) {
	for {
		select {
		case <-ctx.Done():
			return
		case dep := <-r.ch:
			first, err := r.first(ctx, dep)
			switch {
			case err != nil:
				r.log.Error("deposit not shown to strategies: could not record it as relayed", "entry", dep.EntryKey, "err", err)
				continue
			case !first:
				r.log.Info("deposit already shown to strategies before a restart; not again", "entry", dep.EntryKey)
				continue
			}
			r.log.Info("deposit credited", "asset", dep.Asset, "amount", dep.Amount, "entry", dep.EntryKey)
			loop.Deposit(ctx, strategy.Deposit{ID: dep.TransactionID, Asset: dep.Asset, Amount: dep.Amount, Time: dep.Time})
		}
	}
}

// restoreStrategies hands every strategy that keeps state across restarts
// (strategy.Restorer) the fills the ledger holds for it, oldest first.
func restoreStrategies(ctx context.Context, s *ledger.Store, list []strategy.Strategy, log *slog.Logger) error {
	byName := map[string]strategy.Restorer{}
	for _, st := range list {
		if r, ok := st.(strategy.Restorer); ok {
			byName[st.Name()] = r
		}
	}
	if len(byName) == 0 {
		return nil
	}
	var filled []ledger.Intent
	for _, st := range []ledger.IntentState{ledger.StateSucceeded, ledger.StateResolved} {
		its, err := s.Intents(ctx, st)
		if err != nil {
			return fmt.Errorf("restore strategies: %w", err)
		}
		for _, it := range its {
			if (it.Kind == ledger.IntentOrder || it.Kind == ledger.IntentRFQAccept) && (st == ledger.StateSucceeded || it.Outcome == ledger.StateSucceeded) {
				filled = append(filled, it)
			}
		}
	}
	sort.Slice(filled, func(i, j int) bool { return filled[i].Created.Before(filled[j].Created) })
	n := 0
	for _, it := range filled {
		in, err := execution.IntentOf(it)
		if err != nil {
			continue
		}
		if r, ok := byName[in.Strategy]; ok {
			r.Restore(strategy.Outcome{Intent: in, Status: strategy.Filled, Time: it.Created})
			n++
		}
	}
	if n > 0 {
		log.Info("strategies restored from the ledger", "fills", n)
	}
	return nil
}
