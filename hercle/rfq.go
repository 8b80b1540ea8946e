package hercle

import (
	"context"
	"fmt"

	"github.com/otcdesk/engine/market"
)

// RFQRequest asks for a quote (POST /api/v1/rfq). Size is in the base
// asset, Amount in the quote currency; at least one is positive, and a
// zero one is sent as 0, which the venue reads as "skip".
type RFQRequest struct {
	Pair   string      `json:"pair"`
	Side   market.Side `json:"side"`
	Size   Number      `json:"size"`
	Amount Number      `json:"amount"`
}

func (r RFQRequest) check() error {
	if r.Pair == "" {
		return fmt.Errorf("%w: RFQ needs a pair", ErrInvalidInput)
	}
	if err := checkSide(r.Side); err != nil {
		return err
	}
	if r.Size.IsNegative() || r.Amount.IsNegative() || !r.Size.IsPositive() && !r.Amount.IsPositive() {
		return fmt.Errorf("%w: RFQ needs a positive size or amount, got size %s amount %s", ErrInvalidInput, r.Size, r.Amount)
	}
	return nil
}

// CustomRFQRequest asks for a quote with a chosen lifetime
// (POST /api/v1/rfq/custom-expiration).
type CustomRFQRequest struct {
	Pair   string      `json:"pair"`
	Side   market.Side `json:"side"`
	Size   Number      `json:"size"`
	Amount Number      `json:"amount"`
	// ExpirationInSeconds is the quote's lifetime: 1 to MaxRFQExpiration.
	ExpirationInSeconds int `json:"expirationInSeconds"`
}

// MaxRFQExpiration is the longest custom RFQ lifetime, in seconds.
const MaxRFQExpiration = 240

// RFQ is a quote to accept before ExpireDateTime.
type RFQ struct {
	RequestForQuoteID string      `json:"requestForQuoteId"`
	UserID            string      `json:"userId"`
	Instrument        string      `json:"instrument"`
	BaseCurrency      string      `json:"baseCurrency"`
	QuoteCurrency     string      `json:"quoteCurrency"`
	Price             Number      `json:"price"`
	Size              Number      `json:"size"`   // base asset
	Side              market.Side `json:"side"`   //
	Amount            Number      `json:"amount"` // quote currency
	Status            OrderStatus `json:"status"`
	ExpireDateTime    Time        `json:"expireDateTime"`
	RequestDateTime   Time        `json:"requestDateTime"`
}

// CreateRFQ requests a quote. RFQ creation moves no money, but it is not
// retried after an unknown outcome either (see the package doc); an
// abandoned quote simply expires.
func (c *Client) CreateRFQ(ctx context.Context, req RFQRequest) (RFQ, error) {
	var out RFQ
	if err := req.check(); err != nil {
		return out, err
	}
	return out, c.do(ctx, request{route: routeCreateRFQ, body: req}, &out)
}

// CreateCustomRFQ requests a quote that lives ExpirationInSeconds.
func (c *Client) CreateCustomRFQ(ctx context.Context, req CustomRFQRequest) (RFQ, error) {
	var out RFQ
	if err := (RFQRequest{req.Pair, req.Side, req.Size, req.Amount}).check(); err != nil {
		return out, err
	}
	if req.ExpirationInSeconds < 1 || req.ExpirationInSeconds > MaxRFQExpiration {
		return out, fmt.Errorf("%w: RFQ expiration %ds outside 1..%d", ErrInvalidInput, req.ExpirationInSeconds, MaxRFQExpiration)
	}
	return out, c.do(ctx, request{route: routeCreateCustomRFQ, body: req}, &out)
}

// AcceptRFQ accepts a quote under clientID (a new UUID when empty) and
// returns the execution and the Client-Id used — also on error. After an
// error wrapping ErrOutcomeUnknown, look the trade up with TradesByClientID
// or OrdersByClientID before accepting again.
func (c *Client) AcceptRFQ(ctx context.Context, rfqID, clientID string) (Execution, string, error) {
	var out Execution
	id, err := useClientID(clientID)
	if err != nil {
		return out, clientID, err
	}
	if rfqID == "" {
		return out, id, fmt.Errorf("%w: accept needs an RFQ id", ErrInvalidInput)
	}
	body := struct {
		RequestForQuoteID string `json:"requestForQuoteId"`
	}{rfqID}
	return out, id, c.do(ctx, request{route: routeAcceptRFQ, body: body, clientID: id}, &out)
}
