package trader

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// Books is the ledger as the loop reads it. *ledger.Store satisfies it.
type Books interface {
	WatchBalances(fn func(ledger.BalanceUpdate)) (stop func())
	BalanceSnapshot(ctx context.Context) (ledger.BalanceUpdate, error)
	Intents(ctx context.Context, st ledger.IntentState) ([]ledger.Intent, error)
}

// books follows the ledger's balances of the accounts the loop values:
// every venue's available and allocated balances and the transit
// accounts. The ledger's writer hands each committed change to watch,
// which keeps the newest per account and asset without blocking; the
// loop applies them (sync) before every event it handles. The loop keeps
// no tally of its own.
type books struct {
	mu      sync.Mutex                     // guards pending
	pending map[balanceKey]balanceAt       // changes not yet applied, the newest per key
	dirty   atomic.Bool                    // pending is not empty
	stop    func()                         // ends the watch
	isSet   bool                           // load ran; only the loop touches it
	since   uint64                         // the snapshot's TxID
	bal     map[balanceKey]decimal.Decimal // only the loop's goroutine touches it
}

type balanceKey struct {
	account ledger.Account
	asset   market.Asset
}

type balanceAt struct {
	txid   uint64
	amount decimal.Decimal
}

func newBooks() *books {
	return &books{pending: map[balanceKey]balanceAt{}, bal: map[balanceKey]decimal.Decimal{}}
}

// valued reports whether the loop follows account a.
func valued(a ledger.Account) bool {
	c := a.Class()
	return c == "venue" || c == "transit"
}

// watch takes a committed change on the ledger's writer goroutine.
func (b *books) watch(u ledger.BalanceUpdate) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range u.Balances {
		if !valued(x.Account) {
			continue
		}
		k := balanceKey{x.Account, x.Asset}
		if cur, ok := b.pending[k]; !ok || cur.txid <= u.TxID {
			b.pending[k] = balanceAt{u.TxID, x.Amount}
		}
	}
	if len(b.pending) > 0 {
		b.dirty.Store(true)
	}
}

func (b *books) loaded() bool { return b.isSet }

// load starts watching the ledger, then reads its balances: a change
// committed in between is in both, and ordered by TxID.
func (b *books) load(ctx context.Context, src Books) error {
	b.stop = src.WatchBalances(b.watch)
	snap, err := src.BalanceSnapshot(ctx)
	if err != nil {
		b.close()
		return err
	}
	for _, x := range snap.Balances {
		if valued(x.Account) {
			b.bal[balanceKey{x.Account, x.Asset}] = x.Amount
		}
	}
	b.since, b.isSet = snap.TxID, true
	return nil
}

func (b *books) close() {
	if b.stop != nil {
		b.stop()
		b.stop = nil
	}
}

// sync applies the pending changes newer than the snapshot and reports
// whether any was.
func (b *books) sync() bool {
	if !b.dirty.Load() {
		return false
	}
	b.mu.Lock()
	pending := b.pending
	b.pending = make(map[balanceKey]balanceAt, len(pending))
	b.dirty.Store(false)
	b.mu.Unlock()
	changed := false
	for k, v := range pending {
		if v.txid <= b.since {
			continue
		}
		changed = true
		if v.amount.IsZero() {
			delete(b.bal, k)
		} else {
			b.bal[k] = v.amount
		}
	}
	return changed
}

// balance returns account's balance of asset.
func (b *books) balance(a ledger.Account, asset market.Asset) decimal.Decimal {
	return b.bal[balanceKey{a, asset}]
}

