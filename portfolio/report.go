package portfolio

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Amounts are what the book accrues as entries arrive, in the reference,
// each valued at the prices of its entry's time.
type Amounts struct {
	// Realised is proceeds minus the cost basis of what was disposed of:
	// by trades, by fees paid in an asset, and by what left to external
	// accounts.
	Realised decimal.Decimal `json:"realised"`
	// Fees is the value of what was paid to fees accounts.
	Fees decimal.Decimal `json:"fees"`
	// Inflows is the value of what came in from external, opening and
	// adjustment accounts; Outflows of what went out to them. Flows are
	// not PnL.
	Inflows  decimal.Decimal `json:"inflows"`
	Outflows decimal.Decimal `json:"outflows"`
}

func (a Amounts) plus(b Amounts) Amounts {
	return Amounts{Realised: a.Realised.Add(b.Realised), Fees: a.Fees.Add(b.Fees),
		Inflows: a.Inflows.Add(b.Inflows), Outflows: a.Outflows.Add(b.Outflows)}
}

func (a Amounts) minus(b Amounts) Amounts {
	return Amounts{Realised: a.Realised.Sub(b.Realised), Fees: a.Fees.Sub(b.Fees),
		Inflows: a.Inflows.Sub(b.Inflows), Outflows: a.Outflows.Sub(b.Outflows)}
}

// PnL is Amounts plus the unrealised profit at the report's prices.
type PnL struct {
	Amounts
	// Unrealised is value minus cost basis of what is held, over the
	// assets that have a price path.
	Unrealised decimal.Decimal `json:"unrealised"`
}

// Report is the book valued at one set of prices. Every list is sorted, so
// the same book and prices give the same report, byte for byte in JSON.
type Report struct {
	At        time.Time    `json:"at"`
	Reference market.Asset `json:"reference"`
	Method    Method       `json:"method"`
	// Equity is the value of everything held, at venues and in transit,
	// over the assets that have a price path.
	Equity decimal.Decimal `json:"equity"`
	// InTransit is the part of Equity on its way (transit accounts).
	InTransit decimal.Decimal `json:"in_transit"`
	// Complete is false when some held asset has no price path; Unvalued
	// lists those assets. Equity and Unrealised then leave them out.
	Complete bool           `json:"complete"`
	Unvalued []market.Asset `json:"unvalued,omitempty"`
	// Basis is the cost basis of everything held, valued or not.
	Basis    decimal.Decimal `json:"basis"`
	Totals   PnL             `json:"totals"`
	Assets   []AssetReport   `json:"assets"`
	Venues   []VenueHolding  `json:"venues"`
	Balances []Holding       `json:"balances"` // every account with a balance
	ByKey    []KeyPnL        `json:"by_key"`
	ByDay    []DayPnL        `json:"by_day"`
	Entries  Counts          `json:"entries"`
}

// AssetReport is one asset: holding, basis, value and what it accrued.
type AssetReport struct {
	Asset     market.Asset    `json:"asset"`
	Quantity  decimal.Decimal `json:"quantity"` // at venues and in transit
	InTransit decimal.Decimal `json:"in_transit"`
	Basis     decimal.Decimal `json:"basis"`
	// Value and Unrealised are null when the asset has no price path.
	Value      decimal.NullDecimal `json:"value"`
	Unrealised decimal.NullDecimal `json:"unrealised"`
	Path       string              `json:"path,omitempty"` // "USDT→BTC (BTCUSDT) →EUR (BTCEUR)"
	Hops       []Hop               `json:"hops,omitempty"`
	// FeesPaid is the quantity of the asset paid to fees accounts.
	FeesPaid decimal.Decimal `json:"fees_paid"`
	Amounts
}

// VenueHolding is what one venue holds of one asset.
type VenueHolding struct {
	Venue     string              `json:"venue"`
	Asset     market.Asset        `json:"asset"`
	Available decimal.Decimal     `json:"available"`
	Allocated decimal.Decimal     `json:"allocated"`
	Value     decimal.NullDecimal `json:"value"`
}

// Holding is the balance of one account in one asset, as the journal
// implies it: transit accounts are money on its way, external accounts
// what left to (positive) or came from (negative) outside.
type Holding struct {
	Account string              `json:"account"`
	Class   string              `json:"class"`
	Asset   market.Asset        `json:"asset"`
	Amount  decimal.Decimal     `json:"amount"`
	Value   decimal.NullDecimal `json:"value"` // at the report's prices
}

