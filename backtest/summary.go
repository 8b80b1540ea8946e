package backtest

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// Summary is the result of a run, as summary.json holds it. Amounts are
// decimal strings rounded to 8 places, in the reference currency unless
// named otherwise; fractions (return, drawdown, exposure) are decimal
// strings too (0.05 is 5%). It holds nothing that depends on the machine
// or the wall clock: the same inputs give the same bytes.
type Summary struct {
	Feeds      []string    `json:"feeds"`
	From       string      `json:"from,omitempty"`
	To         string      `json:"to,omitempty"`
	FirstTick  time.Time   `json:"first_tick"`
	LastTick   time.Time   `json:"last_tick"`
	Ticks      int64       `json:"ticks"`
	FeedGaps   int64       `json:"feed_gaps"`
	Strategies []string    `json:"strategies"`
	Venue      VenueReport `json:"venue_model"`
	Reference  string      `json:"reference"`
	// Notes say what the configuration left out and how it was derived.
	Notes []string `json:"notes,omitempty"`

	StartEquity string `json:"start_equity"`
	EndEquity   string `json:"end_equity"`
	// Return is EndEquity / StartEquity - 1.
	Return string `json:"return"`
	// PnL is EndEquity - StartEquity.
	PnL string `json:"pnl"`
	// BenchmarkEquity is what the opening balances, held untouched, are
	// worth at the end; BenchmarkReturn its return and ExcessReturn
	// Return minus it: what trading added to holding.
	BenchmarkEquity string              `json:"benchmark_equity"`
	BenchmarkReturn string              `json:"benchmark_return"`
	ExcessReturn    string              `json:"excess_return"`
	Assets          map[string]AssetPnL `json:"assets"`

	// MaxDrawdown is the largest fall of the equity curve from its running
	// peak, as a fraction of the peak; the amount and when it happened
	// follow.
	MaxDrawdown       string     `json:"max_drawdown"`
	MaxDrawdownAmount string     `json:"max_drawdown_amount"`
	MaxDrawdownPeak   *time.Time `json:"max_drawdown_peak,omitempty"`
	MaxDrawdownTrough *time.Time `json:"max_drawdown_trough,omitempty"`
	// Sharpe and Sortino are on daily (UTC) returns, annualised over 365
	// days; null when there are fewer than two days, no variation (Sharpe)
	// or no losing day (Sortino).
	Sharpe  *float64 `json:"sharpe"`
	Sortino *float64 `json:"sortino"`
	Days    int64    `json:"days"`
	// Caveats name the figures the run is too short or too quiet to
	// support (an annualised ratio over fewer than 30 days).
	Caveats []string `json:"caveats,omitempty"`

	Trades int64 `json:"trades"`
	// Turnover is the traded notional; Fees what the venue model charged.
	Turnover    string            `json:"turnover"`
	Fees        string            `json:"fees"`
	FeesByAsset map[string]string `json:"fees_by_asset"`
	// Exposure is the share of equity held outside the reference: its
	// mean over the equity samples and its maximum.
	ExposureAverage string `json:"exposure_average"`
	ExposureMax     string `json:"exposure_max"`
	EquitySamples   int64  `json:"equity_samples"`

	// Portfolio splits the PnL into realised, unrealised and fees, and
	// attributes it, with package portfolio's code; absent from a sweep's
	// runs.
	Portfolio *PortfolioPnL `json:"portfolio,omitempty"`
	// Treasury is what the treasury policies did; absent without any.
	Treasury *TreasuryReport `json:"treasury,omitempty"`

	Intents IntentCounts `json:"intents"`
	// Rejections count refusals by reason: by risk (intents and RFQ
	// quotes) and by the venue model.
	Rejections Rejections `json:"rejections"`
}

// AssetPnL is one asset's change over the run: its quantity (in the
// asset) apart from its value (in the reference, at the start and end
// mid prices). ValueChange is PriceEffect, what the price move did to the
// quantity held at the start, plus TradeEffect, the change of quantity at
// the end price.
type AssetPnL struct {
	Start       string `json:"start"`
	End         string `json:"end"`
	Change      string `json:"change"`
	StartPrice  string `json:"start_price"`
	EndPrice    string `json:"end_price"`
	StartValue  string `json:"start_value"`
	EndValue    string `json:"end_value"`
	ValueChange string `json:"value_change"`
	PriceEffect string `json:"price_effect"`
	TradeEffect string `json:"trade_effect"`
}

// IntentCounts count the strategies' intents by what became of them.
type IntentCounts struct {
	Decided  int64 `json:"decided"`
	Filled   int64 `json:"filled"`
	Failed   int64 `json:"failed"`
	Rejected int64 `json:"rejected"`
}

// Rejections by reason.
type Rejections struct {
	Risk  map[string]int64 `json:"risk"`
	Venue map[string]int64 `json:"venue"`
}

// VenueReport echoes the venue model.
type VenueReport struct {
	Latency      string `json:"latency"`
	SlippageBps  string `json:"slippage_bps"`
	RFQMarkupBps string `json:"rfq_markup_bps"`
	RFQExpiry    string `json:"rfq_expiry"`
	FeeBps       string `json:"fee_bps"`
}

func amount(d decimal.Decimal) string { return d.Round(8).String() }

