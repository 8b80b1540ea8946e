package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/philippseith/signalr"

	"github.com/otcdesk/engine/market"
)

// simHub is the per-invocation hub object the signalr server calls. Every
// method takes its documented arguments, in order, as raw JSON, so that a
// wrong type becomes a preChecksError reply (as the docs describe) rather
// than a binding failure.
type simHub struct {
	signalr.Hub
	h *Hub
}

// reply answers the caller: data under subject on success; preChecksError
// for invalid input; subject's ".error" sibling for a refusal by the venue.
func (s *simHub) reply(a *hubArgs, subject string, data func() (any, error)) {
	id := s.ConnectionID()
	if a.err == nil {
		var v any
		v, a.err = data()
		if a.err == nil {
			s.h.send(id, hubExecutionEvents, subject, a.clientID, v)
			return
		}
	}
	var e *Error
	if errors.As(a.err, &e) && (e.Kind == KindInvalid || e.Kind == KindMissing) {
		s.h.send(id, hubExecutionEvents, "preChecksError", a.clientID, map[string]string{"message": e.Error()})
		return
	}
	errSubject := subject[:strings.LastIndexByte(subject, '.')+1] + "error"
	s.h.send(id, hubExecutionEvents, errSubject, a.clientID, map[string]string{"statusError": a.err.Error(), "message": a.err.Error()})
}

func (s *simHub) page(a *hubArgs) Page {
	return Page{From: a.time(1, "StartDate"), To: a.time(2, "EndDate"), Page: a.integer(3, "Page"), Size: a.integer(4, "PageSize")}
}

// hubCursorPage walks the venue's cursor pages to the hub's numbered page.
func hubCursorPage[T any](page, size int, from, to time.Time, get func(CursorQuery) (CursorPage[T], error)) ([]T, error) {
	q := CursorQuery{Size: size, From: from, To: to}
	for i := 0; ; i++ {
		p, err := get(q)
		if err != nil || i == page {
			return p.Items, err
		}
		if p.Next == "" {
			return []T{}, nil
		}
		q.Token = p.Next
	}
}

// GetPairs answers execution.pairs.
func (s *simHub) GetPairs(clientID json.RawMessage) {
	a := s.args(clientID)
	s.reply(a, "execution.pairs", func() (any, error) { return hubPairs(s.h.v), nil })
}

// SubscribePairPriceChannel starts a price stream on this connection.
func (s *simHub) SubscribePairPriceChannel(clientID, pair, size json.RawMessage) {
	s.subscription(true, clientID, pair, size)
}

// UnsubscribePairPriceChannel ends a price stream on this connection.
func (s *simHub) UnsubscribePairPriceChannel(clientID, pair, size json.RawMessage) {
	s.subscription(false, clientID, pair, size)
}

func (s *simHub) subscription(on bool, clientID, pair, size json.RawMessage) {
	a := s.args(clientID, pair, size)
	p, sz := a.str(1, "PairName"), a.dec(2, "Size")
	if a.err == nil {
		if _, err := s.h.v.Quote(p, sz); err != nil {
			a.err = err
		}
	}
	if a.err == nil && on {
		s.h.mu.Lock()
		refuse := s.h.refuse > 0
		if refuse {
			s.h.refuse--
		}
		s.h.mu.Unlock()
		if refuse {
			// philippseith/signalr answers a hub method's panic with a
			// completion error: the invocation fails, as it does when an
			// ASP.NET hub method throws.
			panic(fmt.Sprintf("sim: subscription to %s refused (fault injection)", p))
		}
	}
	if a.err != nil {
		s.reply(a, "execution.feeds.priceUpdate", nil)
		return
	}
	h, id := s.h, s.ConnectionID()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[id] == nil {
		return // the connection is gone
	}
	key := hubSub{p, sz.String()}
	if on {
		if h.subs[id] == nil {
			h.subs[id] = map[hubSub]string{}
		}
		h.subs[id][key] = a.clientID
	} else {
		delete(h.subs[id], key)
	}
}

// GetPairSizeByAmount answers execution.pair.price.
func (s *simHub) GetPairSizeByAmount(clientID, pair, side, amount json.RawMessage) {
	a := s.args(clientID, pair, side, amount)
	p, sd, amt := a.str(1, "Pair"), a.side(2), a.dec(3, "Amount")
	s.reply(a, "execution.pair.price", func() (any, error) {
		q, err := s.h.v.QuoteAmount(p, sd, amt)
		return wireSizeQuote{ID: q.ID, Pair: q.Pair, Price: n(q.Price), Size: n(q.Size), TimeStamp: wtime(q.Time)}, err
	})
}

