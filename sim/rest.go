package sim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// api is the REST adapter: each handler decodes the request, calls the
// Venue and encodes the documented response. It holds no state of its own.
type api struct {
	v *Venue
}

// endpoint answers a request with a status and a body to encode, or an
// error (an *Error, or anything else as a 500).
type endpoint func(r *http.Request) (int, any, error)

// routes registers every documented path (rest.md), then the paths the
// Postman collection and the guide add or spell differently. It is a route
// table, one line per path, so the whole API reads in one place.
func (a *api) routes(mux *http.ServeMux, wrap func(endpoint) http.Handler) {
	h := func(pattern string, e endpoint) { mux.Handle(pattern, wrap(e)) }
	v := a.v

	h("GET /api/v1/pairs", a.pairs)
	h("GET /api/v1/pairs/{pair}/{side}/{amount}", a.sizeByAmount)
	h("GET /api/v1/price/{pair}/{size}", a.price)
	h("GET /api/v1/pairs/networks/{asset}", a.networks)

	h("GET /api/v1/user/balances", a.balances)
	h("GET /api/v1/user/trades/{start}/{end}/{page}/{pageSize}", a.trades(v.Trades))
	h("GET /api/v1/user/trades/{start}/{end}/{page}/{pageSize}/historical", a.trades(v.HistoricalTrades))
	h("GET /api/v1/user/trades/{clientId}", a.tradesByClientID)
	h("GET /api/v1/user/trades/client/{clientId}", a.tradesByClientID)
	h("GET /api/v1/user/transactions/{start}/{end}/{page}/{pageSize}", a.transactions(v.Transactions))
	h("GET /api/v1/user/transactions/{start}/{end}/{page}/{pageSize}/historical", a.transactions(v.HistoricalTransactions))

	h("POST /api/v1/orders", a.placeOrder)
	h("GET /api/v1/orders/{clientId}", a.ordersByClientID)
	h("GET /api/v1/orders/client/{clientId}", a.ordersByClientID)
	h("GET /api/v1/orders/{start}/{end}/{page}/{pageSize}", a.ordersPage)

	h("POST /api/v1/rfq", a.createRFQ(false))
	h("POST /api/v1/rfq/custom-expiration", a.createRFQ(true))
	h("POST /api/v1/rfq/custom", a.createRFQ(true))
	h("POST /api/v1/rfq/accept", a.acceptRFQ)

	h("POST /api/v1/addresses/whitelist", a.whitelist(false))
	h("POST /api/v1/addresses/whitelist/params", a.whitelist(true))
	h("POST /api/v1/addresses", a.whitelist(false))
	h("GET /api/v1/addresses/whitelisted", a.whitelisted)
	h("GET /api/v1/addresses", a.whitelisted)
	h("DELETE /api/v1/addresses/whitelist", a.removeWhitelisted)
	h("DELETE /api/v1/addresses/{id}", a.removeWhitelisted)
	h("GET /api/v1/addresses/deposit", a.depositAddresses)
	h("POST /api/v1/addresses/deposit", a.createDepositAddress)

	h("POST /api/v1/withdrawals", a.withdraw(false, false))
	h("POST /api/v1/withdrawals/instant", a.withdraw(true, false))
	h("POST /api/v1/withdrawals/address", a.withdraw(false, true))
	h("GET /api/v1/withdrawals", a.withdrawals)
	h("GET /api/v1/withdrawals/{clientId}", a.withdrawalsByClientID)
	h("GET /api/v1/withdrawals/{start}/{end}/{page}/{pageSize}", a.withdrawalsPage)

	h("POST /api/v1/invoices", a.createInvoice)
	h("GET /api/v1/invoices", a.invoices)
	h("POST /api/v1/lightning/withdrawals", a.withdrawLightning)

	a.bankingRoutes(h)
}

