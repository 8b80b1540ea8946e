package hercle_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// The client's behaviour across the wire is tested against the simulator
// (package sim) on 127.0.0.1.

const seed = 42

// newClock is the venue's manual clock, at Wednesday 2025-12-03 09:00 UTC.
func newClock() *clock.Manual {
	return clock.NewManual(time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC))
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// startSim starts a simulator on loopback and a hercle client for it.
func startSim(t *testing.T, opts sim.Options) (*sim.Server, *hercle.Client, *clock.Manual) {
	t.Helper()
	t.Logf("sim seed %d", opts.Seed)
	clk := newClock()
	if opts.Clock == (clock.Clock{}) {
		opts.Clock = clk.Clock()
	}
	srv, err := sim.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	c, err := hercle.NewClient(hercle.Config{
		BaseURL: srv.URL(), APIKey: srv.APIKey(), RateLimit: 1e6, Burst: 1000, MaxRetries: 8, Timeout: 20 * time.Second,
		// Retry-After and backoff waits are the client's business, not
		// this test's: skip them instead of sleeping.
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clk
}

func collect[T any](t *testing.T, what string, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out = append(out, v)
	}
	return out
}

func eq(t *testing.T, what string, got hercle.Number, want string) {
	t.Helper()
	if !got.Decimal.Equal(d(want)) || got.String() != want {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// TestEveryEndpoint drives each of the client's 45 routes against the
// simulator over HTTP and checks what came back.
func TestEveryEndpoint(t *testing.T) {
	srv, c, clk := startSim(t, sim.Options{Seed: seed, Dedup: true})
	v := srv.Venue()
	ctx := t.Context()
	start := clk.Now()

	// Pairs and prices.
	pairs, err := c.Pairs(ctx)
	if err != nil || len(pairs) != 5 || pairs[0].Name != "BTCUSDT" {
		t.Fatalf("Pairs = %+v, %v", pairs, err)
	}
	eq(t, "BTCUSDT minSize", pairs[0].MinSize, "0.0001")
	if err := v.SetPrice("BTCUSDT", d("26844.07")); err != nil {
		t.Fatal(err)
	}
	sq, err := c.PairSizeByAmount(ctx, "BTCUSDT", market.Buy, d("10000"))
	if err != nil || sq.ID == "" || !sq.Size.IsPositive() {
		t.Fatalf("PairSizeByAmount = %+v, %v", sq, err)
	}
	nets, err := c.Networks(ctx, "ETH")
	if err != nil || len(nets) == 0 || nets[0] != "Ethereum" {
		t.Fatalf("Networks(ETH) = %v, %v", nets, err)
	}
	const size18 = "0.123456789012345678"
	q, err := c.Price(ctx, "BTCUSDT", d(size18))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "quote size", q.Size, size18)
	if q.BuyPrice.Cmp(q.SellPrice.Decimal) <= 0 {
		t.Errorf("buy %s not above sell %s", q.BuyPrice, q.SellPrice)
	}

	// OTC order, its lookups and history.
	ex, id, err := c.PlaceOrder(ctx, hercle.OrderRequest{PriceID: q.ID, Side: market.Buy, Slippage: hercle.MustNumber("1")}, "")
	if err != nil || ex.Status != hercle.OrderExecuted {
		t.Fatalf("PlaceOrder = %+v, %v", ex, err)
	}
	eq(t, "order size", ex.Size, size18)
	eq(t, "notional", ex.Notional, ex.Price.Mul(d(size18)).String())
	orders, err := c.OrdersByClientID(ctx, id)
	if err != nil || len(orders) != 1 || orders[0].OrderID != ex.TradeID {
		t.Fatalf("OrdersByClientID = %+v, %v", orders, err)
	}
	trades, err := c.TradesByClientID(ctx, id)
	if err != nil || len(trades) != 1 || trades[0].Instrument != "BTC/USDT" {
		t.Fatalf("TradesByClientID = %+v, %v", trades, err)
	}
	eq(t, "trade quantity", trades[0].QuantityFilled, size18)
	page := hercle.PageQuery{From: start.Add(-time.Hour), To: start.Add(time.Hour), PageSize: 5}
	if got := collect(t, "Orders", c.Orders(ctx, page)); len(got) != 1 {
		t.Errorf("Orders = %d, want 1", len(got))
	}
	if got := collect(t, "Trades", c.Trades(ctx, page)); len(got) != 1 {
		t.Errorf("Trades = %d, want 1", len(got))
	}
	if got := collect(t, "HistoricalTrades", c.HistoricalTrades(ctx, page)); len(got) != 1 {
		t.Errorf("HistoricalTrades = %d, want 1", len(got))
	}
	if got := collect(t, "Transactions", c.Transactions(ctx, page)); len(got) != 2 {
		t.Errorf("Transactions = %d, want 2 (both legs of the trade)", len(got))
	}
	if got := collect(t, "HistoricalTransactions", c.HistoricalTransactions(ctx, page)); len(got) != 2 {
		t.Errorf("HistoricalTransactions = %d, want 2", len(got))
	}
	bal, err := c.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	btc, _ := bal.Asset("BTC")
	eq(t, "BTC available", btc.Available, d("10").Add(d(size18)).String())
	if bal.Sequence < 2 {
		t.Errorf("balance sequence = %d, want it moved by the trade", bal.Sequence)
	}

	// RFQ: standard and custom, accepted once.
	rfq, err := c.CreateRFQ(ctx, hercle.RFQRequest{Pair: "ETHEUR", Side: market.Sell, Size: hercle.MustNumber("0.1")})
	if err != nil || rfq.Status != hercle.OrderCreated {
		t.Fatalf("CreateRFQ = %+v, %v", rfq, err)
	}
	eq(t, "rfq size", rfq.Size, "0.1")
	if got := rfq.ExpireDateTime.Sub(rfq.RequestDateTime.Time); got != 30*time.Second {
		t.Errorf("RFQ lifetime = %v, want 30s", got)
	}
	acc, accID, err := c.AcceptRFQ(ctx, rfq.RequestForQuoteID, "")
	if err != nil || acc.Status != hercle.OrderExecuted || !acc.Price.Equal(rfq.Price.Decimal) {
		t.Fatalf("AcceptRFQ = %+v, %v", acc, err)
	}
	if _, _, err := c.AcceptRFQ(ctx, rfq.RequestForQuoteID, ""); !isStatus(err, http.StatusConflict) {
		t.Errorf("second AcceptRFQ = %v, want 409", err)
	}
	if n := v.Executions(accID); n != 1 {
		t.Errorf("Executions(accept) = %d, want 1", n)
	}
	custom, err := c.CreateCustomRFQ(ctx, hercle.CustomRFQRequest{Pair: "BTCEUR", Side: market.Buy, Amount: hercle.MustNumber("26844.07"), ExpirationInSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "custom rfq amount", custom.Amount, "26844.07")
	clk.Advance(6 * time.Second)
	if _, _, err := c.AcceptRFQ(ctx, custom.RequestForQuoteID, ""); !isStatus(err, http.StatusBadRequest) {
		t.Errorf("AcceptRFQ after expiry = %v, want 400", err)
	}

	// Addresses.
	wl, err := c.WhitelistAddress(ctx, hercle.WhitelistRequest{Name: "cold", Asset: "ETH", Address: "0x000000000000000000000000000000000000dEaD", Network: "Ethereum"})
	if err != nil || wl.HTTPStatusCode != 201 || wl.AddressID == "" {
		t.Fatalf("WhitelistAddress = %+v, %v", wl, err)
	}
	wlp, err := c.WhitelistAddressWithParams(ctx, hercle.WhitelistParamsRequest{Name: "bank", Asset: "GBP", Address: "GB33BUKB20201555555555",
		AddressParams: hercle.Params{"sortcode": "20-20-15", "accountNumber": "55555555"}, Network: "Faster Payments"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.WhitelistedAddresses(ctx)
	if err != nil || len(list) != 2 || list[0].Status != hercle.AddressPending {
		t.Fatalf("WhitelistedAddresses = %+v, %v", list, err)
	}
	const eth18 = "1.234567890123456789"
	if _, _, err := c.Withdraw(ctx, hercle.WithdrawalRequest{Asset: "ETH", Amount: hercle.MustNumber(eth18), Address: "0x000000000000000000000000000000000000dEaD", Network: "Ethereum"}, ""); !isStatus(err, http.StatusBadRequest) {
		t.Errorf("Withdraw to a pending address = %v, want 400", err)
	}
	for _, id := range []string{wl.AddressID, wlp.AddressID} {
		if err := v.ApproveWhitelist(id); err != nil {
			t.Fatal(err)
		}
	}
	dep, err := c.CreateDepositAddress(ctx, hercle.DepositAddressRequest{Asset: "EUR", Network: "Sepa"})
	if err != nil || dep == nil || !strings.HasPrefix(dep.RefAccountID, "vac_") {
		t.Fatalf("CreateDepositAddress = %+v, %v", dep, err)
	}
	deps, err := c.DepositAddresses(ctx)
	if err != nil || len(deps) != 1 {
		t.Fatalf("DepositAddresses = %+v, %v", deps, err)
	}

	// Withdrawals.
	w, wid, err := c.Withdraw(ctx, hercle.WithdrawalRequest{Asset: "ETH", Amount: hercle.MustNumber(eth18), Address: "0x000000000000000000000000000000000000dEaD", Network: "Ethereum"}, "")
	if err != nil || w.Status != hercle.MovementCreated {
		t.Fatalf("Withdraw = %+v, %v", w, err)
	}
	eq(t, "withdrawal amount", w.Amount, eth18)
	wi, _, err := c.WithdrawInstant(ctx, hercle.WithdrawalRequest{Asset: "ETH", Amount: hercle.MustNumber("0.1"), Address: "0x000000000000000000000000000000000000dEaD", Network: "Ethereum"}, "")
	if err != nil || !wi.IsInstant {
		t.Fatalf("WithdrawInstant = %+v, %v", wi, err)
	}
	wp, _, err := c.WithdrawWithAddressParams(ctx, hercle.AddressParamsWithdrawalRequest{Asset: "GBP", Amount: hercle.MustNumber("1000"),
		Address: "GB33BUKB20201555555555", AddressParams: hercle.Params{"sortcode": "20-20-15"}, Network: "Faster Payments"}, "")
	if err != nil || wp.DestinationParams["sortcode"] != "20-20-15" {
		t.Fatalf("WithdrawWithAddressParams = %+v, %v", wp, err)
	}
	byID, err := c.WithdrawalsByClientID(ctx, wid)
	if err != nil || len(byID) != 1 || byID[0].ID != w.ID {
		t.Fatalf("WithdrawalsByClientID = %+v, %v", byID, err)
	}
	filtered, err := c.Withdrawals(ctx, hercle.WithdrawalFilter{Asset: "ETH", PageSize: 5})
	if err != nil || len(filtered) != 2 {
		t.Fatalf("Withdrawals(asset ETH) = %d, %v; want 2", len(filtered), err)
	}
	clk.Advance(sim.DefaultSettleAfter)
	ws := collect(t, "WithdrawalsPaginated", c.WithdrawalsPaginated(ctx, page))
	if len(ws) != 3 {
		t.Fatalf("WithdrawalsPaginated = %d, want 3", len(ws))
	}
	for _, w := range ws {
		if w.Status != hercle.MovementConfirmed {
			t.Errorf("withdrawal %s status %s after the settle time, want CONFIRMED", w.ID, w.Status)
		}
	}

	// Lightning.
	inv, err := c.CreateInvoice(ctx, hercle.InvoiceRequest{AmountBtc: hercle.MustNumber("0.001"), ExpiryHours: 24, Memo: "test"})
	if err != nil || !strings.HasPrefix(inv.EncodedPaymentRequest, "lnbc1m1") {
		t.Fatalf("CreateInvoice = %+v, %v", inv, err)
	}
	invs, err := c.Invoices(ctx)
	if err != nil || len(invs) != 1 || invs[0].Status != "OPEN" {
		t.Fatalf("Invoices = %+v, %v", invs, err)
	}
	ln, lnID, err := c.WithdrawLightning(ctx, hercle.LightningWithdrawalRequest{PaymentRequestHash: "lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypq"}, "")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "lightning amount", ln.AmountBTC, "0.0025")
	if got, err := c.WithdrawalsByClientID(ctx, lnID); err != nil || len(got) != 1 || got[0].Network != "Lightning" {
		t.Errorf("Lightning payment lookup = %+v, %v", got, err)
	}

	// Banking.
	addr := hercle.Address{Line1: "1 Main Street", City: "London", PostalCode: "EC1A 1BB", Country: "GB"}
	biz, err := c.RegisterBusinessEndUser(ctx, hercle.BusinessEndUserRequest{
		Business: hercle.Business{CompanyName: "Acme", TradingName: "Acme", Type: "LIMITED", RegistrationNumber: "123",
			RegistrationDate: "2020-12-31", RegisteredAddress: addr, TradingAddress: addr},
		BusinessPersons: []json.RawMessage{json.RawMessage(`{"firstName":"Ada"}`)}, IPAddress: "203.0.113.7", Sector: "BLOCKCHAIN"})
	if err != nil || !strings.HasPrefix(biz.ID, "eus_") || biz.Business.CompanyName != "Acme" {
		t.Fatalf("RegisterBusinessEndUser = %+v, %v", biz, err)
	}
	ind, err := c.RegisterIndividualEndUser(ctx, hercle.IndividualEndUserRequest{Person: hercle.Person{FirstName: "Franco", LastName: "Martinelli",
		Email: "f@example.com", Phone: "+393331234567", Dob: "1990-05-20", Nationality: []string{"IT"}, Address: addr,
		IdentificationDocument: json.RawMessage(`{"type":"PASSPORT"}`)}, IPAddress: "203.0.113.8"})
	if err != nil || ind.Person.LastName != "Martinelli" {
		t.Fatalf("RegisterIndividualEndUser = %+v, %v", ind, err)
	}
	if got := collect(t, "BusinessEndUsers", c.BusinessEndUsers(ctx, hercle.CursorQuery{PageSize: 5})); len(got) != 1 {
		t.Errorf("BusinessEndUsers = %d, want 1", len(got))
	}
	if got := collect(t, "IndividualEndUsers", c.IndividualEndUsers(ctx, hercle.CursorQuery{PageSize: 5})); len(got) != 1 {
		t.Errorf("IndividualEndUsers = %d, want 1", len(got))
	}
	acct, err := c.CreateDepositAccount(ctx, hercle.DepositAccountRequest{Asset: "EUR", Network: "Sepa", FiatAccountID: "fac_123abc456", EndUserID: ind.ID})
	if err != nil || !strings.HasPrefix(acct.RefAccountID, "vac_") {
		t.Fatalf("CreateDepositAccount = %+v, %v", acct, err)
	}
	if got := collect(t, "DepositAccounts", c.DepositAccounts(ctx, hercle.CursorQuery{PageSize: 5})); len(got) != 1 {
		t.Errorf("DepositAccounts = %d, want 1", len(got))
	}
	pin, err := c.SimulatePayIn(ctx, hercle.PayInRequest{Amount: hercle.MustNumber("789.31"), ToAddress: acct.RefAccountID,
		From: hercle.PayInSender{AccountHolderName: "Franco Martinelli", IBAN: "IT08L0300203280734472989658"}, FromType: "PERSON", PaymentScheme: "SCT", Reference: "deposit"})
	if err != nil || pin.DepositAddress != acct.RefAccountID {
		t.Fatalf("SimulatePayIn = %+v, %v", pin, err)
	}
	eq(t, "pay-in amount", pin.Amount, "789.31")
	var payees []hercle.Payee
	for i := range 7 {
		p, err := c.RegisterPayee(ctx, hercle.PayeeRequest{Type: hercle.PayeeIndividual, Name: "John" + string(rune('A'+i)), Surname: "Doe",
			Company: "Company Inc.", Country: "US", State: "CA", City: "San Francisco", Address: "123 Market St", PostalCode: "94103"})
		if err != nil {
			t.Fatal(err)
		}
		payees = append(payees, p)
	}
	if got := collect(t, "Payees", c.Payees(ctx, hercle.CursorQuery{PageSize: 5})); len(got) != 7 || got[6].ID != payees[6].ID {
		t.Errorf("Payees over two cursor pages = %d, want 7 in order", len(got))
	}
	pa, err := c.RegisterPayeeAddress(ctx, payees[0].ID, hercle.PayeeAddressRequest{Name: "main", Asset: "EUR", Address: "DE89370400440532013000",
		AddressParams: hercle.Params{"bic": "COBADEFFXXX"}, Network: "Sepa"})
	if err != nil || pa.PayeeID != payees[0].ID {
		t.Fatalf("RegisterPayeeAddress = %+v, %v", pa, err)
	}
	if got := collect(t, "PayeeAddresses", c.PayeeAddresses(ctx, payees[0].ID, hercle.CursorQuery{PageSize: 5})); len(got) != 1 {
		t.Errorf("PayeeAddresses = %d, want 1", len(got))
	}
	tr, trID, err := c.CreateTransfer(ctx, hercle.TransferRequest{Asset: "EUR", Amount: hercle.MustNumber("0.1"), InternalAddressID: dep.ID,
		PayeeAddressID: pa.ID, Description: "Payment for services"}, "")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "transfer amount", tr.Amount, "0.1")
	trs := collect(t, "Transfers", c.Transfers(ctx, hercle.TransferQuery{StartDate: start, EndDate: clk.Now().Add(time.Hour), TransferClientID: trID}))
	if len(trs) != 1 || trs[0].ID != tr.ID {
		t.Fatalf("Transfers(client id) = %+v", trs)
	}
	led, err := c.TransactionLedger(ctx, tr.ID)
	if err != nil || led.Type != "WITHDRAWAL" || led.Creditor == nil {
		t.Fatalf("TransactionLedger = %+v, %v", led, err)
	}
	eq(t, "ledger amount", led.Amount, "0.1")

	// Whitelist removal last: it is a DELETE with a body.
	rm, err := c.RemoveWhitelistedAddress(ctx, wl.AddressID)
	if err != nil || rm.AddressID != wl.AddressID {
		t.Fatalf("RemoveWhitelistedAddress = %+v, %v", rm, err)
	}
	if _, err := c.RemoveWhitelistedAddress(ctx, wl.AddressID); !isStatus(err, http.StatusNotFound) {
		t.Errorf("second RemoveWhitelistedAddress = %v, want 404", err)
	}
}

func isStatus(err error, status int) bool {
	var ae *hercle.APIError
	return errors.As(err, &ae) && ae.Status == status
}

// TestAmountsSurviveTheWire sends each amount in a request and reads it
// back from the response and from the venue, digit for digit.
func TestAmountsSurviveTheWire(t *testing.T) {
	srv, c, _ := startSim(t, sim.Options{Seed: seed, AutoApproveWhitelist: true,
		Balances: map[market.Asset]decimal.Decimal{"ETH": d("100000")}})
	ctx := t.Context()
	if _, err := c.WhitelistAddress(ctx, hercle.WhitelistRequest{Name: "w", Asset: "ETH", Address: "0xdead", Network: "Ethereum"}); err != nil {
		t.Fatal(err)
	}
	for _, amount := range []string{"0.1", "26844.07", "0.123456789012345678"} {
		w, id, err := c.Withdraw(ctx, hercle.WithdrawalRequest{Asset: "ETH", Amount: hercle.MustNumber(amount), Address: "0xdead", Network: "Ethereum"}, "")
		if err != nil {
			t.Fatalf("Withdraw(%s): %v", amount, err)
		}
		eq(t, "response amount", w.Amount, amount)
		got := srv.Venue().WithdrawalsByClientID(id)
		if len(got) != 1 || got[0].Amount.String() != amount {
			t.Errorf("venue recorded %+v, want amount %s", got, amount)
		}
		back, err := c.WithdrawalsByClientID(ctx, id)
		if err != nil || len(back) != 1 {
			t.Fatalf("WithdrawalsByClientID: %+v, %v", back, err)
		}
		eq(t, "lookup amount", back[0].Amount, amount)
	}
}

// TestDedupOnTheWire: with Dedup on, a repeated Client-Id returns the
// original response and executes nothing more, as the sandbox does.
func TestDedupOnTheWire(t *testing.T) {
	srv, c, _ := startSim(t, sim.Options{Seed: seed, Dedup: true})
	ctx := t.Context()
	q, err := c.Price(ctx, "ETHUSDT", d("0.1"))
	if err != nil {
		t.Fatal(err)
	}
	req := hercle.OrderRequest{PriceID: q.ID, Side: market.Sell, Slippage: hercle.MustNumber("0.5")}
	first, id, err := c.PlaceOrder(ctx, req, "")
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := c.PlaceOrder(ctx, req, id)
	if err != nil || again.TradeID != first.TradeID {
		t.Errorf("repeat = %+v, %v; want the original trade %s", again, err, first.TradeID)
	}
	if n := srv.Venue().Executions(id); n != 1 {
		t.Errorf("Executions = %d, want 1", n)
	}
}

// TestAPIErrorsFromTheSimulator: an unknown pair is a 404 *APIError whose
// Code the client reads from either documented error body.
func TestAPIErrorsFromTheSimulator(t *testing.T) {
	for _, flat := range []bool{false, true} {
		_, c, _ := startSim(t, sim.Options{Seed: seed, FlatErrors: flat})
		_, err := c.Price(t.Context(), "NOPE", d("1"))
		var ae *hercle.APIError
		if !errors.As(err, &ae) || ae.Status != 404 || (flat && ae.Code != "NOT_FOUND") || (!flat && ae.Code != "not_found") {
			t.Errorf("flat=%v unknown pair: %v", flat, err)
		}
	}
}

// TestMaintenanceWindowIsUnavailable: inside the venue's maintenance
// window a call fails with HTTP 503; after it, the same call succeeds.
func TestMaintenanceWindowIsUnavailable(t *testing.T) {
	// The clock starts on Wednesday 2025-12-03 09:00 UTC = 10:00 GMT+1.
	window := sim.WeeklyWindow(time.Wednesday, 10*time.Hour, time.Hour, time.FixedZone("GMT+1", 3600))
	_, c, clk := startSim(t, sim.Options{Seed: seed, Maintenance: window})
	if _, err := c.Pairs(t.Context()); !isStatus(err, http.StatusServiceUnavailable) {
		t.Errorf("Pairs in the window = %v, want 503", err)
	}
	clk.Advance(time.Hour)
	if _, err := c.Pairs(t.Context()); err != nil {
		t.Errorf("Pairs after the window = %v", err)
	}
}
