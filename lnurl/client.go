package lnurl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/shopspring/decimal"
)

// maxRedirects bounds the redirects one request follows.
const maxRedirects = 5

// Client fetches invoices from LNURL-pay services and checks them. Create
// it with New; it is safe for concurrent use. It never pays anything.
type Client struct {
	cfg  Config
	net  network
	http *http.Client
}

// New returns a Client for cfg, or an error wrapping ErrConfig.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	net, _ := lookupNetwork(cfg.Network)
	c := &Client{cfg: cfg, net: net}
	hc := *cfg.HTTPClient
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if err := checkURL(req.URL, cfg.AllowHTTP); err != nil {
			return fmt.Errorf("redirect: %v", err)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	c.http = &hc
	return c, nil
}

// Resolve returns the payRequest URL of a destination without asking
// anything: a Lightning Address name@domain (LUD-16), a bech32 LNURL
// lnurl1… (LUD-01), an lnurlp:// link (LUD-17) or an https URL, with an
// optional "lightning:" prefix. Use it to check destinations when they
// are configured. Errors wrap ErrDestination.
func (c *Client) Resolve(destination string) (string, error) {
	u, err := resolve(destination, c.cfg.AllowHTTP)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// Invoice asks the destination's LNURL-pay service for an invoice of
// amountBTC and returns it once it has passed every check (see Verify).
// The whole call, both requests, ends within Config.Timeout or ctx's
// deadline, whichever comes first. It pays nothing and may be repeated:
// each call gets a new invoice.
//
// Errors: ErrDestination and ErrAmount before any request (an
// *AmountError when the amount is outside the payee's bounds, checked
// before the callback is asked); an *EndpointError (ErrEndpoint) when the
// service fails or answers its ERROR form; a *RefusedError (ErrRefused)
// when the invoice fails a check.
func (c *Client) Invoice(ctx context.Context, destination string, amountBTC decimal.Decimal) (Invoice, error) {
	msat, err := msatOf(amountBTC)
	if err != nil {
		return Invoice{}, err
	}
	target, err := resolve(destination, c.cfg.AllowHTTP)
	if err != nil {
		return Invoice{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var p payRequest
	err = c.get(ctx, StepPayRequest, target, func(body []byte) (err error) {
		p, err = decodePayRequest(body, c.cfg.AllowHTTP)
		return err
	})
	if err != nil {
		return Invoice{}, err
	}
	if msat < p.minSendable || msat > p.maxSendable {
		return Invoice{}, &AmountError{Msat: msat, MinSendable: p.minSendable, MaxSendable: p.maxSendable}
	}
	var pr string
	err = c.get(ctx, StepCallback, callbackURL(p.callback, msat), func(body []byte) (err error) {
		pr, err = decodeCallback(body)
		return err
	})
	if err != nil {
		return Invoice{}, err
	}
	inv, err := verify(pr, c.net, msat, descriptionHash(p.metadata), c.cfg.Clock.Now())
	if err != nil {
		return Invoice{}, err
	}
	inv.Description = clip(p.description, maxReason)
	return inv, nil
}

// Verify checks a BOLT11 invoice again, at Config.Clock's time: its
// signature verifies (lnd's zpay32), it is for Config.Network, for
// exactly amountMsat, its description hash is descriptionHash (hex, as
// in Invoice), and it has not expired. Call it with an Invoice's fields
// just before paying an invoice fetched earlier. Errors are
// *RefusedError (ErrRefused).
func (c *Client) Verify(paymentRequest string, amountMsat int64, descriptionHash string) (Invoice, error) {
	b, err := hex.DecodeString(descriptionHash)
	if err != nil || len(b) != sha256.Size {
		return Invoice{}, refused(CheckDescriptionHash, "the expected description hash is not 64 hex digits")
	}
	return verify(paymentRequest, c.net, amountMsat, [sha256.Size]byte(b), c.cfg.Clock.Now())
}

// get GETs u and hands the answer's body to decode, whatever its HTTP
// status (LUD-01: status codes carry no meaning); a failure of either
// becomes an *EndpointError of step.
func (c *Client) get(ctx context.Context, step Step, u *url.URL, decode func([]byte) error) error {
	fail := func(status int, err error) error {
		e := &EndpointError{Step: step, Host: u.Host, Status: status, Err: err}
		var ae *answerError
		if errors.As(err, &ae) {
			e.Reason, e.Err = ae.reason, nil
		}
		return e
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(0, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, whose query may carry tokens
		}
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("no answer within the deadline: %w", ctx.Err())
		case ctx.Err() != nil:
			err = fmt.Errorf("cancelled: %w", ctx.Err())
		}
		return fail(0, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	switch {
	case err != nil:
		return fail(resp.StatusCode, fmt.Errorf("reading the answer: %w", err))
	case int64(len(body)) > c.cfg.MaxBody:
		return fail(resp.StatusCode, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.cfg.MaxBody))
	}
	if err := decode(body); err != nil {
		return fail(resp.StatusCode, err)
	}
	return nil
}
