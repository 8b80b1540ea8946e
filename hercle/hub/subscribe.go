package hub

import (
	"context"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/market"
)

// Hub method names, as the hub spells them: the 35 of the reference plus
// WithdrawFunds from the help-center guide.
const (
	MethodSubscribePairPriceChannel                 = "SubscribePairPriceChannel"
	MethodUnsubscribePairPriceChannel               = "UnsubscribePairPriceChannel"
	MethodGetPairs                                  = "GetPairs"
	MethodGetPairSizeByAmount                       = "GetPairSizeByAmount"
	MethodPlaceOtcOrder                             = "PlaceOtcOrder"
	MethodCreateRequestForQuote                     = "CreateRequestForQuote"
	MethodCreateRequestForQuoteWithCustomExpiration = "CreateRequestForQuoteWithCustomExpiration"
	MethodAcceptRequestForQuote                     = "AcceptRequestForQuote"
	MethodGetOrdersPaginated                        = "GetOrdersPaginated"
	MethodGetOrdersByClientID                       = "GetOrdersByClientId"
	MethodGetTradesPaginated                        = "GetTradesPaginated"
	MethodGetHistoricalTradesPaginated              = "GetHistoricalTradesPaginated"
	MethodGetTradesByClientID                       = "GetTradesByClientId"
	MethodGetTransactionsPaginated                  = "GetTransactionsPaginated"
	MethodGetHistoricalTransactionsPaginated        = "GetHistoricalTransactionsPaginated"
	MethodGetBalances                               = "GetBalances"
	MethodWithdrawInstantFunds                      = "WithdrawInstantFunds"
	MethodWithdrawFundsWithAddressParams            = "WithdrawFundsWithAddressParams"
	MethodWithdrawFunds                             = "WithdrawFunds"
	MethodGetWithdrawalsPaginated                   = "GetWithdrawalsPaginated"
	MethodGetWithdrawalsByClientID                  = "GetWithdrawalsByClientId"
	MethodWhitelistAddress                          = "WhitelistAddress"
	MethodWhitelistAddressWithParams                = "WhitelistAddressWithParams"
	MethodGetWhitelistedAddresses                   = "GetWhitelistedAddresses"
	MethodCreateDepositAddress                      = "CreateDepositAddress"
	MethodGetDepositAddress                         = "GetDepositAddress"
	MethodTransferFunds                             = "TransferFunds"
	MethodGetTransfersPaginated                     = "GetTransfersPaginated"
	MethodGetTransactionLedger                      = "GetTransactionLedger"
	MethodRegisterPayee                             = "RegisterPayee"
	MethodRegisterPayeeAddress                      = "RegisterPayeeAddress"
	MethodGetPayeesPaginated                        = "GetPayeesPaginated"
	MethodGetPayeeAddressesPaginated                = "GetPayeeAddressesPaginated"
	MethodCreateLightningInvoice                    = "CreateLightningInvoice"
	MethodGetLightningInvoices                      = "GetLightningInvoices"
	MethodWithdrawLightning                         = "WithdrawLightning"
)

// Methods lists every hub command this client sends, in the reference's
// order (WithdrawFunds after WithdrawFundsWithAddressParams).
func Methods() []string {
	return []string{
		"GetPairs",
		"SubscribePairPriceChannel",
		"UnsubscribePairPriceChannel",
		"GetPairSizeByAmount",
		"PlaceOtcOrder",
		"CreateRequestForQuote",
		"CreateRequestForQuoteWithCustomExpiration",
		"AcceptRequestForQuote",
		"GetOrdersPaginated",
		"GetOrdersByClientId",
		"GetTradesPaginated",
		"GetHistoricalTradesPaginated",
		"GetTradesByClientId",
		"GetTransactionsPaginated",
		"GetHistoricalTransactionsPaginated",
		"GetBalances",
		"WithdrawInstantFunds",
		"WithdrawFundsWithAddressParams",
		"WithdrawFunds",
		"GetWithdrawalsPaginated",
		"GetWithdrawalsByClientId",
		"WhitelistAddress",
		"WhitelistAddressWithParams",
		"GetWhitelistedAddresses",
		"CreateDepositAddress",
		"GetDepositAddress",
		"TransferFunds",
		"GetTransfersPaginated",
		"GetTransactionLedger",
		"RegisterPayee",
		"RegisterPayeeAddress",
		"GetPayeesPaginated",
		"GetPayeeAddressesPaginated",
		"CreateLightningInvoice",
		"GetLightningInvoices",
		"WithdrawLightning",
	}
}

// hubTime formats a date argument as the docs' examples do.
func hubTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// hubTimePtr is hubTime for a nullable argument: nil is sent as JSON null.
func hubTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return hubTime(*t)
}

