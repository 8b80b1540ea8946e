package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
)

// UserEmail is the e-mail the venue reports for its single account.
const UserEmail = "paper@sim.invalid"

// Venue is the simulated Hercle account and market: pairs and prices,
// orders, RFQs, balances, history, addresses, withdrawals, Lightning and
// banking. It is safe for concurrent use; every method takes the clock's
// current time and first applies the changes due by then (settling
// orders, advancing withdrawals). Create it with NewVenue.
type Venue struct {
	opts  Options
	clock clock.Clock

	mu       sync.Mutex // guards every field below
	rng      *rand.Rand // ids, order outcomes
	userID   string
	eventSeq uint64
	subs     map[*Subscription]struct{}

	pairs  map[string]*pairState
	order  []string // pair symbols in listing order
	quotes map[string]Quote

	balSeq   uint64
	balances map[market.Asset]*assetBalance
	txs      []Transaction

	orders     []*Order // in creation order
	ordersByID map[string]*Order
	trades     []Trade
	pending    []*Order // Created or Pending, in creation order
	rfqs       map[string]*RFQ
	openRFQs   []*RFQ // Created, in creation order

	whitelist []*WhitelistedAddress
	deposits  []*DepositAddress

	withdrawals []*Withdrawal
	invoices    []*Invoice

	endUsers        []*EndUser
	depositAccounts []*DepositAccount
	payees          []*Payee
	payeeAddresses  []*PayeeAddress
	transfers       []*Transfer
	ledger          map[string]*LedgerEntry

	dedup      map[string]dedupEntry
	executions map[string]int
}

type assetBalance struct {
	available, allocated decimal.Decimal
}

type dedupEntry struct {
	at     time.Time
	result any
}

// NewVenue returns a venue in its opening state for opts (zero fields take
// their defaults; see Options).
func NewVenue(opts Options) *Venue {
	opts = opts.withDefaults()
	v := &Venue{
		opts:       opts,
		clock:      opts.Clock,
		rng:        rand.New(rand.NewPCG(opts.Seed, 0x5eed_0f_7e5c1e)),
		subs:       map[*Subscription]struct{}{},
		pairs:      map[string]*pairState{},
		quotes:     map[string]Quote{},
		balances:   map[market.Asset]*assetBalance{},
		ordersByID: map[string]*Order{},
		rfqs:       map[string]*RFQ{},
		ledger:     map[string]*LedgerEntry{},
		dedup:      map[string]dedupEntry{},
		executions: map[string]int{},
	}
	v.userID = v.newIDLocked()
	now := v.clock.Now()
	for _, pc := range opts.Pairs {
		v.pairs[pc.Symbol] = newPairState(pc, opts.Seed, now)
		v.order = append(v.order, pc.Symbol)
	}
	assets := make([]string, 0, len(opts.Balances))
	for a := range opts.Balances {
		assets = append(assets, string(a))
	}
	sort.Strings(assets)
	for _, a := range assets {
		v.balances[market.Asset(a)] = &assetBalance{available: opts.Balances[market.Asset(a)]}
	}
	v.balSeq = 1
	return v
}

// Now returns the venue clock's current time.
func (v *Venue) Now() time.Time { return v.clock.Now() }

// UserID returns the id of the venue's single account.
func (v *Venue) UserID() string { return v.userID }

