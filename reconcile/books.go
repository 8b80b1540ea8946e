package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Ledger is what reconciliation reads and writes of the ledger.
// *ledger.Store satisfies it; a store opened read-only serves a dry run.
type Ledger interface {
	Journal(ctx context.Context, f ledger.Filter, fn func(ledger.Entry) error) error
	LastSeq(ctx context.Context) (uint64, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
	Balances(ctx context.Context) ([]ledger.Balance, error)
	Intents(ctx context.Context, st ledger.IntentState) ([]ledger.Intent, error)
	Events(ctx context.Context, src ledger.Source, fn func(ledger.Event) error) error
	PutReport(ctx context.Context, r ledger.Report, keep int) (ledger.Report, error)
	LastReport(ctx context.Context) (ledger.Report, error)
	LastCleanReport(ctx context.Context) (ledger.Report, error)
}

// Journal keys of the movements reconciliation compares. Deposits and
// trades use the keys of the paths that normally post them, so that an
// import and a late webhook or fill can never both count.
var (
	tradePrefix      = ledger.TradeKey("")
	depositPrefix    = ledger.DepositKey("")
	feePrefix        = "hercle:fee:"
	withdrawalPrefix = "hercle:withdrawal:"
	transferPrefix   = "hercle:transfer:"
)

func feeKey(txID string) string      { return feePrefix + txID }
func withdrawalKey(id string) string { return withdrawalPrefix + id }
func transferKey(id string) string   { return transferPrefix + id }

// journalSlack widens the journal read before since: an entry's time is
// the venue's time of the event, which may precede the listing's.
const journalSlack = 24 * time.Hour

// refSource flags the entries reconciliation imports.
const (
	refSource        = "source"
	refSourceValue   = "reconcile"
	refVenueRef      = "venue_ref"
	refTransactionID = "transaction_id"
)

// amounts is a small per-asset sum, kept sorted by asset.
type amounts []assetAmount

type assetAmount struct {
	asset  market.Asset
	amount decimal.Decimal
}

func (a amounts) get(asset market.Asset) decimal.Decimal {
	for _, x := range a {
		if x.asset == asset {
			return x.amount
		}
	}
	return decimal.Zero
}

func (a amounts) add(asset market.Asset, d decimal.Decimal) amounts {
	i := 0
	for ; i < len(a) && a[i].asset <= asset; i++ {
		if a[i].asset == asset {
			a[i].amount = a[i].amount.Add(d)
			return a
		}
	}
	a = append(a, assetAmount{})
	copy(a[i+1:], a[i:])
	a[i] = assetAmount{asset, d}
	return a
}

// assets lists the assets with a non-zero amount in either.
func assetsOf(xs ...amounts) []market.Asset {
	out := make([]market.Asset, 0, 4)
	for _, a := range xs {
		for _, x := range a {
			if !x.amount.IsZero() && !slices.Contains(out, x.asset) {
				out = append(out, x.asset)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (a amounts) String() string {
	var parts []string
	for _, x := range a {
		if !x.amount.IsZero() {
			parts = append(parts, x.amount.String()+" "+string(x.asset))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// entryInfo is what reconciliation keeps of a journal entry.
type entryInfo struct {
	seq      uint64
	key      string
	kind     ledger.Kind
	clientID string
	pair     string // the pair ref of a fill
	imported bool   // flagged source=reconcile
	at       time.Time
	// hercle is the entry's effect on venue:hercle:* per asset.
	hercle amounts
	// transit is the entry's postings to transit accounts, per asset.
	transit amounts

	// Per run: the venue records attached to it, the effect the attached
	// venue trades imply, and whether one of them does not say which
	// assets it moved. Reset at the start of every run.
	matched    int
	expected   amounts
	unreadable bool
}

func (e *entryInfo) reset() { e.matched, e.expected, e.unreadable = 0, nil, false }

func newEntryInfo(e ledger.Entry) *entryInfo {
	in := &entryInfo{seq: e.Seq, key: e.Key, kind: e.Kind, clientID: e.ClientID, at: e.Time,
		pair: e.Refs["pair"], imported: e.Refs[refSource] == refSourceValue}
	for _, p := range e.Postings {
		switch {
		case p.Account.HasPrefix("venue:" + string(ledger.Hercle)):
			in.hercle = in.hercle.add(p.Asset, p.Amount)
		case p.Account.Class() == "transit":
			in.transit = in.transit.add(p.Asset, p.Amount)
		}
	}
	return in
}

// cache is what a Reconciler keeps of the ledger between runs. Journal
// entries never change, so each run reads only the entries appended since
// the last one, and drops those older than its window; inbox bodies never
// change either, so each event is decoded once. It is used under the
// Reconciler's run lock only.
type cache struct {
	from      time.Time             // entries at or after this time are held
	lastSeq   uint64                // the newest journal entry read
	entries   map[string]*entryInfo // journal key -> entry, in the window
	hooks     map[string]hookInfo   // Hercle webhook event id -> what it says
	callbacks map[string]cbInfo     // Heropayments callback event id -> what it says

	// A journal read of splitFrom entries or more is split into parts
	// read concurrently.
	splitFrom, parts int
}

func newCache() *cache {
	return &cache{entries: map[string]*entryInfo{}, hooks: map[string]hookInfo{}, callbacks: map[string]cbInfo{},
		splitFrom: parallelFrom, parts: runtime.GOMAXPROCS(0)}
}

// books is the ledger's side of a run.
type books struct {
	store Ledger

	entries        map[string]*entryInfo   // the cache's window
	looked         map[string]*entryInfo   // entries found by point lookups this run
	missing        map[string]bool         // keys looked up and absent this run
	tradesByClient map[string][]*entryInfo // Client-Id -> trade entries, in journal order
	trades         []*entryInfo            // trade entries in journal order
	deposits       []*entryInfo            // deposit entries keyed by transaction id
	sent           map[string]amounts      // Client-Id -> what its entries moved into transit

	intents    map[string]ledger.Intent // by Client-Id
	byVenueRef map[string]string        // venue ref -> Client-Id
	balances   []ledger.Balance

	hooks     *hookIndex
	callbacks *callbackIndex
}

// loadBooks brings the journal part of the cache up to date for a run
// from since, and reads the intents and the balances. The inbox is read
// apart (loadInbox), concurrently.
func loadBooks(ctx context.Context, store Ledger, c *cache, since time.Time) (*books, error) {
	b := &books{
		store:          store,
		entries:        c.entries,
		looked:         map[string]*entryInfo{},
		missing:        map[string]bool{},
		tradesByClient: map[string][]*entryInfo{},
		sent:           map[string]amounts{},
		intents:        map[string]ledger.Intent{},
		byVenueRef:     map[string]string{},
	}
	if err := b.loadJournal(ctx, c, since); err != nil {
		return nil, err
	}
	intents, err := store.Intents(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("%w: intents: %w", ErrLedger, err)
	}
	for _, in := range intents {
		b.intents[in.ClientID] = in
		if in.VenueRef != "" {
			b.byVenueRef[in.VenueRef] = in.ClientID
		}
	}
	if b.balances, err = store.Balances(ctx); err != nil {
		return nil, fmt.Errorf("%w: balances: %w", ErrLedger, err)
	}
	return b, nil
}

func (b *books) loadJournal(ctx context.Context, c *cache, since time.Time) error {
	from := since.Add(-journalSlack)
	f := ledger.Filter{AfterSeq: c.lastSeq}
	if c.lastSeq == 0 || from.Before(c.from) {
		// First run, or one reaching further back: read the window afresh.
		clear(c.entries)
		c.lastSeq = 0
		f = ledger.Filter{From: from}
	}
	c.from = from
	last, err := b.readJournal(ctx, c, f)
	if err != nil {
		clear(c.entries)
		c.lastSeq = 0
		return fmt.Errorf("%w: journal: %w", ErrLedger, err)
	}
	c.lastSeq = last
	for k, in := range c.entries {
		if in.at.Before(from) {
			delete(c.entries, k)
			continue
		}
		in.reset()
		switch {
		case in.kind == ledger.KindTrade && strings.HasPrefix(in.key, tradePrefix):
			b.trades = append(b.trades, in)
		case in.kind == ledger.KindDeposit && strings.HasPrefix(in.key, depositPrefix):
			b.deposits = append(b.deposits, in)
		}
		if in.clientID != "" {
			for _, t := range in.transit {
				if t.amount.IsPositive() {
					b.sent[in.clientID] = b.sent[in.clientID].add(t.asset, t.amount)
				}
			}
		}
	}
	bySeq := func(s []*entryInfo) {
		slices.SortFunc(s, func(a, b *entryInfo) int { return cmp.Compare(a.seq, b.seq) })
	}
	bySeq(b.trades)
	bySeq(b.deposits)
	for _, in := range b.trades {
		if in.clientID != "" {
			b.tradesByClient[in.clientID] = append(b.tradesByClient[in.clientID], in)
		}
	}
	return nil
}

// parallelFrom is the number of journal entries from which a read is split
// between goroutines.
const parallelFrom = 20_000

// readJournal reads the entries f selects into the cache and returns the
// last sequence number read. A first read of a long journal is split into
// sequence ranges decoded concurrently: decoding is most of its cost.
func (b *books) readJournal(ctx context.Context, c *cache, f ledger.Filter) (uint64, error) {
	keep := func(e ledger.Entry) bool { return !e.Time.Before(c.from) }
	end, err := b.store.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	if end <= f.AfterSeq {
		return f.AfterSeq, nil
	}
	parts := 1
	if end-f.AfterSeq >= uint64(c.splitFrom) {
		parts = c.parts
	}
	// Entries posted after LastSeq are read by the next run.
	ranges := make([]ledger.Filter, parts)
	step := (end - f.AfterSeq + uint64(parts) - 1) / uint64(parts)
	for i := range ranges {
		r := f
		r.AfterSeq = f.AfterSeq + uint64(i)*step
		r.ToSeq = min(r.AfterSeq+step, end)
		ranges[i] = r
	}
	found := make([][]*entryInfo, parts)
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i, r := range ranges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.store.Journal(ctx, r, func(e ledger.Entry) error {
				if keep(e) {
					found[i] = append(found[i], newEntryInfo(e))
				}
				return nil
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	for _, part := range found {
		for _, in := range part {
			c.entries[in.key] = in
		}
	}
	return end, nil
}

// loadInbox reads the stored webhooks of the window and every callback,
// decoding those not in the cache.
func loadInbox(ctx context.Context, store Ledger, c *cache, since time.Time, flow heropayments.Flow) (*hookIndex, *callbackIndex, error) {
	hooks, err := loadHooks(ctx, store, c, since.Add(-journalSlack))
	if err != nil {
		return nil, nil, err
	}
	cbs, err := loadCallbacks(ctx, store, c.callbacks, flow)
	if err != nil {
		return nil, nil, err
	}
	return hooks, cbs, nil
}

// entry returns the entry with key, from the window or by a point lookup;
// nil if the ledger has none.
func (b *books) entry(ctx context.Context, key string) (*entryInfo, error) {
	if in, ok := b.entries[key]; ok {
		return in, nil
	}
	if in, ok := b.looked[key]; ok {
		return in, nil
	}
	if b.missing[key] {
		return nil, nil
	}
	e, err := b.store.Entry(ctx, key)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		b.missing[key] = true
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w: entry %s: %w", ErrLedger, key, err)
	}
	in := newEntryInfo(e)
	b.looked[key] = in
	return in, nil
}

// sentAmount is what the intent cid moved into transit: from its entries
// read, else from its settlement or failure entry, else from its open
// transit balance. ok is false if the ledger shows nothing.
func (b *books) sentAmount(ctx context.Context, cid string) (amounts, bool, error) {
	if s, ok := b.sent[cid]; ok {
		return s, true, nil
	}
	for _, key := range []string{ledger.SettledKey(cid), ledger.FailedKey(cid)} {
		e, err := b.entry(ctx, key)
		if err != nil {
			return nil, false, err
		}
		if e == nil {
			continue
		}
		var out amounts
		for _, t := range e.transit {
			if t.amount.IsNegative() {
				out = out.add(t.asset, t.amount.Neg())
			}
		}
		if len(out) > 0 {
			return out, true, nil
		}
	}
	var out amounts
	suffix := ":" + cid
	for _, bal := range b.balances {
		if bal.Account.Class() == "transit" && strings.HasSuffix(bal.Account.String(), suffix) && bal.Amount.IsPositive() {
			out = out.add(bal.Asset, bal.Amount)
		}
	}
	return out, len(out) > 0, nil
}

// intentFor finds the intent a venue movement belongs to: by Client-Id,
// else by the venue id recorded as an intent's VenueRef.
func (b *books) intentFor(clientID, venueID string) (ledger.Intent, bool) {
	if clientID != "" {
		if in, ok := b.intents[clientID]; ok {
			return in, true
		}
	}
	if cid, ok := b.byVenueRef[venueID]; ok && venueID != "" {
		return b.intents[cid], true
	}
	return ledger.Intent{}, false
}

// outcomeOf is an intent's outcome: succeeded or failed once final, "" before.
func outcomeOf(in ledger.Intent) ledger.IntentState {
	switch in.State {
	case ledger.StateSucceeded, ledger.StateFailed:
		return in.State
	case ledger.StateResolved:
		return in.Outcome
	}
	return ""
}
