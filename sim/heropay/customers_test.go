package heropay

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/sim"
)

// TestCustomersPayWhatTheMerchantOpened: customers pay the deposits the
// merchant created, oldest first, one per Every: the asked amount, or a
// drawn one when none was asked; each deposit then runs to finished with
// its callbacks and the merchant's balance grows by what was paid. With
// nothing left waiting, a customer pays again to an address paid before:
// a further payment with the first one's externalOrderId, a new sequence,
// callbacks to the first one's callbackUrl.
func TestCustomersPayWhatTheMerchantOpened(t *testing.T) {
	r := newRigWith(t, func(o *Options, _ string) {
		o.Customers = Customers{Every: time.Minute, Repeat: 1}
	})
	open := func(path, order, customer, amount string) {
		t.Helper()
		if amount != "" {
			amount = `,"amount":` + amount
		}
		body := `{"externalOrderId":"` + order + `","customerId":"` + customer + `","currency":"USDT"` + amount +
			`,"callbackUrl":"` + r.cbURL + `"}`
		if st, out := r.call(http.MethodPost, path, body, ""); st != http.StatusOK {
			t.Fatalf("POST %s = %d %v", path, st, out)
		}
	}
	open(pathDepositV2, "m-v2", "alice", "100")
	open(pathDepositCustody, "m-custody", "bob", "")
	open(pathDepositV2Static, "m-static", "carol", "42.5")

	r.clock.Advance(time.Minute)
	r.next(heard{"m-v2", SequenceOriginal, KindDeposit, StatusConfirming})
	r.clock.Advance(time.Minute) // m-v2 exchanging; m-custody paid
	r.next(heard{"m-v2", SequenceOriginal, KindDeposit, StatusExchanging})
	r.next(heard{"m-custody", SequenceOriginal, KindDeposit, StatusPending})
	r.clock.Advance(time.Minute) // m-v2 finished; m-custody processing; m-static paid
	r.next(heard{"m-v2", SequenceOriginal, KindDeposit, StatusFinished})
	r.next(heard{"m-custody", SequenceOriginal, KindDeposit, StatusProcessing})
	r.next(heard{"m-static", SequenceOriginal, KindDeposit, StatusConfirming})
	r.clock.Advance(time.Minute) // nothing waits: a customer pays again to an address paid before
	r.next(heard{"m-custody", SequenceOriginal, KindDeposit, StatusFinished})
	r.next(heard{"m-static", SequenceOriginal, KindDeposit, StatusExchanging})
	again := <-r.heard
	if again.sequence == SequenceOriginal || again.kind != KindDeposit || again.status == "" ||
		!strings.HasPrefix(again.order, "m-") {
		t.Fatalf("fourth customer payment: callback %+v, want a further payment (new sequence) to one of the merchant's orders", again)
	}

	ps := r.srv.Payments()
	if len(ps) != 4 {
		t.Fatalf("%d payments, want the merchant's 3 and 1 further payment", len(ps))
	}
	if !ps[0].PaidAmount.Equal(decimal.NewFromInt(100)) || !ps[2].PaidAmount.Equal(decimal.RequireFromString("42.5")) {
		t.Errorf("paid %s and %s, want the amounts asked: 100 and 42.5", ps[0].PaidAmount, ps[2].PaidAmount)
	}
	if p := ps[1].PaidAmount; p.LessThan(decimal.NewFromInt(20)) || p.GreaterThan(decimal.NewFromInt(500)) || p.Exponent() < -2 {
		t.Errorf("paid %s to a deposit that asked for no amount, want a drawn 20.00 to 500.00", p)
	}
	if ps[3].PayAddress != ps[0].PayAddress && ps[3].PayAddress != ps[1].PayAddress && ps[3].PayAddress != ps[2].PayAddress {
		t.Errorf("further payment to %s, not to an address paid before", ps[3].PayAddress)
	}
	r.clock.Advance(2 * time.Minute)
	var finished decimal.Decimal
	for _, p := range r.srv.Payments() {
		if p.Status == StatusFinished {
			finished = finished.Add(p.MerchantAmount)
		}
	}
	if want := decimal.NewFromInt(1000).Add(finished); !r.srv.Balance().Equal(want) || finished.IsZero() {
		t.Errorf("balance %s, want the opening 1000 plus the finished deposits' %s", r.srv.Balance(), finished)
	}
}

