package sim

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Balances is a snapshot of the account. Sequence increases by one on
// every change.
type Balances struct {
	UserID   string
	Sequence uint64
	Assets   []AssetBalance // sorted by name
}

// AssetBalance is one asset's balance: Available to trade or withdraw,
// Allocated to pending orders and withdrawals.
type AssetBalance struct {
	Name      market.Asset
	Available decimal.Decimal
	Allocated decimal.Decimal
}

// TxType is a transaction's type, numbered as the Postman collection does
// (the documentation site lists 0 to 2 only).
type TxType int

// Transaction types.
const (
	TxDeposit             TxType = 0
	TxWithdrawal          TxType = 1
	TxTradeFee            TxType = 2
	TxCustodyFee          TxType = 3
	TxTrade               TxType = 4
	TxTradeLock           TxType = 5
	TxTradeUnlock         TxType = 6
	TxWithdrawalFee       TxType = 7
	TxWithdrawalRefund    TxType = 8
	TxWithdrawalFeeRefund TxType = 9
)

// Transaction is one balance movement. Amount is signed: negative leaves
// the account. RefID is the order, withdrawal, transfer or pay-in it
// belongs to.
type Transaction struct {
	ID       string
	Sequence uint64
	Type     TxType
	Asset    market.Asset
	Amount   decimal.Decimal
	RefID    string
	Time     time.Time
}

// Balances returns the current balances.
func (v *Venue) Balances() Balances {
	v.begin()
	defer v.mu.Unlock()
	return v.balancesLocked()
}

func (v *Venue) balancesLocked() Balances {
	b := Balances{UserID: v.userID, Sequence: v.balSeq}
	for a, ab := range v.balances {
		b.Assets = append(b.Assets, AssetBalance{Name: a, Available: ab.available, Allocated: ab.allocated})
	}
	slices.SortFunc(b.Assets, func(x, y AssetBalance) int { return strings.Compare(string(x.Name), string(y.Name)) })
	return b
}

func (v *Venue) balanceLocked(a market.Asset) *assetBalance {
	b, ok := v.balances[a]
	if !ok {
		b = &assetBalance{}
		v.balances[a] = b
	}
	return b
}

func (v *Venue) checkAvailableLocked(a market.Asset, amount decimal.Decimal) error {
	if v.balanceLocked(a).available.LessThan(amount) {
		return &Error{Kind: KindInsufficientFunds, Param: "amount", Message: "insufficient " + string(a) + " balance"}
	}
	return nil
}

// moveLocked adds to an asset's available and allocated amounts. Callers
// check availability first; then call balancesChangedLocked once.
func (v *Venue) moveLocked(a market.Asset, available, allocated decimal.Decimal) {
	b := v.balanceLocked(a)
	b.available = b.available.Add(available)
	b.allocated = b.allocated.Add(allocated)
}

// balancesChangedLocked bumps the balance sequence and emits a snapshot.
func (v *Venue) balancesChangedLocked(now time.Time) {
	v.balSeq++
	b := v.balancesLocked()
	v.emitLocked(now, func(h EventHeader) Event { return BalanceChanged{h, b} })
}

func (v *Venue) txLocked(now time.Time, typ TxType, a market.Asset, amount decimal.Decimal, ref string) Transaction {
	t := Transaction{ID: v.newIDLocked(), Sequence: uint64(len(v.txs) + 1), Type: typ, Asset: a, Amount: amount, RefID: ref, Time: now}
	v.txs = append(v.txs, t)
	return t
}

// Credit deposits amount of asset into the account, as a test hook for an
// incoming crypto deposit. It returns the deposit transaction.
func (v *Venue) Credit(asset market.Asset, amount decimal.Decimal) (Transaction, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if asset == "" {
		return Transaction{}, missing("asset")
	}
	if !amount.IsPositive() {
		return Transaction{}, invalid("amount", "amount must be positive")
	}
	return v.creditLocked(now, asset, amount, "", nil), nil
}

// creditLocked credits a deposit and records its ledger entry.
func (v *Venue) creditLocked(now time.Time, asset market.Asset, amount decimal.Decimal, ref string, debtor *Account) Transaction {
	v.moveLocked(asset, amount, decimal.Zero)
	t := v.txLocked(now, TxDeposit, asset, amount, ref)
	v.balancesChangedLocked(now)
	v.ledger[t.ID] = &LedgerEntry{ID: t.ID, RefID: ref, Type: "DEPOSIT", Status: MovementConfirmed,
		Description: "deposit", Asset: asset, Amount: amount, Debtor: debtor, Time: now}
	v.emitLocked(now, func(h EventHeader) Event { return DepositCredited{h, t} })
	return t
}

// Transactions returns one page of transactions; the range may span at
// most 7 days.
func (v *Venue) Transactions(p Page) ([]Transaction, error) { return v.txPage(p, Range7Days) }

// HistoricalTransactions returns one page of transactions; the range may
// span at most 30 days.
func (v *Venue) HistoricalTransactions(p Page) ([]Transaction, error) {
	return v.txPage(p, Range30Days)
}

func (v *Venue) txPage(p Page, maxRange time.Duration) ([]Transaction, error) {
	v.begin()
	defer v.mu.Unlock()
	if err := p.check(maxRange); err != nil {
		return nil, err
	}
	return slices.Clone(pageOf(v.txs, func(t Transaction) time.Time { return t.Time }, p)), nil
}
