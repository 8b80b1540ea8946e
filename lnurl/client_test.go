package lnurl_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/chaincfg"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/lnurl"
)

// t0 is the clock of every test: fixed, so expiry checks reproduce.
var t0 = time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)

// payee signs the test services' invoices with a fixed key.
var payee, _ = btcec.PrivKeyFromBytes(bytesOf(0x42))

func bytesOf(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b
	}
	return out
}

// bolt11 makes a signed invoice created at t0 on net with the zpay32
// options given (amount, description or its hash, expiry, n field).
func bolt11(t *testing.T, net *chaincfg.Params, created time.Time, opts ...func(*zpay32.Invoice)) string {
	t.Helper()
	inv, err := zpay32.NewInvoice(net, sha256.Sum256([]byte(created.String())), created, opts...)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := inv.Encode(zpay32.MessageSigner{SignCompact: func(msg []byte) ([]byte, error) {
		digest := sha256.Sum256(msg)
		return ecdsa.SignCompact(payee, digest[:], true)
	}})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// tamper flips one bit of an invoice's signature and keeps the bech32
// checksum valid, so only the signature check can catch it.
func tamper(t *testing.T, pr string) string {
	t.Helper()
	hrp, data, err := bech32.DecodeNoLimit(pr)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-20] ^= 1
	out, err := bech32.Encode(hrp, data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const testMeta = `[["text/plain","Top-up of the desk"],["text/identifier","desk@example.com"]]`

// service is an LNURL-pay service over TLS on loopback. Its zero
// behaviour is correct; the fields, set by newService's bend before it
// starts serving, bend it.
type service struct {
	srv       *httptest.Server
	base      string                  // https://127.0.0.1:port
	payReq    string                  // payRequest answer; "" builds a correct one
	status    int                     // status of every answer; 0 means 200
	answer    func(msat int64) string // callback answer; nil issues a correct invoice
	callbacks atomic.Int32
	query     atomic.Value // the callback's last raw query
}

func newService(t *testing.T, bend func(t *testing.T, s *service)) *service {
	s := &service{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/lnurlp/{name}", func(w http.ResponseWriter, r *http.Request) {
		body := s.payReq
		if body == "" {
			body = payRequestJSON(s.base+"/cb?id=7", 1000, 100_000_000_000, testMeta)
		}
		s.write(w, body)
	})
	mux.HandleFunc("GET /cb", func(w http.ResponseWriter, r *http.Request) {
		s.callbacks.Add(1)
		s.query.Store(r.URL.RawQuery)
		msat, err := strconv.ParseInt(r.URL.Query().Get("amount"), 10, 64)
		if err != nil {
			s.write(w, `{"status":"ERROR","reason":"bad amount"}`)
			return
		}
		if s.answer != nil {
			s.write(w, s.answer(msat))
			return
		}
		s.write(w, prJSON(bolt11(t, &chaincfg.MainNetParams, t0, zpay32.Amount(lnwire.MilliSatoshi(msat)),
			zpay32.DescriptionHash(sha256.Sum256([]byte(testMeta))))))
	})
	s.srv = httptest.NewUnstartedServer(mux)
	s.base = "https://" + s.srv.Listener.Addr().String()
	if bend != nil {
		bend(t, s)
	}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

func (s *service) write(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(max(s.status, http.StatusOK))
	w.Write([]byte(body))
}

// address is the service's Lightning Address.
func (s *service) address() string { return "desk@" + strings.TrimPrefix(s.base, "https://") }

func payRequestJSON(callback string, min, max int64, meta string) string {
	b, _ := json.Marshal(map[string]any{"tag": "payRequest", "callback": callback, "minSendable": min,
		"maxSendable": max, "metadata": meta})
	return string(b)
}

func prJSON(pr string) string { return fmt.Sprintf(`{"pr":%q,"routes":[]}`, pr) }

// client is an https-only client that trusts s's certificate, at t0.
func (s *service) client(t *testing.T, cfg lnurl.Config) *lnurl.Client {
	t.Helper()
	cfg.HTTPClient = s.srv.Client()
	if cfg.Clock == (clock.Clock{}) {
		cfg.Clock = clock.NewManual(t0).Clock()
	}
	c, err := lnurl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func btc(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestInvoice fetches an invoice over TLS from a Lightning Address and
// checks every field against what the service signed.
func TestInvoice(t *testing.T) {
	s := newService(t, nil)
	c := s.client(t, lnurl.Config{})
	inv, err := c.Invoice(ctx(t), s.address(), btc("0.0025"))
	if err != nil {
		t.Fatal(err)
	}
	wantHash := sha256.Sum256([]byte(testMeta))
	payment := sha256.Sum256([]byte(t0.String()))
	want := lnurl.Invoice{
		PaymentRequest:  inv.PaymentRequest,
		AmountMsat:      250_000_000,
		PaymentHash:     hex.EncodeToString(payment[:]),
		DescriptionHash: hex.EncodeToString(wantHash[:]),
		Description:     "Top-up of the desk",
		Payee:           hex.EncodeToString(payee.PubKey().SerializeCompressed()),
		Created:         t0,
		Expires:         t0.Add(time.Hour),
		Network:         lnurl.Mainnet,
	}
	if diff := gocmp.Diff(want, inv); diff != "" {
		t.Errorf("Invoice differs (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(inv.PaymentRequest, "lnbc2500u1") || !inv.AmountBTC().Equal(btc("0.0025")) {
		t.Errorf("pr %s for %s BTC, want lnbc2500u1… for 0.0025", inv.PaymentRequest, inv.AmountBTC())
	}
	if q, _ := s.query.Load().(string); q != "id=7&amount=250000000" {
		t.Errorf("callback query = %q, want the service's id=7 kept and amount=250000000 added", q)
	}
}

// TestInvoiceRefusals: each way a service or its invoice can be wrong is
// refused with the error a caller branches on, and nothing is asked that
// need not be.
func TestInvoiceRefusals(t *testing.T) {
	meta := sha256.Sum256([]byte(testMeta))
	good := func(t *testing.T, net *chaincfg.Params, msat int64, created time.Time, extra ...func(*zpay32.Invoice)) string {
		return bolt11(t, net, created, append([]func(*zpay32.Invoice){zpay32.Amount(lnwire.MilliSatoshi(msat)),
			zpay32.DescriptionHash(meta)}, extra...)...)
	}
	main := &chaincfg.MainNetParams
	const amount = "0.00001" // 1_000_000 msat
	for _, tc := range []struct {
		name       string
		bend       func(t *testing.T, s *service)
		amount     string
		want       error
		check      lnurl.Check // for ErrRefused
		noCallback bool        // refused before the callback is asked
	}{
		{name: "wrong amount", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string { return prJSON(good(t, main, msat+1, t0)) }
		}, want: lnurl.ErrRefused, check: lnurl.CheckAmount},
		{name: "no amount", bend: func(t *testing.T, s *service) {
			s.answer = func(int64) string { return prJSON(bolt11(t, main, t0, zpay32.DescriptionHash(meta))) }
		}, want: lnurl.ErrRefused, check: lnurl.CheckAmount},
		{name: "testnet invoice", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string { return prJSON(good(t, &chaincfg.TestNet3Params, msat, t0)) }
		}, want: lnurl.ErrRefused, check: lnurl.CheckNetwork},
		{name: "signet invoice", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string { return prJSON(good(t, &chaincfg.SigNetParams, msat, t0)) }
		}, want: lnurl.ErrRefused, check: lnurl.CheckNetwork},
		{name: "regtest invoice (lnbcrt starts with lnbc)", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string { return prJSON(good(t, &chaincfg.RegressionNetParams, msat, t0)) }
		}, want: lnurl.ErrRefused, check: lnurl.CheckNetwork},
		{name: "wrong description hash", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string {
				return prJSON(bolt11(t, main, t0, zpay32.Amount(lnwire.MilliSatoshi(msat)),
					zpay32.DescriptionHash(sha256.Sum256([]byte(testMeta+" ")))))
			}
		}, want: lnurl.ErrRefused, check: lnurl.CheckDescriptionHash},
		{name: "plain description", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string {
				return prJSON(bolt11(t, main, t0, zpay32.Amount(lnwire.MilliSatoshi(msat)), zpay32.Description("coffee")))
			}
		}, want: lnurl.ErrRefused, check: lnurl.CheckDescriptionHash},
		{name: "expired", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string { return prJSON(good(t, main, msat, t0.Add(-2*time.Hour))) }
		}, want: lnurl.ErrRefused, check: lnurl.CheckExpired},
		{name: "expires this instant", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string {
				return prJSON(good(t, main, msat, t0.Add(-10*time.Minute), zpay32.Expiry(10*time.Minute)))
			}
		}, want: lnurl.ErrRefused, check: lnurl.CheckExpired},
		{name: "bad signature", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string {
				return prJSON(tamper(t, good(t, main, msat, t0, zpay32.Destination(payee.PubKey()))))
			}
		}, want: lnurl.ErrRefused, check: lnurl.CheckMalformed},
		{name: "broken checksum", bend: func(t *testing.T, s *service) {
			s.answer = func(msat int64) string {
				pr := good(t, main, msat, t0)
				last := "q"
				if strings.HasSuffix(pr, "q") {
					last = "p"
				}
				return prJSON(pr[:len(pr)-1] + last)
			}
		}, want: lnurl.ErrRefused, check: lnurl.CheckMalformed},
		{name: "garbage pr", bend: func(t *testing.T, s *service) {
			s.answer = func(int64) string { return prJSON("lnbc10u1garbage") }
		}, want: lnurl.ErrRefused, check: lnurl.CheckMalformed},
		{name: "not an invoice", bend: func(t *testing.T, s *service) {
			s.answer = func(int64) string { return prJSON("bc1qpayme") }
		}, want: lnurl.ErrRefused, check: lnurl.CheckMalformed},
		{name: "below minSendable", amount: "0.000000009", want: lnurl.ErrAmount, noCallback: true},
		{name: "above maxSendable", amount: "1.00000000001", want: lnurl.ErrAmount, noCallback: true},
		{name: "finer than a millisatoshi", amount: "0.000000000001", want: lnurl.ErrAmount, noCallback: true},
		{name: "zero", amount: "0", want: lnurl.ErrAmount, noCallback: true},
		{name: "payRequest ERROR", bend: func(t *testing.T, s *service) {
			s.payReq = `{"status":"ERROR","reason":"no such user"}`
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "callback ERROR", bend: func(t *testing.T, s *service) {
			s.answer = func(int64) string { return `{"status":"ERROR","reason":"node offline"}` }
		}, want: lnurl.ErrEndpoint},
		{name: "withdrawRequest tag", bend: func(t *testing.T, s *service) {
			s.payReq = strings.Replace(payRequestJSON(s.base+"/cb", 1000, 2000000, testMeta), "payRequest", "withdrawRequest", 1)
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "plain http callback", bend: func(t *testing.T, s *service) {
			s.payReq = payRequestJSON(strings.Replace(s.base, "https:", "http:", 1)+"/cb", 1000, 2000000, testMeta)
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "min above max", bend: func(t *testing.T, s *service) {
			s.payReq = payRequestJSON(s.base+"/cb", 3000000, 2000000, testMeta)
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "fractional bound", bend: func(t *testing.T, s *service) {
			s.payReq = strings.Replace(payRequestJSON(s.base+"/cb", 1000, 2000000, testMeta), "1000", "1000.5", 1)
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "metadata not an array", bend: func(t *testing.T, s *service) {
			s.payReq = payRequestJSON(s.base+"/cb", 1000, 2000000, `{"text/plain":"x"}`)
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "not JSON", bend: func(t *testing.T, s *service) {
			s.payReq, s.status = "<html>Not Found</html>", http.StatusNotFound
		}, want: lnurl.ErrEndpoint, noCallback: true},
		{name: "no pr", bend: func(t *testing.T, s *service) {
			s.answer = func(int64) string { return `{"routes":[]}` }
		}, want: lnurl.ErrEndpoint},
		{name: "oversized payRequest", bend: func(t *testing.T, s *service) {
			s.payReq = payRequestJSON(s.base+"/cb", 1000, 2000000, `[["text/plain","`+strings.Repeat("x", lnurl.MinMaxBody)+`"]]`)
		}, want: lnurl.ErrTooLarge, noCallback: true},
		{name: "oversized callback answer", bend: func(t *testing.T, s *service) {
			s.answer = func(int64) string { return `{"pr":"` + strings.Repeat("x", lnurl.MinMaxBody) + `"}` }
		}, want: lnurl.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, tc.bend)
			c := s.client(t, lnurl.Config{MaxBody: lnurl.MinMaxBody})
			inv, err := c.Invoice(ctx(t), s.address(), btc(cmp.Or(tc.amount, amount)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Invoice = %+v, %v; want %v", inv, err, tc.want)
			}
			var re *lnurl.RefusedError
			if errors.As(err, &re) != (tc.want == lnurl.ErrRefused) || re != nil && re.Check != tc.check {
				t.Errorf("error %v: want a refusal of check %q", err, tc.check)
			}
			if want := map[bool]int32{false: 1, true: 0}[tc.noCallback]; s.callbacks.Load() != want {
				t.Errorf("callback asked %d times, want %d", s.callbacks.Load(), want)
			}
			t.Logf("%v", err)
		})
	}
}

// TestInvoiceRefusesPlainHTTP: without AllowHTTP an http destination is
// refused before anything is asked; with it, the same service answers.
func TestInvoiceRefusesPlainHTTP(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Write([]byte(payRequestJSON("http://"+r.Host+"/cb", 1000, 2000, testMeta)))
	}))
	t.Cleanup(srv.Close)
	for _, dest := range []string{srv.URL + "/.well-known/lnurlp/desk", "lnurlp://example.com/pay"} {
		c, err := lnurl.New(lnurl.Config{Clock: clock.NewManual(t0).Clock()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Invoice(ctx(t), strings.Replace(dest, "example.com", strings.TrimPrefix(srv.URL, "http://"), 1), btc("0.00000001"))
		if !errors.Is(err, lnurl.ErrDestination) && !errors.Is(err, lnurl.ErrEndpoint) {
			t.Errorf("Invoice(%s) without AllowHTTP = %v, want a refusal", dest, err)
		}
	}
	if asked.Load() != 0 {
		t.Errorf("the http service was asked %d times, want 0", asked.Load())
	}
	c, err := lnurl.New(lnurl.Config{AllowHTTP: true, Clock: clock.NewManual(t0).Clock()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoice(ctx(t), srv.URL+"/.well-known/lnurlp/desk", btc("0.00000001")); !errors.Is(err, lnurl.ErrEndpoint) || asked.Load() != 2 {
		t.Errorf("with AllowHTTP: %v after %d requests, want the callback asked (and failing: it serves no invoice)", err, asked.Load())
	}
}

// TestInvoiceDeadline: a service that never answers costs Config.Timeout,
// and the error says it was a timeout.
func TestInvoiceDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := newService(t, func(t *testing.T, s *service) {
		s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	})
	c := s.client(t, lnurl.Config{Timeout: 50 * time.Millisecond})
	_, err := c.Invoice(ctx(t), s.address(), btc("0.0001"))
	var ee *lnurl.EndpointError
	if !errors.As(err, &ee) || ee.Step != lnurl.StepPayRequest || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoice = %v, want a payRequest EndpointError wrapping context.DeadlineExceeded", err)
	}
}

// TestInvoiceRedirects: a redirect to https is followed, one to plain
// http is not.
func TestInvoiceRedirects(t *testing.T) {
	s := newService(t, func(t *testing.T, s *service) {
		mux := s.srv.Config.Handler
		s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/to-https":
				http.Redirect(w, r, s.base+"/.well-known/lnurlp/desk", http.StatusFound)
			case "/to-http":
				http.Redirect(w, r, strings.Replace(s.base, "https:", "http:", 1)+"/.well-known/lnurlp/desk", http.StatusFound)
			default:
				mux.ServeHTTP(w, r)
			}
		})
	})
	c := s.client(t, lnurl.Config{})
	if _, err := c.Invoice(ctx(t), s.srv.URL+"/to-https", btc("0.0001")); err != nil {
		t.Errorf("redirect to https: %v", err)
	}
	if _, err := c.Invoice(ctx(t), s.srv.URL+"/to-http", btc("0.0001")); !errors.Is(err, lnurl.ErrEndpoint) ||
		!strings.Contains(err.Error(), "plain http") {
		t.Errorf("redirect to http: %v, want a refusal naming plain http", err)
	}
}

