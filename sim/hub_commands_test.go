package sim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
	"github.com/shopspring/decimal"
)

// documentedHubCommands are the hub methods of the documentation site
// (hercle-docs/websocket-and-webhooks.md §3.1–3.34, 35 methods, in its
// order) and the help-center guide's WithdrawFunds (§4 of the guide), as
// the hub spells them. Written out here rather than taken from the client,
// so a command the client drops or misspells fails the test.
var documentedHubCommands = []string{
	"GetPairs", "SubscribePairPriceChannel", "UnsubscribePairPriceChannel", "GetPairSizeByAmount",
	"PlaceOtcOrder", "CreateRequestForQuote", "CreateRequestForQuoteWithCustomExpiration", "AcceptRequestForQuote",
	"GetOrdersPaginated", "GetOrdersByClientId", "GetTradesPaginated", "GetHistoricalTradesPaginated",
	"GetTradesByClientId", "GetTransactionsPaginated", "GetHistoricalTransactionsPaginated", "GetBalances",
	"WithdrawInstantFunds", "WithdrawFundsWithAddressParams", "GetWithdrawalsPaginated", "GetWithdrawalsByClientId",
	"WhitelistAddress", "WhitelistAddressWithParams", "GetWhitelistedAddresses", "CreateDepositAddress",
	"GetDepositAddress", "TransferFunds", "GetTransfersPaginated", "GetTransactionLedger", "RegisterPayee",
	"RegisterPayeeAddress", "GetPayeesPaginated", "GetPayeeAddressesPaginated", "CreateLightningInvoice",
	"GetLightningInvoices", "WithdrawLightning",
	"WithdrawFunds", // guide only
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// available returns the venue's free balance of asset.
func available(v *sim.Venue, asset market.Asset) decimal.Decimal {
	for _, a := range v.Balances().Assets {
		if a.Name == asset {
			return a.Available
		}
	}
	return decimal.Zero
}

// reply waits for the envelope the hub sent for clientID and checks that it
// carried subject with data in the form the hub was configured for.
func (e *events) reply(t *testing.T, clientID, subject string, asString bool) hub.Event {
	t.Helper()
	var got hub.Event
	e.waitFor(t, 5*time.Second, subject+" for "+clientID, func() bool {
		for _, ev := range e.evs {
			if ev.ClientID == clientID && ev.Subject == subject {
				got = ev
				return true
			}
		}
		return false
	})
	if got.DataWasString != asString {
		t.Errorf("%s for %s: DataWasString = %v, want %v", subject, clientID, got.DataWasString, asString)
	}
	return got
}

// TestHubEveryCommand sends every documented hub command (the reference's 35
// and the guide's WithdrawFunds) from the Go client to the simulated hub,
// with data sent as an object and as a string. Each reply must decode into
// its typed result with the values the venue holds, and each command that
// changes something must have changed the venue: order executed, RFQ created
// and accepted, whitelist entries, withdrawals, deposit address, payee and
// its address, transfer, invoice, Lightning payment, subscription.
func TestHubEveryCommand(t *testing.T) {
	if len(documentedHubCommands) != 36 {
		t.Fatalf("%d documented commands listed, want 35 + WithdrawFunds", len(documentedHubCommands))
	}
	if got, want := slices.Sorted(slices.Values(hub.Methods())), slices.Sorted(slices.Values(documentedHubCommands)); !slices.Equal(got, want) {
		t.Fatalf("hub.Methods() = %v, want the documented %v", got, want)
	}
	for _, asString := range []bool{false, true} {
		t.Run(map[bool]string{false: "data=object", true: "data=string"}[asString], func(t *testing.T) {
			testEveryCommand(t, asString)
		})
	}
}

func testEveryCommand(t *testing.T, asString bool) {
	v, h, url := startHub(t, sim.HubOptions{DataAsString: asString, PriceInterval: 20 * time.Millisecond})
	e := newEvents()
	c := runClient(t, e.config(url))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	must := func(method string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	now := v.Now()
	from, to := now.Add(-time.Hour), now.Add(time.Hour)

	// Market data.
	pairs, err := c.GetPairs(ctx, "every-pairs")
	must("GetPairs", err)
	e.reply(t, "every-pairs", hub.SubjectPairs, asString)
	if len(pairs) != len(v.Pairs()) || pairs[0].Name != v.Pairs()[0].Symbol || !pairs[0].MinSize.Equal(v.Pairs()[0].MinSize) {
		t.Errorf("GetPairs = %+v, want the venue's %+v", pairs, v.Pairs())
	}

	must("SubscribePairPriceChannel", c.SubscribePairPriceChannel(ctx, "every-sub", "BTCUSDT", hercle.MustNumber("0.01")))
	if got := h.Subscriptions(); len(got) != 1 || !slices.Equal(firstValue(got), []string{"BTCUSDT@0.01"}) {
		t.Errorf("hub subscriptions after SubscribePairPriceChannel = %v, want BTCUSDT@0.01", got)
	}
	var price hub.PriceUpdate
	e.waitFor(t, 5*time.Second, "a BTCUSDT price", func() bool {
		for _, p := range e.prices {
			if p.Pair == "BTCUSDT" && p.ID != "" && p.Size.Equal(dec("0.01")) && p.BuyPrice.IsPositive() {
				price = p
				return true
			}
		}
		return false
	})
	must("UnsubscribePairPriceChannel", c.UnsubscribePairPriceChannel(ctx, "every-sub", "BTCUSDT", hercle.MustNumber("0.01")))
	if got := h.Subscriptions(); len(firstValue(got)) != 0 {
		t.Errorf("hub subscriptions after UnsubscribePairPriceChannel = %v, want none", got)
	}

	sq, err := c.GetPairSizeByAmount(ctx, "every-size", "BTCUSDT", market.Buy, hercle.MustNumber("1000"))
	must("GetPairSizeByAmount", err)
	e.reply(t, "every-size", hub.SubjectPairPrice, asString)
	if notional := sq.Size.Mul(sq.Price.Decimal); sq.ID == "" || sq.Pair != "BTCUSDT" || notional.GreaterThan(dec("1000")) || notional.LessThan(dec("990")) {
		t.Errorf("GetPairSizeByAmount(1000 USDT) = %+v (notional %s), want a BTCUSDT size worth about 1000", sq, notional)
	}

	// Trading: an order on the streamed price, an RFQ of each kind, an accept.
	btc := available(v, "BTC")
	x, err := c.PlaceOtcOrder(ctx, "every-order", price.ID, market.Buy, hercle.MustNumber("1"))
	must("PlaceOtcOrder", err)
	e.reply(t, "every-order", hub.SubjectOrderExecuted, asString)
	if x.Status != hercle.OrderExecuted || x.Pair != "BTCUSDT" || x.Side != market.Buy || !x.Size.Equal(dec("0.01")) || x.TradeID == "" {
		t.Errorf("PlaceOtcOrder = %+v, want BTCUSDT buy 0.01 executed", x)
	}
	if os := v.OrdersByClientID("every-order"); len(os) != 1 || os[0].ID != x.TradeID || os[0].Status != sim.StatusExecuted {
		t.Errorf("venue orders of every-order = %+v, want one executed, id %s", os, x.TradeID)
	}
	if got := available(v, "BTC"); !got.Equal(btc.Add(dec("0.01"))) {
		t.Errorf("BTC available after buying 0.01 = %s, want %s", got, btc.Add(dec("0.01")))
	}

	rfq, err := c.CreateRequestForQuote(ctx, "every-rfq", "ETHEUR", market.Sell, hercle.MustNumber("1"), hercle.MustNumber("0"))
	must("CreateRequestForQuote", err)
	e.reply(t, "every-rfq", hub.SubjectRFQCreated, asString)
	if vr, err := v.RFQ(rfq.RequestForQuoteID); err != nil || vr.Status != sim.StatusCreated || !vr.Price.Equal(rfq.Price.Decimal) ||
		!rfq.Size.Equal(dec("1")) || rfq.Side != market.Sell || rfq.Instrument == "" {
		t.Errorf("CreateRequestForQuote = %+v; venue RFQ = %+v, %v", rfq, vr, err)
	}
	rfq2, err := c.CreateRequestForQuoteWithCustomExpiration(ctx, "every-rfq2", "BTCEUR", market.Buy, hercle.MustNumber("0.01"), hercle.MustNumber("0"), 120)
	must("CreateRequestForQuoteWithCustomExpiration", err)
	e.reply(t, "every-rfq2", hub.SubjectRFQCreated, asString)
	if vr, err := v.RFQ(rfq2.RequestForQuoteID); err != nil || vr.Expires.Sub(vr.Requested) != 120*time.Second ||
		rfq2.ExpireDateTime.Sub(rfq2.RequestDateTime.Time) != 120*time.Second {
		t.Errorf("CreateRequestForQuoteWithCustomExpiration(120 s) = %+v; venue RFQ = %+v, %v", rfq2, vr, err)
	}
	eth := available(v, "ETH")
	ax, err := c.AcceptRequestForQuote(ctx, "every-accept", rfq.RequestForQuoteID)
	must("AcceptRequestForQuote", err)
	e.reply(t, "every-accept", hub.SubjectOrderExecuted, asString)
	if ax.Status != hercle.OrderExecuted || !ax.Price.Equal(rfq.Price.Decimal) || !ax.Size.Equal(dec("1")) {
		t.Errorf("AcceptRequestForQuote = %+v, want executed at the RFQ's %s", ax, rfq.Price)
	}
	if vr, _ := v.RFQ(rfq.RequestForQuoteID); vr.Status != sim.StatusExecuted {
		t.Errorf("venue RFQ after accept: status %v, want executed", vr.Status)
	}
	if got := available(v, "ETH"); !got.Equal(eth.Sub(dec("1"))) {
		t.Errorf("ETH available after selling 1 = %s, want %s", got, eth.Sub(dec("1")))
	}

	// Order and trade history.
	orders, err := c.GetOrdersPaginated(ctx, "every-orders", from, to, 0, 50)
	must("GetOrdersPaginated", err)
	e.reply(t, "every-orders", hub.SubjectOrdersSnapshot, asString)
	if ids := orderClientIDs(orders); !slices.Contains(ids, "every-order") || !slices.Contains(ids, "every-accept") {
		t.Errorf("GetOrdersPaginated client ids = %v, want every-order and every-accept", ids)
	}
	byCID, err := c.GetOrdersByClientID(ctx, "every-orders-cid", "every-order")
	must("GetOrdersByClientId", err)
	e.reply(t, "every-orders-cid", hub.SubjectOrdersSnapshot, asString)
	if len(byCID) != 1 || byCID[0].OrderID != x.TradeID || byCID[0].OrderStatus != hercle.OrderExecuted || !byCID[0].QuantityFilled.Equal(dec("0.01")) {
		t.Errorf("GetOrdersByClientId(every-order) = %+v, want the executed order %s", byCID, x.TradeID)
	}
	venueTrades, _ := v.Trades(sim.Page{From: from, To: to, Page: 0, Size: 50})
	for _, q := range []struct {
		method, cid string
		call        func(cid string) ([]hercle.Trade, error)
	}{
		{"GetTradesPaginated", "every-trades", func(cid string) ([]hercle.Trade, error) { return c.GetTradesPaginated(ctx, cid, from, to, 0, 50) }},
		{"GetHistoricalTradesPaginated", "every-hist-trades", func(cid string) ([]hercle.Trade, error) {
			return c.GetHistoricalTradesPaginated(ctx, cid, from, to, 0, 50)
		}},
	} {
		cid := q.cid
		trades, err := q.call(cid)
		must(q.method, err)
		e.reply(t, cid, hub.SubjectTradesSnapshot, asString)
		if len(trades) != 2 || len(venueTrades) != 2 || !slices.Contains(tradeIDs(trades), venueTrades[0].ID) {
			t.Errorf("%s = %+v, want the venue's two trades %+v", q.method, trades, venueTrades)
		}
	}
	tr, err := c.GetTradesByClientID(ctx, "every-trades-cid", "every-accept")
	must("GetTradesByClientId", err)
	e.reply(t, "every-trades-cid", hub.SubjectTradesSnapshot, asString)
	if len(tr) != 1 || tr[0].ClientID != "every-accept" || !tr[0].QuantityFilled.Equal(dec("1")) || tr[0].Side != market.Sell {
		t.Errorf("GetTradesByClientId(every-accept) = %+v, want the 1 ETH sale", tr)
	}

	// Whitelisting (approved by the venue's operator) and withdrawals.
	const btcAddr, usdtAddr = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9"
	wl, err := c.WhitelistAddress(ctx, "every-wl", "cold BTC", "BTC", btcAddr, "Bitcoin")
	must("WhitelistAddress", err)
	e.reply(t, "every-wl", hub.SubjectAddressRegistered, asString)
	wl2, err := c.WhitelistAddressWithParams(ctx, "every-wl2", "USDT with tag", "USDT", usdtAddr, map[string]string{"tag": "123456"}, "Tron")
	must("WhitelistAddressWithParams", err)
	e.reply(t, "every-wl2", hub.SubjectAddressRegistered, asString)
	venueWL := v.WhitelistedAddresses()
	if len(venueWL) != 2 || venueWL[0].ID != wl.AddressID || venueWL[0].Address != btcAddr || venueWL[0].Status != sim.AddressPending ||
		venueWL[1].ID != wl2.AddressID || venueWL[1].Params["tag"] != "123456" {
		t.Errorf("venue whitelist = %+v, want %s (BTC) and %s (USDT, tag 123456) pending", venueWL, wl.AddressID, wl2.AddressID)
	}
	for _, id := range []string{wl.AddressID, wl2.AddressID} {
		if err := v.ApproveWhitelist(id); err != nil {
			t.Fatal(err)
		}
	}
	wls, err := c.GetWhitelistedAddresses(ctx, "every-wls")
	must("GetWhitelistedAddresses", err)
	e.reply(t, "every-wls", hub.SubjectExternalAddressesSnapshot, asString)
	if len(wls) != 2 || wls[0].Status != hercle.AddressApproved || !wls[0].Enabled || wls[1].AddressParams["tag"] != "123456" || wls[1].Network != "Tron" {
		t.Errorf("GetWhitelistedAddresses = %+v, want both approved, the second with tag 123456", wls)
	}

	btc = available(v, "BTC")
	w1, err := c.WithdrawInstantFunds(ctx, "every-wd", "BTC", hercle.MustNumber("0.1"), btcAddr, "Bitcoin")
	must("WithdrawInstantFunds", err)
	e.reply(t, "every-wd", hub.SubjectWithdrawCreated, asString)
	w2, err := c.WithdrawFundsWithAddressParams(ctx, "every-wd2", "USDT", hercle.MustNumber("100"), usdtAddr, map[string]string{"tag": "123456"}, "Tron", false)
	must("WithdrawFundsWithAddressParams", err)
	e.reply(t, "every-wd2", hub.SubjectWithdrawCreated, asString)
	w3, err := c.WithdrawFunds(ctx, "every-wd3", "BTC", hercle.MustNumber("0.05"), btcAddr, "Bitcoin")
	must("WithdrawFunds", err)
	e.reply(t, "every-wd3", hub.SubjectWithdrawCreated, asString)
	for _, w := range []struct {
		got     hercle.Withdrawal
		cid     string
		amount  string
		instant bool
		tag     string
	}{{w1, "every-wd", "0.1", true, ""}, {w2, "every-wd2", "100", false, "123456"}, {w3, "every-wd3", "0.05", false, ""}} {
		vw := v.WithdrawalsByClientID(w.cid)
		if len(vw) != 1 || vw[0].ID != w.got.ID || !vw[0].Amount.Equal(dec(w.amount)) || vw[0].Instant != w.instant || vw[0].Params["tag"] != w.tag {
			t.Errorf("venue withdrawals of %s = %+v, want one of %s, instant %v, tag %q", w.cid, vw, w.amount, w.instant, w.tag)
		}
		if w.got.ClientID != w.cid || !w.got.Amount.Equal(dec(w.amount)) || w.got.IsInstant != w.instant ||
			w.got.Status != hercle.MovementCreated || w.got.DestinationParams["tag"] != w.tag {
			t.Errorf("reply to %s = %+v, want %s created, instant %v, tag %q", w.cid, w.got, w.amount, w.instant, w.tag)
		}
	}
	if got, want := available(v, "BTC"), btc.Sub(dec("0.15")); !got.Equal(want) {
		t.Errorf("BTC available after withdrawing 0.15 = %s, want %s", got, want)
	}
	wds, err := c.GetWithdrawalsPaginated(ctx, "every-wds", from, to, 0, 50)
	must("GetWithdrawalsPaginated", err)
	e.reply(t, "every-wds", hub.SubjectWithdrawalsSnapshot, asString)
	if len(wds) != 3 {
		t.Errorf("GetWithdrawalsPaginated = %+v, want the three withdrawals", wds)
	}
	wdc, err := c.GetWithdrawalsByClientID(ctx, "every-wds-cid", "every-wd3")
	must("GetWithdrawalsByClientId", err)
	e.reply(t, "every-wds-cid", hub.SubjectWithdrawalsSnapshot, asString)
	if len(wdc) != 1 || wdc[0].ID != w3.ID {
		t.Errorf("GetWithdrawalsByClientId(every-wd3) = %+v, want %s", wdc, w3.ID)
	}

	// Balances and transactions reflect the trades and withdrawals.
	bal, err := c.GetBalances(ctx, "every-bal")
	must("GetBalances", err)
	e.reply(t, "every-bal", hub.SubjectBalancesSnapshot, asString)
	for _, a := range v.Balances().Assets {
		got, ok := bal.Asset(string(a.Name))
		if !ok || !got.Available.Equal(a.Available) || !got.Allocated.Equal(a.Allocated) {
			t.Errorf("GetBalances %s = %+v, want available %s allocated %s", a.Name, got, a.Available, a.Allocated)
		}
	}
	venueTx, _ := v.Transactions(sim.Page{From: from, To: to, Page: 0, Size: 50})
	venueHist, _ := v.HistoricalTransactions(sim.Page{From: from, To: to, Page: 0, Size: 50})
	for _, q := range []struct {
		method, cid string
		want        []sim.Transaction
		call        func(cid string) ([]hercle.Transaction, error)
	}{
		{"GetTransactionsPaginated", "every-tx", venueTx, func(cid string) ([]hercle.Transaction, error) {
			return c.GetTransactionsPaginated(ctx, cid, from, to, 0, 50)
		}},
		{"GetHistoricalTransactionsPaginated", "every-hist-tx", venueHist, func(cid string) ([]hercle.Transaction, error) {
			return c.GetHistoricalTransactionsPaginated(ctx, cid, from, to, 0, 50)
		}},
	} {
		cid := q.cid
		txs, err := q.call(cid)
		must(q.method, err)
		e.reply(t, cid, hub.SubjectTransactionsSnapshot, asString)
		// Two trades of two legs each and three withdrawals, at least.
		if len(txs) < 7 || len(txs) != len(q.want) || txs[0].ID != q.want[0].ID || !txs[0].Amount.Equal(q.want[0].Amount) {
			t.Errorf("%s = %d transactions, want the venue's %d (at least 7)", q.method, len(txs), len(q.want))
		}
	}

	// Banking: a deposit address, a payee with an address, a transfer.
	da, err := c.CreateDepositAddress(ctx, "every-dep", "EUR", "SEPA")
	must("CreateDepositAddress", err)
	e.reply(t, "every-dep", hub.SubjectInternalAddressCreated, asString)
	if vd := v.DepositAddresses(); len(vd) != 1 || vd[0].ID != da.ID || da.Asset != "EUR" || da.Address != vd[0].Address || da.Address == "" {
		t.Errorf("CreateDepositAddress = %+v; venue deposit addresses %+v", da, vd)
	}
	das, err := c.GetDepositAddress(ctx, "every-deps")
	must("GetDepositAddress", err)
	e.reply(t, "every-deps", hub.SubjectInternalAddressesSnapshot, asString)
	if len(das) != 1 || das[0].ID != da.ID || das[0].Network != "SEPA" {
		t.Errorf("GetDepositAddress = %+v, want %s", das, da.ID)
	}
	payee, err := c.RegisterPayee(ctx, "every-payee", hercle.PayeeCompany, "Jane", "Doe", "Acme GmbH", "DE", "BE", "Berlin", "Hauptstrasse 1", "10115")
	must("RegisterPayee", err)
	e.reply(t, "every-payee", hub.SubjectPayeeRegistered, asString)
	if vp, _ := v.Payees(sim.CursorQuery{Size: 50}); len(vp.Items) != 1 || vp.Items[0].ID != payee.ID || vp.Items[0].Company != "Acme GmbH" ||
		payee.Type != hercle.PayeeCompany || payee.City != "Berlin" {
		t.Errorf("RegisterPayee = %+v; venue payees %+v", payee, vp.Items)
	}
	pa, err := c.RegisterPayeeAddress(ctx, "every-payee-addr", payee.ID, "Acme EUR", "EUR", "DE89370400440532013000",
		map[string]string{"bic": "COBADEFFXXX"}, "SEPA", "main account")
	must("RegisterPayeeAddress", err)
	e.reply(t, "every-payee-addr", hub.SubjectPayeeAddressRegistered, asString)
	if vpa, _ := v.PayeeAddresses(payee.ID, sim.CursorQuery{Size: 50}); len(vpa.Items) != 1 || vpa.Items[0].ID != pa.ID ||
		pa.PayeeID != payee.ID || pa.AddressParams["bic"] != "COBADEFFXXX" || pa.Comment != "main account" {
		t.Errorf("RegisterPayeeAddress = %+v; venue payee addresses %+v", pa, vpa.Items)
	}
	payees, err := c.GetPayeesPaginated(ctx, "every-payees", nil, nil, 0, 20)
	must("GetPayeesPaginated", err)
	e.reply(t, "every-payees", hub.SubjectPayeesSnapshot, asString)
	if len(payees) != 1 || payees[0].ID != payee.ID {
		t.Errorf("GetPayeesPaginated = %+v, want %s", payees, payee.ID)
	}
	pas, err := c.GetPayeeAddressesPaginated(ctx, "every-payee-addrs", payee.ID, &from, &to, 0, 20)
	must("GetPayeeAddressesPaginated", err)
	e.reply(t, "every-payee-addrs", hub.SubjectPayeeAddressesSnapshot, asString)
	if len(pas) != 1 || pas[0].ID != pa.ID || pas[0].Address != "DE89370400440532013000" {
		t.Errorf("GetPayeeAddressesPaginated = %+v, want %s", pas, pa.ID)
	}
	eur := available(v, "EUR")
	rc, err := c.TransferFunds(ctx, "every-transfer", "EUR", hercle.MustNumber("250"), da.ID, pa.ID, "invoice 42")
	must("TransferFunds", err)
	e.reply(t, "every-transfer", hub.SubjectTransferCreated, asString)
	vt, _ := v.Transfers(sim.TransferQuery{CursorQuery: sim.CursorQuery{Size: 50, From: from, To: to}, ClientID: "every-transfer"})
	if len(vt.Items) != 1 || vt.Items[0].ID != rc.ID || rc.InternalAddressID != da.ID || rc.PayeeAddressID != pa.ID ||
		!rc.Amount.Equal(dec("250")) || rc.Description != "invoice 42" {
		t.Errorf("TransferFunds = %+v; venue transfers of every-transfer %+v", rc, vt.Items)
	}
	if got := available(v, "EUR"); !got.Equal(eur.Sub(dec("250"))) {
		t.Errorf("EUR available after transferring 250 = %s, want %s", got, eur.Sub(dec("250")))
	}
	tfs, err := c.GetTransfersPaginated(ctx, "every-transfers", from, to, 0, 20)
	must("GetTransfersPaginated", err)
	e.reply(t, "every-transfers", hub.SubjectTransfersSnapshot, asString)
	if len(tfs) != 1 || tfs[0].ID != rc.ID || tfs[0].ClientID != "every-transfer" || tfs[0].Status != hercle.MovementCreated {
		t.Errorf("GetTransfersPaginated = %+v, want %s", tfs, rc.ID)
	}
	led, err := c.GetTransactionLedger(ctx, "every-ledger", rc.ID)
	must("GetTransactionLedger", err)
	e.reply(t, "every-ledger", hub.SubjectLedgerDetails, asString)
	if led.ID != rc.ID || led.Asset != "EUR" || !led.Amount.Equal(dec("250")) || led.Type != "WITHDRAWAL" || led.Creditor == nil {
		t.Errorf("GetTransactionLedger(%s) = %+v, want the 250 EUR transfer", rc.ID, led)
	}

	// Lightning: an invoice to receive, a payment out.
	memo, hours := "every command", 2
	inv, err := c.CreateLightningInvoice(ctx, "every-inv", hercle.MustNumber("0.001"), &memo, &hours)
	must("CreateLightningInvoice", err)
	e.reply(t, "every-inv", hub.SubjectInvoiceCreated, asString)
	if vi := v.Invoices(); len(vi) != 1 || vi[0].ID != inv.ID || vi[0].PaymentRequest != inv.EncodedPaymentRequest ||
		vi[0].Expires.Sub(vi[0].Created) != 2*time.Hour || !vi[0].AmountBTC.Equal(dec("0.001")) {
		t.Errorf("CreateLightningInvoice = %+v; venue invoices %+v", inv, vi)
	}
	invs, err := c.GetLightningInvoices(ctx, "every-invs")
	must("GetLightningInvoices", err)
	e.reply(t, "every-invs", hub.SubjectInvoicesSnapshot, asString)
	if len(invs) != 1 || invs[0].ID != inv.ID || invs[0].Memo != memo || invs[0].Status != "OPEN" {
		t.Errorf("GetLightningInvoices = %+v, want %s", invs, inv.ID)
	}
	btc = available(v, "BTC")
	lp, err := c.WithdrawLightning(ctx, "every-ln", "lnbc20u1pjexamplepaymentrequest")
	must("WithdrawLightning", err)
	e.reply(t, "every-ln", hub.SubjectLightningWithdrawalCreated, asString)
	if vw := v.WithdrawalsByClientID("every-ln"); len(vw) != 1 || vw[0].ID != lp.PaymentID || vw[0].Network != "Lightning" ||
		!lp.AmountBTC.Equal(dec("0.00002")) {
		t.Errorf("WithdrawLightning(20u) = %+v; venue withdrawals of every-ln %+v", lp, vw)
	}
	if got := available(v, "BTC"); !got.Equal(btc.Sub(dec("0.00002"))) {
		t.Errorf("BTC available after paying 20u = %s, want %s", got, btc.Sub(dec("0.00002")))
	}

	// Every money-moving command was applied exactly once, and the hub
	// received every documented command, each once, in the separate form.
	for _, cid := range []string{"every-order", "every-accept", "every-wd", "every-wd2", "every-wd3", "every-transfer", "every-ln"} {
		if n := v.Executions(cid); n != 1 {
			t.Errorf("venue executions of %s = %d, want 1", cid, n)
		}
	}
	forms := h.ArgumentForms()
	for _, m := range documentedHubCommands {
		if f := forms[m]; f != [2]int{1, 0} {
			t.Errorf("hub received %s %v times [separate array], want [1 0]", m, f)
		}
	}
}

func firstValue(m map[string][]string) []string {
	for _, v := range m {
		return v
	}
	return nil
}

func orderClientIDs(os []hercle.Order) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ClientID
	}
	return out
}

func tradeIDs(ts []hercle.Trade) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
