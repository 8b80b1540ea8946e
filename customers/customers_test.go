package customers_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/customers"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
)

// refuseAll fails the test if a request reaches it: bad input must be
// refused before anything is recorded or sent.
type refuseAll struct{ t *testing.T }

func (r refuseAll) Move(context.Context, execution.Movement) execution.Result {
	r.t.Fatal("a payout with bad input was submitted")
	return execution.Result{}
}
func (r refuseAll) Follow(context.Context, ledger.Intent) (execution.Result, error) {
	r.t.Fatal("followed")
	return execution.Result{}, nil
}
func (r refuseAll) Intent(context.Context, string) (ledger.Intent, error) {
	r.t.Fatal("the ledger was read for bad input")
	return ledger.Intent{}, nil
}
func (r refuseAll) Unfinished(context.Context) ([]ledger.Intent, error) { return nil, nil }
func (r refuseAll) CreateDeposit(context.Context, heropayments.DepositRequest, bool) (heropayments.Payment, error) {
	r.t.Fatal("a deposit with bad input was asked for")
	return heropayments.Payment{}, nil
}

func TestBadRequestsChangeNothing(t *testing.T) {
	f := refuseAll{t}
	s, err := customers.New(customers.Deps{Loop: f, Follow: f, Ledger: f, Deposits: f, Flow: heropayments.FlowV2})
	if err != nil {
		t.Fatal(err)
	}
	ok := customers.PayoutRequest{ID: "p-1", Customer: "alice", Currency: "USDT", Network: "Tron", Address: "TAddr", Amount: decimal.NewFromInt(5)}
	for name, edit := range map[string]func(*customers.PayoutRequest){
		"no id":           func(r *customers.PayoutRequest) { r.ID = "" },
		"id with a space": func(r *customers.PayoutRequest) { r.ID = "p 1" },
		"long id":         func(r *customers.PayoutRequest) { r.ID = string(make([]byte, 65)) },
		"no customer":     func(r *customers.PayoutRequest) { r.Customer = "" },
		"lower currency":  func(r *customers.PayoutRequest) { r.Currency = "usdt" },
		"no address":      func(r *customers.PayoutRequest) { r.Address = "" },
		"colon address":   func(r *customers.PayoutRequest) { r.Address = "a:b" },
		"zero amount":     func(r *customers.PayoutRequest) { r.Amount = decimal.Zero },
		"negative amount": func(r *customers.PayoutRequest) { r.Amount = decimal.NewFromInt(-1) },
	} {
		r := ok
		edit(&r)
		if _, err := s.Payout(context.Background(), r); !errors.Is(err, customers.ErrInvalid) {
			t.Errorf("%s: Payout = %v, want ErrInvalid", name, err)
		}
	}
	for name, r := range map[string]customers.DepositRequest{
		"no order id":     {Customer: "alice", Currency: "USDT"},
		"no customer":     {OrderID: "o-1", Currency: "USDT"},
		"negative amount": {OrderID: "o-1", Customer: "alice", Currency: "USDT", Amount: decimal.NewFromInt(-1)},
	} {
		if _, err := s.Deposit(context.Background(), r); !errors.Is(err, customers.ErrInvalid) {
			t.Errorf("%s: Deposit = %v, want ErrInvalid", name, err)
		}
	}
}
