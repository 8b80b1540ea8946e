package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// replyCutter gives the invoker connections that lose the hub's reply to
// an armed Client-Id: the moment a frame carrying `"clientId":"<id>"`
// (escaped as `\"clientId\":\"<id>\"` in an envelope sent as a string)
// arrives, before the client reads it, the connection either drops without
// a close message (arm) or holds the bytes until released (armStall), as a
// stalled network would. Either way the hub has applied the command and
// sent its reply. The cut is made on the client's socket, so it is
// deterministic, unlike a drop raced against the reply.
type replyCutter struct {
	mu      sync.Mutex
	pattern [][]byte      // nil: pass everything; else any of them
	stall   chan struct{} // non-nil: hold the bytes until it is closed
	cuts    int
	hits    chan struct{} // poked on every cut or stall; made by hit
}

// waitHit waits until the armed frame has been cut or stalled: the hub has
// applied the command and sent its reply.
func (rc *replyCutter) waitHit(t *testing.T) {
	t.Helper()
	rc.mu.Lock()
	if rc.hits == nil {
		rc.hits = make(chan struct{}, 1)
	}
	hits := rc.hits
	rc.mu.Unlock()
	select {
	case <-hits:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the armed reply")
	}
}

// arm makes the next frame addressed to clientID the last on its connection.
func (rc *replyCutter) arm(clientID string) {
	rc.mu.Lock()
	rc.pattern, rc.stall = clientIDPatterns(clientID), nil
	rc.mu.Unlock()
}

// armStall holds the next frame addressed to clientID until release.
func (rc *replyCutter) armStall(clientID string) (release func()) {
	ch := make(chan struct{})
	rc.mu.Lock()
	rc.pattern, rc.stall = clientIDPatterns(clientID), ch
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
	if slices.ContainsFunc(rc.pattern, func(p []byte) bool { return bytes.Contains(window, p) }) {
		stall, rc.pattern, rc.stall = rc.stall, nil, nil
		rc.cuts++
		if rc.hits == nil {
			rc.hits = make(chan struct{}, 1)
		}
		select {
		case rc.hits <- struct{}{}:
		default:
		}
		return true, stall, nil
	}
	longest := 0
	for _, p := range rc.pattern {
		longest = max(longest, len(p))
	}
	return false, nil, window[max(0, len(window)-longest+1):]
}

