package ledger

import "testing"

func TestDestination(t *testing.T) {
	for _, c := range []struct {
		network, address string
		want             Account
	}{
		{"Lightning", "lnbc1u1p3xyz", ExternalLightning("lnbc1u1p3xyz")},
		{"SEPA", "DE89 3704 0044 0532 0130 00", ExternalBank("DE89370400440532013000")},
		{"swift", "GB29NWBK60161331926819", ExternalBank("GB29NWBK60161331926819")},
		{" btc ", " bc1qxy ", ExternalAddress("BTC", "bc1qxy")},
		{"ERC20", "", ExternalUnknown()},
		{"ETH", "has space", ExternalUnknown()},
		{"", "bc1qxy", ExternalUnknown()}, // no network: no valid address account
	} {
		if got := Destination(c.network, c.address); got != c.want {
			t.Errorf("Destination(%q, %q) = %s, want %s", c.network, c.address, got, c.want)
		}
	}
}

func TestEntryTo(t *testing.T) {
	for _, c := range []struct {
		refs map[string]string
		want Account
		ok   bool
	}{
		{map[string]string{RefTo: "external:lightning:ln"}, ExternalLightning("ln"), true},
		{map[string]string{RefTo: "venue:hercle:available"}, VenueAvailable(Hercle), true},
		{map[string]string{RefTo: "transit:bank:B1"}, Account{}, false},
		{map[string]string{RefTo: "external:bank:has space"}, Account{}, false},
		{map[string]string{"destination": "ln"}, Account{}, false},
		{nil, Account{}, false},
	} {
		got, ok := Entry{Refs: c.refs}.To()
		if got != c.want || ok != c.ok {
			t.Errorf("Entry{Refs: %v}.To() = %s, %v; want %s, %v", c.refs, got, ok, c.want, c.ok)
		}
	}
}
