package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// Receive credits only a positive amount sent to one of the venue's own
// deposit addresses for the asset (any case), as a deposit from sender.
func TestReceiveCreditsOnlyOwnDepositAddresses(t *testing.T) {
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	v := sim.NewVenue(sim.Options{Seed: 5, Clock: clock.NewManual(at).Clock(), Balances: map[market.Asset]decimal.Decimal{}})
	dep, err := v.CreateDepositAddress("USDT", "Tron")
	if err != nil {
		t.Fatal(err)
	}
	d := decimal.RequireFromString
	for _, c := range []struct {
		name    string
		address string
		asset   market.Asset
		amount  string
	}{
		{"another address", "Tsomewhere", "USDT", "5"},
		{"another asset", dep.Address, "BTC", "5"},
		{"nothing", dep.Address, "USDT", "0"},
	} {
		if tx, ok := v.Receive(c.address, c.asset, d(c.amount), "outside"); ok {
			t.Errorf("%s: Receive = %+v, true; want false", c.name, tx)
		}
	}
	tx, ok := v.Receive(dep.Address, "usdt", d("12.5"), "outside")
	if !ok || tx.Asset != "USDT" || !tx.Amount.Equal(d("12.5")) {
		t.Fatalf("Receive at the deposit address = %+v, %v; want a USDT deposit of 12.5", tx, ok)
	}
	bal := v.Balances().Assets
	i := slices.IndexFunc(bal, func(a sim.AssetBalance) bool { return a.Name == "USDT" })
	if i < 0 || !bal[i].Available.Equal(d("12.5")) {
		t.Errorf("balances %+v, want 12.5 USDT available, only what the one deposit brought", bal)
	}
}
