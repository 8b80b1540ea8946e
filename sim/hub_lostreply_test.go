package sim_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// replyCutter gives the client connections that lose the hub's reply to
// an armed Client-Id: the moment a frame carrying `"clientId":"<id>"`
// arrives, before the client reads it, the connection either drops without
// a close message (arm) or holds the bytes until released (armStall), as a
// stalled network would. Either way the hub has applied the command and
// sent its reply. The cut is made on the client's socket, so it is
// deterministic, unlike a drop raced against the reply.
type replyCutter struct {
	mu      sync.Mutex
	pattern []byte        // nil: pass everything
	stall   chan struct{} // non-nil: hold the bytes until it is closed
	cuts    int
}

// arm makes the next frame addressed to clientID the last on its connection.
func (rc *replyCutter) arm(clientID string) {
	rc.mu.Lock()
	rc.pattern, rc.stall = []byte(`"clientId":"`+clientID+`"`), nil
	rc.mu.Unlock()
}

// armStall holds the next frame addressed to clientID until release.
func (rc *replyCutter) armStall(clientID string) (release func()) {
	ch := make(chan struct{})
	rc.mu.Lock()
	rc.pattern, rc.stall = []byte(`"clientId":"`+clientID+`"`), ch
	rc.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// hit reports whether window holds the armed pattern, disarming it if so
// (with the stall channel, if armed to stall), and returns the bytes to
// keep so a pattern split across reads is found.
func (rc *replyCutter) hit(window []byte) (cut bool, stall chan struct{}, keep []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.pattern == nil {
		return false, nil, nil
	}
	if bytes.Contains(window, rc.pattern) {
		stall, rc.pattern, rc.stall = rc.stall, nil, nil
		rc.cuts++
		return true, stall, nil
	}
	return false, nil, window[max(0, len(window)-len(rc.pattern)+1):]
}

func (rc *replyCutter) httpClient() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &cutConn{Conn: c, rc: rc}, nil
	}}}
}

type cutConn struct {
	net.Conn
	rc   *replyCutter
	tail []byte
}

func (c *cutConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		cut, stall, tail := c.rc.hit(append(c.tail, p[:n]...))
		switch {
		case cut && stall != nil:
			<-stall
		case cut:
			_ = c.Conn.Close()
			return 0, errors.New("test: connection cut before the reply")
		}
		c.tail = append(c.tail[:0], tail...)
	}
	return n, err
}

// TestHubLostReplyIsUnknownOutcome: for every money-moving command, a reply
// lost because the connection dropped after the hub applied the command
// surfaces as an *UnknownOutcomeError carrying the Client-Id; after the
// reconnect, a lookup by that Client-Id finds the execution exactly once,
// and the hub received the command once (nothing was re-sent). A query
// whose reply is lost is a plain error, not an unknown outcome.
func TestHubLostReplyIsUnknownOutcome(t *testing.T) {
	for _, asString := range []bool{false, true} {
		t.Run(map[bool]string{false: "data=object", true: "data=string"}[asString], func(t *testing.T) {
			testLostReply(t, asString)
		})
	}
}