func (a *api) networks(r *http.Request) (int, any, error) {
	ns, err := a.v.Networks(r.PathValue("asset"))
	return http.StatusOK, ns, err
}

func (a *api) balances(*http.Request) (int, any, error) {
	return http.StatusOK, toWireBalances(a.v.Balances()), nil
}

func (a *api) ordersPage(r *http.Request) (int, any, error) {
	p, err := pathPage(r)
	if err != nil {
		return 0, nil, err
	}
	os, err := a.v.Orders(p)
	return http.StatusOK, a.v.wireOrders(os), err
}

func (a *api) depositAddresses(*http.Request) (int, any, error) {
	ds := a.v.DepositAddresses()
	out := make([]wireDepositAddress, len(ds))
	for i, d := range ds {
		out[i] = a.v.wireDepositAddress(d)
	}
	return http.StatusOK, out, nil
}

func (a *api) createDepositAddress(r *http.Request) (int, any, error) {
	var b depositAddressBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	d, err := a.v.CreateDepositAddress(market.Asset(b.Asset), b.Network)
	return http.StatusCreated, a.v.wireDepositAddress(d), err
}

func (a *api) withdrawalsByClientID(r *http.Request) (int, any, error) {
	return http.StatusOK, a.v.wireWithdrawals(a.v.WithdrawalsByClientID(r.PathValue("clientId"))), nil
}

func (a *api) withdrawalsPage(r *http.Request) (int, any, error) {
	p, err := pathPage(r)
	if err != nil {
		return 0, nil, err
	}
	ws, err := a.v.WithdrawalsPage(p)
	return http.StatusOK, a.v.wireWithdrawals(ws), err
}

func (a *api) invoices(*http.Request) (int, any, error) {
	ins := a.v.Invoices()
	out := struct {
		Invoices []wireInvoice `json:"invoices"`
	}{make([]wireInvoice, len(ins))}
	for i, in := range ins {
		out.Invoices[i] = a.v.wireInvoice(in)
	}
	return http.StatusOK, out, nil
}

func (a *api) pairs(*http.Request) (int, any, error) {
	ps := a.v.Pairs()
	out := make([]wirePair, len(ps))
	for i, p := range ps {
		out[i] = wirePair{Name: p.Symbol, Asset: string(p.Base), Currency: string(p.Quote), MinSize: n(p.MinSize),
			MaxSize: n(p.MaxSize), MinQuoteSize: n(p.MinQuoteSize), MaxQuoteSize: n(p.MaxQuoteSize)}
	}
	return http.StatusOK, out, nil
}

func pathDecimal(r *http.Request, name string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(r.PathValue(name))
	if err != nil {
		return decimal.Zero, invalid(name, "%s must be a decimal number", name)
	}
	return d, nil
}

func (a *api) sizeByAmount(r *http.Request) (int, any, error) {
	amount, err := pathDecimal(r, "amount")
	if err != nil {
		return 0, nil, err
	}
	q, err := a.v.QuoteAmount(r.PathValue("pair"), market.Side(strings.ToLower(r.PathValue("side"))), amount)
	return http.StatusOK, wireSizeQuote{ID: q.ID, Pair: q.Pair, Price: n(q.Price), Size: n(q.Size), TimeStamp: wtime(q.Time)}, err
}

func (a *api) price(r *http.Request) (int, any, error) {
	size, err := pathDecimal(r, "size")
	if err != nil {
		return 0, nil, err
	}
	q, err := a.v.Quote(r.PathValue("pair"), size)
	return http.StatusOK, wirePriceQuote{ID: q.ID, Size: n(q.Size), Pair: q.Pair, BuyPrice: n(q.BuyPrice),
		SellPrice: n(q.SellPrice), MarkPrice: n(q.MarkPrice), TimeStamp: wtime(q.Time)}, err
}

// parseTime reads an ISO 8601 date of a path or query.
func parseTime(name, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(name, "%s must be an ISO 8601 date such as 2025-12-01T00:00:00Z", name)
	}
	return t, nil
}