func (r *replay) summary() (*Summary, error) {
	c := &r.curve
	s := &Summary{
		Feeds: r.o.Feeds, FirstTick: r.firstTick.UTC(), LastTick: r.lastTick.UTC(), Ticks: r.ticks, FeedGaps: r.in.gaps(),
		Reference: string(r.o.Reference), Notes: r.o.Notes,
		Venue: VenueReport{Latency: r.o.Venue.Latency.String(), SlippageBps: r.o.Venue.SlippageBps.String(),
			RFQMarkupBps: r.o.Venue.RFQMarkupBps.String(), RFQExpiry: r.venue.m.RFQExpiry.String(), FeeBps: r.o.Venue.FeeBps.String()},
		StartEquity: amount(c.first.equity), EndEquity: amount(c.last.equity),
		PnL:               amount(c.last.equity.Sub(c.first.equity)),
		Assets:            map[string]AssetPnL{},
		MaxDrawdown:       c.maxDD.String(),
		MaxDrawdownAmount: amount(c.maxDDAmount),
		Sharpe:            c.sharpe(), Sortino: c.sortino(), Days: c.days,
		Trades: r.trades, Turnover: amount(r.turnover), Fees: amount(r.fees), FeesByAsset: map[string]string{},
		ExposureMax: c.exposureMax.String(), EquitySamples: c.n,
		Rejections: Rejections{Risk: map[string]int64{}, Venue: map[string]int64{}},
	}
	if !r.o.From.IsZero() {
		s.From = r.o.From.UTC().Format(time.RFC3339Nano)
	}
	if !r.o.To.IsZero() {
		s.To = r.o.To.UTC().Format(time.RFC3339Nano)
	}
	for _, st := range r.o.Strategies {
		s.Strategies = append(s.Strategies, st.Name())
	}
	s.BenchmarkEquity = amount(c.last.bench)
	if c.first.equity.IsPositive() {
		one := decimal.NewFromInt(1)
		ret := c.last.equity.DivRound(c.first.equity, 12).Sub(one).Round(8)
		bench := c.last.bench.DivRound(c.first.equity, 12).Sub(one).Round(8)
		s.Return, s.BenchmarkReturn, s.ExcessReturn = ret.String(), bench.String(), ret.Sub(bench).String()
	}
	if c.maxDD.IsPositive() {
		peak, trough := c.ddPeakAt.UTC(), c.ddAt.UTC()
		s.MaxDrawdownPeak, s.MaxDrawdownTrough = &peak, &trough
	}
	if c.n > 0 {
		s.ExposureAverage = c.exposureSum.DivRound(decimal.NewFromInt(c.n), 8).String()
	}
	for _, a := range r.valuer.assets {
		start, end := r.startBal[a], r.held()[a]
		sv := r.startValues[a]
		ev, _ := r.valuer.value(a, end, &r.last)
		sp := r.startPrices[a]
		ep, _ := r.valuer.value(a, decimal.NewFromInt(1), &r.last)
		s.Assets[string(a)] = AssetPnL{Start: amount(start), End: amount(end), Change: amount(end.Sub(start)),
			StartPrice: amount(sp), EndPrice: amount(ep),
			StartValue: amount(sv), EndValue: amount(ev), ValueChange: amount(ev.Sub(sv)),
			PriceEffect: amount(start.Mul(ep.Sub(sp))), TradeEffect: amount(end.Sub(start).Mul(ep))}
	}
	s.Caveats = caveats(s)
	for a, f := range r.feesByAsset {
		s.FeesByAsset[string(a)] = amount(f)
	}
	t, err := r.treasuryReport()
	if err != nil {
		return nil, err
	}
	s.Treasury = t
	if r.book != nil {
		p, err := r.book.report(r)
		if err != nil {
			return nil, err
		}
		s.Portfolio = p
	}
	return s, r.countIntents(s)
}

// countIntents fills the intents' and rejections' counts from the
// engine's counters and the venue model's refusals.
func (r *replay) countIntents(s *Summary) error {
	for reason, n := range r.venue.refusals {
		s.Rejections.Venue[reason] = int64(n)
	}
	if err := counters(r.reg, "engine_risk_rejections_total", func(l map[string]string, v int64) {
		s.Rejections.Risk[l["reason"]] += v
	}); err != nil {
		return err
	}
	if err := counters(r.reg, "engine_decisions_total", func(_ map[string]string, v int64) { s.Intents.Decided += v }); err != nil {
		return err
	}
	return counters(r.reg, "engine_intents_total", func(l map[string]string, v int64) {
		switch l["outcome"] {
		case "filled":
			s.Intents.Filled += v
		case "failed":
			s.Intents.Failed += v
		case "rejected":
			s.Intents.Rejected += v
		}
	})
}

// counters calls fn with the labels and value of every counter of the
// named family.
func counters(g prometheus.Gatherer, name string, fn func(labels map[string]string, v int64)) error {
	mfs, err := g.Gather()
	if err != nil {
		return fmt.Errorf("backtest: read counters: %w", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			fn(labels, int64(m.GetCounter().GetValue()))
		}
	}
	return nil
}

// minDaysForRatios is how many daily returns an annualised ratio needs
// before it says much: below, one good or bad day dominates it.
const minDaysForRatios = 30

// caveats lists what the figures of s cannot be trusted for.
func caveats(s *Summary) []string {
	var out []string
	switch {
	case s.Days < 2:
		out = append(out, fmt.Sprintf("Sharpe and Sortino need two daily returns; the run has %d: they are not computed", s.Days))
	case s.Days < minDaysForRatios:
		out = append(out, fmt.Sprintf("Sharpe and Sortino are annualised from %d daily returns: fewer than %d, so they are noise, not a forecast", s.Days, minDaysForRatios))
	}
	if s.Days >= 2 && s.Sortino == nil {
		out = append(out, "no losing day: Sortino is not defined")
	}
	if s.Days < minDaysForRatios {
		out = append(out, fmt.Sprintf("the maximum drawdown is over %d days: a longer run is likely to find a deeper one", max(s.Days, 1)))
	}
	if s.Trades < 30 {
		out = append(out, fmt.Sprintf("%d trades: too few to tell the strategies' edge from luck", s.Trades))
	}
	return out
}