// assets returns every asset held in account, sorted.
func (b *books) assets(a ledger.Account) []market.Asset {
	var out []market.Asset
	for k := range b.bal {
		if k.account == a {
			out = append(out, k.asset)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// syncBalances applies the ledger's changes committed since the last
// event.
func (l *Loop) syncBalances() {
	if l.books.sync() {
		l.refreshBalances()
	}
}

// refreshBalances recomputes the strategies' view of Hercle: each asset's
// total (available plus allocated) and what may be spent (available less
// the holds of open intents).
func (l *Loop) refreshBalances() {
	clear(l.state.Balances)
	avail, alloc := ledger.VenueAvailable(ledger.Hercle), ledger.VenueAllocated(ledger.Hercle)
	held := l.held(ledger.Hercle)
	for _, a := range l.books.assets(avail) {
		l.state.Balances[a] = strategy.Balance{}
	}
	for _, a := range l.books.assets(alloc) {
		l.state.Balances[a] = strategy.Balance{}
	}
	for a := range held {
		l.state.Balances[a] = strategy.Balance{}
	}
	for a := range l.state.Balances {
		free := l.books.balance(avail, a).Sub(held[a])
		if free.Sign() < 0 {
			free = decimal.Zero
		}
		l.state.Balances[a] = strategy.Balance{Total: l.books.balance(avail, a).Add(l.books.balance(alloc, a)), Available: free}
	}
}

// held sums the holds of open intents on venue v, by asset.
func (l *Loop) held(v ledger.Venue) map[market.Asset]decimal.Decimal {
	out := map[market.Asset]decimal.Decimal{}
	for _, o := range l.open {
		if o.hold.venue == v {
			out[o.hold.asset] = out[o.hold.asset].Add(o.hold.amount)
		}
	}
	return out
}

// venueView is the loop's view with the balances of one venue: what a
// movement leaving it may take, for risk's transfer check.
type venueView struct {
	*strategy.State
	l *Loop
	v ledger.Venue
}

func (l *Loop) venueView(v ledger.Venue) strategy.View {
	if v == ledger.Hercle {
		return &l.state
	}
	return venueView{State: &l.state, l: l, v: v}
}

func (w venueView) Available(a market.Asset) decimal.Decimal {
	free := w.l.books.balance(ledger.VenueAvailable(w.v), a).Sub(w.l.held(w.v)[a])
	return decimal.Max(free, decimal.Zero)
}

func (w venueView) Total(a market.Asset) decimal.Decimal {
	return w.l.books.balance(ledger.VenueAvailable(w.v), a).Add(w.l.books.balance(ledger.VenueAllocated(w.v), a))
}

// restore hands every strategy that keeps state across restarts
// (strategy.Restorer) the fills the ledger holds for it, oldest first.
func restore(ctx context.Context, src Books, list []strategy.Strategy, log *slog.Logger) error {
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
		its, err := src.Intents(ctx, st)
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

// Snapshot is the loop's picture of the books: the balances risk checks
// intents and movements against.
type Snapshot struct {
	// Balances per venue and asset: Total is available plus allocated,
	// as the ledger holds them; Available is what may still be spent,
	// less the holds of open intents.
	Balances map[ledger.Venue]map[market.Asset]strategy.Balance
	// Open counts the intents and movements approved and not finished.
	Open int
}

// Snapshot returns the loop's balances, read on its goroutine after it
// applied every ledger change committed before the call: what the next
// risk check sees. It waits for Run to take the request; ctx bounds the
// wait.
func (l *Loop) Snapshot(ctx context.Context) (Snapshot, error) {
	reply := make(chan Snapshot, 1)
	select {
	case l.events <- queryEvent{func() { reply <- l.snapshot() }}:
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	}
	select {
	case s := <-reply:
		return s, nil
	case <-ctx.Done():
		return Snapshot{}, ctx.Err()
	}
}

// queryEvent runs fn on the loop's goroutine.
type queryEvent struct{ fn func() }

func (l *Loop) snapshot() Snapshot {
	s := Snapshot{Balances: map[ledger.Venue]map[market.Asset]strategy.Balance{}, Open: len(l.open)}
	for k, amt := range l.books.bal {
		if k.account.Class() != "venue" {
			continue
		}
		v, ok := venueOf(k.account)
		if !ok {
			continue
		}
		if s.Balances[v] == nil {
			s.Balances[v] = map[market.Asset]strategy.Balance{}
		}
		b := s.Balances[v][k.asset]
		b.Total = b.Total.Add(amt)
		s.Balances[v][k.asset] = b
	}
	for v, assets := range s.Balances {
		held := l.held(v)
		for a, b := range assets {
			b.Available = decimal.Max(l.books.balance(ledger.VenueAvailable(v), a).Sub(held[a]), decimal.Zero)
			assets[a] = b
		}
	}
	return s
}

// venueOf returns the venue of a venue:<v>:available|allocated account.
func venueOf(a ledger.Account) (ledger.Venue, bool) {
	for _, v := range []ledger.Venue{ledger.Hercle, ledger.Heropayments} {
		if a == ledger.VenueAvailable(v) || a == ledger.VenueAllocated(v) {
			return v, true
		}
	}
	return "", false
}