func atoi(name, s string) (int, error) {
	i, err := strconv.Atoi(s)
	if err != nil {
		return 0, invalid(name, "%s must be an integer", name)
	}
	return i, nil
}

func pathPage(r *http.Request) (Page, error) {
	var p Page
	var err error
	if p.From, err = parseTime("startDate", r.PathValue("start")); err != nil {
		return p, err
	}
	if p.To, err = parseTime("endDate", r.PathValue("end")); err != nil {
		return p, err
	}
	if p.Page, err = atoi("page", r.PathValue("page")); err != nil {
		return p, err
	}
	p.Size, err = atoi("pageSize", r.PathValue("pageSize"))
	return p, err
}

func (a *api) trades(list func(Page) ([]Trade, error)) endpoint {
	return func(r *http.Request) (int, any, error) {
		p, err := pathPage(r)
		if err != nil {
			return 0, nil, err
		}
		ts, err := list(p)
		return http.StatusOK, a.v.wireTrades(ts), err
	}
}

func (a *api) tradesByClientID(r *http.Request) (int, any, error) {
	return http.StatusOK, a.v.wireTrades(a.v.TradesByClientID(r.PathValue("clientId"))), nil
}

func (a *api) transactions(list func(Page) ([]Transaction, error)) endpoint {
	return func(r *http.Request) (int, any, error) {
		p, err := pathPage(r)
		if err != nil {
			return 0, nil, err
		}
		ts, err := list(p)
		return http.StatusOK, a.v.wireTransactions(ts), err
	}
}

func (a *api) ordersByClientID(r *http.Request) (int, any, error) {
	return http.StatusOK, a.v.wireOrders(a.v.OrdersByClientID(r.PathValue("clientId"))), nil
}

// clientID reads the optional Client-Id header.
func clientID(r *http.Request) (string, error) {
	id := r.Header.Get("Client-Id")
	if len(id) > 128 {
		return "", invalid("Client-Id", "Client-Id is longer than 128 characters")
	}
	return id, nil
}

func parseSide(s string) (market.Side, error) {
	if s == "" {
		return "", missing("side")
	}
	if s != string(market.Buy) && s != string(market.Sell) {
		return "", invalid("side", "side must be buy or sell")
	}
	return market.Side(s), nil
}

func (a *api) placeOrder(r *http.Request) (int, any, error) {
	id, err := clientID(r)
	if err != nil {
		return 0, nil, err
	}
	var b orderBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	side, err := parseSide(b.Side)
	if err != nil {
		return 0, nil, err
	}
	if b.Slippage == nil {
		return 0, nil, missing("slippage")
	}
	ex, err := a.v.PlaceOrder(OrderRequest{PriceID: b.PriceID, Side: side, Slippage: b.Slippage.Decimal, ClientID: id})
	return http.StatusCreated, toWireExecution(ex), err
}

func (a *api) createRFQ(custom bool) endpoint {
	return func(r *http.Request) (int, any, error) {
		var b rfqBody
		if err := decodeBody(r.Body, &b); err != nil {
			return 0, nil, err
		}
		side, err := parseSide(b.Side)
		if err != nil {
			return 0, nil, err
		}
		req := RFQRequest{Pair: b.Pair, Side: side}
		if b.Pair == "" {
			return 0, nil, missing("pair")
		}
		if b.Size == nil {
			return 0, nil, missing("size")
		}
		if b.Amount == nil {
			return 0, nil, missing("amount")
		}
		req.Size, req.Amount = b.Size.Decimal, b.Amount.Decimal
		switch {
		case custom && b.ExpirationInSeconds == nil:
			req.Expiry = DefaultCustomRFQExpiry
		case custom:
			if *b.ExpirationInSeconds < 1 || *b.ExpirationInSeconds > int(MaxCustomRFQExpiry/time.Second) {
				return 0, nil, invalid("expirationInSeconds", "expirationInSeconds must be from 1 to 240")
			}
			req.Expiry = time.Duration(*b.ExpirationInSeconds) * time.Second
		case b.ExpirationInSeconds != nil:
			return 0, nil, invalid("expirationInSeconds", "unknown field expirationInSeconds")
		}
		rfq, err := a.v.CreateRFQ(req)
		return http.StatusCreated, a.v.wireRFQ(rfq), err
	}
}