// newIDLocked returns a UUID-shaped id from the seeded source.
func (v *Venue) newIDLocked() string {
	a, b := v.rng.Uint64(), v.rng.Uint64()
	a = a&^(0xf<<12) | 0x4<<12 // version 4
	b = b&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// newTokenLocked returns a short lower-case alphanumeric id with a prefix,
// the shape of the banking ids (eus_…, vac_…).
func (v *Venue) newTokenLocked(prefix string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString(prefix)
	for range 18 {
		b.WriteByte(alphabet[v.rng.IntN(len(alphabet))])
	}
	return b.String()
}

// begin locks the venue and applies every change due at the current time.
// The caller must unlock v.mu.
func (v *Venue) begin() time.Time {
	now := v.clock.Now()
	v.mu.Lock()
	v.advanceLocked(now)
	return now
}

// Advance applies every change due at the clock's current time (orders
// settling, RFQs expiring, withdrawals and transfers moving on) and emits
// their events. Every other method does this first; call Advance when
// nothing else would, for example from a ticker that pushes events.
func (v *Venue) Advance() {
	v.begin()
	v.mu.Unlock()
}

func (v *Venue) advanceLocked(now time.Time) {
	v.settleOrdersLocked(now)
	v.expireLocked(now)
	v.advanceWithdrawalsLocked(now)
	v.advanceTransfersLocked(now)
	for k, e := range v.dedup {
		if now.Sub(e.at) >= DedupWindow {
			delete(v.dedup, k)
		}
	}
}

// replayLocked returns the stored result of an earlier request with the
// same Client-Id on the same operation, when deduplication is on.
func (v *Venue) replayLocked(op, clientID string) (any, bool) {
	if !v.opts.Dedup || clientID == "" {
		return nil, false
	}
	e, ok := v.dedup[op+"\x00"+clientID]
	return e.result, ok
}

// appliedLocked records that a request with clientID was applied: it
// counts the execution and, for a deduplicated operation (op not empty),
// remembers the result.
func (v *Venue) appliedLocked(now time.Time, op, clientID string, result any) {
	if clientID == "" {
		return
	}
	v.executions[clientID]++
	if v.opts.Dedup && op != "" {
		v.dedup[op+"\x00"+clientID] = dedupEntry{at: now, result: result}
	}
}

// Executions reports how many times a money-moving request carrying
// clientID (order, RFQ accept, withdrawal of any kind, Lightning payment,
// transfer) was applied by the venue. A deduplicated repeat and a request
// refused before it was applied do not count; with Dedup off a repeated
// Client-Id counts again. It is the test hook behind exactly-once proofs.
func (v *Venue) Executions(clientID string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.executions[clientID]
}

// Page selects one page of a date-bounded listing: items whose time is in
// [From, To], page Page (from 0) of Size items (5 to 50).
type Page struct {
	From, To time.Time
	Page     int
	Size     int
}

// Listing limits from the documentation.
const (
	MinPageSize = 5
	MaxPageSize = 50
	// Range7Days bounds the non-historical trade and transaction listings.
	Range7Days = 7 * 24 * time.Hour
	// Range30Days bounds the historical listings, orders, withdrawals and
	// the banking listings.
	Range30Days = 30 * 24 * time.Hour
)

func (p Page) check(maxRange time.Duration) error {
	if p.Page < 0 {
		return invalid("page", "page must be 0 or more, got %d", p.Page)
	}
	if p.Size < MinPageSize || p.Size > MaxPageSize {
		return invalid("pageSize", "pageSize must be from %d to %d, got %d", MinPageSize, MaxPageSize, p.Size)
	}
	if p.From.IsZero() || p.To.IsZero() {
		return missing("startDate")
	}
	if p.To.Before(p.From) {
		return invalid("endDate", "endDate is before startDate")
	}
	if p.To.Sub(p.From) > maxRange {
		return invalid("endDate", "date range is longer than %d days", int(maxRange.Hours()/24))
	}
	return nil
}

// offset is the number of records before page (from 0) of size records;
// ok is false when it exceeds what an int holds (no record is that far).
func offset(page, size int) (n int, ok bool) {
	if page < 0 || size < 0 || size > 0 && page > math.MaxInt/size {
		return 0, false
	}
	return page * size, true
}

// pageOf returns page p of items (already in time order) whose time falls
// in [p.From, p.To].
func pageOf[T any](items []T, at func(T) time.Time, p Page) []T {
	out := make([]T, 0, p.Size)
	skip, ok := offset(p.Page, p.Size)
	if !ok {
		return out
	}
	for _, it := range items {
		t := at(it)
		if t.Before(p.From) || t.After(p.To) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, it)
		if len(out) == p.Size {
			break
		}
	}
	return out
}