// nonNilParams sends an empty object rather than null for absent address
// parameters: the argument is documented as a required object.
func nonNilParams(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return p
}

// SubscribePairPriceChannel subscribes to price updates for pair at size and
// remembers the subscription, which is re-sent after every reconnect until
// UnsubscribePairPriceChannel. While disconnected it only remembers it (and
// returns ErrNotConnected); the next connection sends it. The hub
// documents no reply; a refusal arrives as preChecksError to OnEvent.
func (c *Client) SubscribePairPriceChannel(ctx context.Context, clientID, pair string, size hercle.Number) error {
	c.mu.Lock()
	c.subs[subKey{pair, size.String()}] = clientID
	c.mu.Unlock()
	return c.invoke(ctx, MethodSubscribePairPriceChannel, clientID, pair, size)
}

// UnsubscribePairPriceChannel ends a subscription made with
// SubscribePairPriceChannel. It is forgotten even if sending fails: a new
// connection starts without it.
func (c *Client) UnsubscribePairPriceChannel(ctx context.Context, clientID, pair string, size hercle.Number) error {
	c.mu.Lock()
	delete(c.subs, subKey{pair, size.String()})
	c.mu.Unlock()
	return c.invoke(ctx, MethodUnsubscribePairPriceChannel, clientID, pair, size)
}

// Subscriptions returns the active price subscriptions as pair and size text.
func (c *Client) Subscriptions() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for k := range c.subs {
		out[k.pair] = append(out[k.pair], k.size)
	}
	return out
}

// GetPairs the tradable pairs with their size limits (execution.pairs).
func (c *Client) GetPairs(ctx context.Context, clientID string) ([]hercle.Pair, error) {
	return reply[[]hercle.Pair](c, ctx, MethodGetPairs, clientID, false)
}

// GetPairSizeByAmount the base-asset size amount buys or sells (execution.pair.price).
func (c *Client) GetPairSizeByAmount(ctx context.Context, clientID string, pair string, side market.Side, amount hercle.Number) (hercle.SizeQuote, error) {
	return reply[hercle.SizeQuote](c, ctx, MethodGetPairSizeByAmount, clientID, false, pair, string(side), amount)
}

// PlaceOtcOrder places an order at the price of priceID, a PriceUpdate.ID, accepting slippage percent (1 = 1 %); the reply is execution.order.executed.
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) PlaceOtcOrder(ctx context.Context, clientID string, priceID string, side market.Side, slippage hercle.Number) (hercle.Execution, error) {
	return reply[hercle.Execution](c, ctx, MethodPlaceOtcOrder, clientID, true, priceID, string(side), slippage)
}

// CreateRequestForQuote creates an RFQ for size (base) or amount (quote; 0 to skip either) (account.requestForQuote.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) CreateRequestForQuote(ctx context.Context, clientID string, pair string, side market.Side, size, amount hercle.Number) (hercle.RFQ, error) {
	return reply[hercle.RFQ](c, ctx, MethodCreateRequestForQuote, clientID, true, pair, string(side), size, amount)
}

// CreateRequestForQuoteWithCustomExpiration is CreateRequestForQuote with an expiry of expirationSeconds (default 15, at most MaxRFQExpiration).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) CreateRequestForQuoteWithCustomExpiration(ctx context.Context, clientID string, pair string, side market.Side, size, amount hercle.Number, expirationSeconds int) (hercle.RFQ, error) {
	return reply[hercle.RFQ](c, ctx, MethodCreateRequestForQuoteWithCustomExpiration, clientID, true, pair, string(side), size, amount, expirationSeconds)
}

// AcceptRequestForQuote accepts RFQ rfqID; the reply is execution.order.executed.
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) AcceptRequestForQuote(ctx context.Context, clientID string, rfqID string) (hercle.Execution, error) {
	return reply[hercle.Execution](c, ctx, MethodAcceptRequestForQuote, clientID, true, rfqID)
}