func (a *api) acceptRFQ(r *http.Request) (int, any, error) {
	id, err := clientID(r)
	if err != nil {
		return 0, nil, err
	}
	var b acceptBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	ex, err := a.v.AcceptRFQ(b.RequestForQuoteID, id)
	return http.StatusCreated, toWireExecution(ex), err
}

func (a *api) whitelist(params bool) endpoint {
	return func(r *http.Request) (int, any, error) {
		var b whitelistBody
		if err := decodeBody(r.Body, &b); err != nil {
			return 0, nil, err
		}
		if params && b.AddressParams == nil {
			return 0, nil, missing("addressParams")
		}
		w, err := a.v.WhitelistAddress(WhitelistRequest{Name: b.Name, Asset: market.Asset(b.Asset), Address: b.Address,
			Network: b.Network, Params: b.AddressParams})
		return http.StatusCreated, wireAddressResult{HTTPStatusCode: http.StatusCreated, AddressID: w.ID, EndUserID: w.EndUserID,
			Message: "Address whitelisting request submitted successfully"}, err
	}
}

func (a *api) whitelisted(*http.Request) (int, any, error) {
	return http.StatusOK, a.v.wireWhitelisted(a.v.WhitelistedAddresses()), nil
}

func (a *api) removeWhitelisted(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if id == "" {
		var b removeBody
		if err := decodeBody(r.Body, &b); err != nil {
			return 0, nil, err
		}
		id = b.AddressID
		if id == "" {
			id = b.ID
		}
		if id == "" {
			return 0, nil, missing("addressId")
		}
	}
	w, err := a.v.RemoveWhitelisted(id)
	return http.StatusOK, wireAddressResult{HTTPStatusCode: http.StatusOK, AddressID: w.ID, EndUserID: w.EndUserID}, err
}

func (a *api) withdraw(instant, params bool) endpoint {
	return func(r *http.Request) (int, any, error) {
		id, err := clientID(r)
		if err != nil {
			return 0, nil, err
		}
		var b withdrawBody
		if err := decodeBody(r.Body, &b); err != nil {
			return 0, nil, err
		}
		switch {
		case b.Amount == nil:
			return 0, nil, missing("amount")
		case params && b.AddressParams == nil:
			return 0, nil, missing("addressParams")
		case !params && (b.AddressParams != nil || b.IsInstant != nil):
			return 0, nil, invalid("addressParams", "addressParams and isInstant belong to /withdrawals/address")
		}
		if b.IsInstant != nil {
			instant = *b.IsInstant
		}
		w, err := a.v.Withdraw(WithdrawalRequest{Asset: market.Asset(b.Asset), Amount: b.Amount.Decimal, Address: b.Address,
			Network: b.Network, Params: b.AddressParams, Instant: instant, ClientID: id})
		return http.StatusCreated, a.v.wireWithdrawal(w), err
	}
}

func (a *api) withdrawals(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	f := WithdrawalFilter{ClientID: q.Get("clientId"), WithdrawalID: q.Get("withdrawalId"), Network: q.Get("network"),
		Asset: market.Asset(q.Get("asset")), Address: q.Get("address")}
	var err error
	if s := q.Get("startDate"); s != "" {
		if f.From, err = parseTime("startDate", s); err != nil {
			return 0, nil, err
		}
	}
	if s := q.Get("endDate"); s != "" {
		if f.To, err = parseTime("endDate", s); err != nil {
			return 0, nil, err
		}
	}
	if s := q.Get("page"); s != "" {
		if f.Page, err = atoi("page", s); err != nil {
			return 0, nil, err
		}
	}
	if s := q.Get("pageSize"); s != "" {
		if f.PageSize, err = atoi("pageSize", s); err != nil {
			return 0, nil, err
		}
	}
	ws, err := a.v.Withdrawals(f)
	return http.StatusOK, a.v.wireWithdrawals(ws), err
}

