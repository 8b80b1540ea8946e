package reconcile

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// compareTrades matches the venue's trades with the ledger's fills: by
// trade id, then by Client-Id (execution posts one entry per Client-Id,
// keyed by its first trade, with the trades' sums). Each entry's effect on
// venue:hercle is then compared with the trades attached to it.
func (r *run) compareTrades(ctx context.Context) error {
	b := r.books
	var attached []*entryInfo
	for i := range r.venue.data.trades {
		t := &r.venue.data.trades[i]
		e, err := r.tradeEntryFor(ctx, t)
		if err != nil {
			return err
		}
		if e == nil {
			r.unmatchedTrade(t)
			continue
		}
		if e.matched == 0 {
			attached = append(attached, e)
		}
		e.matched++
		eff, ok := tradeEffect(t, e)
		if !ok {
			e.unreadable = true
		}
		if e.expected == nil {
			e.expected = eff
		} else {
			for _, x := range eff {
				e.expected = e.expected.add(x.asset, x.amount)
			}
		}
	}
	for _, e := range attached {
		r.compareFill(e)
	}
	for _, e := range b.trades {
		if e.matched > 0 || e.at.Before(r.since) || e.at.After(r.until) {
			continue
		}
		if err := r.tradeMissingAtVenue(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// tradeEntryFor finds the ledger fill of a venue trade; nil if none.
func (r *run) tradeEntryFor(ctx context.Context, t *hercle.Trade) (*entryInfo, error) {
	b := r.books
	e, err := b.entry(ctx, ledger.TradeKey(t.ID))
	if err != nil || e != nil {
		return e, err
	}
	if t.ClientID == "" {
		return nil, nil
	}
	if list := b.tradesByClient[t.ClientID]; len(list) > 0 {
		return list[0], nil
	}
	if in, ok := b.intents[t.ClientID]; ok && in.VenueRef != "" && in.VenueRef != t.ID {
		e, err := b.entry(ctx, ledger.TradeKey(in.VenueRef))
		if err != nil || e == nil || e.kind != ledger.KindTrade {
			return nil, err
		}
		return e, nil
	}
	return nil, nil
}

// compareFill compares a fill with the venue trades attached to it.
func (r *run) compareFill(e *entryInfo) {
	tradeID := strings.TrimPrefix(e.key, tradePrefix)
	if e.unreadable {
		r.add(Finding{Check: CheckTrades, Outcome: AmountMismatch, Ref: tradeID, ClientID: e.clientID, Ledger: e.hercle.String(),
			Detail: "the venue's instrument does not name the base and quote assets; amounts not compared"}, e.at)
		return
	}
	for _, a := range assetsOf(e.hercle, e.expected) {
		if !r.within(a, e.hercle.get(a), e.expected.get(a)) {
			r.add(Finding{Check: CheckTrades, Outcome: AmountMismatch, Ref: tradeID, ClientID: e.clientID, Asset: string(a),
				Venue: e.expected.get(a).String(), Ledger: e.hercle.get(a).String(),
				Detail: fmt.Sprintf("fill %s moves %s in the ledger; the %d venue trade(s) attached to it move %s", e.key, e.hercle, e.matched, e.expected)}, e.at)
			return
		}
	}
	r.match(CheckTrades, e.matched)
}

// unmatchedTrade classifies a venue trade the ledger has no fill for.
func (r *run) unmatchedTrade(t *hercle.Trade) {
	at := t.Timestamp.Time
	f := Finding{Check: CheckTrades, Outcome: MissingInLedger, Ref: t.ID, ClientID: t.ClientID,
		Venue: fmt.Sprintf("%s %s %s at %s", strings.ToLower(string(t.Side)), t.QuantityFilled, t.Instrument, t.Price)}
	in, hasIntent := r.books.intents[t.ClientID]
	if t.ClientID == "" {
		hasIntent = false
	}
	switch {
	case hasIntent && !in.State.Final():
		f.Detail = fmt.Sprintf("fill of intent %s (%s) not posted yet; execution's recovery looks it up by Client-Id and posts it", in.ClientID, in.State)
		r.add(f, at)
		return
	case hasIntent && outcomeOf(in) == ledger.StateFailed:
		f.Outcome, f.Ledger = StatusMismatch, "intent failed"
		f.Detail = fmt.Sprintf("intent %s is recorded as failed but the venue executed this trade; needs a human decision", in.ClientID)
		r.add(f, at)
		return
	case hasIntent:
		f.Ledger = "intent " + string(in.State)
		f.Detail = fmt.Sprintf("intent %s succeeded but this fill is not in the journal", in.ClientID)
	default:
		f.Detail = "trade made outside the engine: no intent has its Client-Id"
	}
	base, quote, ok := splitInstrument(t.Instrument)
	if !ok {
		f.Detail += fmt.Sprintf("; instrument %q does not name base and quote, so it cannot be imported", t.Instrument)
		r.add(f, at)
		return
	}
	fix := tradeImport(t, base, quote, f.Detail)
	nf := r.add(f, at)
	nf.fix = &fix
}

// tradeMissingAtVenue reports a fill in the window with no venue trade,
// after asking the venue by its Client-Id (the trade may lie just outside
// the listing's range).
func (r *run) tradeMissingAtVenue(ctx context.Context, e *entryInfo) error {
	tradeID := strings.TrimPrefix(e.key, tradePrefix)
	detail := "fill in the journal; the venue lists no such trade"
	if e.clientID != "" && r.spendLookup() {
		ts, err := r.v.TradesByClientID(ctx, e.clientID)
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("%w: trades of %s: %w", ErrVenue, e.clientID, err)
		}
		for _, t := range ts {
			if t.ID == tradeID || t.ClientID == e.clientID {
				r.match(CheckTrades, 1)
				return nil
			}
		}
		detail += ", nor under its Client-Id"
	}
	r.add(Finding{Check: CheckTrades, Outcome: MissingAtVenue, Ref: tradeID, ClientID: e.clientID, Ledger: e.hercle.String(),
		Detail: detail}, e.at)
	return nil
}

// splitInstrument reads "BTC/USDT" (the venue's trade instrument) or
// "BTC-USDT".
func splitInstrument(s string) (base, quote market.Asset, ok bool) {
	for _, sep := range []string{"/", "-"} {
		if b, q, found := strings.Cut(s, sep); found && b != "" && q != "" {
			return market.Asset(strings.ToUpper(strings.TrimSpace(b))), market.Asset(strings.ToUpper(strings.TrimSpace(q))), true
		}
	}
	return "", "", false
}

// tradeEffect is what a venue trade does to the account per asset. When
// the instrument has no separator, the fill's pair ref and assets decide
// which is the base.
func tradeEffect(t *hercle.Trade, e *entryInfo) (amounts, bool) {
	base, quote, ok := splitInstrument(t.Instrument)
	if !ok && e != nil && len(e.hercle) == 2 {
		a, b := e.hercle[0].asset, e.hercle[1].asset
		switch pair := strings.ToUpper(e.pair); pair {
		case string(a) + string(b):
			base, quote, ok = a, b, true
		case string(b) + string(a):
			base, quote, ok = b, a, true
		}
	}
	if !ok {
		return nil, false
	}
	q := t.QuantityFilled.Decimal
	notional := q.Mul(t.Price.Decimal)
	switch {
	case strings.EqualFold(string(t.Side), string(market.Buy)):
		notional = notional.Neg()
	case strings.EqualFold(string(t.Side), string(market.Sell)):
		q = q.Neg()
	default:
		return nil, false
	}
	out := make(amounts, 0, 2)
	out = out.add(base, q)
	out = out.add(quote, notional)
	return out, true
}

// tradeImport is the fill entry of a venue trade the ledger lacks, shaped
// like execution's.
func tradeImport(t *hercle.Trade, base, quote market.Asset, why string) ledger.Entry {
	q := t.QuantityFilled.Decimal
	notional := q.Mul(t.Price.Decimal).Round(18)
	baseSign, quoteSign := decimal.NewFromInt(1), decimal.NewFromInt(-1)
	if strings.EqualFold(string(t.Side), string(market.Sell)) {
		baseSign, quoteSign = quoteSign, baseSign
	}
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	return ledger.Entry{
		Key:      ledger.TradeKey(t.ID),
		Kind:     ledger.KindTrade,
		Time:     t.Timestamp.Time,
		ClientID: t.ClientID,
		Refs: map[string]string{"trade_id": t.ID, "pair": string(base) + string(quote),
			"side": strings.ToLower(string(t.Side)), refSource: refSourceValue},
		Memo: clipMemo("imported by reconciliation: " + why),
		Postings: []ledger.Posting{
			{Account: avail, Asset: base, Amount: q.Mul(baseSign)},
			{Account: cp, Asset: base, Amount: q.Mul(baseSign).Neg()},
			{Account: avail, Asset: quote, Amount: notional.Mul(quoteSign)},
			{Account: cp, Asset: quote, Amount: notional.Mul(quoteSign).Neg()},
		},
	}
}

func clipMemo(s string) string {
	if len(s) > 1000 {
		return s[:1000]
	}
	return s
}
