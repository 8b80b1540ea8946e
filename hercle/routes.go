package hercle

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// kind is how a route may be retried.
type kind int

const (
	// read is a GET: retried on 429, 5xx and network errors.
	read kind = iota
	// create makes an object without moving money (RFQ, whitelist entry,
	// invoice, banking registration) or deletes one. It is retried only
	// when provably unprocessed: a duplicate RFQ or invoice is harmless
	// but a duplicate whitelist or end-user registration reaches
	// compliance, and a second DELETE would answer 404 for a success.
	create
	// money moves funds. It carries a Client-Id and follows the same rule
	// as create; failures of unknown outcome carry the Client-Id.
	money
)

// route is one endpoint. Path is a template whose {placeholders} are
// filled in order by expand; query parameters are added by the caller.
type route struct {
	name   string // metric label
	method string
	path   string
	kind   kind
	source string // where the path comes from
}

// op names the route in errors and logs: method and template, never the
// filled-in path, so no identifier or query value leaks into messages.
func (r route) op() string { return r.method + " " + r.path }

const (
	docs       = "https://documentation.hercle.financial"
	collection = "hercle-postman-collection.json"
	guide      = "HercleX API guide (help center)"
)

// The route table: every path the client calls. Sources, in order of
// authority: the documentation site's page, then the Postman collection,
// then the guide. Where they disagree the documentation site's path is
// used; see the README's "Route table assumptions".
var (
	// Pairs and prices.
	routePairs            = route{"pairs", http.MethodGet, "/api/v1/pairs", read, docs + "/api/pairs/get"}
	routePairSizeByAmount = route{"pair_size", http.MethodGet, "/api/v1/pairs/{pair}/{side}/{amount}", read, docs + "/api/pairs/size"}
	routePrice            = route{"price", http.MethodGet, "/api/v1/price/{pair}/{size}", read, docs + "/api/pairs/price"}
	routeNetworks         = route{"networks", http.MethodGet, "/api/v1/pairs/networks/{asset}", read, collection + ` "Get Asset Networks" (no docs page; guide: GET /api/v1/pairs/networks)`}

	// Account history.
	routeBalances               = route{"balances", http.MethodGet, "/api/v1/user/balances", read, docs + "/api/user/balances"}
	routeTrades                 = route{"trades", http.MethodGet, "/api/v1/user/trades/{startDate}/{endDate}/{page}/{pageSize}", read, docs + "/api/user/trades/get"}
	routeHistoricalTrades       = route{"trades_historical", http.MethodGet, "/api/v1/user/trades/{startDate}/{endDate}/{page}/{pageSize}/historical", read, docs + "/api/user/trades/historical"}
	routeTradesByClientID       = route{"trades_by_client_id", http.MethodGet, "/api/v1/user/trades/{tradeClientId}", read, docs + "/api/user/trades/client"}
	routeTransactions           = route{"transactions", http.MethodGet, "/api/v1/user/transactions/{startDate}/{endDate}/{page}/{pageSize}", read, collection + ` "Get Transactions Paginated" (no docs page)`}
	routeHistoricalTransactions = route{"transactions_historical", http.MethodGet, "/api/v1/user/transactions/{startDate}/{endDate}/{page}/{pageSize}/historical", read, docs + "/api/user/historical/transactions"}

	// OTC orders.
	routePlaceOrder       = route{"place_order", http.MethodPost, "/api/v1/orders", money, docs + "/api/orders/get"}
	routeOrdersByClientID = route{"orders_by_client_id", http.MethodGet, "/api/v1/orders/{clientId}", read, docs + "/api/orders/client"}
	routeOrders           = route{"orders", http.MethodGet, "/api/v1/orders/{startDate}/{endDate}/{page}/{pageSize}", read, docs + "/api/orders/list"}

	// RFQ.
	routeCreateRFQ       = route{"create_rfq", http.MethodPost, "/api/v1/rfq", create, docs + "/api/rfq/create"}
	routeCreateCustomRFQ = route{"create_custom_rfq", http.MethodPost, "/api/v1/rfq/custom-expiration", create, docs + "/api/rfq/custom-create"}
	routeAcceptRFQ       = route{"accept_rfq", http.MethodPost, "/api/v1/rfq/accept", money, docs + "/api/rfq/accept"}

	// Addresses.
	routeWhitelist           = route{"whitelist", http.MethodPost, "/api/v1/addresses/whitelist", create, docs + "/api/addresses/create"}
	routeWhitelistWithParams = route{"whitelist_params", http.MethodPost, "/api/v1/addresses/whitelist/params", create, docs + "/api/addresses/params"}
	routeWhitelisted         = route{"whitelisted", http.MethodGet, "/api/v1/addresses/whitelisted", read, docs + "/api/addresses/get"}
	routeRemoveWhitelisted   = route{"whitelist_remove", http.MethodDelete, "/api/v1/addresses/whitelist", create, docs + "/api/addresses/delete"}
	routeDepositAddresses    = route{"deposit_addresses", http.MethodGet, "/api/v1/addresses/deposit", read, docs + "/api/addresses/deposit"}
	routeCreateDepositAddr   = route{"deposit_address_create", http.MethodPost, "/api/v1/addresses/deposit", create, docs + "/api/addresses/deposit-create"}

	// Withdrawals.
	routeWithdraw              = route{"withdraw", http.MethodPost, "/api/v1/withdrawals", money, collection + ` "Withdraw"; guide §3, §8 (no docs page)`}
	routeWithdrawInstant       = route{"withdraw_instant", http.MethodPost, "/api/v1/withdrawals/instant", money, collection + ` "Instant Withdraw"; guide §3, §8 (no docs page)`}
	routeWithdrawAddressParams = route{"withdraw_address", http.MethodPost, "/api/v1/withdrawals/address", money, docs + "/api/withdrawals/params/create"}
	routeWithdrawals           = route{"withdrawals", http.MethodGet, "/api/v1/withdrawals", read, docs + "/api/withdrawals/get"}
	routeWithdrawalsByClientID = route{"withdrawals_by_client_id", http.MethodGet, "/api/v1/withdrawals/{withdrawClientId}", read, docs + "/api/withdrawals/clientId"}
	routeWithdrawalsPaginated  = route{"withdrawals_paginated", http.MethodGet, "/api/v1/withdrawals/{startDate}/{endDate}/{page}/{pageSize}", read, docs + "/api/withdrawals/paginated"}

	// Lightning.
	routeCreateInvoice     = route{"invoice_create", http.MethodPost, "/api/v1/invoices", create, docs + "/api/invoices/create"}
	routeInvoices          = route{"invoices", http.MethodGet, "/api/v1/invoices", read, docs + "/api/invoices/get"}
	routeLightningWithdraw = route{"lightning_withdraw", http.MethodPost, "/api/v1/lightning/withdrawals", money, docs + "/api/lightning/withdrawals/create"}

	// Banking.
	routeRegisterBusiness   = route{"business_register", http.MethodPost, "/api/v1/end-users/businesses", create, docs + "/api/banking/business-end-users/register"}
	routeBusinesses         = route{"businesses", http.MethodGet, "/api/v1/end-users/businesses", read, docs + "/api/banking/business-end-users/get"}
	routeRegisterIndividual = route{"individual_register", http.MethodPost, "/api/v1/end-users/individuals", create, docs + "/api/banking/individual-end-users/register"}
	routeIndividuals        = route{"individuals", http.MethodGet, "/api/v1/end-users/individuals", read, docs + "/api/banking/individual-end-users/get"}
	routeCreateDepositAcct  = route{"deposit_account_create", http.MethodPost, "/api/v1/deposit-accounts", create, docs + "/api/banking/deposit-accounts/create"}
	routeDepositAccounts    = route{"deposit_accounts", http.MethodGet, "/api/v1/deposit-accounts", read, docs + "/api/banking/deposit-accounts/get"}
	routeRegisterPayee      = route{"payee_register", http.MethodPost, "/api/v1/payee", create, docs + "/api/banking/payee/create"}
	routePayees             = route{"payees", http.MethodGet, "/api/v1/payees", read, docs + "/api/banking/payee/get"}
	routeRegisterPayeeAddr  = route{"payee_address_register", http.MethodPost, "/api/v1/payees/{payeeId}/addresses", create, docs + "/api/banking/payee/address/create"}
	routePayeeAddresses     = route{"payee_addresses", http.MethodGet, "/api/v1/payee-addresses", read, docs + "/api/banking/payee/addresses/get"}
	routeCreateTransfer     = route{"transfer_create", http.MethodPost, "/api/v1/transfer", money, docs + "/api/banking/transfers/create"}
	routeTransfers          = route{"transfers", http.MethodGet, "/api/v1/transfers", read, docs + "/api/banking/transfers/get"}
	routeTransactionLedger  = route{"transaction_ledger", http.MethodGet, "/api/v1/transactions/{transactionId}", read, docs + "/api/banking/ledger/get"}
	routeSimulatePayIn      = route{"simulate_payin", http.MethodPost, "/api/v1/simulate-payin", create, docs + "/api/banking/simulate-payin"}
)