// customerRun lets customers who open their own deposits act n times and
// returns what they did, one line per payment, and the merchant's
// balance, after every payment's three callbacks arrived.
func customerRun(t *testing.T, n int) ([]string, decimal.Decimal) {
	t.Helper()
	r := newRigWith(t, func(o *Options, cbURL string) {
		o.Customers = CustomersFrom(sim.DefaultConfig().Customers, cbURL, "")
		o.Customers.Every, o.Step = 30*time.Second, 10*time.Second
	})
	for range n {
		r.clock.Advance(30 * time.Second)
	}
	r.clock.Advance(20 * time.Second) // every payment finished, no customer acted again
	var lines []string
	for _, p := range r.srv.Payments() {
		lines = append(lines, fmt.Sprintf("%s %s %s %s %s %s %s", p.ExternalOrderID, p.Sequence, p.Flow, p.CustomerID,
			p.PayAddress, p.PaidAmount, p.Status))
	}
	for callbacks := range 3 * n {
		select {
		case <-r.heard:
		case <-r.ctx.Done():
			t.Fatalf("%d callbacks, want 3 per payment (paid, one step, finished)", callbacks)
		}
	}
	return lines, r.srv.Balance()
}

// TestCustomersOpenTheirOwnDeposits: with the merchant's callback URL,
// customers open deposits in every flow (V2, V2 at a static address,
// Custody), pay them and pay again to addresses they used; every payment
// finishes, its three callbacks arrive, and the merchant's balance grows by
// their sum. Two runs with one seed do exactly the same.
func TestCustomersOpenTheirOwnDeposits(t *testing.T) {
	const n = 12
	lines, balance := customerRun(t, n)
	if len(lines) != n {
		t.Fatalf("%d payments after %d customer actions:\n%s", len(lines), n, strings.Join(lines, "\n"))
	}
	flows, further := map[string]int{}, 0
	sum := decimal.Zero
	for _, l := range lines {
		f := strings.Fields(l)
		flows[f[2]]++
		if f[1] != SequenceOriginal {
			further++
		}
		if f[6] != string(StatusFinished) {
			t.Errorf("payment %s did not finish", l)
		}
		sum = sum.Add(decimal.RequireFromString(f[5])) // USDT at rate 1
	}
	if flows[string(FlowV2)] == 0 || flows[string(FlowCustody)] == 0 || further == 0 {
		t.Errorf("flows %v and %d further payments, want both flows and a multiple deposit:\n%s", flows, further, strings.Join(lines, "\n"))
	}
	if want := decimal.NewFromInt(1000).Add(sum); !balance.Equal(want) {
		t.Errorf("balance %s, want 1000 + %s", balance, sum)
	}
	again, balance2 := customerRun(t, n)
	if strings.Join(again, "\n") != strings.Join(lines, "\n") || !balance2.Equal(balance) {
		t.Errorf("a second run with the seed differs:\n%s\nvs\n%s", strings.Join(lines, "\n"), strings.Join(again, "\n"))
	}
}

// TestCustomersFromTheSection: [sim.customers] turns into Customers, and
// Start refuses customers that cannot act.
func TestCustomersFromTheSection(t *testing.T) {
	c := CustomersFrom(sim.CustomersConfig{Every: tomlval.Dur(time.Minute), Count: 5, Currency: "BTC",
		MinAmount: tomlval.MustDec("0.001"), MaxAmount: tomlval.MustDec("0.01"), Repeat: 0.5}, "http://127.0.0.1:1/cb", FlowV2)
	want := Customers{Every: time.Minute, Count: 5, Currency: "BTC", MinAmount: decimal.RequireFromString("0.001"),
		MaxAmount: decimal.RequireFromString("0.01"), Repeat: 0.5, CallbackURL: "http://127.0.0.1:1/cb", Flow: FlowV2}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("CustomersFrom = %+v, want %+v", c, want)
	}
	for _, bad := range []Customers{
		{Every: time.Minute, Currency: "XRP"},
		{Every: time.Minute, Repeat: 2},
		{Every: time.Minute, MinAmount: decimal.NewFromInt(5), MaxAmount: decimal.NewFromInt(1)},
		{Every: -time.Minute},
	} {
		if s, err := Start(t.Context(), Options{APIKey: testKey, APISecret: testSecret, Customers: bad}); err == nil {
			s.Close()
			t.Errorf("Start with customers %+v = nil error, want a refusal", bad)
		}
	}
}
