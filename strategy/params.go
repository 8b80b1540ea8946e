package strategy

import "github.com/otcdesk/engine/internal/tomlval"

// common checks the fields every built-in shares.
func common(p *tomlval.Problems, path Path, slippage tomlval.Decimal, precision int32) {
	if path != RFQ && path != OTC {
		p.Add("path", "must be \"rfq\" or \"otc\", got %q", path)
	}
	p.NonNegative("max_slippage", slippage)
	if precision < 0 || precision > 18 {
		p.Add("precision", "must be 0 to 18 decimal places, got %d", precision)
	}
}
