package reconcile_test

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/reconcile"
)

// A real balance difference (the ledger credits 0.1 BTC the venue never
// had) on an account that trades every few minutes and receives no
// Balance.Updated: each run's newest venue record is younger than the
// grace period, but the same difference has been seen for longer than
// that, so it must become a break instead of staying pending for ever.
func TestBalanceBreakNotHiddenByActivity(t *testing.T) {
	r := newRig(t, rigOptions{pauseAbove: 0})
	r.post(ledger.Entry{Key: "bogus-credit", Kind: ledger.KindAdjustment, Time: r.clock.Now(), Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d("0.1")},
		{Account: ledger.Adjustment(), Asset: "BTC", Amount: d("-0.1")},
	}})
	var rep reconcile.Report
	for range 6 {
		r.trade(market.Buy, "0.01")
		r.clock.Advance(5 * time.Minute)
		rep = r.reconcile()
	}
	// 30 minutes of the same difference, three grace periods.
	var btc *reconcile.Finding
	for _, f := range rep.Find(reconcile.CheckBalances, reconcile.AmountMismatch) {
		if f.Asset == "BTC" {
			btc = &f
		}
	}
	if btc == nil {
		t.Fatalf("no BTC balance finding:\n%s", text(rep))
	}
	if !btc.Break || btc.Pending {
		t.Fatalf("BTC difference seen for %s = %+v; want a break, not pending for ever:\n%s",
			rep.Finished.Sub(btc.FirstSeen), *btc, text(rep))
	}
	if paused, _, _ := r.pauser.state(); !paused {
		t.Fatal("a persistent balance break did not pause trading")
	}
}
