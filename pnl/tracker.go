package pnl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/portfolio"
)

// Journal is the ledger as a Tracker reads it. *ledger.Store satisfies it.
type Journal interface {
	Intents
	Journal(ctx context.Context, f ledger.Filter, fn func(ledger.Entry) error) error
}

// Options configure a Tracker.
type Options struct {
	// Config is the book's: reference, cost method, day zone.
	Config portfolio.Config
	// Pairs are the pairs the venue lists; the journal's trades add any
	// other they name.
	Pairs []market.Pair
	// Fallback, if set, gives the prices of pairs the journal has no
	// fill of, for valuing entries (the feed's last prices in the daemon,
	// a price file for engine pnl). It is called on the Tracker's
	// goroutine.
	Fallback func() portfolio.PriceSource
}

// Tracker keeps a portfolio.Book fed from the journal: Load replays the
// journal, Add books each entry committed after. Entries are valued at
// the journal's own fill prices of their time (see Fills), then at the
// fallback's; an entry that still has no price waits, with every later
// entry moving one of its assets (each asset's lots need its entries in
// order), until one does (Retry). It is not safe for concurrent use: one
// goroutine owns it.
type Tracker struct {
	cfg      portfolio.Config
	fills    *Fills
	attr     *attribution
	fallback func() portfolio.PriceSource
	book     *portfolio.Book
	pending  []ledger.Entry // waiting for a price, in journal order
	refused  int            // entries the book refused for another reason
	lastErr  error          // why the first pending entry waits, or the last refusal
	lastSeq  uint64         // the newest entry read
	// memo holds, by entry key, the prices an entry was valued at that
	// a later read could answer otherwise (the fallback's, or a fill
	// after the entry's time), so that a window's replay values the entry
	// as the book did. cur is the key of the entry being applied.
	memo map[string]portfolio.Prices
	cur  string
}

// Load reads the whole journal of j and returns a Tracker that has booked
// it: every trade's price and pair is learnt first, so that an entry
// older than its pair's first fill is valued at that fill. An error
// reading the journal is returned; entries the book cannot value wait
// (Status says how many and why).
func Load(ctx context.Context, j Journal, o Options) (*Tracker, error) {
	fills := NewFills(o.Pairs)
	var entries []ledger.Entry
	err := j.Journal(ctx, ledger.Filter{}, func(e ledger.Entry) error {
		fills.Add(e)
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("portfolio: read the journal: %w", err)
	}
	t := &Tracker{cfg: o.Config, fills: fills, attr: newAttribution(ctx, j), fallback: o.Fallback, memo: map[string]portfolio.Prices{}}
	if t.book, err = t.newBook(); err != nil {
		return nil, err
	}
	for _, e := range entries {
		t.queue(e)
	}
	t.Retry()
	return t, nil
}

func (t *Tracker) newBook() (*portfolio.Book, error) {
	return portfolio.New(t.cfg, portfolio.Inputs{
		Pairs: t.fills.Pairs(), History: portfolio.HistoryFunc(t.history), Attribution: t.attr.key,
	})
}

func (t *Tracker) queue(e ledger.Entry) {
	if e.Seq != 0 && e.Seq <= t.lastSeq {
		return // read by Load and watched: once is enough
	}
	t.lastSeq = max(t.lastSeq, e.Seq)
	t.pending = append(t.pending, split(e)...)
}

// Add books an entry committed after Load, in journal order; an entry
// Load already read is skipped.
func (t *Tracker) Add(e ledger.Entry) {
	if e.Seq != 0 && e.Seq <= t.lastSeq {
		return
	}
	t.fills.Add(e)
	t.queue(e)
	t.Retry()
}

// Retry books the entries waiting for a price, in journal order per
// asset: an entry waits while an earlier one touching one of its assets
// waits, so each asset's lots see its entries in order, and an asset
// nothing can price holds up only the entries that move it. It reports
// whether any entry was booked.
func (t *Tracker) Retry() bool {
	booked := false
	blocked := map[market.Asset]bool{}
	var still []ledger.Entry
	for _, e := range t.pending {
		if touches(e, blocked) {
			still = append(still, e)
			continue
		}
		err := t.apply(t.book, e)
		switch {
		case errors.Is(err, portfolio.ErrUnpriced):
			t.lastErr = err
			still = append(still, e)
			for _, p := range e.Postings {
				blocked[p.Asset] = true
			}
			continue
		case err != nil:
			t.refused++
			t.lastErr = fmt.Errorf("entry %s refused by the book: %w", e.Key, err)
		}
		booked = true
	}
	t.pending = still
	return booked
}

// apply books e in b, valuing it as the live book did.
func (t *Tracker) apply(b *portfolio.Book, e ledger.Entry) error {
	t.cur = e.Key
	err := b.Apply(e)
	if err != nil {
		delete(t.memo, e.Key) // not booked: valued afresh next time
	}
	t.cur = ""
	return err
}

// history is the book's portfolio.History: the prices of the entry
// being applied (see entryPrices).
func (t *Tracker) history(at time.Time) portfolio.PriceSource {
	return entryPrices{t: t, at: at, key: t.cur}
}

// entryPrices values one entry: each pair at its last fill at or before
// the entry's time, else as the book first valued this entry (memo),
// else at its first fill after, else at the fallback's price; answers of
// the last two kinds are remembered.
type entryPrices struct {
	t   *Tracker
	at  time.Time
	key string
}

func (p entryPrices) Quote(symbol string) (portfolio.Quote, bool) {
	price, ok, before := p.t.fills.last(symbol, p.at)
	if ok && before {
		return portfolio.Quote{Bid: price, Ask: price}, true
	}
	if q, seen := p.t.memo[p.key][symbol]; seen {
		return q, true
	}
	q := portfolio.Quote{Bid: price, Ask: price}
	if !ok && p.t.fallback != nil {
		if src := p.t.fallback(); src != nil {
			q, ok = src.Quote(symbol)
		}
	}
	if ok && p.key != "" {
		if p.t.memo[p.key] == nil {
			p.t.memo[p.key] = portfolio.Prices{}
		}
		p.t.memo[p.key][symbol] = q
	}
	return q, ok
}

// touches reports whether e moves an asset of set.
func touches(e ledger.Entry, set map[market.Asset]bool) bool {
	for _, p := range e.Postings {
		if set[p.Asset] {
			return true
		}
	}
	return false
}

// split returns e as the book is fed it: an entry that is not a trade
// moves each of its assets independently (an opening balance of several
// assets, a deposit), so it is given per asset ("<key>#<asset>"; its
// reversal likewise), and an asset nothing can price holds up none of
// the others. A trade, whose legs are valued together, and an entry of
// one asset are given whole.
func split(e ledger.Entry) []ledger.Entry {
	if e.Kind == ledger.KindTrade {
		return []ledger.Entry{e}
	}
	var assets []market.Asset
	by := map[market.Asset][]ledger.Posting{}
	for _, p := range e.Postings {
		if _, ok := by[p.Asset]; !ok {
			assets = append(assets, p.Asset)
		}
		by[p.Asset] = append(by[p.Asset], p)
	}
	if len(assets) < 2 {
		return []ledger.Entry{e}
	}
	out := make([]ledger.Entry, 0, len(assets))
	for _, a := range assets {
		part := e
		part.Key, part.Postings = e.Key+"#"+string(a), by[a]
		if e.Reverses != "" {
			part.Reverses = e.Reverses + "#" + string(a)
		}
		out = append(out, part)
	}
	return out
}

// Status says what is not in the book: entries waiting for a price and
// entries refused, with the reason of the latest.
type Status struct {
	Pending int    `json:"pending_entries"`
	Refused int    `json:"refused_entries"`
	Reason  string `json:"reason,omitempty"`
}

// Status returns what is not in the book.
func (t *Tracker) Status() Status {
	s := Status{Pending: len(t.pending), Refused: t.refused}
	if (s.Pending > 0 || s.Refused > 0) && t.lastErr != nil {
		s.Reason = t.lastErr.Error()
	}
	return s
}

// Report values the book at prices, as of now.
func (t *Tracker) Report(prices portfolio.PriceSource, now time.Time) portfolio.Report {
	return t.book.Report(prices, now)
}

// Prices layers a PriceSource over the last fills: a pair live has no
// price for is valued at its last fill.
func (t *Tracker) Prices(live portfolio.PriceSource) portfolio.PriceSource {
	return Source{live, t.fills.At(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))}
}

