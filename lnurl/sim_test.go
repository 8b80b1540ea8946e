package lnurl_test

import (
	"cmp"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/bech32"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/lnurl"
	"github.com/otcdesk/engine/sim"
)

const simSeed = 7

// startSim starts the simulator on loopback at t0 and an http-allowing
// client on the same clock.
func startSim(t *testing.T, opts sim.Options, cfg lnurl.Config) (*sim.Server, *lnurl.Client) {
	t.Helper()
	t.Logf("sim seed %d", simSeed)
	opts.Seed = simSeed
	opts.Clock = clock.NewManual(t0).Clock()
	srv, err := sim.Start(ctx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg.AllowHTTP = true
	cfg.Clock = opts.Clock
	c, err := lnurl.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// simAddress is name's Lightning Address on the simulator.
func simAddress(srv *sim.Server, name string) string {
	return name + "@" + strings.TrimPrefix(srv.URL(), "http://")
}

// TestSimulatorInvoiceIsPaidThroughHercle: the whole path over loopback,
// each side built from its own reading of the documents. A Lightning
// Address and an LNURL on the simulator yield checked invoices, and the
// Hercle client pays one as a Lightning withdrawal found by its Client-Id.
func TestSimulatorInvoiceIsPaidThroughHercle(t *testing.T) {
	srv, c := startSim(t, sim.Options{}, lnurl.Config{})
	inv, err := c.Invoice(ctx(t), simAddress(srv, "treasury"), btc("0.0025"))
	if err != nil {
		t.Fatal(err)
	}
	if inv.AmountMsat != 250_000_000 || inv.Payee != srv.LightningNode() || inv.Network != lnurl.Mainnet ||
		!inv.Created.Equal(t0) || !inv.Expires.Equal(t0.Add(sim.DefaultInvoiceExpiry)) ||
		!strings.Contains(inv.Description, "treasury") || !strings.HasPrefix(inv.PaymentRequest, "lnbc2500u1") {
		t.Errorf("Invoice = %+v", inv)
	}

	data, err := bech32.ConvertBits([]byte(srv.URL()+sim.LNURLPayPath+"treasury"), 8, 5, true)
	if err != nil {
		t.Fatal(err)
	}
	code, err := bech32.Encode("lnurl", data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Invoice(ctx(t), "lightning:"+strings.ToUpper(code), btc("0.0025"))
	if err != nil || again.PaymentHash == inv.PaymentHash || again.DescriptionHash != inv.DescriptionHash {
		t.Errorf("Invoice by LNURL = %+v, %v; want a new invoice for the same pay link", again, err)
	}

	hc, err := hercle.NewClient(hercle.Config{BaseURL: srv.URL(), APIKey: srv.APIKey(), Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clientID, err := hercle.NewClientID()
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := hc.WithdrawLightning(ctx(t), hercle.LightningWithdrawalRequest{PaymentRequestHash: inv.PaymentRequest}, clientID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.AmountBTC.Decimal.Equal(inv.AmountBTC()) {
		t.Errorf("Hercle paid %s BTC, want %s", p.AmountBTC.Decimal, inv.AmountBTC())
	}
	ws, err := hc.WithdrawalsByClientID(ctx(t), clientID)
	if err != nil || len(ws) != 1 || ws[0].Network != "Lightning" || ws[0].Destination != inv.PaymentRequest ||
		!ws[0].Amount.Decimal.Equal(btc("0.0025")) {
		t.Errorf("withdrawals of %s = %+v, %v; want the Lightning payment", clientID, ws, err)
	}
}

// TestSimulatorMisbehaviourIsRefused: each way the simulator can be told
// to misbehave is refused with the error a caller branches on.
func TestSimulatorMisbehaviourIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    sim.Options
		network string
		amount  string
		want    error
		check   lnurl.Check
	}{
		{name: "wrong amount", opts: sim.Options{LNURL: sim.LNURLOptions{WrongAmount: true}}, want: lnurl.ErrRefused, check: lnurl.CheckAmount},
		{name: "wrong description hash", opts: sim.Options{LNURL: sim.LNURLOptions{WrongDescriptionHash: true}},
			want: lnurl.ErrRefused, check: lnurl.CheckDescriptionHash},
		{name: "wrong network", opts: sim.Options{LNURL: sim.LNURLOptions{WrongNetwork: true}}, want: lnurl.ErrRefused, check: lnurl.CheckNetwork},
		{name: "regtest for a mainnet client", opts: sim.Options{LightningNetwork: "regtest"}, want: lnurl.ErrRefused, check: lnurl.CheckNetwork},
		{name: "expired", opts: sim.Options{LNURL: sim.LNURLOptions{Expired: true}}, want: lnurl.ErrRefused, check: lnurl.CheckExpired},
		{name: "payRequest ERROR", opts: sim.Options{LNURL: sim.LNURLOptions{PayRequestError: "disabled"}}, want: lnurl.ErrEndpoint},
		{name: "callback ERROR", opts: sim.Options{LNURL: sim.LNURLOptions{CallbackError: "offline"}}, want: lnurl.ErrEndpoint},
		{name: "above the maximum", opts: sim.Options{LNURL: sim.LNURLOptions{MaxSendableMsat: 1_000_000}}, amount: "0.0001",
			want: lnurl.ErrAmount},
		{name: "signet for a signet client", opts: sim.Options{LightningNetwork: "signet"}, network: lnurl.Signet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := startSim(t, tc.opts, lnurl.Config{Network: tc.network})
			inv, err := c.Invoice(ctx(t), simAddress(srv, "desk"), btc(cmp.Or(tc.amount, "0.00001")))
			if tc.want == nil {
				if err != nil {
					t.Errorf("Invoice = %v", err)
				}
				return
			}
			var re *lnurl.RefusedError
			if !errors.Is(err, tc.want) || errors.As(err, &re) && re.Check != tc.check {
				t.Errorf("Invoice = %+v, %v; want %v (check %q)", inv, err, tc.want, tc.check)
			}
		})
	}
}