// allRoutes lists the table for tests and documentation.
var allRoutes = []route{
	routePairs, routePairSizeByAmount, routePrice, routeNetworks,
	routeBalances, routeTrades, routeHistoricalTrades, routeTradesByClientID, routeTransactions, routeHistoricalTransactions,
	routePlaceOrder, routeOrdersByClientID, routeOrders,
	routeCreateRFQ, routeCreateCustomRFQ, routeAcceptRFQ,
	routeWhitelist, routeWhitelistWithParams, routeWhitelisted, routeRemoveWhitelisted, routeDepositAddresses, routeCreateDepositAddr,
	routeWithdraw, routeWithdrawInstant, routeWithdrawAddressParams, routeWithdrawals, routeWithdrawalsByClientID, routeWithdrawalsPaginated,
	routeCreateInvoice, routeInvoices, routeLightningWithdraw,
	routeRegisterBusiness, routeBusinesses, routeRegisterIndividual, routeIndividuals, routeCreateDepositAcct, routeDepositAccounts,
	routeRegisterPayee, routePayees, routeRegisterPayeeAddr, routePayeeAddresses, routeCreateTransfer, routeTransfers, routeTransactionLedger, routeSimulatePayIn,
}

// expand fills the path's placeholders in order. Each value is escaped as
// one path segment; empty values and "." or ".." (which a server would
// resolve as path navigation) are refused, so a client id can never turn
// GET /orders/{clientId} into another route.
func (r route) expand(args ...string) (string, error) {
	var b strings.Builder
	rest := r.path
	for i := 0; ; i++ {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			if i != len(args) {
				return "", fmt.Errorf("%w: %s takes %d path values, got %d", ErrInvalidInput, r.op(), i, len(args))
			}
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}') + open
		name := rest[open+1 : end]
		if i >= len(args) {
			return "", fmt.Errorf("%w: %s: missing %s", ErrInvalidInput, r.op(), name)
		}
		v := args[i]
		if v == "" || v == "." || v == ".." {
			return "", fmt.Errorf("%w: %s: %s %q is not a usable path segment", ErrInvalidInput, r.op(), name, v)
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(v))
		rest = rest[end+1:]
	}
}
