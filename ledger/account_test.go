package ledger

import (
	"errors"
	"testing"
)

func TestParseAccount(t *testing.T) {
	valid := []Account{
		VenueAvailable(Hercle), VenueAllocated(Heropayments),
		Transit(TransitWithdrawal, "0b6f3c1e-9a1d-4c55-8e0b-3f1a2b3c4d5e"),
		Transit(TransitBank, "B1"), Transit(TransitLightning, "L1"), Transit(TransitSettlement, "S1"),
		ExternalAddress("BTC", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"),
		ExternalAddress("BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
		ExternalBank("DE89370400440532013000"), ExternalLightning("03abcdef"), ExternalUnknown(),
		Counterparty(Hercle), Fees(Heropayments), OpeningBalance(), Adjustment(),
	}
	for _, a := range valid {
		got, err := ParseAccount(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAccount(%q) = %v, %v; want it back", a, got, err)
		}
	}
	invalid := []string{
		"", "venue", "venue:hercle", "venue:Hercle:available", "venue:hercle:free",
		"transit:withdrawal:", "transit:courier:x", "transit:bank:has space",
		"external:address:btc:bc1q", "external:address:BTC", "external:unknown:x", "external:bank:é",
		"counterparty:", "fees:hercle:x", "equity:profit", "assets:cash",
		Transit(TransitBank, "tab\there").String(), VenueAvailable("").String(),
	}
	for _, s := range invalid {
		if _, err := ParseAccount(s); !errors.Is(err, ErrInvalidAccount) {
			t.Errorf("ParseAccount(%q) = %v, want ErrInvalidAccount", s, err)
		}
	}
	var zero Account
	if !zero.IsZero() {
		t.Error("zero Account: IsZero = false")
	}
}

func TestAccountHasPrefix(t *testing.T) {
	a := VenueAvailable(Hercle)
	for prefix, want := range map[string]bool{
		"venue": true, "venue:": true, "venue:hercle": true, "venue:hercle:available": true,
		"venue:herc": false, "venue:hercle:available:x": false, "transit": false,
	} {
		if got := a.HasPrefix(prefix); got != want {
			t.Errorf("%s.HasPrefix(%q) = %v, want %v", a, prefix, got, want)
		}
	}
}
