package sim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/sim"
)

const testKey = "test-key-0123456789"

// startHub serves a venue's hub on 127.0.0.1:0.
func startHub(t *testing.T, opts sim.HubOptions) (*sim.Venue, *sim.Hub, string) {
	t.Helper()
	const seed = 42
	t.Logf("venue seed %d", seed)
	v := sim.NewVenue(sim.Options{Seed: seed})
	mux := http.NewServeMux()
	ctx, cancel := context.WithCancel(context.Background())
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	h, err := sim.MountHub(ctx, mux, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		h.Close()
		srv.CloseClientConnections()
		srv.Close()
	})
	return v, h, srv.URL
}

func TestHubNegotiateNeedsKey(t *testing.T) {
	_, _, url := startHub(t, sim.HubOptions{})
	for _, auth := range []string{"", "Bearer wrong"} {
		req, _ := http.NewRequest(http.MethodPost, url+sim.HubPath+"/negotiate?negotiateVersion=1", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("negotiate with %q = %d, want 401", auth, resp.StatusCode)
		}
	}
}

// TestHubSubscribeOrderAndPushes: a subscription streams prices, an order
// on a streamed price executes once and pushes balances; invalid input is
// refused as preChecksError, a venue refusal as a *.error subject.
func TestHubSubscribeOrderAndPushes(t *testing.T) {
	for _, form := range hubEnvelopes {
		t.Run("envelope="+form.String(), func(t *testing.T) {
			v, h, url := startHub(t, sim.HubOptions{Envelope: form, PriceInterval: 20 * time.Millisecond})
			c := dialHub(t, url, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			var pairs []wirePair
			if decodeData(t, c.call(t, "GetPairs", "pairs-1"), &pairs); len(pairs) == 0 {
				t.Fatalf("GetPairs = %v", pairs)
			}
			if err := c.invoke(ctx, "SubscribePairPriceChannel", "sub-1", "BTCUSDT", json.Number("0.01")); err != nil {
				t.Fatal(err)
			}
			var price hubEnvelope
			c.waitFor(t, 5*time.Second, "a BTCUSDT price", func(envs []hubEnvelope) bool {
				for _, e := range envs {
					var p wireSizeQuote
					if e.Channel == "subscriptions" && json.Unmarshal(e.Data, &p) == nil && p.Pair == "BTCUSDT" {
						price = e
						return true
					}
				}
				return false
			})
			checkForm(t, price, form)
			var p wireSizeQuote
			decodeData(t, price, &p)
			e := c.call(t, "PlaceOtcOrder", "order-1", p.ID, "buy", json.Number("1"))
			checkForm(t, e, form)
			var x wireExecution
			if decodeData(t, e, &x); e.Subject != "execution.order.executed" || x.Status != 1 || x.Pair != "BTCUSDT" || !x.Size.Equal(dec("0.01")) {
				t.Fatalf("execution = %s %+v", e.Subject, x)
			}
			if n := v.Executions("order-1"); n != 1 {
				t.Fatalf("venue executions of order-1 = %d, want 1", n)
			}
			c.waitFor(t, 5*time.Second, "a balances push", func(envs []hubEnvelope) bool {
				for _, e := range envs {
					if e.Subject == "account.balances.snapshot" && e.ClientID == "" {
						return true
					}
				}
				return false
			})
			// Refusals: invalid input is preChecksError, a venue refusal *.error.
			if e := c.call(t, "PlaceOtcOrder", "order-2", "no-such-price", "buy", json.Number("1")); !isErrorSubject(e.Subject) {
				t.Fatalf("PlaceOtcOrder(unknown price) reply subject = %q, want an error subject", e.Subject)
			}
			if e := c.call(t, "GetPairSizeByAmount", "size-1", "NOPE", "buy", json.Number("100")); !isErrorSubject(e.Subject) {
				t.Fatalf("GetPairSizeByAmount(NOPE) reply subject = %q, want an error subject", e.Subject)
			}
			var b wireBalances
			if decodeBalances(t, c.call(t, "GetBalances", "bal-1"), &b); len(b.Assets) == 0 {
				t.Fatalf("GetBalances = %+v", b)
			}
			if f := h.ArgumentForms()["PlaceOtcOrder"]; f[0] != 2 || f[1] != 0 {
				t.Fatalf("PlaceOtcOrder forms = %v, want 2 separate", f)
			}
		})
	}
}

// isErrorSubject reports a refusal: preChecksError or a subject ending in
// ".error", as the hub page documents them.
func isErrorSubject(s string) bool { return s == "preChecksError" || strings.HasSuffix(s, ".error") }

// TestHubArrayOnlyMethod: a method configured ArrayOnly refuses the
// separate-argument form with a binding error and runs the array form.
func TestHubArrayOnlyMethod(t *testing.T) {
	_, h, url := startHub(t, sim.HubOptions{ArrayOnly: []string{"GetPairs"}})
	c := dialHub(t, url, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.invoke(ctx, "GetPairs", "p-1"); err == nil || !strings.Contains(err.Error(), "parameter mismatch") && !strings.Contains(err.Error(), "argument") {
		t.Fatalf("GetPairs in the separate form: %v, want a binding error", err)
	}
	if err := c.invoke(ctx, "GetPairs", []any{"p-2"}); err != nil {
		t.Fatalf("GetPairs in the array form: %v", err)
	}
	if e := c.reply(t, "p-2"); e.Subject != "execution.pairs" {
		t.Fatalf("GetPairs in the array form: reply subject %q, want execution.pairs", e.Subject)
	}
	if f := h.ArgumentForms()["GetPairs"]; f != [2]int{1, 1} {
		t.Fatalf("GetPairs forms [separate array] = %v, want [1 1]", f)
	}
}

// TestStartServesHub: the server Start returns serves the hub next to the
// REST API, with the same key, outside the REST faults.
func TestStartServesHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.Start(ctx, sim.Options{Seed: 3, APIKey: testKey, Faults: sim.Faults{ResetBeforeRead: 1},
		Hub: sim.HubOptions{PriceInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := dialHub(t, s.URL(), nil)
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	if err := c.invoke(cctx, "SubscribePairPriceChannel", "sub-1", "ETHEUR", json.Number("1")); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, 5*time.Second, "an ETHEUR price", func(envs []hubEnvelope) bool {
		for _, e := range envs {
			if e.Channel == "subscriptions" {
				return true
			}
		}
		return false
	})
	if got := s.Hub().Subscriptions(); len(got) != 1 {
		t.Fatalf("hub subscriptions = %v, want one connection", got)
	}
}