// PlaceOtcOrder answers execution.order.executed.
func (s *simHub) PlaceOtcOrder(clientID, priceID, side, slippage json.RawMessage) {
	a := s.args(clientID, priceID, side, slippage)
	req := OrderRequest{PriceID: a.str(1, "PriceId"), Side: a.side(2), Slippage: a.dec(3, "Slippage"), ClientID: a.clientID}
	s.reply(a, "execution.order.executed", func() (any, error) {
		x, err := s.h.v.PlaceOrder(req)
		if err == nil {
			s.h.mu.Lock()
			s.h.answered[x.TradeID] = x.Status
			s.h.mu.Unlock()
		}
		return toWireExecution(x), err
	})
}

// CreateRequestForQuote answers account.requestForQuote.created.
func (s *simHub) CreateRequestForQuote(clientID, pair, side, size, amount json.RawMessage) {
	a := s.args(clientID, pair, side, size, amount)
	s.rfq(a, 0)
}

// CreateRequestForQuoteWithCustomExpiration answers account.requestForQuote.created.
func (s *simHub) CreateRequestForQuoteWithCustomExpiration(clientID, pair, side, size, amount, expiration json.RawMessage) {
	a := s.args(clientID, pair, side, size, amount, expiration)
	secs := a.integer(5, "ExpirationInSeconds")
	if a.err == nil && (secs <= 0 || secs > 240) {
		a.fail("ExpirationInSeconds", "must be between 1 and 240")
	}
	s.rfq(a, time.Duration(secs)*time.Second)
}

func (s *simHub) rfq(a *hubArgs, expiry time.Duration) {
	req := RFQRequest{Pair: a.str(1, "PairName"), Side: a.side(2), Size: a.dec(3, "Size"), Amount: a.dec(4, "Amount"), Expiry: expiry}
	s.reply(a, "account.requestForQuote.created", func() (any, error) {
		r, err := s.h.v.CreateRFQ(req)
		return s.h.v.wireRFQ(r), err
	})
}

// AcceptRequestForQuote answers execution.order.executed.
func (s *simHub) AcceptRequestForQuote(clientID, rfqID json.RawMessage) {
	a := s.args(clientID, rfqID)
	id := a.str(1, "RequestForQuoteId")
	s.reply(a, "execution.order.executed", func() (any, error) {
		x, err := s.h.v.AcceptRFQ(id, a.clientID)
		if err == nil {
			s.h.mu.Lock()
			s.h.answered[x.TradeID] = x.Status
			s.h.mu.Unlock()
		}
		return toWireExecution(x), err
	})
}

// GetOrdersPaginated answers account.orders.snapshot.
func (s *simHub) GetOrdersPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "account.orders.snapshot", func() (any, error) {
		os, err := s.h.v.Orders(p)
		return s.h.v.wireOrders(os), err
	})
}

// GetOrdersByClientId answers account.orders.snapshot.
func (s *simHub) GetOrdersByClientId(clientID, orderClientID json.RawMessage) {
	a := s.args(clientID, orderClientID)
	id := a.str(1, "OrderClientId")
	s.reply(a, "account.orders.snapshot", func() (any, error) {
		return s.h.v.wireOrders(s.h.v.OrdersByClientID(id)), nil
	})
}

// GetTradesPaginated answers account.trades.snapshot.
func (s *simHub) GetTradesPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "account.trades.snapshot", func() (any, error) {
		t, err := s.h.v.Trades(p)
		return s.h.v.wireTrades(t), err
	})
}

// GetHistoricalTradesPaginated answers account.trades.snapshot.
func (s *simHub) GetHistoricalTradesPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "account.trades.snapshot", func() (any, error) {
		t, err := s.h.v.HistoricalTrades(p)
		return s.h.v.wireTrades(t), err
	})
}

// GetTradesByClientId answers account.trades.snapshot.
func (s *simHub) GetTradesByClientId(clientID, tradeClientID json.RawMessage) {
	a := s.args(clientID, tradeClientID)
	id := a.str(1, "tradeClientId")
	s.reply(a, "account.trades.snapshot", func() (any, error) {
		return s.h.v.wireTrades(s.h.v.TradesByClientID(id)), nil
	})
}

// GetTransactionsPaginated answers account.transactions.snapshot.
func (s *simHub) GetTransactionsPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "account.transactions.snapshot", func() (any, error) {
		t, err := s.h.v.Transactions(p)
		return s.h.v.wireTransactions(t), err
	})
}

