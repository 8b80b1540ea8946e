package sim

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// maxWalkSteps bounds the steps one catch-up applies; a clock that jumps
// further restarts the walk from the current price at the new time.
const maxWalkSteps = 7 * 24 * 3600

// pairState is one pair's random walk. The walk takes one step per
// DefaultPriceStep of venue time, drawing from a source seeded by the
// venue seed and the pair, so the price at a time depends only on the
// seed, the time and SetPrice calls, never on how often it is read.
type pairState struct {
	cfg    PairConfig
	rng    *rand.Rand
	mid    decimal.Decimal
	stepAt time.Time // time of the last step
}

func newPairState(pc PairConfig, seed uint64, now time.Time) *pairState {
	h := fnv.New64a()
	h.Write([]byte(pc.Symbol))
	return &pairState{cfg: pc, rng: rand.New(rand.NewPCG(seed, h.Sum64())), mid: pc.Mid, stepAt: now}
}

// walk brings the mid up to now.
func (p *pairState) walk(now time.Time) {
	steps := int64(now.Sub(p.stepAt) / DefaultPriceStep)
	if steps <= 0 {
		return
	}
	if steps > maxWalkSteps {
		p.stepAt = now
		return
	}
	vol := float64(p.cfg.VolatilityBps) / 10000
	for range steps {
		// The draw is float64 but only scales a percentage move; the price
		// itself stays a decimal rounded to the pair's decimals.
		move := decimal.NewFromFloat(p.rng.NormFloat64() * vol).Round(8)
		next := p.mid.Mul(decimal.NewFromInt(1).Add(move)).Round(p.cfg.Decimals)
		if next.IsPositive() {
			p.mid = next
		}
	}
	p.stepAt = p.stepAt.Add(time.Duration(steps) * DefaultPriceStep)
}

// prices returns the buy (ask) and sell (bid) prices for size. The spread
// widens linearly from SpreadBps at the minimum size to twice that at the
// maximum.
func (p *pairState) prices(size decimal.Decimal) (buy, sell decimal.Decimal) {
	spread := decimal.NewFromInt(p.cfg.SpreadBps).Div(decimal.NewFromInt(10000))
	if p.cfg.MaxSize.IsPositive() && size.IsPositive() {
		frac := decimal.Min(size.Div(p.cfg.MaxSize), decimal.NewFromInt(1))
		spread = spread.Mul(decimal.NewFromInt(1).Add(frac))
	}
	half := p.mid.Mul(spread).Div(decimal.NewFromInt(2))
	return p.mid.Add(half).RoundCeil(p.cfg.Decimals), p.mid.Sub(half).RoundFloor(p.cfg.Decimals)
}

// Quote is a price quote for a size; its ID is the priceId an order is
// placed against until Expires.
type Quote struct {
	ID        string
	Pair      string
	Size      decimal.Decimal // base asset
	BuyPrice  decimal.Decimal
	SellPrice decimal.Decimal
	MarkPrice decimal.Decimal
	Time      time.Time
	Expires   time.Time
}

// SizeQuote is a price quote sized from a quote-currency amount.
type SizeQuote struct {
	ID    string
	Pair  string
	Side  market.Side
	Price decimal.Decimal
	Size  decimal.Decimal
	Time  time.Time
}

// Pairs lists the tradable pairs with their size limits.
func (v *Venue) Pairs() []market.Pair {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]market.Pair, 0, len(v.order))
	for _, s := range v.order {
		out = append(out, v.pairs[s].cfg.Pair)
	}
	return out
}

// Networks lists the networks an asset moves on. It returns ErrNotFound
// for an asset the venue does not hold.
func (v *Venue) Networks(asset string) ([]string, error) {
	switch strings.ToUpper(asset) {
	case "BTC":
		return []string{"Bitcoin", "Lightning"}, nil
	case "ETH":
		return []string{"Ethereum", "Arbitrum One", "Optimism"}, nil
	case "USDT", "USDC":
		return []string{"Ethereum", "Tron", "BNB Smart Chain", "Polygon", "Optimism", "Arbitrum One"}, nil
	case "EUR":
		return []string{"Sepa", "Swift"}, nil
	case "GBP":
		return []string{"Faster Payments", "CHAPS"}, nil
	case "USD":
		return []string{"INTERNATIONAL_WIRE", "DOMESTIC_WIRE", "ACH", "ACH_SAME_DAY"}, nil
	}
	return nil, notFound("asset", asset)
}

func (v *Venue) pairLocked(symbol string) (*pairState, error) {
	p, ok := v.pairs[strings.ToUpper(symbol)]
	if !ok {
		return nil, notFound("pair", symbol)
	}
	return p, nil
}

