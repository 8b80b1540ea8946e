package daemon

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/lnurl"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/treasury/policy"
)

// invoiceSource fetches Lightning destinations' invoices from their
// Lightning Address or LNURL-pay endpoint: one LNURL client per network
// the destinations' prefixes name, each checking an invoice (amount,
// network, description hash, signature) before treasury sees it.
type invoiceSource map[string]*lnurl.Client // by BOLT11 prefix

func (s invoiceSource) Invoice(ctx context.Context, prefix, destination string, amountBTC decimal.Decimal) (string, error) {
	c, ok := s[prefix]
	if !ok {
		return "", fmt.Errorf("no LNURL client for invoices %s…", prefix)
	}
	inv, err := c.Invoice(ctx, destination, amountBTC)
	if err != nil {
		return "", err
	}
	return inv.PaymentRequest, nil
}

// invoices builds the invoice source the configured Lightning destinations
// need; nil when there is none. In paper mode every LNURL request goes to
// the simulator, whatever domain the address names.
func (r *run) invoices() (treasury.InvoiceSource, error) {
	d := r.d
	src := invoiceSource{}
	for _, name := range slices.Sorted(maps.Keys(d.cfg.Treasury.Destinations)) {
		dest := d.cfg.Treasury.Destinations[name]
		if dest.Type != policy.TypeLightning || src[dest.Prefix()] != nil {
			continue
		}
		network, ok := lnurl.NetworkOf(dest.Prefix())
		if !ok {
			return nil, fmt.Errorf("treasury.destinations.%s.invoice_prefix: %q names no Lightning network", name, dest.Prefix())
		}
		cfg := lnurl.Config{Network: network, Timeout: d.cfg.Hercle.Timeout.Duration, Clock: d.o.Clock}
		if r.simSrv != nil {
			// Paper mode: the simulator serves the Lightning Addresses.
			cfg.AllowHTTP, cfg.HTTPClient = true, &http.Client{Transport: r.simSrv.Transport()}
		}
		c, err := lnurl.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("treasury.destinations.%s: %w", name, err)
		}
		src[dest.Prefix()] = c
	}
	if len(src) == 0 {
		return nil, nil
	}
	return src, nil
}