func (a *api) createInvoice(r *http.Request) (int, any, error) {
	var b invoiceBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	if b.AmountBtc == nil {
		return 0, nil, missing("amountBtc")
	}
	hours := 24
	if b.ExpiryHours != nil {
		hours = *b.ExpiryHours
		if hours < 1 || hours > 720 {
			return 0, nil, invalid("expiryHours", "expiryHours must be from 1 to 720")
		}
	}
	in, err := a.v.CreateInvoice(b.AmountBtc.Decimal, time.Duration(hours)*time.Hour, b.Memo)
	return http.StatusCreated, struct {
		ID                    string `json:"id"`
		EncodedPaymentRequest string `json:"encodedPaymentRequest"`
		ExpiresAt             wtime  `json:"expiresAt"`
	}{in.ID, in.PaymentRequest, wtime(in.Expires)}, err
}

func (a *api) withdrawLightning(r *http.Request) (int, any, error) {
	id, err := clientID(r)
	if err != nil {
		return 0, nil, err
	}
	var b lightningBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	p, err := a.v.WithdrawLightning(b.PaymentRequestHash, id)
	return http.StatusCreated, struct {
		PaymentID            string `json:"paymentId"`
		Status               string `json:"status"`
		AmountBTC            num    `json:"amountBTC"`
		DestinationPublicKey string `json:"destinationPublicKey"`
	}{p.ID, p.Status, n(p.AmountBTC), p.DestinationPublicKey}, err
}

// apiError is an error answer in the terms of both documented formats.
type apiError struct {
	status    int
	code      string // documentation site's lower-case code
	typ       string
	guideCode string // guide's upper-case code
	message   string
	param     string
}

func toAPIError(err error) apiError {
	var e *Error
	if !errors.As(err, &e) {
		return apiError{http.StatusInternalServerError, "internal_error", "api_error", "GENERIC_ERROR", "internal error", ""}
	}
	ae := apiError{status: http.StatusBadRequest, typ: "invalid_request_error", message: e.Message, param: e.Param}
	switch e.Kind {
	case KindMissing:
		ae.code, ae.guideCode = "missing_parameter", "VALIDATION_ERROR"
	case KindNotFound:
		ae.status, ae.code, ae.guideCode = http.StatusNotFound, "not_found", "NOT_FOUND"
	case KindConflict:
		ae.status, ae.code, ae.guideCode = http.StatusConflict, "conflict", "CONFLICT"
	case KindInsufficientFunds:
		ae.code, ae.guideCode = "insufficient_funds", "GENERIC_ERROR"
	case KindExpired:
		ae.code, ae.guideCode = "expired", "VALIDATION_ERROR"
	default:
		ae.code, ae.guideCode = "invalid_request", "VALIDATION_ERROR"
	}
	return ae
}

// writeError writes e in the site's nested format or, flat, the guide's
// (whose CONFLICT travels as 400).
func writeError(w http.ResponseWriter, flat bool, e apiError) {
	status := e.status
	var body any
	if flat {
		if e.guideCode == "CONFLICT" {
			status = http.StatusBadRequest
		}
		body = struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}{e.guideCode, e.message}
	} else {
		type inner struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Param   string `json:"param,omitempty"`
			Type    string `json:"type"`
		}
		body = struct {
			Error inner `json:"error"`
		}{inner{e.code, e.message, e.param, e.typ}}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal_error","message":"internal error","type":"api_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
