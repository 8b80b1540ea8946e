package backtest

import (
	"context"
	"fmt"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/portfolio"
)

// PortfolioPnL is the run's PnL as package portfolio books it: the live
// engine's code, fed the scratch ledger's journal entry by entry. Amounts
// are in the reference, rounded to 8 places. Realised - Fees + Unrealised
// is the summary's PnL.
type PortfolioPnL struct {
	// Method is the cost basis method (FIFO).
	Method     string `json:"method"`
	Realised   string `json:"realised"`
	Unrealised string `json:"unrealised"`
	Fees       string `json:"fees"`
	// Opening is the value of the opening balances when the run began:
	// an inflow, not PnL.
	Opening string `json:"opening"`
	// Outflows is what treasury swept out to the desk's destinations,
	// valued when it left (a flow, not PnL); AwayEffect is what the price
	// has done to it since. The equity curve keeps counting it.
	Outflows   string `json:"outflows"`
	AwayEffect string `json:"away_effect"`
	// Residual is the summary's PnL less Realised + Unrealised - Fees +
	// AwayEffect, before rounding: zero, since the book and the equity
	// curve value the same holdings at the same prices.
	Residual string `json:"residual"`
	// ByKey attributes the PnL to whoever made it: each strategy by name,
	// each treasury policy as "treasury:<policy>", and "holding" for the
	// opening balances (what their price moves made or lost).
	ByKey []KeyPnL `json:"by_key"`
}

// KeyPnL is the PnL of one attribution key.
type KeyPnL struct {
	Key        string `json:"key"`
	Realised   string `json:"realised"`
	Unrealised string `json:"unrealised"`
	Fees       string `json:"fees"`
	// PnL is Realised + Unrealised - Fees.
	PnL string `json:"pnl"`
}

// HoldingKey is the attribution key of the opening balances.
const HoldingKey = "holding"

// book feeds package portfolio's Book from the scratch ledger's journal as
// the run goes, valuing each entry at the prices of its time, as the live
// engine does. It belongs to the replay's goroutine.
type book struct {
	b       *portfolio.Book
	store   *ledger.Store
	after   uint64            // the last journal sequence applied
	owner   map[string]string // Client-Id to strategy (or treasury policy)
	fees    map[string]fill   // by trade id: the fee the venue model charged
	started bool              // the run began: every asset has a price
	err     error
}

func newBook(r *replay) (*book, error) {
	bk := &book{store: r.store, owner: map[string]string{}, fees: map[string]fill{}}
	cfg := portfolio.Default()
	cfg.Reference = r.o.Reference
	b, err := portfolio.New(cfg, portfolio.Inputs{
		Pairs:   r.o.Pairs,
		History: portfolio.HistoryFunc(func(t time.Time) portfolio.PriceSource { return r.pricesAt(t) }),
		Attribution: func(clientID string) string {
			return bk.owner[clientID]
		},
	})
	if err != nil {
		return nil, fmt.Errorf("backtest: portfolio: %w", err)
	}
	bk.b = b
	return bk, nil
}

// pricesAt is what the book values an entry of time t at: the marks,
// and for a fill landing after now (latency) the price it met.
func (r *replay) pricesAt(t time.Time) portfolio.PriceSource {
	out := portfolio.Prices{}
	for _, p := range r.o.Pairs {
		tk, ok := r.last.mark(p.Symbol)
		if t.After(r.now()) {
			if ahead, found := r.priceAt(p.Symbol, t); found && priced(ahead) {
				tk, ok = ahead, true
			}
		}
		if ok {
			out[p.Symbol] = portfolio.QuoteOf(tk)
		}
	}
	return out
}

// filled records who a fill belongs to and its fee, then books the
// journal's new entries.
func (bk *book) filled(ctx context.Context, clientID, owner, tradeID string, f fill) {
	bk.owner[clientID] = owner
	bk.fees[tradeID] = f
	bk.sync(ctx)
}

// moved records who a movement belongs to and books what it posted.
func (bk *book) moved(ctx context.Context, clientID, owner string) {
	bk.owner[clientID] = owner
	bk.sync(ctx)
}

// begin books what the journal holds when every asset first has a price:
// the opening balances, and any trade before then, at those prices.
func (bk *book) begin(ctx context.Context) {
	bk.started = true
	bk.sync(ctx)
}

// sync applies the entries posted since the last call.
func (bk *book) sync(ctx context.Context) {
	if !bk.started || bk.err != nil {
		return
	}
	bk.err = bk.store.Journal(ctx, ledger.Filter{AfterSeq: bk.after}, func(e ledger.Entry) error {
		bk.after = e.Seq
		if err := bk.b.Apply(bk.withFee(e)); err != nil {
			return fmt.Errorf("backtest: portfolio: entry %s: %w", e.Key, err)
		}
		return nil
	})
}

// withFee books a trade's fee to fees:hercle. Execution posts a fill's
// quote amount fee included (a buy pays notional plus fee, a sale gets
// notional less fee), as the venue reports it; the venue model knows the
// fee apart, so the book sees it as a fee, not as a worse price. The
// entry still balances.
func (bk *book) withFee(e ledger.Entry) ledger.Entry {
	f, ok := bk.fees[e.Refs["trade_id"]]
	if e.Kind != ledger.KindTrade || !ok || !f.fee.IsPositive() {
		return e
	}
	delete(bk.fees, e.Refs["trade_id"])
	cp := ledger.Counterparty(ledger.Hercle)
	out := e
	out.Postings = nil
	for _, p := range e.Postings {
		if p.Account == cp && p.Asset == f.quote {
			// The counterparty's side of the quote leg is the notional;
			// the fee goes to the fees account.
			p.Amount = p.Amount.Sub(f.fee)
			out.Postings = append(out.Postings, p, ledger.Posting{Account: ledger.Fees(ledger.Hercle), Asset: f.quote, Amount: f.fee})
			continue
		}
		out.Postings = append(out.Postings, p)
	}
	return out
}

// report values the book at the end's marks.
func (bk *book) report(r *replay) (*PortfolioPnL, error) {
	if bk.err != nil {
		return nil, bk.err
	}
	rep := bk.b.Report(r.pricesAt(r.now()), r.lastTick)
	if !rep.Complete {
		return nil, fmt.Errorf("backtest: portfolio: %v cannot be valued in %s at the end", rep.Unvalued, r.o.Reference)
	}
	t := rep.Totals
	pnl := r.curve.last.equity.Sub(r.curve.first.equity)
	// What left and settled is out of the book's equity and in the
	// curve's, at today's prices: the away effect.
	away, _, _ := r.valuer.equity(r.venue.away, &r.last)
	awayEffect := away.Sub(rep.InTransit).Sub(t.Outflows)
	out := &PortfolioPnL{Method: string(rep.Method), Realised: amount(t.Realised), Unrealised: amount(t.Unrealised),
		Fees: amount(t.Fees), Opening: amount(t.Inflows), Outflows: amount(t.Outflows), AwayEffect: amount(awayEffect),
		Residual: pnl.Sub(t.Realised.Add(t.Unrealised).Sub(t.Fees)).Sub(awayEffect).String()}
	for _, k := range rep.ByKey {
		key := k.Key
		if key == portfolio.Unattributed {
			key = HoldingKey
		}
		out.ByKey = append(out.ByKey, KeyPnL{Key: key, Realised: amount(k.Realised), Unrealised: amount(k.Unrealised),
			Fees: amount(k.Fees), PnL: amount(k.Realised.Add(k.Unrealised).Sub(k.Fees))})
	}
	return out, nil
}
