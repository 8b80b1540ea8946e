package sim_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
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

// Wire shapes of the replies the tests read, with the documented field
// names; amounts are decimals, never float64.
type (
	wirePair struct {
		Name    string          `json:"name"`
		MinSize decimal.Decimal `json:"minSize"`
	}
	wireSizeQuote struct {
		ID    string          `json:"id"`
		Pair  string          `json:"pair"`
		Price decimal.Decimal `json:"price"`
		Size  decimal.Decimal `json:"size"`
	}
	wireExecution struct {
		TradeID string          `json:"tradeId"`
		Side    string          `json:"side"`
		Pair    string          `json:"pair"`
		Price   decimal.Decimal `json:"price"`
		Size    decimal.Decimal `json:"size"`
		Status  int             `json:"status"` // 1: executed
	}
	wireRFQ struct {
		RequestForQuoteID string          `json:"requestForQuoteId"`
		Instrument        string          `json:"instrument"`
		Price             decimal.Decimal `json:"price"`
		Size              decimal.Decimal `json:"size"`
		Side              string          `json:"side"`
		ExpireDateTime    time.Time       `json:"expireDateTime"`
		RequestDateTime   time.Time       `json:"requestDateTime"`
	}
	wireOrder struct {
		OrderID        string          `json:"orderId"`
		ClientID       string          `json:"clientId"`
		QuantityFilled decimal.Decimal `json:"quantityFilled"`
		OrderStatus    int             `json:"orderStatus"`
	}
	wireTrade struct {
		ID             string          `json:"id"`
		ClientID       string          `json:"clientId"`
		Side           string          `json:"side"`
		QuantityFilled decimal.Decimal `json:"quantityFilled"`
	}
	wireWhitelisted struct {
		Status        int               `json:"status"` // 2: approved
		Enabled       bool              `json:"enabled"`
		Network       string            `json:"network"`
		AddressParams map[string]string `json:"addressParams"`
	}
	wireWithdrawal struct {
		ID                string            `json:"id"`
		ClientID          string            `json:"clientId"`
		Amount            decimal.Decimal   `json:"amount"`
		IsInstant         bool              `json:"isInstant"`
		Status            string            `json:"status"`
		DestinationParams map[string]string `json:"destinationParams"`
	}
	wireBalances struct {
		Assets []struct {
			Name      string          `json:"name"`
			Available decimal.Decimal `json:"available"`
			Allocated decimal.Decimal `json:"allocated"`
		} `json:"assets"`
	}
	wireTransaction struct {
		ID     string          `json:"id"`
		Amount decimal.Decimal `json:"amount"`
	}
	wireDepositAddress struct {
		ID      string `json:"id"`
		Asset   string `json:"asset"`
		Address string `json:"address"`
		Network string `json:"network"`
	}
	wirePayee struct {
		ID   string `json:"id"`
		Type int    `json:"type"` // 1: company
		City string `json:"city"`
	}
	wirePayeeAddress struct {
		ID            string            `json:"id"`
		PayeeID       string            `json:"payeeId"`
		Address       string            `json:"address"`
		AddressParams map[string]string `json:"addressParams"`
		Comment       string            `json:"comment"`
	}
	wireTransferReceipt struct {
		ID                string          `json:"id"`
		Amount            decimal.Decimal `json:"amount"`
		InternalAddressID string          `json:"internalAddressId"`
		PayeeAddressID    string          `json:"payeeAddressId"`
		Description       string          `json:"description"`
	}
	wireTransfer struct {
		ID       string `json:"id"`
		ClientID string `json:"clientId"`
		Status   string `json:"status"`
	}
	wireLedger struct {
		ID       string          `json:"id"`
		Asset    string          `json:"asset"`
		Amount   decimal.Decimal `json:"amount"`
		Type     string          `json:"type"`
		Creditor json.RawMessage `json:"creditor"`
	}
	wireInvoice struct {
		ID                    string `json:"id"`
		EncodedPaymentRequest string `json:"encodedPaymentRequest"`
		Memo                  string `json:"memo"`
		Status                string `json:"status"`
	}
	wireLightningPayment struct {
		PaymentID string          `json:"paymentId"`
		AmountBTC decimal.Decimal `json:"amountBTC"`
	}
)