// GetHistoricalTransactionsPaginated answers account.transactions.snapshot.
func (s *simHub) GetHistoricalTransactionsPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "account.transactions.snapshot", func() (any, error) {
		t, err := s.h.v.HistoricalTransactions(p)
		return s.h.v.wireTransactions(t), err
	})
}

// GetBalances answers account.balances.snapshot.
func (s *simHub) GetBalances(clientID json.RawMessage) {
	a := s.args(clientID)
	s.reply(a, "account.balances.snapshot", func() (any, error) { return hubBalances(s.h.v.Balances()), nil })
}

// WithdrawInstantFunds answers account.withdraw.created.
func (s *simHub) WithdrawInstantFunds(clientID, asset, amount, destination, network json.RawMessage) {
	a := s.args(clientID, asset, amount, destination, network)
	s.withdraw(a, WithdrawalRequest{Asset: market.Asset(a.str(1, "Asset")), Amount: a.dec(2, "Amount"),
		Address: a.str(3, "DestinationAddress"), Network: a.str(4, "Network"), Instant: true, ClientID: a.clientID})
}

// WithdrawFunds answers account.withdraw.created. The guide lists it with no
// arguments; the simulator takes WithdrawInstantFunds' arguments, not instant.
func (s *simHub) WithdrawFunds(clientID, asset, amount, destination, network json.RawMessage) {
	a := s.args(clientID, asset, amount, destination, network)
	s.withdraw(a, WithdrawalRequest{Asset: market.Asset(a.str(1, "Asset")), Amount: a.dec(2, "Amount"),
		Address: a.str(3, "DestinationAddress"), Network: a.str(4, "Network"), ClientID: a.clientID})
}

// WithdrawFundsWithAddressParams answers account.withdraw.created.
func (s *simHub) WithdrawFundsWithAddressParams(clientID, asset, amount, destination, params, network, instant json.RawMessage) {
	a := s.args(clientID, asset, amount, destination, params, network, instant)
	s.withdraw(a, WithdrawalRequest{Asset: market.Asset(a.str(1, "Asset")), Amount: a.dec(2, "Amount"),
		Address: a.str(3, "DestinationAddress"), Params: a.params(4, "DestinationAddressParams"),
		Network: a.str(5, "Network"), Instant: a.boolean(6, "IsInstant"), ClientID: a.clientID})
}

func (s *simHub) withdraw(a *hubArgs, req WithdrawalRequest) {
	s.reply(a, "account.withdraw.created", func() (any, error) {
		w, err := s.h.v.Withdraw(req)
		return s.h.v.wireWithdrawal(w), err
	})
}

// GetWithdrawalsPaginated answers account.withdrawals.snapshot.
func (s *simHub) GetWithdrawalsPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "account.withdrawals.snapshot", func() (any, error) {
		ws, err := s.h.v.WithdrawalsPage(p)
		return s.h.v.wireWithdrawals(ws), err
	})
}

// GetWithdrawalsByClientId answers account.withdrawals.snapshot.
func (s *simHub) GetWithdrawalsByClientId(clientID, withdrawClientID json.RawMessage) {
	a := s.args(clientID, withdrawClientID)
	id := a.str(1, "withdrawClientId")
	s.reply(a, "account.withdrawals.snapshot", func() (any, error) {
		return s.h.v.wireWithdrawals(s.h.v.WithdrawalsByClientID(id)), nil
	})
}

// WhitelistAddress answers account.address.registered.
func (s *simHub) WhitelistAddress(clientID, name, asset, address, network json.RawMessage) {
	a := s.args(clientID, name, asset, address, network)
	s.whitelist(a, WhitelistRequest{Name: a.str(1, "Name"), Asset: market.Asset(a.str(2, "Asset")),
		Address: a.str(3, "Address"), Network: a.str(4, "Network")})
}

// WhitelistAddressWithParams answers account.address.registered.
func (s *simHub) WhitelistAddressWithParams(clientID, name, asset, address, params, network json.RawMessage) {
	a := s.args(clientID, name, asset, address, params, network)
	s.whitelist(a, WhitelistRequest{Name: a.str(1, "Name"), Asset: market.Asset(a.str(2, "Asset")),
		Address: a.str(3, "Address"), Params: a.params(4, "AddressParams"), Network: a.str(5, "Network")})
}

func (s *simHub) whitelist(a *hubArgs, req WhitelistRequest) {
	s.reply(a, "account.address.registered", func() (any, error) {
		w, err := s.h.v.WhitelistAddress(req)
		return wireAddressResult{HTTPStatusCode: 201, AddressID: w.ID, EndUserID: w.EndUserID,
			Message: "Address whitelisting request submitted successfully"}, err
	})
}