// GetOrdersPaginated lists orders between start and end (at most 7 days; page from 0, pageSize 5 to 50) (account.orders.snapshot).
func (c *Client) GetOrdersPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Order, error) {
	return reply[[]hercle.Order](c, ctx, MethodGetOrdersPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetOrdersByClientID lists the orders placed with Client-Id orderClientID (account.orders.snapshot).
func (c *Client) GetOrdersByClientID(ctx context.Context, clientID string, orderClientID string) ([]hercle.Order, error) {
	return reply[[]hercle.Order](c, ctx, MethodGetOrdersByClientID, clientID, false, orderClientID)
}

// GetTradesPaginated lists trades between start and end (at most 7 days) (account.trades.snapshot).
func (c *Client) GetTradesPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Trade, error) {
	return reply[[]hercle.Trade](c, ctx, MethodGetTradesPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetHistoricalTradesPaginated lists trades between start and end (at most 30 days) (account.trades.snapshot).
func (c *Client) GetHistoricalTradesPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Trade, error) {
	return reply[[]hercle.Trade](c, ctx, MethodGetHistoricalTradesPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetTradesByClientID lists the trades of Client-Id tradeClientID (account.trades.snapshot).
func (c *Client) GetTradesByClientID(ctx context.Context, clientID string, tradeClientID string) ([]hercle.Trade, error) {
	return reply[[]hercle.Trade](c, ctx, MethodGetTradesByClientID, clientID, false, tradeClientID)
}

// GetTransactionsPaginated lists transactions between start and end (at most 7 days) (account.transactions.snapshot).
func (c *Client) GetTransactionsPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Transaction, error) {
	return reply[[]hercle.Transaction](c, ctx, MethodGetTransactionsPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetHistoricalTransactionsPaginated lists transactions between start and end (at most 30 days) (account.transactions.snapshot).
func (c *Client) GetHistoricalTransactionsPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Transaction, error) {
	return reply[[]hercle.Transaction](c, ctx, MethodGetHistoricalTransactionsPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetBalances returns the balance snapshot (account.balances.snapshot).
func (c *Client) GetBalances(ctx context.Context, clientID string) (hercle.Balances, error) {
	return reply[hercle.Balances](c, ctx, MethodGetBalances, clientID, false)
}

// WithdrawInstantFunds withdraws amount of asset to a whitelisted destination on network, instantly (account.withdraw.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) WithdrawInstantFunds(ctx context.Context, clientID string, asset string, amount hercle.Number, destination, network string) (hercle.Withdrawal, error) {
	return reply[hercle.Withdrawal](c, ctx, MethodWithdrawInstantFunds, clientID, true, asset, amount, destination, network)
}

// WithdrawFundsWithAddressParams withdraws to a whitelisted destination with address parameters such as a tag (account.withdraw.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) WithdrawFundsWithAddressParams(ctx context.Context, clientID string, asset string, amount hercle.Number, destination string, params map[string]string, network string, instant bool) (hercle.Withdrawal, error) {
	return reply[hercle.Withdrawal](c, ctx, MethodWithdrawFundsWithAddressParams, clientID, true, asset, amount, destination, nonNilParams(params), network, instant)
}

// WithdrawFunds creates a withdrawal. The help-center guide lists this method without arguments or a docs page; the arguments are assumed to be those of WithdrawInstantFunds and the reply account.withdraw.created.
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) WithdrawFunds(ctx context.Context, clientID string, asset string, amount hercle.Number, destination, network string) (hercle.Withdrawal, error) {
	return reply[hercle.Withdrawal](c, ctx, MethodWithdrawFunds, clientID, true, asset, amount, destination, network)
}

// GetWithdrawalsPaginated lists withdrawals between start and end (at most 7 days) (account.withdrawals.snapshot).
func (c *Client) GetWithdrawalsPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Withdrawal, error) {
	return reply[[]hercle.Withdrawal](c, ctx, MethodGetWithdrawalsPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetWithdrawalsByClientID lists the withdrawals of Client-Id withdrawClientID (account.withdrawals.snapshot).
func (c *Client) GetWithdrawalsByClientID(ctx context.Context, clientID string, withdrawClientID string) ([]hercle.Withdrawal, error) {
	return reply[[]hercle.Withdrawal](c, ctx, MethodGetWithdrawalsByClientID, clientID, false, withdrawClientID)
}

// WhitelistAddress requests whitelisting of address (account.address.registered).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) WhitelistAddress(ctx context.Context, clientID string, name, asset, address, network string) (hercle.AddressResult, error) {
	return reply[hercle.AddressResult](c, ctx, MethodWhitelistAddress, clientID, true, name, asset, address, network)
}

// WhitelistAddressWithParams requests whitelisting of address with parameters such as a tag (account.address.registered).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) WhitelistAddressWithParams(ctx context.Context, clientID string, name, asset, address string, params map[string]string, network string) (hercle.AddressResult, error) {
	return reply[hercle.AddressResult](c, ctx, MethodWhitelistAddressWithParams, clientID, true, name, asset, address, nonNilParams(params), network)
}

// GetWhitelistedAddresses lists whitelisted addresses (account.externalAddresses.snapshot).
func (c *Client) GetWhitelistedAddresses(ctx context.Context, clientID string) ([]hercle.WhitelistedAddress, error) {
	return reply[[]hercle.WhitelistedAddress](c, ctx, MethodGetWhitelistedAddresses, clientID, false)
}

// CreateDepositAddress creates a deposit address for asset on network (account.internalAddress.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) CreateDepositAddress(ctx context.Context, clientID string, asset, network string) (hercle.DepositAddress, error) {
	return reply[hercle.DepositAddress](c, ctx, MethodCreateDepositAddress, clientID, true, asset, network)
}

// GetDepositAddress lists deposit addresses (account.internalAddresses.snapshot).
func (c *Client) GetDepositAddress(ctx context.Context, clientID string) ([]hercle.DepositAddress, error) {
	return reply[[]hercle.DepositAddress](c, ctx, MethodGetDepositAddress, clientID, false)
}

// TransferFunds transfers amount of asset from an internal address to a payee address; description at most 250 characters (banking.transfer.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) TransferFunds(ctx context.Context, clientID string, asset string, amount hercle.Number, internalAddressID, payeeAddressID, description string) (hercle.TransferReceipt, error) {
	return reply[hercle.TransferReceipt](c, ctx, MethodTransferFunds, clientID, true, asset, amount, internalAddressID, payeeAddressID, description)
}