// decodeBalances decodes a balance snapshot, an object or (the REST
// shape) a one-element list.
func decodeBalances(t *testing.T, e hubEnvelope, b *wireBalances) {
	t.Helper()
	if len(e.Data) == 0 || e.Data[0] != '[' {
		decodeData(t, e, b)
		return
	}
	var list []wireBalances
	if decodeData(t, e, &list); len(list) != 1 {
		t.Fatalf("%s: %d balance objects, want 1", e.Subject, len(list))
	}
	*b = list[0]
}

// commandReply sends method through the invoker and checks that the reply
// carried subject with data in the form the hub was configured for; it
// decodes the data into out (nil: not decoded).
func commandReply(t *testing.T, c *hubInvoker, form sim.HubEnvelope, subject string, out any, method, clientID string, args ...any) {
	t.Helper()
	e := c.call(t, method, clientID, args...)
	if e.Subject != subject {
		t.Fatalf("%s(%s): reply subject %q (data %s), want %q", method, clientID, e.Subject, e.Data, subject)
	}
	checkForm(t, e, form)
	if out != nil {
		decodeData(t, e, out)
	}
}

// TestHubEveryCommand sends every documented hub command (the reference's 35
// and the guide's WithdrawFunds) to the simulated hub through the test
// invoker, in each envelope form. Each reply must
// carry the command's subject and decode into the documented shape with the
// values the venue holds, and each command that changes something must have
// changed the venue: order executed, RFQ created and accepted, whitelist
// entries, withdrawals, deposit address, payee and its address, transfer,
// invoice, Lightning payment, subscription.
func TestHubEveryCommand(t *testing.T) {
	if len(documentedHubCommands) != 36 {
		t.Fatalf("%d documented commands listed, want 35 + WithdrawFunds", len(documentedHubCommands))
	}
	for _, form := range hubEnvelopes {
		t.Run("envelope="+form.String(), func(t *testing.T) {
			testEveryCommand(t, form)
		})
	}
}