// clientIDPatterns is how a frame names clientID: in an envelope object,
// or escaped in an envelope sent as a string.
func clientIDPatterns(clientID string) [][]byte {
	return [][]byte{[]byte(`"clientId":"` + clientID + `"`), []byte(`\"clientId\":\"` + clientID + `\"`)}
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

// TestHubLostReply: for every money-moving command, when the connection
// drops after the hub applied the command and before its reply reached
// the caller, a lookup by that Client-Id on a new connection finds the
// execution exactly once, the venue applied it once and the hub received
// the command once.
func TestHubLostReply(t *testing.T) {
	for _, form := range hubEnvelopes {
		t.Run("envelope="+form.String(), func(t *testing.T) {
			testLostReply(t, form)
		})
	}
}

func testLostReply(t *testing.T, form sim.HubEnvelope) {
	v, h, url := startHub(t, sim.HubOptions{Envelope: form})
	rc := &replyCutter{}
	look := dialHub(t, url, nil)
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

	// count looks cid up with method and counts the records carrying it.
	count := func(method, cid string, args ...any) int {
		var recs []struct {
			ClientID string `json:"clientId"`
		}
		decodeData(t, look.call(t, method, "look-"+cid, args...), &recs)
		n := 0
		for _, r := range recs {
			if r.ClientID == cid {
				n++
			}
		}
		return n
	}
	withdrawalsOf := func(cid string) int { return count("GetWithdrawalsByClientId", cid, cid) }
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	cases := []struct {
		method string
		cid    string
		args   []any
		lookup func(cid string) int // how many executions the hub reports for cid
	}{
		{"PlaceOtcOrder", "lost-order", []any{quote.ID, "buy", json.Number("1")},
			func(cid string) int { return count("GetOrdersByClientId", cid, cid) }},
		{"AcceptRequestForQuote", "lost-accept", []any{rfq.ID},
			func(cid string) int { return count("GetTradesByClientId", cid, cid) }},
		{"WithdrawInstantFunds", "lost-wd", []any{"BTC", json.Number("0.01"), btcAddr, "Bitcoin"}, withdrawalsOf},
		{"WithdrawFundsWithAddressParams", "lost-wd2", []any{"USDT", json.Number("10"), "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9",
			map[string]string{"tag": "7"}, "Tron", true}, withdrawalsOf},
		{"WithdrawFunds", "lost-wd3", []any{"BTC", json.Number("0.02"), btcAddr, "Bitcoin"}, withdrawalsOf},
		{"WithdrawLightning", "lost-ln", []any{"lnbc50u1pjlostreply"}, withdrawalsOf},
		{"TransferFunds", "lost-transfer", []any{"EUR", json.Number("100"), da.ID, pa.ID, "lost reply"},
			func(cid string) int { return count("GetTransfersPaginated", cid, stamp(from), stamp(to), 0, 50) }},
	}
	for _, tc := range cases {
		c := dialHub(t, url, rc.httpClient())
		rc.arm(tc.cid)
		_ = c.client.Invoke(tc.method, append([]any{tc.cid}, tc.args...)...) // its completion may never come
		rc.waitHit(t)
		c.mu.Lock()
		for _, e := range c.envs {
			if e.ClientID == tc.cid {
				t.Errorf("%s: the reply for %s reached the invoker; the connection was meant to drop before it", tc.method, tc.cid)
			}
		}
		c.mu.Unlock()
		if n := tc.lookup(tc.cid); n != 1 {
			t.Errorf("%s: lookup by Client-Id %s after the lost reply = %d; want exactly 1", tc.method, tc.cid, n)
		}
		if n := v.Executions(tc.cid); n != 1 {
			t.Errorf("%s: venue executions of %s = %d, want 1", tc.method, tc.cid, n)
		}
		if f := h.ArgumentForms()[tc.method]; f[0]+f[1] != 1 {
			t.Errorf("%s: hub received it %v times [separate array], want once", tc.method, f)
		}
	}
	if rc.cuts != len(cases) {
		t.Fatalf("%d connections cut, want %d", rc.cuts, len(cases))
	}
}

// TestHubLateReply: a withdrawal whose reply is held up on the way, the
// connection staying up, has been applied once while its reply is held;
// the reply arrives once released, and a lookup by Client-Id on the same
// connection finds the withdrawal once, received once.
func TestHubLateReply(t *testing.T) {
	v, h, url := startHub(t, sim.HubOptions{})
	rc := &replyCutter{}
	c := dialHub(t, url, rc.httpClient())
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
	_ = c.client.Invoke("WithdrawInstantFunds", "late-wd", "BTC", json.Number("0.01"), addr, "Bitcoin")
	rc.waitHit(t)
	if n := v.Executions("late-wd"); n != 1 {
		t.Fatalf("venue executions of late-wd while its reply is held = %d, want 1 (applied)", n)
	}
	release()
	e := c.reply(t, "late-wd")
	if e.Subject != "account.withdraw.created" {
		t.Fatalf("late reply = %+v, want account.withdraw.created", e)
	}
	checkForm(t, e, sim.EnvelopeString)
	var ws []struct {
		ClientID string `json:"clientId"`
	}
	decodeData(t, c.call(t, "GetWithdrawalsByClientId", "late-look", "late-wd"), &ws)
	if len(ws) != 1 || ws[0].ClientID != "late-wd" {
		t.Fatalf("lookup by Client-Id late-wd = %+v; want exactly 1", ws)
	}
	if f := h.ArgumentForms()["WithdrawInstantFunds"]; f[0]+f[1] != 1 {
		t.Errorf("hub received WithdrawInstantFunds %v times [separate array], want once", f)
	}
}