func testLostReply(t *testing.T, asString bool) {
	v, h, url := startHub(t, sim.HubOptions{DataAsString: asString})
	e := newEvents()
	rc := &replyCutter{}
	cfg := e.config(url)
	cfg.HTTPClient = rc.httpClient()
	cfg.ReplyTimeout = 5 * time.Second
	c := runClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := v.Now()
	from, to := now.Add(-time.Hour), now.Add(time.Hour)

	// Set-up through the venue, not the hub: approved destinations, a
	// deposit address, a payee address, an RFQ and a price to order on.
	const btcAddr = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
	for _, w := range []sim.WhitelistRequest{
		{Name: "cold", Asset: "BTC", Address: btcAddr, Network: "Bitcoin"},
		{Name: "tagged", Asset: "USDT", Address: "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9", Network: "Tron", Params: map[string]string{"tag": "7"}},
	} {
		wa, err := v.WhitelistAddress(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.ApproveWhitelist(wa.ID); err != nil {
			t.Fatal(err)
		}
	}
	da, err := v.CreateDepositAddress("EUR", "SEPA")
	if err != nil {
		t.Fatal(err)
	}
	payee, err := v.RegisterPayee(sim.Payee{Type: sim.PayeeCompany, Name: "Jane", Company: "Acme", Country: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	pa, err := v.RegisterPayeeAddress(sim.PayeeAddress{PayeeID: payee.ID, Name: "Acme EUR", Asset: "EUR",
		Address: "DE89370400440532013000", Network: "SEPA", Params: map[string]string{"bic": "COBADEFFXXX"}})
	if err != nil {
		t.Fatal(err)
	}
	rfq, err := v.CreateRFQ(sim.RFQRequest{Pair: "ETHEUR", Side: market.Sell, Size: dec("1")})
	if err != nil {
		t.Fatal(err)
	}
	quote, err := v.Quote("BTCUSDT", dec("0.01"))
	if err != nil {
		t.Fatal(err)
	}

	withdrawalsOf := func(cid string) (int, error) {
		ws, err := c.GetWithdrawalsByClientID(ctx, "look-"+cid, cid)
		return len(ws), err
	}
	cases := []struct {
		method string
		cid    string
		call   func(cid string) error
		lookup func(cid string) (int, error) // how many executions the hub reports for cid
	}{
		{hub.MethodPlaceOtcOrder, "lost-order", func(cid string) error {
			_, err := c.PlaceOtcOrder(ctx, cid, quote.ID, market.Buy, hercle.MustNumber("1"))
			return err
		}, func(cid string) (int, error) {
			os, err := c.GetOrdersByClientID(ctx, "look-"+cid, cid)
			return len(os), err
		}},
		{hub.MethodAcceptRequestForQuote, "lost-accept", func(cid string) error {
			_, err := c.AcceptRequestForQuote(ctx, cid, rfq.ID)
			return err
		}, func(cid string) (int, error) {
			ts, err := c.GetTradesByClientID(ctx, "look-"+cid, cid)
			return len(ts), err
		}},
		{hub.MethodWithdrawInstantFunds, "lost-wd", func(cid string) error {
			_, err := c.WithdrawInstantFunds(ctx, cid, "BTC", hercle.MustNumber("0.01"), btcAddr, "Bitcoin")
			return err
		}, withdrawalsOf},
		{hub.MethodWithdrawFundsWithAddressParams, "lost-wd2", func(cid string) error {
			_, err := c.WithdrawFundsWithAddressParams(ctx, cid, "USDT", hercle.MustNumber("10"), "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9",
				map[string]string{"tag": "7"}, "Tron", true)
			return err
		}, withdrawalsOf},
		{hub.MethodWithdrawFunds, "lost-wd3", func(cid string) error {
			_, err := c.WithdrawFunds(ctx, cid, "BTC", hercle.MustNumber("0.02"), btcAddr, "Bitcoin")
			return err
		}, withdrawalsOf},
		{hub.MethodWithdrawLightning, "lost-ln", func(cid string) error {
			_, err := c.WithdrawLightning(ctx, cid, "lnbc50u1pjlostreply")
			return err
		}, withdrawalsOf},
		{hub.MethodTransferFunds, "lost-transfer", func(cid string) error {
			_, err := c.TransferFunds(ctx, cid, "EUR", hercle.MustNumber("100"), da.ID, pa.ID, "lost reply")
			return err
		}, func(cid string) (int, error) {
			ts, err := c.GetTransfersPaginated(ctx, "look-"+cid, from, to, 0, 50)
			n := 0
			for _, tr := range ts {
				if tr.ClientID == cid {
					n++
				}
			}
			return n, err
		}},
	}
	for i, tc := range cases {
		rc.arm(tc.cid)
		err := tc.call(tc.cid)
		var ue *hercle.UnknownOutcomeError
		if !errors.As(err, &ue) || ue.ClientID != tc.cid || !errors.Is(err, hercle.ErrOutcomeUnknown) ||
			!strings.Contains(ue.Op, tc.method) {
			t.Fatalf("%s with its reply lost: err = %v, want an *UnknownOutcomeError for %s", tc.method, err, tc.cid)
		}
		waitReconnects(t, e, c, i+1)
		if n, err := tc.lookup(tc.cid); err != nil || n != 1 {
			t.Errorf("%s: lookup by Client-Id %s after the lost reply = %d, %v; want exactly 1", tc.method, tc.cid, n, err)
		}
		if n := v.Executions(tc.cid); n != 1 {
			t.Errorf("%s: venue executions of %s = %d, want 1", tc.method, tc.cid, n)
		}
		if f := h.ArgumentForms()[tc.method]; f[0]+f[1] != 1 {
			t.Errorf("%s: hub received it %v times [separate array], want once: nothing may be re-sent", tc.method, f)
		}
	}
	if rc.cuts != len(cases) {
		t.Fatalf("%d connections cut, want %d", rc.cuts, len(cases))
	}

	// A query's lost reply is an error, but not an unknown outcome.
	rc.arm("lost-balances")
	_, err = c.GetBalances(ctx, "lost-balances")
	if err == nil || errors.Is(err, hercle.ErrOutcomeUnknown) {
		t.Errorf("GetBalances with its reply lost: err = %v, want an error that is not an unknown outcome", err)
	}
}

// waitReconnects waits until the client is connected again after its n-th
// reconnect.
func waitReconnects(t *testing.T, e *events, c *hub.Client, n int) {
	t.Helper()
	e.waitFor(t, 10*time.Second, "reconnect", func() bool {
		s := c.State()
		return s.Status == hub.Connected && s.Reconnects >= n
	})
}

// TestHubLateReplyIsUnknownOutcome: a withdrawal whose reply is held up
// past the caller's deadline, the connection staying up, is an
// *UnknownOutcomeError; the reply arriving later reaches OnEvent only, and
// a lookup by Client-Id finds the withdrawal once, sent once.
func TestHubLateReplyIsUnknownOutcome(t *testing.T) {
	v, h, url := startHub(t, sim.HubOptions{})
	e := newEvents()
	rc := &replyCutter{}
	cfg := e.config(url)
	cfg.HTTPClient = rc.httpClient()
	c := runClient(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const addr = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
	wa, err := v.WhitelistAddress(sim.WhitelistRequest{Name: "cold", Asset: "BTC", Address: addr, Network: "Bitcoin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ApproveWhitelist(wa.ID); err != nil {
		t.Fatal(err)
	}

	release := rc.armStall("late-wd")
	t.Cleanup(release)
	short, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.WithdrawInstantFunds(short, "late-wd", "BTC", hercle.MustNumber("0.01"), addr, "Bitcoin")
	scancel()
	var ue *hercle.UnknownOutcomeError
	if !errors.As(err, &ue) || ue.ClientID != "late-wd" {
		t.Fatalf("WithdrawInstantFunds with its reply held up: err = %v, want an *UnknownOutcomeError for late-wd", err)
	}
	if n := v.Executions("late-wd"); n != 1 {
		t.Fatalf("venue executions of late-wd while its reply is held = %d, want 1 (applied)", n)
	}
	release()
	e.reply(t, "late-wd", hub.SubjectWithdrawCreated, false)
	ws, err := c.GetWithdrawalsByClientID(ctx, "late-look", "late-wd")
	if err != nil || len(ws) != 1 || ws[0].ClientID != "late-wd" {
		t.Fatalf("lookup by Client-Id late-wd = %+v, %v; want exactly 1", ws, err)
	}
	if s := c.State(); s.Reconnects != 0 {
		t.Errorf("client reconnected %d times; the connection was meant to stay up", s.Reconnects)
	}
	if f := h.ArgumentForms()[hub.MethodWithdrawInstantFunds]; f[0]+f[1] != 1 {
		t.Errorf("hub received WithdrawInstantFunds %v times [separate array], want once", f)
	}
}
