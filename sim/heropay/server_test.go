package heropay

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
)

// These tests speak to the simulator with its own signing only: they check
// the simulator against the document, not against the client.

const (
	testKey    = "heropay-test-key-not-real"
	testSecret = "heropay-test-secret-not-real"
)

// heard is one callback as a receiver checked it.
type heard struct {
	order, sequence string
	kind            Kind
	status          Status
}

type rig struct {
	t     *testing.T
	ctx   context.Context
	clock *clock.Manual
	srv   *Server
	cbURL string
	heard chan heard
}

// newRig starts a simulator and a callback receiver that refuses (and
// fails the test on) any callback not signed as the document says or not
// sent in JSON.stringify form.
func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with the options adjusted by opt, which is given
// the callback receiver's URL.
func newRigWith(t *testing.T, opt func(o *Options, cbURL string)) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	const seed = 3
	t.Logf("simulator seed %d", seed)
	r := &rig{t: t, ctx: ctx, clock: clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)), heard: make(chan heard, 256)}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		norm, err := stringify(body)
		var p paymentWire
		switch {
		case err != nil || !bytes.Equal(norm, body):
			t.Errorf("callback body %q is not in JSON.stringify form (%v)", body, err)
		case !signed(testSecret, body, req.Header.Get(SignHeader)):
			t.Errorf("callback %q: x-api-sign %q is not its signature", body, req.Header.Get(SignHeader))
		case json.Unmarshal(body, &p) != nil:
			t.Errorf("callback %q does not decode", body)
		default:
			r.heard <- heard{p.ExternalOrderID, p.Sequence, p.Type, p.Status}
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(cb.Close)
	r.cbURL = cb.URL
	opts := Options{APIKey: testKey, APISecret: testSecret, Clock: r.clock.Clock(), Seed: seed, Balance: decimal.NewFromInt(1000)}
	if opt != nil {
		opt(&opts, cb.URL)
	}
	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r.srv = srv
	return r
}

