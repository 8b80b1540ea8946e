package sim_test

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lightningnetwork/lnd/zpay32"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/sim"
)

// lnurlAnswer is either LUD-06 answer of the simulator: a payRequest, a
// callback's invoice or the ERROR form.
type lnurlAnswer struct {
	Status      string            `json:"status"`
	Reason      string            `json:"reason"`
	Tag         string            `json:"tag"`
	Callback    string            `json:"callback"`
	MinSendable int64             `json:"minSendable"`
	MaxSendable int64             `json:"maxSendable"`
	Metadata    string            `json:"metadata"`
	PR          string            `json:"pr"`
	Routes      []json.RawMessage `json:"routes"`
}

// lnurlGet GETs url without credentials and decodes the answer strictly.
func lnurlGet(t *testing.T, url string) (int, lnurlAnswer) {
	t.Helper()
	req, err := http.NewRequestWithContext(deadline(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a lnurlAnswer
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	return resp.StatusCode, a
}

// payLink fetches name's payRequest and an invoice for msat.
func payLink(t *testing.T, srv *sim.Server, name string, msat string) (payReq, inv lnurlAnswer) {
	t.Helper()
	code, payReq := lnurlGet(t, srv.URL()+sim.LNURLPayPath+name)
	if code != http.StatusOK || payReq.Tag != "payRequest" {
		t.Fatalf("payRequest of %s = %d %+v", name, code, payReq)
	}
	code, inv = lnurlGet(t, payReq.Callback+"?amount="+msat)
	if code != http.StatusOK || inv.PR == "" {
		t.Fatalf("callback of %s = %d %+v", name, code, inv)
	}
	return payReq, inv
}

// TestLNURLPayInvoiceIsPaidAsALightningWithdrawal: a Lightning Address on
// the simulator yields a signed invoice for exactly the amount asked, its
// description hash committing to the metadata; the venue pays it as an
// instant withdrawal on network "Lightning", findable by Client-Id, whose
// status webhooks follow it to SUCCESS.
func TestLNURLPayInvoiceIsPaidAsALightningWithdrawal(t *testing.T) {
	f := startEmitting(t, sim.WebhookOptions{})
	payReq, ans := payLink(t, f.sim, "treasury", "250000000")

	if want := f.sim.URL() + "/lnurlp/treasury/callback"; payReq.Callback != want {
		t.Errorf("callback = %q, want %q", payReq.Callback, want)
	}
	if payReq.MinSendable != sim.DefaultMinSendableMsat || payReq.MaxSendable != sim.DefaultMaxSendableMsat {
		t.Errorf("sendable = [%d, %d], want the defaults", payReq.MinSendable, payReq.MaxSendable)
	}
	var meta [][]string
	if err := json.Unmarshal([]byte(payReq.Metadata), &meta); err != nil || len(meta) == 0 || meta[0][0] != "text/plain" {
		t.Errorf("metadata = %q (%v), want a JSON array starting with text/plain", payReq.Metadata, err)
	}
	if ans.Routes == nil || len(ans.Routes) != 0 {
		t.Errorf("routes = %v, want []", ans.Routes)
	}

	inv, err := zpay32.Decode(ans.PR, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatalf("zpay32.Decode(%s) = %v", ans.PR, err)
	}
	if !strings.HasPrefix(ans.PR, "lnbc2500u1") {
		t.Errorf("pr = %s, want a mainnet invoice for 2500u", ans.PR)
	}
	if inv.MilliSat == nil || *inv.MilliSat != 250000000 {
		t.Errorf("invoice amount = %v msat, want 250000000", inv.MilliSat)
	}
	if want := sha256.Sum256([]byte(payReq.Metadata)); inv.DescriptionHash == nil || *inv.DescriptionHash != want {
		t.Errorf("description hash = %x, want sha256(metadata) %x", inv.DescriptionHash, want)
	}
	if got := hex.EncodeToString(inv.Destination.SerializeCompressed()); got != f.sim.LightningNode() {
		t.Errorf("payee = %s, want the simulator's node %s", got, f.sim.LightningNode())
	}
	if !inv.Timestamp.Equal(f.clock.Now()) || inv.Expiry() != sim.DefaultInvoiceExpiry {
		t.Errorf("created %v expiry %v, want %v and %v", inv.Timestamp, inv.Expiry(), f.clock.Now(), sim.DefaultInvoiceExpiry)
	}

	p, err := f.venue.WithdrawLightning(ans.PR, "ln-1")
	if err != nil {
		t.Fatal(err)
	}
	if !p.AmountBTC.Equal(d("0.0025")) {
		t.Errorf("paid %s BTC, want 0.0025", p.AmountBTC)
	}
	ws := f.venue.WithdrawalsByClientID("ln-1")
	if len(ws) != 1 || ws[0].ID != p.ID || ws[0].Network != "Lightning" || !ws[0].Instant || ws[0].Destination != ans.PR {
		t.Fatalf("withdrawals of ln-1 = %+v, want the instant Lightning payment %s", ws, p.ID)
	}
	f.clock.Advance(sim.DefaultSettleAfter / 10)
	f.venue.Advance()
	f.flush(t)

	var statuses []string
	order, bodies := f.in.stored()
	for _, id := range order {
		typ, data := webhookData(t, bodies[id])
		var w struct {
			ClientID  string          `json:"ClientId"`
			Network   string          `json:"Network"`
			Amount    decimal.Decimal `json:"Amount"`
			IsInstant bool            `json:"IsInstant"`
			Status    string          `json:"Status"`
		}
		if !strings.HasPrefix(typ, "Banking.Withdrawal.") {
			continue
		}
		if err := json.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s data %s: %v", typ, data, err)
		}
		if w.ClientID == "ln-1" {
			if w.Network != "Lightning" || !w.Amount.Equal(d("0.0025")) || !w.IsInstant {
				t.Errorf("%s = %+v", typ, w)
			}
			statuses = append(statuses, w.Status)
		}
	}
	if want := []string{"CREATED", "CONFIRMING", "SUCCESS"}; !slices.Equal(statuses, want) {
		t.Errorf("Lightning payment webhooks %v, want %v", statuses, want)
	}
}

// TestLNURLPayNetworks: Options.LightningNetwork picks the invoices'
// network, and the venue reads the amount of each prefix.
func TestLNURLPayNetworks(t *testing.T) {
	for _, tc := range []struct {
		network string
		params  *chaincfg.Params
		prefix  string
	}{
		{"", &chaincfg.MainNetParams, "lnbc10n1"},
		{"mainnet", &chaincfg.MainNetParams, "lnbc10n1"},
		{"testnet", &chaincfg.TestNet3Params, "lntb10n1"},
		{"signet", &chaincfg.SigNetParams, "lntbs10n1"},
		{"regtest", &chaincfg.RegressionNetParams, "lnbcrt10n1"},
	} {
		t.Run(cmp.Or(tc.network, "default"), func(t *testing.T) {
			srv, _ := startServer(t, sim.Options{Seed: seed, LightningNetwork: tc.network})
			_, ans := payLink(t, srv, "alice", "1000")
			if !strings.HasPrefix(ans.PR, tc.prefix) {
				t.Errorf("pr = %s, want prefix %s", ans.PR, tc.prefix)
			}
			if _, err := zpay32.Decode(ans.PR, tc.params); err != nil {
				t.Errorf("zpay32.Decode(%s, %s) = %v", ans.PR, tc.params.Name, err)
			}
			p, err := srv.Venue().WithdrawLightning(ans.PR, "ln-"+tc.network)
			if err != nil || !p.AmountBTC.Equal(d("0.00000001")) {
				t.Errorf("WithdrawLightning = %+v, %v, want 0.00000001 BTC", p, err)
			}
		})
	}
}

// TestLNURLPayMisbehaves: each LNURLOptions misbehaviour bends exactly
// what it names.
func TestLNURLPayMisbehaves(t *testing.T) {
	const msat = 5_000_000
	for _, tc := range []struct {
		name  string
		opts  sim.LNURLOptions
		check func(t *testing.T, meta string, inv *zpay32.Invoice, now time.Time)
	}{
		{"wrong amount", sim.LNURLOptions{WrongAmount: true}, func(t *testing.T, _ string, inv *zpay32.Invoice, _ time.Time) {
			if *inv.MilliSat != msat+1000 {
				t.Errorf("amount = %d, want %d", *inv.MilliSat, msat+1000)
			}
		}},
		{"wrong description hash", sim.LNURLOptions{WrongDescriptionHash: true}, func(t *testing.T, meta string, inv *zpay32.Invoice, _ time.Time) {
			if *inv.DescriptionHash == sha256.Sum256([]byte(meta)) {
				t.Error("description hash is sha256(metadata)")
			}
		}},
		{"expired", sim.LNURLOptions{Expired: true, InvoiceExpiry: 10 * time.Minute}, func(t *testing.T, _ string, inv *zpay32.Invoice, now time.Time) {
			if exp := inv.Timestamp.Add(inv.Expiry()); !exp.Before(now) || inv.Expiry() != 10*time.Minute {
				t.Errorf("expires %v (after %v), want before %v", exp, inv.Expiry(), now)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, clk := startServer(t, sim.Options{Seed: seed, LNURL: tc.opts})
			payReq, ans := payLink(t, srv, "bob", "5000000")
			inv, err := zpay32.Decode(ans.PR, &chaincfg.MainNetParams)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, payReq.Metadata, inv, clk.Now())
		})
	}

	t.Run("wrong network", func(t *testing.T) {
		srv, _ := startServer(t, sim.Options{Seed: seed, LNURL: sim.LNURLOptions{WrongNetwork: true}})
		_, ans := payLink(t, srv, "bob", "5000000")
		if _, err := zpay32.Decode(ans.PR, &chaincfg.TestNet3Params); err != nil || !strings.HasPrefix(ans.PR, "lntb") {
			t.Errorf("pr = %s (%v), want a testnet invoice", ans.PR, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		srv, _ := startServer(t, sim.Options{Seed: seed, LNURL: sim.LNURLOptions{PayRequestError: "account disabled"}})
		if code, a := lnurlGet(t, srv.URL()+sim.LNURLPayPath+"bob"); code != http.StatusOK || a.Status != "ERROR" || a.Reason != "account disabled" {
			t.Errorf("payRequest = %d %+v, want ERROR account disabled", code, a)
		}
		srv, _ = startServer(t, sim.Options{Seed: seed, LNURL: sim.LNURLOptions{CallbackError: "node offline"}})
		if code, a := lnurlGet(t, srv.URL()+"/lnurlp/bob/callback?amount=5000"); code != http.StatusOK || a.Status != "ERROR" || a.Reason != "node offline" {
			t.Errorf("callback = %d %+v, want ERROR node offline", code, a)
		}
	})
}

// TestLNURLPayRefusesBadRequests: the service answers LUD-06's ERROR form
// to an unknown name and to an amount it cannot invoice.
func TestLNURLPayRefusesBadRequests(t *testing.T) {
	srv, _ := startServer(t, sim.Options{Seed: seed, LNURL: sim.LNURLOptions{MinSendableMsat: 2000, MaxSendableMsat: 9000}})
	for _, tc := range []struct {
		path string
		code int
	}{
		{sim.LNURLPayPath + "Bob", http.StatusNotFound},
		{sim.LNURLPayPath + "b%21b", http.StatusNotFound},
		{"/lnurlp/b%20b/callback?amount=2000", http.StatusNotFound},
		{"/lnurlp/bob/callback", http.StatusBadRequest},
		{"/lnurlp/bob/callback?amount=abc", http.StatusBadRequest},
		{"/lnurlp/bob/callback?amount=1999", http.StatusBadRequest},
		{"/lnurlp/bob/callback?amount=9001", http.StatusBadRequest},
		{"/lnurlp/bob/callback?amount=2000.5", http.StatusBadRequest},
	} {
		if code, a := lnurlGet(t, srv.URL()+tc.path); code != tc.code || a.Status != "ERROR" || a.Reason == "" || a.PR != "" {
			t.Errorf("GET %s = %d %+v, want %d with an ERROR", tc.path, code, a, tc.code)
		}
	}
	if code, a := lnurlGet(t, srv.URL()+"/lnurlp/bob/callback?amount=9000"); code != http.StatusOK || a.PR == "" {
		t.Errorf("GET amount=9000 (the maximum) = %d %+v, want an invoice", code, a)
	}
}

// TestLNURLPayNodeKeyFollowsTheSeed: the signing key depends on the seed
// alone, so paper runs and tests see the same payee for the same seed.
func TestLNURLPayNodeKeyFollowsTheSeed(t *testing.T) {
	a, _ := startServer(t, sim.Options{Seed: seed})
	b, _ := startServer(t, sim.Options{Seed: seed})
	c, _ := startServer(t, sim.Options{Seed: seed + 1})
	if a.LightningNode() != b.LightningNode() || a.LightningNode() == c.LightningNode() {
		t.Errorf("nodes for seeds %d, %d, %d = %s, %s, %s; want equal for equal seeds only", seed, seed, seed+1,
			a.LightningNode(), b.LightningNode(), c.LightningNode())
	}
	if len(a.LightningNode()) != 66 {
		t.Errorf("node = %q, want a compressed public key in hex", a.LightningNode())
	}
}

func TestStartRefusesBadLightningOptions(t *testing.T) {
	for _, o := range []sim.Options{
		{LightningNetwork: "litecoin"},
		{LNURL: sim.LNURLOptions{MinSendableMsat: 5000, MaxSendableMsat: 4000}},
	} {
		if srv, err := sim.Start(deadline(t), o); err == nil {
			srv.Close()
			t.Errorf("Start(%+v) = nil error, want a refusal", o)
		}
	}
}
