package sim

// The hub's payloads reuse the REST adapter's wire shapes (wire.go): the
// docs give the same fields on both interfaces. The differences are here:
// a price update's time key is "timestamp" (the REST quote's "timeStamp"),
// the balance snapshot is one object (REST: an array of one), and an
// execution.order.executed push is built from an order's change.

type hubPriceUpdate struct {
	ID        string `json:"id"`
	Pair      string `json:"pair"`
	Size      num    `json:"size"`
	BuyPrice  num    `json:"buyPrice"`
	SellPrice num    `json:"sellPrice"`
	MarkPrice num    `json:"markPrice"`
	Timestamp wtime  `json:"timestamp"`
}

func hubPrice(q Quote) hubPriceUpdate {
	return hubPriceUpdate{ID: q.ID, Pair: q.Pair, Size: n(q.Size), BuyPrice: n(q.BuyPrice), SellPrice: n(q.SellPrice),
		MarkPrice: n(q.MarkPrice), Timestamp: wtime(q.Time)}
}

func hubBalances(b Balances) wireBalances { return toWireBalances(b)[0] }

// hubOrderExecution is execution.order.executed for an order's change.
func hubOrderExecution(o Order) wireExecution {
	price, t := o.ExecutedPrice, o.ExecutedTime
	if price.IsZero() {
		price = o.Price
	}
	if t.IsZero() {
		t = o.Time
	}
	return toWireExecution(Execution{TradeID: o.ID, Side: o.Side, Pair: o.Pair, Price: price, Size: o.Quantity,
		Notional: price.Mul(o.Quantity), Status: o.Status, Base: o.Base, Quote: o.Quote, Time: t,
		StatusError: o.CancellationReason})
}

func hubPairs(v *Venue) []wirePair {
	ps := v.Pairs()
	out := make([]wirePair, len(ps))
	for i, p := range ps {
		out[i] = wirePair{Name: p.Symbol, Asset: string(p.Base), Currency: string(p.Quote), MinSize: n(p.MinSize),
			MaxSize: n(p.MaxSize), MinQuoteSize: n(p.MinQuoteSize), MaxQuoteSize: n(p.MaxQuoteSize)}
	}
	return out
}

// hubList converts a venue list to wire shapes, never null.
func hubList[S, T any](items []S, conv func(S) T) []T {
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = conv(it)
	}
	return out
}