// GetWhitelistedAddresses answers account.externalAddresses.snapshot.
func (s *simHub) GetWhitelistedAddresses(clientID json.RawMessage) {
	a := s.args(clientID)
	s.reply(a, "account.externalAddresses.snapshot", func() (any, error) {
		return s.h.v.wireWhitelisted(s.h.v.WhitelistedAddresses()), nil
	})
}

// CreateDepositAddress answers account.internalAddress.created.
func (s *simHub) CreateDepositAddress(clientID, asset, network json.RawMessage) {
	a := s.args(clientID, asset, network)
	as, nw := market.Asset(a.str(1, "Asset")), a.str(2, "Network")
	s.reply(a, "account.internalAddress.created", func() (any, error) {
		d, err := s.h.v.CreateDepositAddress(as, nw)
		return s.h.v.wireDepositAddress(d), err
	})
}

// GetDepositAddress answers account.internalAddresses.snapshot.
func (s *simHub) GetDepositAddress(clientID json.RawMessage) {
	a := s.args(clientID)
	s.reply(a, "account.internalAddresses.snapshot", func() (any, error) {
		return hubList(s.h.v.DepositAddresses(), s.h.v.wireDepositAddress), nil
	})
}

// TransferFunds answers banking.transfer.created.
func (s *simHub) TransferFunds(clientID, asset, amount, internalID, payeeAddressID, description json.RawMessage) {
	a := s.args(clientID, asset, amount, internalID, payeeAddressID, description)
	req := TransferRequest{Asset: market.Asset(a.str(1, "Asset")), Amount: a.dec(2, "Amount"),
		InternalAddressID: a.str(3, "InternalAddressId"), PayeeAddressID: a.str(4, "PayeeAddressId"),
		Description: a.str(5, "Description"), ClientID: a.clientID}
	s.reply(a, "banking.transfer.created", func() (any, error) {
		t, err := s.h.v.CreateTransfer(req)
		return struct {
			HTTPStatusCode int    `json:"httpStatusCode"`
			Message        string `json:"message"`
			wireTransferReceipt
		}{201, "Transfer fund request registered successfully", wireTransferReceipt{ID: t.ID, Asset: string(t.Asset),
			Amount: n(t.Amount), InternalAddressID: t.InternalAddressID, PayeeAddressID: t.PayeeAddressID,
			Description: nullable(t.Description)}}, err
	})
}

// GetTransfersPaginated answers banking.transfers.snapshot.
func (s *simHub) GetTransfersPaginated(clientID, start, end, page, size json.RawMessage) {
	a := s.args(clientID, start, end, page, size)
	p := s.page(a)
	s.reply(a, "banking.transfers.snapshot", func() (any, error) {
		items, err := hubCursorPage(p.Page, p.Size, p.From, p.To, func(q CursorQuery) (CursorPage[Transfer], error) {
			return s.h.v.Transfers(TransferQuery{CursorQuery: q})
		})
		return hubList(items, s.h.v.wireTransfer), err
	})
}

// GetTransactionLedger answers ledger.transaction.details.
func (s *simHub) GetTransactionLedger(clientID, transactionID json.RawMessage) {
	a := s.args(clientID, transactionID)
	id := a.str(1, "TransactionId")
	s.reply(a, "ledger.transaction.details", func() (any, error) {
		e, err := s.h.v.Ledger(id)
		return wireLedger{ID: e.ID, RefID: e.RefID, UserID: s.h.v.UserID(), Type: e.Type, Status: string(e.Status),
			Description: e.Description, Asset: string(e.Asset), Amount: n(e.Amount), Debtor: toWireAccount(e.Debtor),
			Creditor: toWireAccount(e.Creditor), Timestamp: wtime(e.Time)}, err
	})
}

// RegisterPayee answers banking.payee.registered.
func (s *simHub) RegisterPayee(clientID, typ, name, surname, company, country, state, city, address, postalCode json.RawMessage) {
	a := s.args(clientID, typ, name, surname, company, country, state, city, address, postalCode)
	p := Payee{Type: PayeeType(a.integer(1, "Type")), Name: a.str(2, "Name"), Surname: a.str(3, "Surname"),
		Company: a.str(4, "Company"), Country: a.str(5, "Country"), State: a.str(6, "State"), City: a.str(7, "City"),
		Address: a.str(8, "Address"), PostalCode: a.str(9, "PostalCode")}
	s.reply(a, "banking.payee.registered", func() (any, error) {
		p, err := s.h.v.RegisterPayee(p)
		return struct {
			HTTPStatusCode int    `json:"httpStatusCode"`
			Message        string `json:"message"`
			wirePayee
		}{201, "", s.h.v.wirePayee(p)}, err
	})
}

