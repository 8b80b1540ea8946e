package backtest

import (
	"context"
	"iter"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
)

// refusedNotModelled is a movement the venue model does not make (a bank
// transfer, a Lightning payment).
const refusedNotModelled = "not_modelled"

var _ execution.Transfers = (*venue)(nil)

// Withdraw takes a crypto withdrawal: the amount leaves the available
// balance at once and the withdrawal is CONFIRMED, with no network fee, so
// treasury's poll settles it. The money still counts in the equity
// curve, at its destination (venue.away).
func (v *venue) Withdraw(_ context.Context, req hercle.WithdrawalRequest, clientID string) (hercle.Withdrawal, string, error) {
	return v.withdraw("withdraw", req.Asset, req.Amount.Decimal, req.Address, req.Network, false, clientID)
}

// WithdrawInstant is Withdraw.
func (v *venue) WithdrawInstant(_ context.Context, req hercle.WithdrawalRequest, clientID string) (hercle.Withdrawal, string, error) {
	return v.withdraw("withdraw instant", req.Asset, req.Amount.Decimal, req.Address, req.Network, true, clientID)
}

// WithdrawWithAddressParams is Withdraw.
func (v *venue) WithdrawWithAddressParams(_ context.Context, req hercle.AddressParamsWithdrawalRequest, clientID string) (hercle.Withdrawal, string, error) {
	return v.withdraw("withdraw with params", req.Asset, req.Amount.Decimal, req.Address, req.Network, req.IsInstant, clientID)
}

func (v *venue) withdraw(op, code string, amount decimal.Decimal, address, network string, instant bool, clientID string) (hercle.Withdrawal, string, error) {
	asset := market.Asset(strings.ToUpper(code))
	if !amount.IsPositive() {
		return hercle.Withdrawal{}, clientID, v.refuse(op, refusedBadAmount, "amount %s must be positive", amount)
	}
	if w, ok := v.withdrawals[clientID]; ok {
		return w, clientID, nil // the same Client-Id is the same withdrawal
	}
	if have := v.balances[asset]; have.LessThan(amount) {
		return hercle.Withdrawal{}, clientID, v.refuse(op, refusedFunds, "withdraw %s %s: %s available", amount, asset, have)
	}
	v.balances[asset] = v.balances[asset].Sub(amount)
	if v.away == nil {
		v.away = map[market.Asset]decimal.Decimal{}
	}
	v.away[asset] = v.away[asset].Add(amount)
	w := hercle.Withdrawal{ID: v.id("withdrawal"), ClientID: clientID, Destination: address, Network: network,
		Amount: hercle.N(amount), Fee: hercle.N(decimal.Zero), Asset: string(asset), Status: hercle.MovementConfirmed,
		IsInstant: instant, Timestamp: hercle.T(v.px.now())}
	if v.withdrawals == nil {
		v.withdrawals = map[string]hercle.Withdrawal{}
	}
	v.withdrawals[clientID] = w
	return w, clientID, nil
}

// WithdrawLightning is refused: Lightning is not modelled.
func (v *venue) WithdrawLightning(_ context.Context, _ hercle.LightningWithdrawalRequest, clientID string) (hercle.LightningPayment, string, error) {
	return hercle.LightningPayment{}, clientID, v.refuse("withdraw lightning", refusedNotModelled, "Lightning payments are not modelled")
}

// CreateTransfer is refused: bank transfers are not modelled.
func (v *venue) CreateTransfer(_ context.Context, _ hercle.TransferRequest, clientID string) (hercle.TransferReceipt, string, error) {
	return hercle.TransferReceipt{}, clientID, v.refuse("transfer", refusedNotModelled, "bank transfers are not modelled")
}

// WithdrawalsByClientID returns the withdrawal made under clientID.
func (v *venue) WithdrawalsByClientID(_ context.Context, clientID string) ([]hercle.Withdrawal, error) {
	if w, ok := v.withdrawals[clientID]; ok {
		return []hercle.Withdrawal{w}, nil
	}
	return nil, nil
}

// Withdrawals lists nothing: it serves Lightning lookups only.
func (v *venue) Withdrawals(context.Context, hercle.WithdrawalFilter) ([]hercle.Withdrawal, error) {
	return nil, nil
}

// Transfers lists nothing: no bank transfer is ever made.
func (v *venue) Transfers(context.Context, hercle.TransferQuery) iter.Seq2[hercle.Transfer, error] {
	return func(func(hercle.Transfer, error) bool) {}
}