// TestEndpointErrorIsShort: a service's ERROR reason is kept, clipped and
// on one line; the message names the host, never the path or query.
func TestEndpointErrorIsShort(t *testing.T) {
	s := newService(t, func(t *testing.T, s *service) {
		s.answer = func(int64) string {
			b, _ := json.Marshal(map[string]string{"status": "error", "reason": "line one\nline two " + strings.Repeat("é", 500)})
			return string(b)
		}
	})
	c := s.client(t, lnurl.Config{})
	_, err := c.Invoice(ctx(t), s.address(), btc("0.0001"))
	var ee *lnurl.EndpointError
	if !errors.As(err, &ee) || ee.Step != lnurl.StepCallback {
		t.Fatalf("Invoice = %v, want a callback EndpointError", err)
	}
	if n := len([]rune(ee.Reason)); n > 201 || !strings.HasPrefix(ee.Reason, "line one line two") {
		t.Errorf("Reason = %q (%d runes), want the reason on one line, clipped to 200", ee.Reason, n)
	}
	if msg := err.Error(); strings.Contains(msg, "id=7") || strings.Contains(msg, "/cb") || strings.Contains(msg, "\n") {
		t.Errorf("message %q shows the callback's path or query, or spans lines", msg)
	}
}

// TestVerify re-checks a stored invoice: it passes until it expires, and
// only with the amount and description hash it was fetched for.
func TestVerify(t *testing.T) {
	s := newService(t, nil)
	clk := clock.NewManual(t0)
	c := s.client(t, lnurl.Config{Clock: clk.Clock()})
	inv, err := c.Invoice(ctx(t), s.address(), btc("0.0001"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(inv.Expires.Add(-time.Second))
	if got, err := c.Verify(inv.PaymentRequest, inv.AmountMsat, inv.DescriptionHash); err != nil || got.PaymentHash != inv.PaymentHash {
		t.Errorf("Verify a second before expiry = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name  string
		msat  int64
		hash  string
		check lnurl.Check
	}{
		{"other amount", inv.AmountMsat + 1000, inv.DescriptionHash, lnurl.CheckAmount},
		{"other hash", inv.AmountMsat, strings.Repeat("00", 32), lnurl.CheckDescriptionHash},
		{"hash not hex", inv.AmountMsat, "xyz", lnurl.CheckDescriptionHash},
	} {
		var re *lnurl.RefusedError
		if _, err := c.Verify(inv.PaymentRequest, tc.msat, tc.hash); !errors.As(err, &re) || re.Check != tc.check {
			t.Errorf("Verify with %s = %v, want refused on %s", tc.name, err, tc.check)
		}
	}
	clk.Set(inv.Expires)
	var re *lnurl.RefusedError
	if _, err := c.Verify(inv.PaymentRequest, inv.AmountMsat, inv.DescriptionHash); !errors.As(err, &re) || re.Check != lnurl.CheckExpired {
		t.Errorf("Verify at expiry = %v, want refused as expired", err)
	}
}

// TestNetworks: a client configured for a network accepts that network's
// invoices.
func TestNetworks(t *testing.T) {
	meta := sha256.Sum256([]byte(testMeta))
	for _, tc := range []struct {
		network string
		params  *chaincfg.Params
	}{
		{lnurl.Mainnet, &chaincfg.MainNetParams},
		{lnurl.Testnet, &chaincfg.TestNet3Params},
		{lnurl.Signet, &chaincfg.SigNetParams},
		{lnurl.Regtest, &chaincfg.RegressionNetParams},
	} {
		s := newService(t, func(t *testing.T, s *service) {
			s.answer = func(msat int64) string {
				return prJSON(bolt11(t, tc.params, t0, zpay32.Amount(lnwire.MilliSatoshi(msat)), zpay32.DescriptionHash(meta)))
			}
		})
		inv, err := s.client(t, lnurl.Config{Network: tc.network}).Invoice(ctx(t), s.address(), btc("0.001"))
		if err != nil || inv.Network != tc.network {
			t.Errorf("%s: Invoice = %+v, %v", tc.network, inv, err)
		}
	}
}

func TestConfig(t *testing.T) {
	d := lnurl.DefaultConfig()
	if d.Network != lnurl.Mainnet || d.Timeout != lnurl.DefaultTimeout || d.MaxBody != lnurl.DefaultMaxBody ||
		d.HTTPClient == nil || d.AllowHTTP {
		t.Errorf("DefaultConfig() = %+v", d)
	}
	if err := (lnurl.Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	for _, cfg := range []lnurl.Config{
		{Network: "bitcoin"},
		{Network: "Mainnet"},
		{Timeout: -time.Second},
		{MaxBody: lnurl.MinMaxBody - 1},
		{MaxBody: lnurl.MaxMaxBody + 1},
		{MaxBody: -1},
	} {
		if _, err := lnurl.New(cfg); !errors.Is(err, lnurl.ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}
