package treasury

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
)

// bolt11Multipliers are BOLT11's amount multipliers.
var bolt11Multipliers = map[byte]int32{'m': -3, 'u': -6, 'n': -9, 'p': -12}

// invoiceAmount reads the BTC amount of a BOLT11 payment request: the
// human-readable part is prefix (ln + currency), the amount digits, an
// optional multiplier, then the last '1' separates the data. An invoice
// without an amount, or for another network, is refused: treasury pays
// exactly what it decided, on the configured network.
func invoiceAmount(pr, prefix string) (decimal.Decimal, error) {
	s := strings.ToLower(strings.TrimSpace(pr))
	sep := strings.LastIndexByte(s, '1')
	if !strings.HasPrefix(s, prefix) || sep <= len(prefix) {
		return decimal.Decimal{}, fmt.Errorf("not a %s… Lightning invoice with an amount", prefix)
	}
	hrp := s[len(prefix):sep]
	exp := int32(0)
	if m, ok := bolt11Multipliers[hrp[len(hrp)-1]]; ok {
		exp, hrp = m, hrp[:len(hrp)-1]
	}
	if hrp == "" || len(hrp) > 20 || hrp[0] == '0' || strings.TrimLeft(hrp, "0123456789") != "" {
		return decimal.Decimal{}, fmt.Errorf("not a %s… Lightning invoice with an amount", prefix)
	}
	n, err := decimal.NewFromString(hrp)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("invoice amount %q: %w", hrp, err)
	}
	return n.Shift(exp), nil
}

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