func testEveryCommand(t *testing.T, form sim.HubEnvelope) {
	v, h, url := startHub(t, sim.HubOptions{Envelope: form, PriceInterval: 20 * time.Millisecond})
	c := dialHub(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := v.Now()
	from, to := now.Add(-time.Hour), now.Add(time.Hour)
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	reply := func(subject string, out any, method, clientID string, args ...any) {
		t.Helper()
		commandReply(t, c, form, subject, out, method, clientID, args...)
	}

	// Market data.
	var pairs []wirePair
	reply("execution.pairs", &pairs, "GetPairs", "every-pairs")
	if len(pairs) != len(v.Pairs()) || pairs[0].Name != v.Pairs()[0].Symbol || !pairs[0].MinSize.Equal(v.Pairs()[0].MinSize) {
		t.Errorf("GetPairs = %+v, want the venue's %+v", pairs, v.Pairs())
	}

	if err := c.invoke(ctx, "SubscribePairPriceChannel", "every-sub", "BTCUSDT", json.Number("0.01")); err != nil {
		t.Fatalf("SubscribePairPriceChannel: %v", err)
	}
	if got := h.Subscriptions(); len(got) != 1 || !slices.Equal(firstValue(got), []string{"BTCUSDT@0.01"}) {
		t.Errorf("hub subscriptions after SubscribePairPriceChannel = %v, want BTCUSDT@0.01", got)
	}
	var price wireSizeQuote // a price update's id, pair and size
	c.waitFor(t, 5*time.Second, "a BTCUSDT price", func(envs []hubEnvelope) bool {
		for _, e := range envs {
			var p struct {
				wireSizeQuote
				BuyPrice decimal.Decimal `json:"buyPrice"`
			}
			if e.Channel == "subscriptions" && e.Subject == "execution.feeds.priceUpdate" && json.Unmarshal(e.Data, &p) == nil &&
				p.Pair == "BTCUSDT" && p.ID != "" && p.Size.Equal(dec("0.01")) && p.BuyPrice.IsPositive() {
				price = p.wireSizeQuote
				return true
			}
		}
		return false
	})
	if err := c.invoke(ctx, "UnsubscribePairPriceChannel", "every-sub", "BTCUSDT", json.Number("0.01")); err != nil {
		t.Fatalf("UnsubscribePairPriceChannel: %v", err)
	}
	if got := h.Subscriptions(); len(firstValue(got)) != 0 {
		t.Errorf("hub subscriptions after UnsubscribePairPriceChannel = %v, want none", got)
	}

	var sq wireSizeQuote
	reply("execution.pair.price", &sq, "GetPairSizeByAmount", "every-size", "BTCUSDT", "buy", json.Number("1000"))
	if notional := sq.Size.Mul(sq.Price); sq.ID == "" || sq.Pair != "BTCUSDT" || notional.GreaterThan(dec("1000")) || notional.LessThan(dec("990")) {
		t.Errorf("GetPairSizeByAmount(1000 USDT) = %+v (notional %s), want a BTCUSDT size worth about 1000", sq, notional)
	}

	// Trading: an order on the streamed price, an RFQ of each kind, an accept.
	btc := available(v, "BTC")
	var x wireExecution
	reply("execution.order.executed", &x, "PlaceOtcOrder", "every-order", price.ID, "buy", json.Number("1"))
	if x.Status != 1 || x.Pair != "BTCUSDT" || !strings.EqualFold(x.Side, "buy") || !x.Size.Equal(dec("0.01")) || x.TradeID == "" {
		t.Errorf("PlaceOtcOrder = %+v, want BTCUSDT buy 0.01 executed", x)
	}
	if os := v.OrdersByClientID("every-order"); len(os) != 1 || os[0].ID != x.TradeID || os[0].Status != sim.StatusExecuted {
		t.Errorf("venue orders of every-order = %+v, want one executed, id %s", os, x.TradeID)
	}
	if got := available(v, "BTC"); !got.Equal(btc.Add(dec("0.01"))) {
		t.Errorf("BTC available after buying 0.01 = %s, want %s", got, btc.Add(dec("0.01")))
	}

	var rfq, rfq2 wireRFQ
	reply("account.requestForQuote.created", &rfq, "CreateRequestForQuote", "every-rfq", "ETHEUR", "sell", json.Number("1"), json.Number("0"))
	if vr, err := v.RFQ(rfq.RequestForQuoteID); err != nil || vr.Status != sim.StatusCreated || !vr.Price.Equal(rfq.Price) ||
		!rfq.Size.Equal(dec("1")) || !strings.EqualFold(rfq.Side, "sell") || rfq.Instrument == "" {
		t.Errorf("CreateRequestForQuote = %+v; venue RFQ = %+v, %v", rfq, vr, err)
	}
	reply("account.requestForQuote.created", &rfq2, "CreateRequestForQuoteWithCustomExpiration", "every-rfq2",
		"BTCEUR", "buy", json.Number("0.01"), json.Number("0"), 120)
	if vr, err := v.RFQ(rfq2.RequestForQuoteID); err != nil || vr.Expires.Sub(vr.Requested) != 120*time.Second ||
		rfq2.ExpireDateTime.Sub(rfq2.RequestDateTime) != 120*time.Second {
		t.Errorf("CreateRequestForQuoteWithCustomExpiration(120 s) = %+v; venue RFQ = %+v, %v", rfq2, vr, err)
	}
	eth := available(v, "ETH")
	var ax wireExecution
	reply("execution.order.executed", &ax, "AcceptRequestForQuote", "every-accept", rfq.RequestForQuoteID)
	if ax.Status != 1 || !ax.Price.Equal(rfq.Price) || !ax.Size.Equal(dec("1")) {
		t.Errorf("AcceptRequestForQuote = %+v, want executed at the RFQ's %s", ax, rfq.Price)
	}
	if vr, _ := v.RFQ(rfq.RequestForQuoteID); vr.Status != sim.StatusExecuted {
		t.Errorf("venue RFQ after accept: status %v, want executed", vr.Status)
	}
	if got := available(v, "ETH"); !got.Equal(eth.Sub(dec("1"))) {
		t.Errorf("ETH available after selling 1 = %s, want %s", got, eth.Sub(dec("1")))
	}

	// Order and trade history.
	var orders, byCID []wireOrder
	reply("account.orders.snapshot", &orders, "GetOrdersPaginated", "every-orders", stamp(from), stamp(to), 0, 50)
	if ids := orderClientIDs(orders); !slices.Contains(ids, "every-order") || !slices.Contains(ids, "every-accept") {
		t.Errorf("GetOrdersPaginated client ids = %v, want every-order and every-accept", ids)
	}
	reply("account.orders.snapshot", &byCID, "GetOrdersByClientId", "every-orders-cid", "every-order")
	if len(byCID) != 1 || byCID[0].OrderID != x.TradeID || byCID[0].OrderStatus != 1 || !byCID[0].QuantityFilled.Equal(dec("0.01")) {
		t.Errorf("GetOrdersByClientId(every-order) = %+v, want the executed order %s", byCID, x.TradeID)
	}
	venueTrades, _ := v.Trades(sim.Page{From: from, To: to, Page: 0, Size: 50})
	for _, q := range []struct{ method, cid string }{
		{"GetTradesPaginated", "every-trades"}, {"GetHistoricalTradesPaginated", "every-hist-trades"},
	} {
		var trades []wireTrade
		reply("account.trades.snapshot", &trades, q.method, q.cid, stamp(from), stamp(to), 0, 50)
		if len(trades) != 2 || len(venueTrades) != 2 || !slices.Contains(tradeIDs(trades), venueTrades[0].ID) {
			t.Errorf("%s = %+v, want the venue's two trades %+v", q.method, trades, venueTrades)
		}
	}
	var tr []wireTrade
	reply("account.trades.snapshot", &tr, "GetTradesByClientId", "every-trades-cid", "every-accept")
	if len(tr) != 1 || tr[0].ClientID != "every-accept" || !tr[0].QuantityFilled.Equal(dec("1")) || !strings.EqualFold(tr[0].Side, "sell") {
		t.Errorf("GetTradesByClientId(every-accept) = %+v, want the 1 ETH sale", tr)
	}

	testEveryMovementCommand(t, v, c, form, from, to)

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

// testEveryMovementCommand is the second half of testEveryCommand: the
// whitelist, withdrawals, balances, transactions, banking and Lightning.
func testEveryMovementCommand(t *testing.T, v *sim.Venue, c *hubInvoker, form sim.HubEnvelope, from, to time.Time) {
	t.Helper()
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	reply := func(subject string, out any, method, clientID string, args ...any) {
		t.Helper()
		commandReply(t, c, form, subject, out, method, clientID, args...)
	}

	// Whitelisting (approved by the venue's operator) and withdrawals.
	const btcAddr, usdtAddr = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9"
	var wl, wl2 struct {
		AddressID string `json:"addressId"`
	}
	reply("account.address.registered", &wl, "WhitelistAddress", "every-wl", "cold BTC", "BTC", btcAddr, "Bitcoin")
	reply("account.address.registered", &wl2, "WhitelistAddressWithParams", "every-wl2", "USDT with tag", "USDT", usdtAddr,
		map[string]string{"tag": "123456"}, "Tron")
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
	var wls []wireWhitelisted
	reply("account.externalAddresses.snapshot", &wls, "GetWhitelistedAddresses", "every-wls")
	if len(wls) != 2 || wls[0].Status != 2 || !wls[0].Enabled || wls[1].AddressParams["tag"] != "123456" || wls[1].Network != "Tron" {
		t.Errorf("GetWhitelistedAddresses = %+v, want both approved, the second with tag 123456", wls)
	}

	btc := available(v, "BTC")
	var w1, w2, w3 wireWithdrawal
	reply("account.withdraw.created", &w1, "WithdrawInstantFunds", "every-wd", "BTC", json.Number("0.1"), btcAddr, "Bitcoin")
	reply("account.withdraw.created", &w2, "WithdrawFundsWithAddressParams", "every-wd2", "USDT", json.Number("100"), usdtAddr,
		map[string]string{"tag": "123456"}, "Tron", false)
	reply("account.withdraw.created", &w3, "WithdrawFunds", "every-wd3", "BTC", json.Number("0.05"), btcAddr, "Bitcoin")
	for _, w := range []struct {
		got     wireWithdrawal
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
			w.got.Status != "CREATED" || w.got.DestinationParams["tag"] != w.tag {
			t.Errorf("reply to %s = %+v, want %s created, instant %v, tag %q", w.cid, w.got, w.amount, w.instant, w.tag)
		}
	}
	if got, want := available(v, "BTC"), btc.Sub(dec("0.15")); !got.Equal(want) {
		t.Errorf("BTC available after withdrawing 0.15 = %s, want %s", got, want)
	}
	var wds, wdc []wireWithdrawal
	reply("account.withdrawals.snapshot", &wds, "GetWithdrawalsPaginated", "every-wds", stamp(from), stamp(to), 0, 50)
	if len(wds) != 3 {
		t.Errorf("GetWithdrawalsPaginated = %+v, want the three withdrawals", wds)
	}
	reply("account.withdrawals.snapshot", &wdc, "GetWithdrawalsByClientId", "every-wds-cid", "every-wd3")
	if len(wdc) != 1 || wdc[0].ID != w3.ID {
		t.Errorf("GetWithdrawalsByClientId(every-wd3) = %+v, want %s", wdc, w3.ID)
	}

	// Balances and transactions reflect the trades and withdrawals.
	bal := c.call(t, "GetBalances", "every-bal")
	if bal.Subject != "account.balances.snapshot" {
		t.Errorf("GetBalances reply: subject %q, want account.balances.snapshot", bal.Subject)
	}
	checkForm(t, bal, form)
	var bals wireBalances
	decodeBalances(t, bal, &bals)
	for _, a := range v.Balances().Assets {
		found := false
		for _, got := range bals.Assets {
			if got.Name == string(a.Name) {
				found = got.Available.Equal(a.Available) && got.Allocated.Equal(a.Allocated)
			}
		}
		if !found {
			t.Errorf("GetBalances %s = %+v, want available %s allocated %s", a.Name, bals.Assets, a.Available, a.Allocated)
		}
	}
	venueTx, _ := v.Transactions(sim.Page{From: from, To: to, Page: 0, Size: 50})
	venueHist, _ := v.HistoricalTransactions(sim.Page{From: from, To: to, Page: 0, Size: 50})
	for _, q := range []struct {
		method, cid string
		want        []sim.Transaction
	}{
		{"GetTransactionsPaginated", "every-tx", venueTx},
		{"GetHistoricalTransactionsPaginated", "every-hist-tx", venueHist},
	} {
		var txs []wireTransaction
		reply("account.transactions.snapshot", &txs, q.method, q.cid, stamp(from), stamp(to), 0, 50)
		// Two trades of two legs each and three withdrawals, at least.
		if len(txs) < 7 || len(txs) != len(q.want) || txs[0].ID != q.want[0].ID || !txs[0].Amount.Equal(q.want[0].Amount) {
			t.Errorf("%s = %d transactions, want the venue's %d (at least 7)", q.method, len(txs), len(q.want))
		}
	}

	testEveryBankingCommand(t, v, c, form, from, to)
}

// testEveryBankingCommand covers the banking and Lightning commands: a
// deposit address, a payee with an address, a transfer, an invoice, a
// Lightning payment.
func testEveryBankingCommand(t *testing.T, v *sim.Venue, c *hubInvoker, form sim.HubEnvelope, from, to time.Time) {
	t.Helper()
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	reply := func(subject string, out any, method, clientID string, args ...any) {
		t.Helper()
		commandReply(t, c, form, subject, out, method, clientID, args...)
	}
	var da wireDepositAddress
	reply("account.internalAddress.created", &da, "CreateDepositAddress", "every-dep", "EUR", "SEPA")
	if vd := v.DepositAddresses(); len(vd) != 1 || vd[0].ID != da.ID || da.Asset != "EUR" || da.Address != vd[0].Address || da.Address == "" {
		t.Errorf("CreateDepositAddress = %+v; venue deposit addresses %+v", da, vd)
	}
	var das []wireDepositAddress
	reply("account.internalAddresses.snapshot", &das, "GetDepositAddress", "every-deps")
	if len(das) != 1 || das[0].ID != da.ID || das[0].Network != "SEPA" {
		t.Errorf("GetDepositAddress = %+v, want %s", das, da.ID)
	}
	var payee wirePayee
	reply("banking.payee.registered", &payee, "RegisterPayee", "every-payee", 1, "Jane", "Doe", "Acme GmbH", "DE", "BE", "Berlin", "Hauptstrasse 1", "10115")
	if vp, _ := v.Payees(sim.CursorQuery{Size: 50}); len(vp.Items) != 1 || vp.Items[0].ID != payee.ID || vp.Items[0].Company != "Acme GmbH" ||
		payee.Type != 1 || payee.City != "Berlin" {
		t.Errorf("RegisterPayee = %+v; venue payees %+v", payee, vp.Items)
	}
	var pa wirePayeeAddress
	reply("banking.payee.address.registered", &pa, "RegisterPayeeAddress", "every-payee-addr", payee.ID, "Acme EUR", "EUR", "DE89370400440532013000",
		map[string]string{"bic": "COBADEFFXXX"}, "SEPA", "main account")
	if vpa, _ := v.PayeeAddresses(payee.ID, sim.CursorQuery{Size: 50}); len(vpa.Items) != 1 || vpa.Items[0].ID != pa.ID ||
		pa.PayeeID != payee.ID || pa.AddressParams["bic"] != "COBADEFFXXX" || pa.Comment != "main account" {
		t.Errorf("RegisterPayeeAddress = %+v; venue payee addresses %+v", pa, vpa.Items)
	}
	var payees []wirePayee
	reply("banking.payees.snapshot", &payees, "GetPayeesPaginated", "every-payees", nil, nil, 0, 20)
	if len(payees) != 1 || payees[0].ID != payee.ID {
		t.Errorf("GetPayeesPaginated = %+v, want %s", payees, payee.ID)
	}
	var pas []wirePayeeAddress
	reply("banking.payee.addresses.snapshot", &pas, "GetPayeeAddressesPaginated", "every-payee-addrs", payee.ID, stamp(from), stamp(to), 0, 20)
	if len(pas) != 1 || pas[0].ID != pa.ID || pas[0].Address != "DE89370400440532013000" {
		t.Errorf("GetPayeeAddressesPaginated = %+v, want %s", pas, pa.ID)
	}
	eur := available(v, "EUR")
	var rc wireTransferReceipt
	reply("banking.transfer.created", &rc, "TransferFunds", "every-transfer", "EUR", json.Number("250"), da.ID, pa.ID, "invoice 42")
	vt, _ := v.Transfers(sim.TransferQuery{CursorQuery: sim.CursorQuery{Size: 50, From: from, To: to}, ClientID: "every-transfer"})
	if len(vt.Items) != 1 || vt.Items[0].ID != rc.ID || rc.InternalAddressID != da.ID || rc.PayeeAddressID != pa.ID ||
		!rc.Amount.Equal(dec("250")) || rc.Description != "invoice 42" {
		t.Errorf("TransferFunds = %+v; venue transfers of every-transfer %+v", rc, vt.Items)
	}
	if got := available(v, "EUR"); !got.Equal(eur.Sub(dec("250"))) {
		t.Errorf("EUR available after transferring 250 = %s, want %s", got, eur.Sub(dec("250")))
	}
	var tfs []wireTransfer
	reply("banking.transfers.snapshot", &tfs, "GetTransfersPaginated", "every-transfers", stamp(from), stamp(to), 0, 20)
	if len(tfs) != 1 || tfs[0].ID != rc.ID || tfs[0].ClientID != "every-transfer" || tfs[0].Status != "CREATED" {
		t.Errorf("GetTransfersPaginated = %+v, want %s", tfs, rc.ID)
	}
	var led wireLedger
	reply("ledger.transaction.details", &led, "GetTransactionLedger", "every-ledger", rc.ID)
	if led.ID != rc.ID || led.Asset != "EUR" || !led.Amount.Equal(dec("250")) || led.Type != "WITHDRAWAL" || len(led.Creditor) == 0 || string(led.Creditor) == "null" {
		t.Errorf("GetTransactionLedger(%s) = %+v, want the 250 EUR transfer", rc.ID, led)
	}

	// Lightning: an invoice to receive, a payment out.
	memo, hours := "every command", 2
	var inv wireInvoice
	reply("execution.invoice.created", &inv, "CreateLightningInvoice", "every-inv", json.Number("0.001"), memo, hours)
	if vi := v.Invoices(); len(vi) != 1 || vi[0].ID != inv.ID || vi[0].PaymentRequest != inv.EncodedPaymentRequest ||
		vi[0].Expires.Sub(vi[0].Created) != 2*time.Hour || !vi[0].AmountBTC.Equal(dec("0.001")) {
		t.Errorf("CreateLightningInvoice = %+v; venue invoices %+v", inv, vi)
	}
	var invs []wireInvoice
	reply("lightspark.invoices.snapshot", &invs, "GetLightningInvoices", "every-invs")
	if len(invs) != 1 || invs[0].ID != inv.ID || invs[0].Memo != memo || invs[0].Status != "OPEN" {
		t.Errorf("GetLightningInvoices = %+v, want %s", invs, inv.ID)
	}
	btc := available(v, "BTC")
	var lp wireLightningPayment
	reply("execution.withdrawal.lightspark.created", &lp, "WithdrawLightning", "every-ln", "lnbc20u1pjexamplepaymentrequest")
	if vw := v.WithdrawalsByClientID("every-ln"); len(vw) != 1 || vw[0].ID != lp.PaymentID || vw[0].Network != "Lightning" ||
		!lp.AmountBTC.Equal(dec("0.00002")) {
		t.Errorf("WithdrawLightning(20u) = %+v; venue withdrawals of every-ln %+v", lp, vw)
	}
	if got := available(v, "BTC"); !got.Equal(btc.Sub(dec("0.00002"))) {
		t.Errorf("BTC available after paying 20u = %s, want %s", got, btc.Sub(dec("0.00002")))
	}
}

func firstValue(m map[string][]string) []string {
	for _, v := range m {
		return v
	}
	return nil
}

func orderClientIDs(os []wireOrder) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ClientID
	}
	return out
}

func tradeIDs(ts []wireTrade) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}