// Tick returns the current prices of a pair at its minimum size without
// creating a quote: the streaming price a hub pushes.
func (v *Venue) Tick(pair string) (market.Tick, error) {
	now := v.begin()
	defer v.mu.Unlock()
	p, err := v.pairLocked(pair)
	if err != nil {
		return market.Tick{}, err
	}
	p.walk(now)
	buy, sell := p.prices(p.cfg.MinSize)
	return market.Tick{Pair: p.cfg.Symbol, Size: p.cfg.MinSize, BuyPrice: buy, SellPrice: sell, Time: now}, nil
}

// Quote prices size (base asset) on pair and returns a quote whose ID can
// be ordered against for Options.QuoteTTL. The size must be within the
// pair's limits.
func (v *Venue) Quote(pair string, size decimal.Decimal) (Quote, error) {
	now := v.begin()
	defer v.mu.Unlock()
	p, err := v.pairLocked(pair)
	if err != nil {
		return Quote{}, err
	}
	if err := p.cfg.CheckSize(size); err != nil {
		return Quote{}, invalid("size", "size %s outside %s limits %s to %s", size, p.cfg.Symbol, p.cfg.MinSize, p.cfg.MaxSize)
	}
	p.walk(now)
	buy, sell := p.prices(size)
	q := Quote{ID: v.newIDLocked(), Pair: p.cfg.Symbol, Size: size, BuyPrice: buy, SellPrice: sell,
		MarkPrice: p.mid, Time: now, Expires: now.Add(v.opts.QuoteTTL)}
	v.quotes[q.ID] = q
	return q, nil
}

// QuoteAmount sizes a quote-currency amount on pair for side: the size
// (base asset, rounded down to 8 decimals) that amount buys or sells at
// the current price. The returned ID is a quote that can be ordered
// against like Quote's.
func (v *Venue) QuoteAmount(pair string, side market.Side, amount decimal.Decimal) (SizeQuote, error) {
	now := v.begin()
	defer v.mu.Unlock()
	p, err := v.pairLocked(pair)
	if err != nil {
		return SizeQuote{}, err
	}
	if side != market.Buy && side != market.Sell {
		return SizeQuote{}, invalid("side", "side must be buy or sell")
	}
	if !amount.IsPositive() {
		return SizeQuote{}, invalid("amount", "amount must be positive")
	}
	p.walk(now)
	buy, sell := p.prices(p.cfg.MinSize)
	price := buy
	if side == market.Sell {
		price = sell
	}
	size := amount.DivRound(price, 12).RoundFloor(8)
	if err := p.cfg.CheckSize(size); err != nil {
		return SizeQuote{}, invalid("amount", "amount %s gives size %s outside %s limits", amount, size, p.cfg.Symbol)
	}
	buy, sell = p.prices(size)
	q := Quote{ID: v.newIDLocked(), Pair: p.cfg.Symbol, Size: size, BuyPrice: buy, SellPrice: sell,
		MarkPrice: p.mid, Time: now, Expires: now.Add(v.opts.QuoteTTL)}
	v.quotes[q.ID] = q
	return SizeQuote{ID: q.ID, Pair: q.Pair, Side: side, Price: price, Size: size, Time: now}, nil
}

// SetPrice moves a pair's mid price, as a test hook; the walk continues
// from there.
func (v *Venue) SetPrice(pair string, mid decimal.Decimal) error {
	now := v.begin()
	defer v.mu.Unlock()
	p, err := v.pairLocked(pair)
	if err != nil {
		return err
	}
	if !mid.IsPositive() {
		return invalid("price", "price must be positive")
	}
	p.walk(now)
	p.mid = mid
	return nil
}

// quoteMemory is how long an expired quote is remembered, so an order on
// it is told "expired" rather than "not found".
const quoteMemory = time.Minute

// expireLocked forgets old quotes and expires RFQs.
func (v *Venue) expireLocked(now time.Time) {
	for id, q := range v.quotes {
		if !now.Before(q.Expires.Add(quoteMemory)) {
			delete(v.quotes, id)
		}
	}
	open := v.openRFQs[:0]
	for _, r := range v.openRFQs {
		if r.Status != StatusCreated {
			continue
		}
		if now.Before(r.Expires) {
			open = append(open, r)
			continue
		}
		r.Status = StatusCancelled
		rc := *r
		v.emitLocked(now, func(h EventHeader) Event { return RFQChanged{h, rc} })
	}
	clear(v.openRFQs[len(open):])
	v.openRFQs = open
}
