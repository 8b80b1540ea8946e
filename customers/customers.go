// Package customers is the desk's side of its customers' money on
// Heropayments: it asks for deposit addresses for a customer to pay to,
// and pays a customer out. A deposit moves no money; it is recorded before
// it is asked for and asked for once per order id (package merchant). A
// payout is a movement like treasury's: recorded with its Client-Id (the
// external order id Heropayments keeps) before it is sent, checked by risk
// against the daily transfer cap of the destination "customers", within
// the merchant's and each customer's daily withdrawal limits (the
// Heropayments client refuses one over them before any request), sent
// once, and followed by callback or lookup, never re-sent.
//
// What it must never do: send a payout twice for one id (asked again, it
// reports the first one's state), or send one it has not recorded.
package customers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Destination is the risk destination every customer payout counts
// against: risk.transfers.destinations.customers caps them per day.
const Destination = "customers"

// ErrInvalid marks a request refused before anything was recorded.
var ErrInvalid = errors.New("customers: invalid request")

// Loop submits a payout through risk and the send protocol.
// *trader.Loop satisfies it.
type Loop interface {
	Move(ctx context.Context, m execution.Movement) execution.Result
}

// Follower looks a movement up by Client-Id, never sending.
// *execution.Executor satisfies it.
type Follower interface {
	Follow(ctx context.Context, it ledger.Intent) (execution.Result, error)
}

// Ledger is what the service reads. *ledger.Store satisfies it.
type Ledger interface {
	Intent(ctx context.Context, clientID string) (ledger.Intent, error)
	Unfinished(ctx context.Context) ([]ledger.Intent, error)
}

