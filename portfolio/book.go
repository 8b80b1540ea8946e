package portfolio

import (
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Unattributed is the attribution key of an entry without a Client-Id, or
// whose Client-Id the attribution does not know (opening balances,
// deposits, fees imported by reconciliation).
const Unattributed = "unattributed"

// Ignore reasons counted in Counts.Ignored.
const (
	ReasonUnknownKind     = "unknown kind"
	ReasonReversesIgnored = "reverses an ignored entry"
)

const dayLayout = "2006-01-02"

// Inputs are what a Book reads besides its configuration; the caller
// builds them.
type Inputs struct {
	// Pairs are the pair specs valuation paths are found through.
	Pairs []market.Pair
	// History prices each entry at its time. Nil: only movements of the
	// reference can be applied; any other is refused with ErrUnpriced.
	History History
	// Attribution returns the attribution key (a strategy, or a treasury
	// policy as "treasury:<policy>") of an entry's Client-Id. Nil, or an
	// empty answer, books the entry under Unattributed.
	Attribution func(clientID string) string
}

// Book is the portfolio computed from the journal: positions, cost basis,
// realised PnL, fees and external flows, fed one entry at a time in
// journal order. Report values it at current prices.
//
// The zero Book is not usable; build one with New. A Book is not safe for
// concurrent use: the goroutine that owns portfolio state (the event loop,
// or a command) feeds it and asks for reports. It holds every applied
// entry's postings and events, so that a reversal can undo its entry
// exactly: memory grows with the journal.
type Book struct {
	cfg       Config
	valuer    *Valuer
	history   History
	attribute func(string) string
	kinds     map[ledger.Kind]bool

	entries  []record
	index    map[string]int // entry key -> position in entries
	balances map[accountAsset]decimal.Decimal
	counts   Counts
	st       state
}

// record is an entry as the book keeps it.
type record struct {
	key      string
	postings []ledger.Posting
	events   []event
	ignored  bool // counted in Counts.Ignored; no postings, no events
	target   int  // a reversal: the index of the entry it undoes; else -1
	undone   bool // undone by a reversal that is itself in effect
}

type accountAsset struct {
	account string
	asset   market.Asset
}

// New returns an empty Book. It returns the errors of cfg.Validate
// (ErrInvalidConfig) and of NewValuer (ErrInvalidPair).
func New(cfg Config, in Inputs) (*Book, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v, err := NewValuer(cfg.Reference, in.Pairs)
	if err != nil {
		return nil, err
	}
	b := &Book{
		cfg: cfg, valuer: v, history: in.History, attribute: in.Attribution,
		kinds: map[ledger.Kind]bool{}, index: map[string]int{},
		balances: map[accountAsset]decimal.Decimal{}, st: newState(),
	}
	for _, k := range ledger.Kinds() {
		b.kinds[k] = true
	}
	return b, nil
}

// Apply books one journal entry. Entries must come in journal order (the
// order of Store.Journal): FIFO depends on it.
//
// An entry whose key the book has applied is a no-op (counted as a
// duplicate), so a feed may overlap. An entry of a kind this version does
// not know is ignored and counted (Counts.Ignored), never an error. A
// reversal undoes the entry it names as if that entry had never been
// applied (see the package documentation). Apply returns, leaving the book
// unchanged: ErrInvalidEntry for an entry that does not validate;
// *UnpricedError (ErrUnpriced) when a value the entry needs has no price
// path at its time; ErrUnknownReversal or ErrInvalidReversal for a
// reversal it cannot undo.
func (b *Book) Apply(e ledger.Entry) error {
	if _, dup := b.index[e.Key]; dup {
		b.counts.Duplicates++
		return nil
	}
	if !b.kinds[e.Kind] {
		b.ignore(e.Key, ReasonUnknownKind)
		return nil
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	if e.Kind == ledger.KindReversal {
		return b.reverse(e)
	}
	evs, err := b.eventsOf(e, b.keyOf(e.ClientID))
	if err != nil {
		return err
	}
	b.add(record{key: e.Key, postings: slices.Clone(e.Postings), events: evs, target: -1}, e.Seq)
	for _, ev := range evs {
		b.st.fold(ev, b.cfg.Method)
	}
	return nil
}

func (b *Book) keyOf(clientID string) string {
	if clientID == "" || b.attribute == nil {
		return Unattributed
	}
	if k := b.attribute(clientID); k != "" {
		return k
	}
	return Unattributed
}

// add records an entry whose postings the book holds.
func (b *Book) add(r record, seq uint64) {
	b.index[r.key] = len(b.entries)
	b.entries = append(b.entries, r)
	for _, p := range r.postings {
		k := accountAsset{p.Account.String(), p.Asset}
		if n := b.balances[k].Add(p.Amount); n.IsZero() {
			delete(b.balances, k)
		} else {
			b.balances[k] = n
		}
	}
	b.counts.Applied++
	if seq > b.counts.LastSeq {
		b.counts.LastSeq = seq
	}
}

func (b *Book) ignore(key, reason string) {
	b.index[key] = len(b.entries)
	b.entries = append(b.entries, record{key: key, ignored: true, target: -1})
	for i := range b.counts.Ignored {
		if b.counts.Ignored[i].Reason == reason {
			b.counts.Ignored[i].Count++
			return
		}
	}
	b.counts.Ignored = append(b.counts.Ignored, Ignored{Reason: reason, Count: 1, First: key})
}

// reverse undoes the entry e names: it marks it undone and folds the
// book again from the start without it. A reversal of a reversal brings
// the first entry back.
func (b *Book) reverse(e ledger.Entry) error {
	t, ok := b.index[e.Reverses]
	if !ok {
		return fmt.Errorf("%w: %s reverses %s", ErrUnknownReversal, e.Key, e.Reverses)
	}
	if b.entries[t].ignored {
		b.ignore(e.Key, ReasonReversesIgnored)
		return nil
	}
	if e.Key != "reversal:"+e.Reverses || !negates(e.Postings, b.entries[t].postings) {
		return fmt.Errorf("%w: %s reverses %s", ErrInvalidReversal, e.Key, e.Reverses)
	}
	b.add(record{key: e.Key, postings: slices.Clone(e.Postings), target: t}, e.Seq)
	for i, undone := t, true; i >= 0; i, undone = b.entries[i].target, !undone {
		b.entries[i].undone = undone
	}
	b.refold()
	return nil
}

// negates reports whether r's postings cancel orig's, account by account
// and asset by asset.
func negates(r, orig []ledger.Posting) bool {
	sum := map[accountAsset]decimal.Decimal{}
	for _, ps := range [][]ledger.Posting{r, orig} {
		for _, p := range ps {
			k := accountAsset{p.Account.String(), p.Asset}
			sum[k] = sum[k].Add(p.Amount)
		}
	}
	for _, v := range sum {
		if !v.IsZero() {
			return false
		}
	}
	return true
}

// refold rebuilds the derived state from the events of every entry in
// effect, in journal order.
func (b *Book) refold() {
	b.st = newState()
	b.counts.Reversed = 0
	for _, r := range b.entries {
		if r.undone {
			b.counts.Reversed++
			continue
		}
		for _, ev := range r.events {
			b.st.fold(ev, b.cfg.Method)
		}
	}
}

// state is what folding the events yields.
type state struct {
	positions map[market.Asset]*position
	total     Amounts
	byKey     map[string]Amounts
	byDay     map[string]Amounts
	byAsset   map[market.Asset]Amounts
}

func newState() state {
	return state{positions: map[market.Asset]*position{}, byKey: map[string]Amounts{},
		byDay: map[string]Amounts{}, byAsset: map[market.Asset]Amounts{}}
}

func (s *state) fold(ev event, m Method) {
	p := s.positions[ev.asset]
	if p == nil {
		p = &position{}
		s.positions[ev.asset] = p
	}
	d := Amounts{Realised: p.apply(ev.q, ev.v, ev.key, m)}
	switch {
	case ev.flow == flowFee:
		d.Fees = ev.v.Neg()
	case ev.flow == flowExternal && ev.q.IsPositive():
		d.Inflows = ev.v
	case ev.flow == flowExternal:
		d.Outflows = ev.v.Neg()
	}
	s.total = s.total.plus(d)
	s.byKey[ev.key] = s.byKey[ev.key].plus(d)
	s.byDay[ev.day] = s.byDay[ev.day].plus(d)
	s.byAsset[ev.asset] = s.byAsset[ev.asset].plus(d)
}
