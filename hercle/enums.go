package hercle

import (
	"strconv"
	"strings"
)

// OrderStatus is the numeric status of an OTC order or an RFQ (the docs use
// one enum for both). The zero value is OrderCreated.
type OrderStatus int

// Order and RFQ statuses, per the documentation site. The collection shows
// orderStatus 2 on a filled order and the guide's hub section calls 2
// "rejected"; the site's 2 = Cancelled is used.
const (
	OrderCreated   OrderStatus = 0
	OrderExecuted  OrderStatus = 1
	OrderCancelled OrderStatus = 2
	OrderPending   OrderStatus = 3
)

func (s OrderStatus) String() string {
	return name(int(s), "OrderStatus", "Created", "Executed", "Cancelled", "Pending")
}

// Final reports whether the status can no longer change (Executed or Cancelled).
func (s OrderStatus) Final() bool { return s == OrderExecuted || s == OrderCancelled }

// OrderType is the numeric type of an order record.
type OrderType int

// Order types.
const (
	OrderMarket     OrderType = 0
	OrderFillOrKill OrderType = 1
)

func (t OrderType) String() string { return name(int(t), "OrderType", "Market", "FillOrKill") }

// TransactionType is the numeric type of an account transaction. The docs
// list 0 to 2; the collection lists 0 to 9.
type TransactionType int

// Transaction types.
const (
	TxDeposit             TransactionType = 0
	TxWithdrawal          TransactionType = 1
	TxTradeFee            TransactionType = 2
	TxCustodyFee          TransactionType = 3
	TxTrade               TransactionType = 4
	TxTradeLock           TransactionType = 5
	TxTradeUnlock         TransactionType = 6
	TxWithdrawalFee       TransactionType = 7
	TxWithdrawalRefund    TransactionType = 8
	TxWithdrawalFeeRefund TransactionType = 9
)

func (t TransactionType) String() string {
	return name(int(t), "TransactionType", "Deposit", "Withdrawal", "TradeFee", "CustodyFee", "Trade",
		"TradeLock", "TradeUnlock", "WithdrawalFee", "WithdrawalRefund", "WithdrawalFeeRefund")
}

// AddressStatus is the review status of a whitelisted address.
type AddressStatus int

// Whitelisted address statuses.
const (
	AddressPending  AddressStatus = 0
	AddressRefused  AddressStatus = 1
	AddressApproved AddressStatus = 2
	AddressDeleted  AddressStatus = 3
)

func (s AddressStatus) String() string {
	return name(int(s), "AddressStatus", "Pending", "Refused", "Approved", "Deleted")
}

// PayeeType says whether a payee is a person or a company.
type PayeeType int

// Payee types.
const (
	PayeeIndividual PayeeType = 0
	PayeeCompany    PayeeType = 1
)

func (t PayeeType) String() string { return name(int(t), "PayeeType", "Individual", "Company") }

// PayeeAddressStatus is the review status of a payee address.
type PayeeAddressStatus int

// Payee address statuses.
const (
	PayeeAddressCreated PayeeAddressStatus = 0
	PayeeAddressPending PayeeAddressStatus = 1
	PayeeAddressRefused PayeeAddressStatus = 2
)

func (s PayeeAddressStatus) String() string {
	return name(int(s), "PayeeAddressStatus", "Created", "Pending", "Refused")
}

// MovementStatus is the text status of withdrawals, transfers and ledger
// transactions: CREATED, CONFIRMING or CONFIRMED. Unknown values are kept.
type MovementStatus string

// Movement statuses.
const (
	MovementCreated    MovementStatus = "CREATED"
	MovementConfirming MovementStatus = "CONFIRMING"
	MovementConfirmed  MovementStatus = "CONFIRMED"
)

// SameNetwork reports whether two network names denote the same network.
// The venue's own samples spell one network several ways ("Sepa" on the
// REST pages, "SEPA" in webhooks; "Ethereum" and "ethereum"), so names are
// kept verbatim and compared without regard to case. Requests send the
// caller's spelling unchanged, since the collection says values are
// case-sensitive on input.
func SameNetwork(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func name(v int, typ string, names ...string) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(v) + ")"
}
