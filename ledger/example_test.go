package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
)

// A withdrawal: the intent is written before the request is sent, the
// amount moves to transit when it is sent, and out to the destination when
// the venue confirms it.
func Example() {
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := ledger.Open(filepath.Join(dir, "ledger.db"), ledger.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	btc := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	hercle := ledger.VenueAvailable(ledger.Hercle)
	transit := ledger.Transit(ledger.TransitWithdrawal, "W1")
	dest := ledger.ExternalAddress("BTC", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh")

	post := func(e ledger.Entry) {
		if _, _, err := s.Post(ctx, e); err != nil {
			log.Fatal(err)
		}
	}
	post(ledger.Entry{Key: "opening:hercle:BTC", Kind: ledger.KindOpening, Time: at, Postings: []ledger.Posting{
		{Account: hercle, Asset: "BTC", Amount: btc("2")},
		{Account: ledger.OpeningBalance(), Asset: "BTC", Amount: btc("-2")},
	}})

	// 1. Intent first, then the request.
	if _, _, err := s.CreateIntent(ctx, ledger.Intent{ClientID: "W1", Kind: ledger.IntentWithdrawal, Venue: ledger.Hercle}); err != nil {
		log.Fatal(err)
	}
	// 2. The venue accepted it: submitted, and the money is in transit.
	if _, err := s.Transition(ctx, "W1", ledger.StateSubmitted, ledger.Detail{VenueRef: "wd-77"}); err != nil {
		log.Fatal(err)
	}
	post(ledger.Entry{Key: "W1:sent", Kind: ledger.KindWithdrawal, Time: at, ClientID: "W1", Postings: []ledger.Posting{
		{Account: hercle, Asset: "BTC", Amount: btc("-1")},
		{Account: transit, Asset: "BTC", Amount: btc("1")},
	}})
	// 3. The webhook confirms it, less a network fee.
	if _, err := s.Transition(ctx, "W1", ledger.StateSucceeded, ledger.Detail{}); err != nil {
		log.Fatal(err)
	}
	post(ledger.Entry{Key: "W1:settled", Kind: ledger.KindWithdrawalSettled, Time: at, ClientID: "W1", Postings: []ledger.Posting{
		{Account: transit, Asset: "BTC", Amount: btc("-1")},
		{Account: dest, Asset: "BTC", Amount: btc("0.9999")},
		{Account: ledger.Fees(ledger.Hercle), Asset: "BTC", Amount: btc("0.0001")},
	}})

	bs, err := s.Balances(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range bs {
		fmt.Println(b.Account, b.Asset, b.Amount)
	}
	fmt.Println("verify:", s.Verify(ctx))
	// Output:
	// equity:opening BTC -2
	// external:address:BTC:bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh BTC 0.9999
	// fees:hercle BTC 0.0001
	// venue:hercle:available BTC 1
	// verify: <nil>
}
