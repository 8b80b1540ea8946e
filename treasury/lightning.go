package treasury

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
)

// CreateInvoice issues a Lightning invoice to receive amountBTC at Hercle
// (POST /api/v1/invoices), the receiving side of Lightning. expiry is
// rounded up to whole hours, 1 to 720; zero means 24 hours.
func (t *Treasury) CreateInvoice(ctx context.Context, amountBTC decimal.Decimal, memo string, expiry time.Duration) (hercle.Invoice, error) {
	hours := 24
	if expiry > 0 {
		hours = int((expiry + time.Hour - 1) / time.Hour)
	}
	if !amountBTC.IsPositive() || hours > hercle.MaxInvoiceExpiryHours {
		return hercle.Invoice{}, fmt.Errorf("treasury: invoice for %s BTC expiring in %dh: the amount must be positive and the expiry at most %dh",
			amountBTC, hours, hercle.MaxInvoiceExpiryHours)
	}
	inv, err := t.d.Hercle.CreateInvoice(ctx, hercle.InvoiceRequest{AmountBtc: hercle.N(amountBTC), ExpiryHours: hours, Memo: memo})
	if err != nil {
		return hercle.Invoice{}, fmt.Errorf("treasury: create an invoice for %s BTC: %w", amountBTC, err)
	}
	t.log.Info("treasury: Lightning invoice issued", "invoice_id", inv.ID, "amount_btc", amountBTC.String(), "expires", inv.ExpiresAt.Raw)
	return inv, nil
}
