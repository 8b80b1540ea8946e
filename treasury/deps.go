package treasury

import (
	"context"
	"iter"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/strategy"
)

// Venue is the part of the Hercle REST client treasury reads (balances
// are the ledger's): whitelists, payees and deposit addresses, which it
// registers or creates where a destination says how, the transaction
// history a settlement's deposit is found in, and Lightning invoices to
// receive. It moves no money. *hercle.Client satisfies it.
type Venue interface {
	WhitelistedAddresses(ctx context.Context) ([]hercle.WhitelistedAddress, error)
	CreateInvoice(ctx context.Context, req hercle.InvoiceRequest) (hercle.Invoice, error)
	Payees(ctx context.Context, q hercle.CursorQuery) iter.Seq2[hercle.Payee, error]
	PayeeAddresses(ctx context.Context, payeeID string, q hercle.CursorQuery) iter.Seq2[hercle.PayeeAddress, error]
	RegisterPayee(ctx context.Context, req hercle.PayeeRequest) (hercle.Payee, error)
	RegisterPayeeAddress(ctx context.Context, payeeID string, req hercle.PayeeAddressRequest) (hercle.PayeeAddress, error)
	DepositAddresses(ctx context.Context) ([]hercle.DepositAddress, error)
	CreateDepositAddress(ctx context.Context, req hercle.DepositAddressRequest) (*hercle.DepositAddress, error)
	Transactions(ctx context.Context, q hercle.PageQuery) iter.Seq2[hercle.Transaction, error]
}

// Heropayments is the part of the Heropayments client a settlement reads:
// the merchant balance. *heropayments.Client satisfies it.
type Heropayments interface {
	Balance(ctx context.Context, flow heropayments.Flow) (heropayments.Balance, error)
}

// Ledger is the part of the ledger treasury reads, and writes outside the
// send protocol: releases of caps, and a settlement's deposit found over
// REST before its webhook. *ledger.Store satisfies it.
type Ledger interface {
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Intents(ctx context.Context, st ledger.IntentState) ([]ledger.Intent, error)
	Unfinished(ctx context.Context) ([]ledger.Intent, error)
	Post(ctx context.Context, e ledger.Entry) (ledger.Entry, bool, error)
	Entry(ctx context.Context, key string) (ledger.Entry, error)
	Entries(ctx context.Context, f ledger.Filter) ([]ledger.Entry, error)
	Balance(ctx context.Context, a ledger.Account, asset market.Asset) (decimal.Decimal, error)
	AddCounter(ctx context.Context, k ledger.CounterKey, opID string, delta decimal.Decimal) (decimal.Decimal, bool, error)
	Counter(ctx context.Context, k ledger.CounterKey) (decimal.Decimal, error)
}

// Loop is the engine's event loop, through which every movement and
// conversion passes risk (against the same balances and daily limits as
// the strategies) and execution. *trader.Loop satisfies it. Each call
// waits for the result; Rejected means risk refused it and nothing was
// recorded.
type Loop interface {
	Trade(ctx context.Context, in strategy.Intent) execution.Result
	Move(ctx context.Context, m execution.Movement) execution.Result
}

// Follower looks unfinished movements up at the venue and records their
// end; it never sends. *execution.Executor satisfies it.
type Follower interface {
	Follow(ctx context.Context, it ledger.Intent) (execution.Result, error)
	Finish(ctx context.Context, it ledger.Intent, ref, note string, entries []ledger.Entry) execution.Result
}

// Gate says whether money may move at a time. *scheduler.Gate satisfies it.
type Gate interface {
	Open(t time.Time) bool
}

// PayeeRegistry says whether a payee address is approved: the state the
// Payee.StatusUpdated webhooks left. *inbound.Registry satisfies it.
type PayeeRegistry interface {
	PayeeAddress(id string) (inbound.PayeeAddress, bool)
}

// InvoiceSource supplies a Lightning invoice for a payment to a
// destination: a Lightning Address or an LNURL-pay endpoint. It must
// return a BOLT11 payment request for exactly amountBTC whose prefix is
// prefix ("lnbc" mainnet, "lntb" testnet, "lntbs" signet, "lnbcrt"
// regtest), checked (amount, network, description hash, signature) before
// it returns.
type InvoiceSource interface {
	Invoice(ctx context.Context, prefix, destination string, amountBTC decimal.Decimal) (string, error)
}

// Deps are a Treasury's collaborators. Ledger and Hercle are required.
// Loop and Follow are required to move money: without them the Treasury
// only plans. The others are required only by the configuration that
// uses them, and New says which is missing.
type Deps struct {
	Ledger Ledger
	Hercle Venue
	Loop   Loop
	Follow Follower
	// Heropayments is required by settlement policies and pulls from
	// Heropayments.
	Heropayments Heropayments
	// Gate is the maintenance gate; nil means always open. Risk checks it
	// again for every movement; here it only skips a run early.
	Gate Gate
	// Clock is the time source; the zero value is the system clock.
	Clock clock.Clock
	// Payees is required by bank destinations: a payee address is paid
	// only once the registry has it APPROVED.
	Payees PayeeRegistry
	// Invoices is required by Lightning destinations.
	Invoices InvoiceSource
	// OnDeposit receives a Hercle deposit that treasury credited itself
	// (found over REST before its webhook), so the daemon can hand it to
	// the event loop as package inbound's OnDeposit would. It must not
	// block.
	OnDeposit func(inbound.Deposit)
	// OnInvoice receives an invoice issued by a pull, for whoever pays
	// it. It must not block.
	OnInvoice func(policy string, inv hercle.Invoice)
	// Logger; nil discards.
	Logger *slog.Logger
	// Metrics receives the collectors; nil registers none.
	Metrics prometheus.Registerer
}