// ReportAt replays j's entries dated before since into a new book and
// values it at the prices of since (the fills then, else the fallback):
// the start of a window. The entries are valued as the Tracker values
// them.
func (t *Tracker) ReportAt(ctx context.Context, j Journal, since time.Time) (portfolio.Report, error) {
	b, err := t.newBook()
	if err != nil {
		return portfolio.Report{}, err
	}
	err = j.Journal(ctx, ledger.Filter{}, func(e ledger.Entry) error {
		if e.Time.Before(since) {
			for _, part := range split(e) {
				t.apply(b, part) // refusals are the live book's too, and counted there
			}
		}
		return nil
	})
	if err != nil {
		return portfolio.Report{}, fmt.Errorf("portfolio: read the journal: %w", err)
	}
	var prices portfolio.PriceSource = t.fills.At(since)
	if t.fallback != nil {
		prices = Source{prices, t.fallback()}
	}
	return b.Report(prices, since), nil
}

// Portfolio returns the book valued now at live's prices, over the last
// fills; from says where live's come from.
func (t *Tracker) Portfolio(live portfolio.PriceSource, from string, now time.Time) Portfolio {
	note := pricesNote()
	if live != nil && from != "" {
		note = pricesNote(from)
	}
	return Portfolio{Report: t.Report(t.Prices(live), now), Prices: note, Status: t.Status()}
}

// PnL returns the PnL of q's window ending now, valued at live's prices
// over the last fills. A window's start replays j (see ReportAt).
func (t *Tracker) PnL(ctx context.Context, j Journal, q Query, live portfolio.PriceSource, now time.Time) (PnL, error) {
	to := t.Report(t.Prices(live), now)
	var from portfolio.Report
	if !q.Since.IsZero() {
		var err error
		if from, err = t.ReportAt(ctx, j, q.Since); err != nil {
			return PnL{}, err
		}
	}
	v, err := Window(from, to, q.By)
	v.Status = t.Status()
	return v, err
}