// GetTransfersPaginated lists transfers between start and end (banking.transfers.snapshot).
func (c *Client) GetTransfersPaginated(ctx context.Context, clientID string, start, end time.Time, page, pageSize int) ([]hercle.Transfer, error) {
	return reply[[]hercle.Transfer](c, ctx, MethodGetTransfersPaginated, clientID, false, hubTime(start), hubTime(end), page, pageSize)
}

// GetTransactionLedger returns one transaction with its ledger details (ledger.transaction.details).
func (c *Client) GetTransactionLedger(ctx context.Context, clientID string, transactionID string) (hercle.LedgerTransaction, error) {
	return reply[hercle.LedgerTransaction](c, ctx, MethodGetTransactionLedger, clientID, false, transactionID)
}

// RegisterPayee registers a payee (banking.payee.registered).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) RegisterPayee(ctx context.Context, clientID string, typ hercle.PayeeType, name, surname, company, country, state, city, address, postalCode string) (hercle.Payee, error) {
	return reply[hercle.Payee](c, ctx, MethodRegisterPayee, clientID, true, int(typ), name, surname, company, country, state, city, address, postalCode)
}

// RegisterPayeeAddress registers an address of payeeID (banking.payee.address.registered).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) RegisterPayeeAddress(ctx context.Context, clientID string, payeeID, name, asset, address string, params map[string]string, network, comment string) (hercle.PayeeAddress, error) {
	return reply[hercle.PayeeAddress](c, ctx, MethodRegisterPayeeAddress, clientID, true, payeeID, name, asset, address, nonNilParams(params), network, comment)
}

// GetPayeesPaginated lists payees created between from and to; a nil bound is sent as null (banking.payees.snapshot).
func (c *Client) GetPayeesPaginated(ctx context.Context, clientID string, from, to *time.Time, page, pageSize int) ([]hercle.Payee, error) {
	return reply[[]hercle.Payee](c, ctx, MethodGetPayeesPaginated, clientID, false, hubTimePtr(from), hubTimePtr(to), page, pageSize)
}

// GetPayeeAddressesPaginated lists the addresses of payeeID created between from and to (banking.payee.addresses.snapshot).
func (c *Client) GetPayeeAddressesPaginated(ctx context.Context, clientID string, payeeID string, from, to *time.Time, page, pageSize int) ([]hercle.PayeeAddress, error) {
	return reply[[]hercle.PayeeAddress](c, ctx, MethodGetPayeeAddressesPaginated, clientID, false, payeeID, hubTimePtr(from), hubTimePtr(to), page, pageSize)
}

// CreateLightningInvoice creates a Lightning invoice for amountBTC; nil memo or expiryHours are sent as null (default 24 h, at most MaxInvoiceExpiryHours) (execution.invoice.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) CreateLightningInvoice(ctx context.Context, clientID string, amountBTC hercle.Number, memo *string, expiryHours *int) (hercle.Invoice, error) {
	return reply[hercle.Invoice](c, ctx, MethodCreateLightningInvoice, clientID, true, amountBTC, memo, expiryHours)
}

// GetLightningInvoices lists Lightning invoices (lightspark.invoices.snapshot).
func (c *Client) GetLightningInvoices(ctx context.Context, clientID string) ([]hercle.LightningInvoice, error) {
	return reply[[]hercle.LightningInvoice](c, ctx, MethodGetLightningInvoices, clientID, false)
}

// WithdrawLightning pays the encoded Lightning paymentRequest (execution.withdrawal.lightspark.created).
//
// It moves or creates something: a failure after sending is an
// *UnknownOutcomeError; look the Client-Id up before sending again.
func (c *Client) WithdrawLightning(ctx context.Context, clientID string, paymentRequest string) (hercle.LightningPayment, error) {
	return reply[hercle.LightningPayment](c, ctx, MethodWithdrawLightning, clientID, true, paymentRequest)
}
