package hercle

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// WithdrawalRequest withdraws to a whitelisted address
// (POST /api/v1/withdrawals and POST /api/v1/withdrawals/instant).
type WithdrawalRequest struct {
	Asset   string `json:"asset"`
	Amount  Number `json:"amount"`
	Address string `json:"address"`
	Network string `json:"network"`
}

func (r WithdrawalRequest) check() error {
	if r.Asset == "" || r.Address == "" || r.Network == "" {
		return fmt.Errorf("%w: withdrawal needs asset, address and network", ErrInvalidInput)
	}
	return checkAmount("withdrawal amount", r.Amount)
}

// AddressParamsWithdrawalRequest withdraws to a destination that needs
// extra parameters, such as fiat routing data
// (POST /api/v1/withdrawals/address). IsInstant is always sent: the docs
// mark it required.
type AddressParamsWithdrawalRequest struct {
	Asset         string `json:"asset"`
	Amount        Number `json:"amount"`
	Address       string `json:"address"`
	AddressParams Params `json:"addressParams"`
	Network       string `json:"network"`
	IsInstant     bool   `json:"isInstant"`
}

// Withdrawal is a withdrawal record. Network is kept as sent: the
// collection's samples say "ethereum" where requests use "Ethereum" (see
// SameNetwork).
type Withdrawal struct {
	ID                string         `json:"id"`
	UserID            string         `json:"userId"`
	ClientID          string         `json:"clientId"`
	Name              string         `json:"name"`
	Surname           string         `json:"surname"`
	Company           string         `json:"company"`
	Description       string         `json:"description"`
	Destination       string         `json:"destination"`
	DestinationParams Params         `json:"destinationParams"`
	Network           string         `json:"network"`
	Amount            Number         `json:"amount"`
	Fee               Number         `json:"fee"`
	Asset             string         `json:"asset"`
	Status            MovementStatus `json:"status"`
	RefID             string         `json:"refId"`
	IsInstant         bool           `json:"isInstant"`
	Timestamp         Time           `json:"timestamp"`
}

// WithdrawalFilter selects withdrawals for Withdrawals. Zero fields are
// not sent. Page and PageSize are sent only when PageSize is set (the docs
// need them only when filtering by asset or network).
type WithdrawalFilter struct {
	ClientID     string
	WithdrawalID string
	Network      string
	Asset        string
	Address      string
	StartDate    time.Time
	EndDate      time.Time
	Page         int
	PageSize     int // 0, or 5 to 50
}

func (f WithdrawalFilter) query() (url.Values, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("clientId", f.ClientID)
	set("withdrawalId", f.WithdrawalID)
	set("network", f.Network)
	set("asset", f.Asset)
	set("address", f.Address)
	from, to := wholeSeconds(f.StartDate, f.EndDate)
	if !from.IsZero() {
		q.Set("startDate", pathTime(from))
	}
	if !to.IsZero() {
		q.Set("endDate", pathTime(to))
	}
	if f.PageSize != 0 {
		size, err := pageSize(f.PageSize)
		if err != nil {
			return nil, err
		}
		if f.Page < 0 {
			return nil, fmt.Errorf("%w: page %d is negative", ErrInvalidInput, f.Page)
		}
		q.Set("page", strconv.Itoa(f.Page))
		q.Set("pageSize", strconv.Itoa(size))
	}
	return q, nil
}

// Withdraw withdraws to a whitelisted address under clientID (a new UUID
// when empty) and returns the withdrawal and the Client-Id used — also on
// error. After an error wrapping ErrOutcomeUnknown, look it up with
// WithdrawalsByClientID before sending again.
//
// The collection documents the response as an object and shows a
// one-element array; both are accepted.
func (c *Client) Withdraw(ctx context.Context, req WithdrawalRequest, clientID string) (Withdrawal, string, error) {
	return c.withdraw(ctx, routeWithdraw, req, clientID)
}

// WithdrawInstant is Withdraw through the instant route.
func (c *Client) WithdrawInstant(ctx context.Context, req WithdrawalRequest, clientID string) (Withdrawal, string, error) {
	return c.withdraw(ctx, routeWithdrawInstant, req, clientID)
}

func (c *Client) withdraw(ctx context.Context, r route, req WithdrawalRequest, clientID string) (Withdrawal, string, error) {
	id, err := useClientID(clientID)
	if err != nil {
		return Withdrawal{}, clientID, err
	}
	if err := req.check(); err != nil {
		return Withdrawal{}, id, err
	}
	var out oneOrArray[Withdrawal]
	err = c.do(ctx, request{route: r, body: req, clientID: id}, &out)
	return out.V, id, err
}

// WithdrawWithAddressParams is Withdraw to a destination with extra
// address parameters.
func (c *Client) WithdrawWithAddressParams(ctx context.Context, req AddressParamsWithdrawalRequest, clientID string) (Withdrawal, string, error) {
	id, err := useClientID(clientID)
	if err != nil {
		return Withdrawal{}, clientID, err
	}
	if err := (WithdrawalRequest{req.Asset, req.Amount, req.Address, req.Network}).check(); err != nil {
		return Withdrawal{}, id, err
	}
	var out oneOrArray[Withdrawal]
	err = c.do(ctx, request{route: routeWithdrawAddressParams, body: req, clientID: id}, &out)
	return out.V, id, err
}

// Withdrawals returns the withdrawals matching f.
func (c *Client) Withdrawals(ctx context.Context, f WithdrawalFilter) ([]Withdrawal, error) {
	q, err := f.query()
	if err != nil {
		return nil, err
	}
	var out []Withdrawal
	return out, c.do(ctx, request{route: routeWithdrawals, query: q}, &out)
}

// WithdrawalsByClientID returns the withdrawals made under a Client-Id.
func (c *Client) WithdrawalsByClientID(ctx context.Context, clientID string) ([]Withdrawal, error) {
	var out []Withdrawal
	return out, c.do(ctx, request{route: routeWithdrawalsByClientID, args: []string{clientID}}, &out)
}

// WithdrawalsPaginated iterates the withdrawals in q's range, split into
// 30-day windows (the REST page's maximum).
func (c *Client) WithdrawalsPaginated(ctx context.Context, q PageQuery) iter.Seq2[Withdrawal, error] {
	return offsetPages(ctx, c, routeWithdrawalsPaginated, window30Days, q, func(w Withdrawal) string { return w.ID })
}
