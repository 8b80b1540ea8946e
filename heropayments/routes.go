package heropayments

import "net/http"

// kind is how a route may be retried.
type kind int

const (
	// read is a GET: retried on 429, 5xx and network errors.
	read kind = iota
	// create makes a deposit or a withdrawal. It is retried only when
	// provably unprocessed (429, or the connection failed before the
	// request was written); any other failure is an UnknownOutcomeError
	// carrying the externalOrderId.
	create
)

// route is one endpoint.
type route struct {
	name   string // metric label
	method string
	path   string
	kind   kind
}

// op names the route in errors and logs, never with query values.
func (r route) op() string { return r.method + " " + r.path }

// The route table: every path the client calls and the simulator serves.
//
// The Heropayments document names the methods ("Create a deposit (V2)")
// but gives only three paths: v2/payments and v2/payments-address (V2
// deposits) and custody/deposit (Custody deposits), on the host
// https://api.heropayments.io. Every other path is an assumption chosen to
// follow those three; all are listed in the README's "Heropayments route
// table assumptions". Status checks take the id or our externalOrderId in
// the query, so a lookup after an unknown outcome needs nothing but our
// own id.
const (
	// "Get estimated price": the document says GET in the deposit flow
	// and POST in the withdrawal flow; GET with a query is used.
	PathEstimate = "/v2/estimated-price"
	// "Minimum payment amount (V2)".
	PathMinAmount = "/v2/min-amount"
	// "Create a deposit (V2)" and the static-address variant: paths
	// from the document.
	PathDepositV2        = "/v2/payments"
	PathDepositV2Address = "/v2/payments-address"
	// "Create a deposit (Custody)": path from the document.
	PathDepositCustody = "/custody/deposit"
	// "Payment status check by id (V2)" / "(Custody)".
	PathStatusV2      = "/v2/payments/status"
	PathStatusCustody = "/custody/payments/status"
	// "Get balance (V2)" / "(Custody)".
	PathBalanceV2      = "/v2/balance"
	PathBalanceCustody = "/custody/balance"
	// "Create a withdrawal (V2)" / "(Custody)".
	PathWithdrawalV2      = "/v2/withdrawals"
	PathWithdrawalCustody = "/custody/withdrawal"
)

var (
	routeEstimate          = route{"estimated_price", http.MethodGet, PathEstimate, read}
	routeMinAmount         = route{"min_amount", http.MethodGet, PathMinAmount, read}
	routeDepositV2         = route{"deposit_v2", http.MethodPost, PathDepositV2, create}
	routeDepositV2Address  = route{"deposit_v2_address", http.MethodPost, PathDepositV2Address, create}
	routeDepositCustody    = route{"deposit_custody", http.MethodPost, PathDepositCustody, create}
	routeStatusV2          = route{"status_v2", http.MethodGet, PathStatusV2, read}
	routeStatusCustody     = route{"status_custody", http.MethodGet, PathStatusCustody, read}
	routeBalanceV2         = route{"balance_v2", http.MethodGet, PathBalanceV2, read}
	routeBalanceCustody    = route{"balance_custody", http.MethodGet, PathBalanceCustody, read}
	routeWithdrawalV2      = route{"withdrawal_v2", http.MethodPost, PathWithdrawalV2, create}
	routeWithdrawalCustody = route{"withdrawal_custody", http.MethodPost, PathWithdrawalCustody, create}
)