// RegisterPayeeAddress answers banking.payee.address.registered.
func (s *simHub) RegisterPayeeAddress(clientID, payeeID, name, asset, address, params, network, comment json.RawMessage) {
	a := s.args(clientID, payeeID, name, asset, address, params, network, comment)
	pa := PayeeAddress{PayeeID: a.str(1, "PayeeId"), Name: a.str(2, "Name"), Asset: market.Asset(a.str(3, "Asset")),
		Address: a.str(4, "Address"), Params: a.params(5, "AddressParams"), Network: a.str(6, "Network"), Comment: a.optStr(7, "Comment")}
	s.reply(a, "banking.payee.address.registered", func() (any, error) {
		pa, err := s.h.v.RegisterPayeeAddress(pa)
		return struct {
			HTTPStatusCode int `json:"httpStatusCode"`
			wirePayeeAddress
		}{201, toWirePayeeAddress(pa)}, err
	})
}

// GetPayeesPaginated answers banking.payees.snapshot.
func (s *simHub) GetPayeesPaginated(clientID, from, to, page, size json.RawMessage) {
	a := s.args(clientID, from, to, page, size)
	f, t, pg, sz := a.optTime(1, "From"), a.optTime(2, "To"), a.integer(3, "Page"), a.integer(4, "PageSize")
	s.reply(a, "banking.payees.snapshot", func() (any, error) {
		items, err := hubCursorPage(pg, sz, f, t, s.h.v.Payees)
		return hubList(items, s.h.v.wirePayee), err
	})
}

// GetPayeeAddressesPaginated answers banking.payee.addresses.snapshot.
func (s *simHub) GetPayeeAddressesPaginated(clientID, payeeID, from, to, page, size json.RawMessage) {
	a := s.args(clientID, payeeID, from, to, page, size)
	id, f, t, pg, sz := a.str(1, "PayeeId"), a.optTime(2, "From"), a.optTime(3, "To"), a.integer(4, "Page"), a.integer(5, "PageSize")
	s.reply(a, "banking.payee.addresses.snapshot", func() (any, error) {
		items, err := hubCursorPage(pg, sz, f, t, func(q CursorQuery) (CursorPage[PayeeAddress], error) {
			return s.h.v.PayeeAddresses(id, q)
		})
		return hubList(items, toWirePayeeAddress), err
	})
}

// CreateLightningInvoice answers execution.invoice.created.
func (s *simHub) CreateLightningInvoice(clientID, amountBTC, memo, expiryHours json.RawMessage) {
	a := s.args(clientID, amountBTC, memo, expiryHours)
	amt, m := a.dec(1, "AmountBtc"), a.optStr(2, "Memo")
	hours, ok := a.optInt(3, "ExpiryHours")
	if !ok {
		hours = 24
	}
	s.reply(a, "execution.invoice.created", func() (any, error) {
		in, err := s.h.v.CreateInvoice(amt, time.Duration(hours)*time.Hour, m)
		return struct {
			HTTPStatusCode        int    `json:"httpStatusCode"`
			ID                    string `json:"id"`
			ExpiresAt             wtime  `json:"expiresAt"`
			Message               string `json:"message"`
			EncodedPaymentRequest string `json:"encodedPaymentRequest"`
		}{201, in.ID, wtime(in.Expires), "Lightning invoice created successfully", in.PaymentRequest}, err
	})
}

// GetLightningInvoices answers lightspark.invoices.snapshot.
func (s *simHub) GetLightningInvoices(clientID json.RawMessage) {
	a := s.args(clientID)
	s.reply(a, "lightspark.invoices.snapshot", func() (any, error) { return hubList(s.h.v.Invoices(), s.h.v.wireInvoice), nil })
}

// WithdrawLightning answers execution.withdrawal.lightspark.created.
func (s *simHub) WithdrawLightning(clientID, paymentRequest json.RawMessage) {
	a := s.args(clientID, paymentRequest)
	pr := a.str(1, "PaymentRequestHash")
	s.reply(a, "execution.withdrawal.lightspark.created", func() (any, error) {
		p, err := s.h.v.WithdrawLightning(pr, a.clientID)
		return struct {
			HTTPStatusCode       int    `json:"httpStatusCode"`
			PaymentID            string `json:"paymentId"`
			Status               string `json:"status"`
			AmountBTC            num    `json:"amountBTC"`
			DestinationPublicKey string `json:"destinationPublicKey"`
			Message              string `json:"message"`
		}{200, p.ID, p.Status, n(p.AmountBTC), p.DestinationPublicKey, "Lightning withdrawal created successfully"}, err
	})
}
