package heropay_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
)

// A Heropayments withdrawal to a Hercle deposit address lands at Hercle as
// a deposit, less the network fee, once it is finished, and only once; a
// withdrawal elsewhere does not.
func TestHeropaymentsLinkDeliversToHercleDepositAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := decimal.RequireFromString
	clk := clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	hp, err := heropay.Start(ctx, heropay.Options{APIKey: hpTestKey, APISecret: hpTestSecret,
		Clock: clk.Clock(), Seed: 7, Balance: d("5000")})
	if err != nil {
		t.Fatal(err)
	}
	defer hp.Close()
	v := sim.NewVenue(sim.Options{Seed: 7, Clock: clk.Clock(), Balances: map[market.Asset]decimal.Decimal{}})
	dep, err := v.CreateDepositAddress("USDT", "Tron")
	if err != nil {
		t.Fatal(err)
	}
	link := heropay.StartLink(ctx, hp, v, heropay.LinkOptions{NetworkFee: d("1")})
	defer link.Close()

	client, err := heropayments.NewClient(heropayments.Config{BaseURL: hp.URL(), APIKey: hpTestKey, APISecret: hpTestSecret})
	if err != nil {
		t.Fatal(err)
	}
	toHercle, err := client.CreateWithdrawal(ctx, heropayments.FlowV2, heropayments.WithdrawalRequest{ExternalOrderID: "settle-1",
		CustomerID: "treasury", Currency: "USDT", Amount: heropayments.MustAmount("1200"), Address: dep.Address}, heropayments.WithdrawalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := client.CreateWithdrawal(ctx, heropayments.FlowV2, heropayments.WithdrawalRequest{ExternalOrderID: "payout-1",
		CustomerID: "c1", Currency: "USDT", Amount: heropayments.MustAmount("10"), Address: "TCustomerAddress"}, heropayments.WithdrawalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := link.Sync(); len(got) != 0 {
		t.Fatalf("Sync before the withdrawal finished delivered %v, want nothing", got)
	}
	clk.Advance(2 * time.Minute) // waiting -> sending -> finished, one step a minute
	got := link.Sync()
	if len(got) != 1 || !got[0].Amount.Equal(d("1199")) || got[0].Asset != "USDT" {
		t.Fatalf("Sync after the withdrawal finished delivered %+v, want one USDT deposit of 1199", got)
	}
	if id, ok := link.Delivered(toHercle.ID); !ok || id != got[0].ID {
		t.Errorf("Delivered(%s) = %q, %v, want %q, true", toHercle.ID, id, ok, got[0].ID)
	}
	if _, ok := link.Delivered(elsewhere.ID); ok {
		t.Errorf("the withdrawal to a customer address was delivered to Hercle")
	}
	if again := link.Sync(); len(again) != 0 {
		t.Errorf("a second Sync delivered %v, want nothing: each withdrawal lands once", again)
	}
	usdt := decimal.Zero
	for _, a := range v.Balances().Assets {
		if a.Name == "USDT" {
			usdt = a.Available
		}
	}
	if !usdt.Equal(d("1199")) {
		t.Errorf("Hercle USDT available = %s, want 1199", usdt)
	}
}
