package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// transferView is the strategy.View risk's transfer check reads when
// treasury moves money: prices from the feed, the venue's pairs to value
// the amount in the reference currency, and the ledger's available
// balances at the movement's source, read when the view is made.
type transferView struct {
	feedView
	pairs []market.Pair
	avail map[market.Asset]decimal.Decimal
}

var _ strategy.View = transferView{}

func (v transferView) Pairs() []market.Pair                     { return v.pairs }
func (v transferView) Available(a market.Asset) decimal.Decimal { return v.avail[a] }
func (v transferView) Total(a market.Asset) decimal.Decimal     { return v.avail[a] }

// newTransferView reads source's available balances from the ledger. If
// they cannot be read, the view holds none and risk refuses the transfer
// for want of balance; the error is logged.
func newTransferView(ctx context.Context, store *ledger.Store, source ledger.Venue, prices feedView, pairs []market.Pair, log *slog.Logger) transferView {
	v := transferView{feedView: prices, pairs: pairs, avail: map[market.Asset]decimal.Decimal{}}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	bals, err := store.Balances(ctx)
	if err != nil {
		log.Error("risk: cannot read the ledger's balances for a transfer check; the transfer is refused", "source", source, "err", err)
		return v
	}
	account := ledger.VenueAvailable(source)
	for _, b := range bals {
		if b.Account == account {
			v.avail[b.Asset] = b.Amount
		}
	}
	return v
}