// call sends a request signed as the document says: over the body's
// JSON.stringify form for a POST, over the raw query for a GET. sig, when
// not empty, replaces the signature.
func (r *rig) call(method, path, body, sig string) (int, map[string]any) {
	r.t.Helper()
	u, err := http.NewRequestWithContext(r.ctx, method, r.srv.URL()+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	if sig == "" {
		msg := []byte(u.URL.RawQuery)
		if method == http.MethodPost {
			if msg, err = stringify([]byte(body)); err != nil {
				r.t.Fatal(err)
			}
		}
		sig = signature(testSecret, msg)
	}
	u.Header.Set(KeyHeader, testKey)
	u.Header.Set(SignHeader, sig)
	resp, err := http.DefaultClient.Do(u)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		r.t.Fatalf("%s %s: answer does not decode: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// next waits for the next callback and checks it.
func (r *rig) next(want heard) {
	r.t.Helper()
	select {
	case got := <-r.heard:
		if got != want {
			r.t.Fatalf("callback %+v, want %+v", got, want)
		}
	case <-r.ctx.Done():
		r.t.Fatalf("callback %+v never came", want)
	}
}

func TestRequestsMustBeSignedAsTheDocumentSays(t *testing.T) {
	r := newRig(t)
	if st, out := r.call(http.MethodGet, pathBalanceV2, "", ""); st != http.StatusOK || out["amount"] != 1000.0 {
		t.Fatalf("GET balance signed over the empty query = %d %v, want 200 and 1000", st, out)
	}
	if st, _ := r.call(http.MethodGet, pathMinAmount+"?currency=BTC", "", ""); st != http.StatusOK {
		t.Fatalf("GET min-amount signed over %q = %d, want 200", "currency=BTC", st)
	}
	good := signature(testSecret, []byte("currency=BTC"))
	for name, sig := range map[string]string{
		"over the query with its ?": signature(testSecret, []byte("?currency=BTC")),
		"in upper-case hex":         strings.ToUpper(good),
		"with another secret":       signature(testSecret+"x", []byte("currency=BTC")),
		"over the empty string":     signature(testSecret, nil),
	} {
		if st, out := r.call(http.MethodGet, pathMinAmount+"?currency=BTC", "", sig); st != http.StatusUnauthorized {
			t.Errorf("GET signed %s = %d %v, want 401", name, st, out)
		}
	}

	// A POST body is signed in its JSON.stringify form: spacing and the
	// spelling of numbers do not matter, the signature of the raw text
	// does not do.
	raw := `{ "externalOrderId" : "d-1", "customerId": "c1", "currency": "BTC", "amount": 0.50,
		"callbackUrl": "` + r.cbURL + `" }`
	if st, out := r.call(http.MethodPost, pathDepositV2, raw, signature(testSecret, []byte(raw))); st != http.StatusUnauthorized {
		t.Fatalf("POST signed over the raw body = %d %v, want 401", st, out)
	}
	if st, out := r.call(http.MethodPost, pathDepositV2, `{"externalOrderId": 001}`, "x"); st != http.StatusBadRequest {
		t.Fatalf("POST of a body JSON.parse refuses = %d %v, want 400", st, out)
	}
	quoted := `{"externalOrderId":"d-2","customerId":"c1","currency":"USDT","amount":"5","address":"T1"}`
	if st, out := r.call(http.MethodPost, pathWithdrawalV2, quoted, ""); st != http.StatusBadRequest {
		t.Fatalf("POST with a quoted amount = %d %v, want 400", st, out)
	}
	if n := len(r.srv.Payments()); n != 0 {
		t.Fatalf("%d payments after refused requests, want 0", n)
	}
	st, out := r.call(http.MethodPost, pathDepositV2, raw, "")
	if st != http.StatusOK || out["status"] != "waiting" || out["amount"] != 0.5 || out["sequence"] != SequenceOriginal {
		t.Fatalf("POST signed over its stringified body = %d %v, want a waiting deposit of 0.5", st, out)
	}
	if st, out := r.call(http.MethodPost, pathDepositV2, raw, ""); st != http.StatusConflict {
		t.Fatalf("the same externalOrderId again = %d %v, want 409", st, out)
	}
}

// TestCallbacksFollowTheDocument drives each flow's deposits and
// withdrawals through the simulator's own progress, an expiry and a
// second payment to an address, and checks every callback: signed,
// stringified, and with a status listed for its flow and kind, in order.
func TestCallbacksFollowTheDocument(t *testing.T) {
	r := newRig(t)
	create := func(path, body string) map[string]any {
		t.Helper()
		st, out := r.call(http.MethodPost, path, body, "")
		if st != http.StatusOK {
			t.Fatalf("POST %s = %d %v", path, st, out)
		}
		return out
	}
	dep := func(order string) string {
		return `{"externalOrderId":"` + order + `","customerId":"c1","currency":"USDT","callbackUrl":"` + r.cbURL + `"}`
	}
	wd := func(order string) string {
		return `{"externalOrderId":"` + order + `","customerId":"c1","currency":"USDT","amount":10,"address":"T1","callbackUrl":"` + r.cbURL + `"}`
	}
	v2 := create(pathDepositV2, dep("v2-dep"))
	cus := create(pathDepositCustody, dep("cus-dep"))
	create(pathDepositV2, dep("v2-exp"))
	create(pathWithdrawalV2, wd("v2-wd"))
	create(pathWithdrawalCustody, wd("cus-wd"))
	if cus["status"] != string(StatusNew) {
		t.Fatalf("a Custody deposit starts %v, want new", cus["status"])
	}
	for _, a := range []any{v2["payAddress"], cus["payAddress"]} {
		if _, err := r.srv.Pay(a.(string), "USDT", decimal.NewFromInt(5)); err != nil {
			t.Fatal(err)
		}
	}
	r.next(heard{"v2-dep", SequenceOriginal, KindDeposit, StatusConfirming})
	r.next(heard{"cus-dep", SequenceOriginal, KindDeposit, StatusPending})
	want := []heard{
		{"v2-dep", SequenceOriginal, KindDeposit, StatusExchanging},
		{"cus-dep", SequenceOriginal, KindDeposit, StatusProcessing},
		{"v2-wd", SequenceOriginal, KindWithdrawal, StatusSending},
		{"cus-wd", SequenceOriginal, KindWithdrawal, StatusProcessing},
		{"v2-dep", SequenceOriginal, KindDeposit, StatusFinished},
		{"cus-dep", SequenceOriginal, KindDeposit, StatusFinished},
		{"v2-wd", SequenceOriginal, KindWithdrawal, StatusFinished},
		{"cus-wd", SequenceOriginal, KindWithdrawal, StatusFinished},
		{"v2-exp", SequenceOriginal, KindDeposit, StatusExpired},
	}
	r.clock.Advance(time.Minute)
	for _, w := range want[:4] {
		r.next(w)
	}
	r.clock.Advance(time.Minute)
	for _, w := range want[4:8] {
		r.next(w)
	}
	r.clock.Advance(4 * time.Hour)
	r.next(want[8])
	if got := r.srv.Balance(); !got.Equal(decimal.NewFromInt(1000 + 5 + 5 - 10 - 10)) {
		t.Errorf("balance %s, want 990", got)
	}

	// A second payment to a paid address: the first's externalOrderId
	// and callbackUrl, a sequence of its own.
	id, err := r.srv.Pay(v2["payAddress"].(string), "USDT", decimal.NewFromInt(1))
	if err != nil {
		t.Fatal(err)
	}
	got := <-r.heard
	if got.order != "v2-dep" || got.status != StatusConfirming || len(got.sequence) != 32 || got.sequence == SequenceOriginal {
		t.Fatalf("second payment's callback %+v, want v2-dep, confirming, a new 32-hex sequence", got)
	}
	flows := map[string]Flow{"v2-dep": FlowV2, "v2-exp": FlowV2, "v2-wd": FlowV2, "cus-dep": FlowCustody, "cus-wd": FlowCustody}
	for _, p := range r.srv.Payments() {
		if ClassOf(flows[p.ExternalOrderID], p.Type, p.Status) == Unlisted || p.Flow != flows[p.ExternalOrderID] {
			t.Errorf("payment %s (%s %s) is %q: not listed for it", p.ID, p.Flow, p.Type, p.Status)
		}
	}
	if st, out := r.call(http.MethodGet, pathStatusV2+"?externalOrderId=v2-dep&sequence="+got.sequence, "", ""); st != http.StatusOK || out["id"] != id {
		t.Errorf("status of the second payment = %d %v, want payment %s", st, out, id)
	}
	if st, _ := r.call(http.MethodGet, pathStatusCustody+"?externalOrderId=v2-dep", "", ""); st != http.StatusNotFound {
		t.Errorf("a V2 payment through the Custody status path = %d, want 404", st)
	}
}

// TestSetStatus: only statuses listed for the payment's flow and kind,
// never after a final one; a payment held stays held; a deposit is
// credited once whatever successful status it ends at.
func TestSetStatus(t *testing.T) {
	r := newRig(t)
	_, out := r.call(http.MethodPost, pathDepositCustody, `{"externalOrderId":"c-1","customerId":"c1","currency":"USDT"}`, "")
	cid := out["id"].(string)
	_, out = r.call(http.MethodPost, pathDepositV2, `{"externalOrderId":"v-1","customerId":"c1","currency":"USDT"}`, "")
	vid, addr := out["id"].(string), out["payAddress"].(string)
	if err := r.srv.SetStatus(cid, StatusRefunded); err == nil {
		t.Error("SetStatus(Custody deposit, refunded) = nil, want an error: not in its list")
	}
	if err := r.srv.SetStatus(cid, "settled"); err == nil {
		t.Error("SetStatus(settled) = nil, want an error")
	}
	if _, err := r.srv.Pay(addr, "USDT", decimal.NewFromInt(7)); err != nil {
		t.Fatal(err)
	}
	if err := r.srv.SetStatus(vid, StatusHold); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Hour)
	if p := r.payment(vid); p.Status != StatusHold {
		t.Fatalf("held deposit an hour later is %s, want hold", p.Status)
	}
	if err := r.srv.SetStatus(vid, StatusSending); err != nil { // success for a V2 deposit
		t.Fatal(err)
	}
	if err := r.srv.SetStatus(vid, StatusFinished); err == nil {
		t.Error("SetStatus after a final status = nil, want an error")
	}
	if got := r.srv.Balance(); !got.Equal(decimal.NewFromInt(1007)) {
		t.Errorf("balance %s, want 1007: the deposit credited once, at sending", got)
	}
}

func (r *rig) payment(id string) Payment {
	r.t.Helper()
	for _, p := range r.srv.Payments() {
		if p.ID == id {
			return p
		}
	}
	r.t.Fatalf("no payment %s", id)
	return Payment{}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0"} {
		if s, err := Start(context.Background(), Options{Addr: addr, APIKey: "k", APISecret: "s"}); err == nil {
			s.Close()
			t.Errorf("Start(%q) = nil, want an error: not loopback", addr)
		}
	}
	if _, err := Start(context.Background(), Options{}); err == nil {
		t.Error("Start without credentials = nil, want an error")
	}
}