// KeyPnL is the PnL of one attribution key. Realised, fees and flows
// belong to the key of the entry that booked them; unrealised to the key
// of the entry that acquired what is still held.
type KeyPnL struct {
	Key string `json:"key"`
	PnL
}

// DayPnL is what was booked on one day of the day zone. Unrealised PnL is
// a valuation at one instant and is not kept by day.
type DayPnL struct {
	Day string `json:"day"` // 2006-01-02
	Amounts
}

// Counts say what the book did with the entries it was given.
type Counts struct {
	Applied    int       `json:"applied"`    // entries whose postings the book holds, reversals included
	Reversed   int       `json:"reversed"`   // applied entries a reversal undid
	Duplicates int       `json:"duplicates"` // entries given again, ignored
	Ignored    []Ignored `json:"ignored,omitempty"`
	LastSeq    uint64    `json:"last_seq"` // highest journal sequence applied
}

// Ignored counts the entries ignored for one reason, with the key of the
// first.
type Ignored struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	First  string `json:"first"`
}

// Report values the book at prices, as of now (which labels the report and
// does not filter entries: the report covers every entry applied). It
// does not change the book.
func (b *Book) Report(prices PriceSource, now time.Time) Report {
	snap := b.valuer.snapshot(prices)
	r := Report{At: now, Reference: b.cfg.Reference, Method: b.cfg.Method, Complete: true}
	r.Totals.Amounts = b.st.total
	transit := map[market.Asset]decimal.Decimal{}
	fees := map[market.Asset]decimal.Decimal{}
	r.Balances, r.Venues = b.holdings(snap, transit, fees)
	unrealisedByKey := map[string]decimal.Decimal{}
	for _, a := range b.assets(transit, fees) {
		ar := b.assetReport(snap, a, transit[a], fees[a], unrealisedByKey)
		r.Basis = r.Basis.Add(ar.Basis)
		if ar.Value.Valid {
			r.Equity = r.Equity.Add(ar.Value.Decimal)
			r.Totals.Unrealised = r.Totals.Unrealised.Add(ar.Unrealised.Decimal)
			r.InTransit = r.InTransit.Add(snap.mustValue(a, ar.InTransit))
		} else {
			r.Complete = false
			r.Unvalued = append(r.Unvalued, a)
		}
		r.Assets = append(r.Assets, ar)
	}
	for _, k := range sortedKeys(b.st.byKey, unrealisedByKey) {
		r.ByKey = append(r.ByKey, KeyPnL{Key: k, PnL: PnL{Amounts: b.st.byKey[k], Unrealised: unrealisedByKey[k]}})
	}
	for _, d := range sortedKeys(b.st.byDay, nil) {
		r.ByDay = append(r.ByDay, DayPnL{Day: d, Amounts: b.st.byDay[d]})
	}
	r.Entries = b.counts
	r.Entries.Ignored = append([]Ignored(nil), b.counts.Ignored...)
	return r
}