// Deposits asks Heropayments for deposit addresses. *merchant.Processor
// satisfies it.
type Deposits interface {
	CreateDeposit(ctx context.Context, r heropayments.DepositRequest, static bool) (heropayments.Payment, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Loop     Loop
	Follow   Follower
	Ledger   Ledger
	Deposits Deposits
	// Flow is the merchant account's flow; payouts are made in it.
	Flow heropayments.Flow
	// CallbackURL is where Heropayments posts a payout's statuses (the
	// merchant callback endpoint); empty: the account's default.
	CallbackURL string
	Logger      *slog.Logger
}

// Service asks for deposits and sends payouts.
type Service struct {
	d   Deps
	log *slog.Logger
}

// New returns a Service; every dependency is required.
func New(d Deps) (*Service, error) {
	if d.Loop == nil || d.Follow == nil || d.Ledger == nil || d.Deposits == nil || d.Flow == "" {
		return nil, errors.New("customers: Loop, Follow, Ledger, Deposits and Flow are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d, log: d.Logger}, nil
}

// DepositRequest asks for an address a customer pays to.
type DepositRequest struct {
	OrderID  string          `json:"order_id"` // our id for it; asking again with it returns the same deposit
	Customer string          `json:"customer_id"`
	Currency string          `json:"currency"`
	Network  string          `json:"network,omitempty"`
	Amount   decimal.Decimal `json:"amount"` // optional: zero asks for none
	Static   bool            `json:"static"` // the customer's static address (V2)
}

// Deposit asks for a deposit address for a customer. It moves no money.
func (s *Service) Deposit(ctx context.Context, r DepositRequest) (heropayments.Payment, error) {
	if err := checkID("order_id", r.OrderID); err != nil {
		return heropayments.Payment{}, err
	}
	if r.Customer == "" || !validCode(r.Currency) || r.Amount.IsNegative() {
		return heropayments.Payment{}, fmt.Errorf("%w: a deposit needs a customer_id, an upper-case currency and no negative amount", ErrInvalid)
	}
	req := heropayments.DepositRequest{ExternalOrderID: r.OrderID, CustomerID: r.Customer, Currency: r.Currency, Network: r.Network}
	if r.Amount.IsPositive() {
		a := heropayments.A(r.Amount)
		req.Amount = &a
	}
	p, err := s.d.Deposits.CreateDeposit(ctx, req, r.Static)
	if err != nil {
		return heropayments.Payment{}, err
	}
	s.log.Info("customer deposit address", "order_id", r.OrderID, "customer_id", r.Customer, "currency", r.Currency,
		"address", p.PayAddress, "static", r.Static)
	return p, nil
}

// PayoutRequest pays a customer out of the merchant balance.
type PayoutRequest struct {
	ID       string          `json:"id"` // the Client-Id and external order id; asking again with it never pays twice
	Customer string          `json:"customer_id"`
	Currency string          `json:"currency"`
	Network  string          `json:"network"`
	Address  string          `json:"address"`
	Amount   decimal.Decimal `json:"amount"`
}

// Payout records and sends a payout once. Asked again for an id it
// already knows, it sends nothing and reports that payout's state.
func (s *Service) Payout(ctx context.Context, r PayoutRequest) (execution.Result, error) {
	if err := r.check(); err != nil {
		return execution.Result{}, err
	}
	switch in, err := s.d.Ledger.Intent(ctx, r.ID); {
	case err == nil:
		m, _ := execution.MovementOf(in)
		return execution.Result{Movement: m, Status: stateOf(in), Detail: "already recorded: not sent again (state " + string(in.State) + ")"}, nil
	case !errors.Is(err, ledger.ErrNotFound):
		return execution.Result{}, fmt.Errorf("customers: look payout %s up in the ledger: %w", r.ID, err)
	}
	m := execution.Movement{
		ID: r.ID, Origin: execution.OriginCustomers, Policy: "payout:" + r.Customer, Method: execution.MethodPayout,
		Destination: Destination, Account: ledger.Destination(r.Network, r.Address).String(), Source: ledger.Heropayments,
		Asset: market.Asset(r.Currency), Amount: r.Amount, Address: r.Address, Network: r.Network,
		Flow: string(s.d.Flow), Customer: r.Customer, CallbackURL: s.d.CallbackURL,
	}
	res := s.d.Loop.Move(ctx, m)
	s.log.Info("customer payout", "id", r.ID, "customer_id", r.Customer, "amount", r.Amount.String(), "currency", r.Currency,
		"status", res.Status.String(), "detail", res.Detail)
	return res, nil
}

func (r PayoutRequest) check() error {
	if err := checkID("id", r.ID); err != nil {
		return err
	}
	switch {
	case r.Customer == "" || len(r.Customer) > 64:
		return fmt.Errorf("%w: customer_id is required (at most 64 characters)", ErrInvalid)
	case !validCode(r.Currency):
		return fmt.Errorf("%w: currency must be an upper-case code such as USDT", ErrInvalid)
	case r.Network == "" || r.Address == "" || strings.ContainsAny(r.Address+r.Network, " \t\n:"):
		return fmt.Errorf("%w: network and address are required, without spaces or colons", ErrInvalid)
	case !r.Amount.IsPositive():
		return fmt.Errorf("%w: amount must be positive", ErrInvalid)
	}
	return nil
}

// Recover looks up every customer payout left unfinished (by a crash, or
// an answer lost) at Heropayments by its id, never sending. A payout
// Heropayments has no record of after the executor's lookups fails.
func (s *Service) Recover(ctx context.Context) error {
	ins, err := s.d.Ledger.Unfinished(ctx)
	if err != nil {
		return fmt.Errorf("customers: unfinished intents: %w", err)
	}
	var errs []error
	for _, in := range ins {
		m, ok := execution.MovementOf(in)
		if !ok || m.Origin != execution.OriginCustomers {
			continue
		}
		res, err := s.d.Follow.Follow(ctx, in)
		if err != nil {
			errs = append(errs, fmt.Errorf("payout %s: %w", in.ClientID, err))
			continue
		}
		s.log.Info("customer payout recovered", "id", in.ClientID, "status", res.Status.String(), "detail", res.Detail)
	}
	return errors.Join(errs...)
}

// stateOf reads an intent's state as a result status.
func stateOf(in ledger.Intent) execution.Status {
	switch st := in.State; {
	case st == ledger.StateSucceeded || st == ledger.StateResolved && in.Outcome == ledger.StateSucceeded:
		return execution.Settled
	case st == ledger.StateFailed || st == ledger.StateResolved:
		return execution.Failed
	case st == ledger.StateSubmitted:
		return execution.Sent
	}
	return execution.Unresolved
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func checkID(key, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%w: %s must be 1 to 64 letters, digits, '.', '_' or '-', got %q", ErrInvalid, key, clip(id))
	}
	return nil
}

func validCode(c string) bool {
	if c == "" || len(c) > 20 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 70 {
		return s[:70] + "…"
	}
	return s
}
