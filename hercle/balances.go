package hercle

import "context"

// Balances is the account's balance snapshot (GET /api/v1/user/balances).
// The exposure fields are on the documentation site only; the collection's
// sample lacks them (they decode as zero).
type Balances struct {
	UserID               string         `json:"userId"`
	Sequence             int64          `json:"sequence"` // increases with every balance update
	Assets               []AssetBalance `json:"assets"`
	BaseCurrency         string         `json:"baseCurrency,omitempty"`
	TotalCurrentExposure Number         `json:"totalCurrentExposure"`
	TotalMaxExposure     Number         `json:"totalMaxExposure"`
	Deleted              bool           `json:"deleted"`
}

// AssetBalance is one asset's balance.
type AssetBalance struct {
	Name            string `json:"name"`
	Available       Number `json:"available"` // free to trade or withdraw
	Allocated       Number `json:"allocated"` // locked in open orders or pending movements
	CurrentExposure Number `json:"currentExposure"`
	MaxExposure     Number `json:"maxExposure"`
}

// Asset returns the balance of the named asset and whether it is listed.
func (b Balances) Asset(name string) (AssetBalance, bool) {
	for _, a := range b.Assets {
		if a.Name == name {
			return a, true
		}
	}
	return AssetBalance{}, false
}

// Balances returns the account's balances. The docs describe one object
// and show a one-element array; the collection sends the object. Both are
// accepted; an array of any other length is a *ResponseError wrapping
// ErrUnexpectedShape.
func (c *Client) Balances(ctx context.Context) (Balances, error) {
	var out oneOrArray[Balances]
	err := c.do(ctx, request{route: routeBalances}, &out)
	return out.V, err
}