// assets lists every asset held or booked, sorted.
func (b *Book) assets(more ...map[market.Asset]decimal.Decimal) []market.Asset {
	seen := map[market.Asset]bool{}
	for a, p := range b.st.positions {
		seen[a] = seen[a] || !p.qty.IsZero()
	}
	for a := range b.st.byAsset {
		seen[a] = true
	}
	for _, m := range more {
		for a := range m {
			seen[a] = true
		}
	}
	out := make([]market.Asset, 0, len(seen))
	for a, ok := range seen {
		if ok {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// assetReport values one asset and adds its unrealised PnL to byKey.
func (b *Book) assetReport(snap *snapshot, a market.Asset, transit, fees decimal.Decimal, byKey map[string]decimal.Decimal) AssetReport {
	ar := AssetReport{Asset: a, InTransit: transit, FeesPaid: fees, Amounts: b.st.byAsset[a]}
	p := b.st.positions[a]
	if p == nil {
		p = &position{}
	}
	ar.Quantity, ar.Basis = p.qty, p.cost
	route, ok := snap.route(a)
	if !ok && !p.qty.IsZero() {
		return ar
	}
	if ok {
		ar.Path, ar.Hops = route.Path.String(), route.Path.Hops
	} else {
		route.Rate = decimal.Decimal{} // nothing held: worth zero whatever the price
	}
	value := route.Value(p.qty)
	ar.Value = decimal.NullDecimal{Decimal: value, Valid: true}
	ar.Unrealised = decimal.NullDecimal{Decimal: value.Sub(p.cost), Valid: true}
	for _, s := range p.shares(b.cfg.Method) {
		byKey[s.key] = byKey[s.key].Add(route.Value(s.qty).Sub(s.cost))
	}
	return ar
}

// holdings lists every account balance and the venues' holdings, and
// sums transit and fees accounts per asset into transit and fees.
func (b *Book) holdings(snap *snapshot, transit, fees map[market.Asset]decimal.Decimal) ([]Holding, []VenueHolding) {
	keys := make([]accountAsset, 0, len(b.balances))
	for k := range b.balances {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].account != keys[j].account {
			return keys[i].account < keys[j].account
		}
		return keys[i].asset < keys[j].asset
	})
	var hs []Holding
	var vs []VenueHolding
	venueAt := map[[2]string]int{}
	for _, k := range keys {
		amt := b.balances[k]
		class, rest, _ := strings.Cut(k.account, ":")
		hs = append(hs, Holding{Account: k.account, Class: class, Asset: k.asset, Amount: amt, Value: snap.nullValue(k.asset, amt)})
		switch class {
		case "transit":
			transit[k.asset] = transit[k.asset].Add(amt)
		case "fees":
			fees[k.asset] = fees[k.asset].Add(amt)
		case "venue":
			venue, side, _ := strings.Cut(rest, ":")
			i, ok := venueAt[[2]string{venue, string(k.asset)}]
			if !ok {
				i = len(vs)
				venueAt[[2]string{venue, string(k.asset)}] = i
				vs = append(vs, VenueHolding{Venue: venue, Asset: k.asset})
			}
			if side == "allocated" {
				vs[i].Allocated = vs[i].Allocated.Add(amt)
			} else {
				vs[i].Available = vs[i].Available.Add(amt)
			}
		}
	}
	sort.Slice(vs, func(i, j int) bool {
		return vs[i].Venue < vs[j].Venue || vs[i].Venue == vs[j].Venue && vs[i].Asset < vs[j].Asset
	})
	for i := range vs {
		vs[i].Value = snap.nullValue(vs[i].Asset, vs[i].Available.Add(vs[i].Allocated))
	}
	return hs, vs
}

func (s *snapshot) nullValue(a market.Asset, amount decimal.Decimal) decimal.NullDecimal {
	v, ok := s.value(a, amount)
	return decimal.NullDecimal{Decimal: v, Valid: ok}
}

// mustValue values an asset known to have a route.
func (s *snapshot) mustValue(a market.Asset, amount decimal.Decimal) decimal.Decimal {
	v, _ := s.value(a, amount)
	return v
}

func sortedKeys[V any](m map[string]V, more map[string]decimal.Decimal) []string {
	seen := map[string]bool{}
	for k := range m {
		seen[k] = true
	}
	for k := range more {
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Change is how the book moved between two reports of it.
type Change struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Equity is To.Equity - From.Equity; PnL the differences of the totals.
	Equity decimal.Decimal `json:"equity"`
	PnL
	// Residual is Equity - (Realised + Unrealised - Fees + Inflows -
	// Outflows). It is exactly zero when both reports are Complete: the
	// identity of the package documentation.
	Residual decimal.Decimal `json:"residual"`
}

// Between returns the change from one report to a later one of the same
// book. It returns ErrMismatch when their references or methods differ.
func Between(from, to Report) (Change, error) {
	if from.Reference != to.Reference || from.Method != to.Method {
		return Change{}, fmt.Errorf("%w: %s/%s against %s/%s", ErrMismatch, from.Reference, from.Method, to.Reference, to.Method)
	}
	c := Change{From: from.At, To: to.At, Equity: to.Equity.Sub(from.Equity)}
	c.Amounts = to.Totals.Amounts.minus(from.Totals.Amounts)
	c.Unrealised = to.Totals.Unrealised.Sub(from.Totals.Unrealised)
	explained := c.Realised.Add(c.Unrealised).Sub(c.Fees).Add(c.Inflows).Sub(c.Outflows)
	c.Residual = c.Equity.Sub(explained)
	return c, nil
}
