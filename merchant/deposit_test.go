package merchant_test

import (
	"errors"
	"testing"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim/heropay"
)

// depositsAt counts the deposits the simulator holds for an external
// order id.
func (e *env) depositsAt(eoid string) int {
	n := 0
	for _, p := range e.srv.Payments() {
		if p.ExternalOrderID == eoid && p.Type == heropay.Kind(heropayments.KindDeposit) {
			n++
		}
	}
	return n
}

// Asked twice for one external order id (a retried admin call, a restart
// between recording and the answer), a deposit is created once: the second
// call finds it at Heropayments and returns it.
func TestDepositCreatedOncePerOrderID(t *testing.T) {
	e := newEnv(t, envOptions{})
	first := e.deposit("order-1", "USDT")
	again := e.deposit("order-1", "USDT")
	if first.PayAddress == "" || again.PayAddress != first.PayAddress {
		t.Fatalf("addresses %q then %q, want the same deposit", first.PayAddress, again.PayAddress)
	}
	if n := e.depositsAt("order-1"); n != 1 {
		t.Fatalf("%d deposits at Heropayments for order-1, want 1", n)
	}
}

// A V2 static deposit gives a customer the same address every time; each
// payment to it is credited under its own key. The Custody flow has no
// static addresses: refused before anything is recorded.
func TestStaticDepositKeepsTheCustomersAddress(t *testing.T) {
	e := newEnv(t, envOptions{})
	req := func(eoid string) heropayments.DepositRequest {
		return heropayments.DepositRequest{ExternalOrderID: eoid, CustomerID: "cust-static", Currency: "USDT"}
	}
	a, err := e.proc.CreateDeposit(e.ctx, req("static-1"), true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.proc.CreateDeposit(e.ctx, req("static-2"), true)
	if err != nil {
		t.Fatal(err)
	}
	if a.PayAddress == "" || a.PayAddress != b.PayAddress {
		t.Fatalf("static addresses %q and %q, want one per customer", a.PayAddress, b.PayAddress)
	}
	e.payThrough(a.PayAddress, "USDT", "40")
	e.payThrough(a.PayAddress, "USDT", "2.5")
	if es := e.entries(ledger.Filter{Kind: ledger.KindDeposit}); len(es) != 2 || es[0].Key == es[1].Key {
		t.Fatalf("deposit entries %+v, want two payments to the static address, each credited once", es)
	}
	e.verify()

	c := newEnv(t, envOptions{flow: heropayments.FlowCustody})
	if _, err := c.proc.CreateDeposit(c.ctx, req("static-3"), true); !errors.Is(err, heropayments.ErrInvalidInput) {
		t.Fatalf("static deposit in the Custody flow = %v, want ErrInvalidInput", err)
	}
	if n := len(c.callbackEvents()); n != 0 {
		t.Fatalf("%d events recorded for a refused deposit", n)
	}
}
