package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/ledger"
)

// failing is a transport that fails every request once down is set: the
// venue unreachable.
type failing struct{ down atomic.Bool }

func (f *failing) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.down.Load() {
		return nil, errors.New("venue unreachable (test)")
	}
	return transport.RoundTrip(req)
}

// startupSteps returns the names of the daemon's start-up steps, in order,
// from a clean start.
func startupSteps(t *testing.T) []string {
	t.Helper()
	var mu sync.Mutex
	var names []string
	cfg := paperConfig(t.TempDir())
	h := start(t, cfg, daemon.Options{Step: func(name string) {
		mu.Lock()
		names = append(names, name)
		mu.Unlock()
	}})
	h.stop()
	mu.Lock()
	defer mu.Unlock()
	if len(names) < 10 {
		t.Fatalf("start-up steps %v", names)
	}
	return names
}

// seedUnfinished leaves in the ledger at path an order and a withdrawal
// whose outcome a previous run did not learn, so that recovery asks the
// venue about them.
func seedUnfinished(t *testing.T, path string) {
	t.Helper()
	store, err := ledger.Open(path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	req, _ := json.Marshal(map[string]any{"strategy": "s", "pair": "BTCEUR", "side": "buy", "size": "0.001", "amount": "0", "path": "otc"})
	if _, _, err := store.Submit(ctx, ledger.Submission{Intent: ledger.Intent{ClientID: "order-left-open", Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: req}}); err != nil {
		t.Fatal(err)
	}
	m := execution.Movement{ID: "move-left-open", Origin: execution.OriginTreasury, Policy: "p", Method: execution.MethodWithdrawal,
		Destination: "cold", Account: "external:unknown", Source: ledger.Hercle, Asset: "BTC", Amount: decimal.RequireFromString("0.1")}
	body, _ := json.Marshal(m)
	open := ledger.Entry{Key: "seed:opening", Kind: ledger.KindOpening, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: decimal.NewFromInt(1)},
		{Account: ledger.OpeningBalance(), Asset: "BTC", Amount: decimal.NewFromInt(-1)}}}
	if _, _, err := store.Post(ctx, open); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Submit(ctx, ledger.Submission{Intent: ledger.Intent{ClientID: m.ID, Kind: ledger.IntentWithdrawal, Venue: ledger.Hercle, Request: body},
		Entries: []ledger.Entry{m.SentEntry()}}); err != nil {
		t.Fatal(err)
	}
}

// TestStartupStopsPromptlyAtEveryStep: a signal (the context ending) at
// any start-up step, and the venue failing from any step on, end Run
// within 5 seconds: start-up never hangs, and whatever started is
// stopped in order. A venue that fails while start-up still needs it is
// Run's error; once trading, the engine rides out the outage and stops
// when told.
func TestStartupStopsPromptlyAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon twice per start-up step")
	}
	steps := startupSteps(t)
	needsVenue := map[string]bool{}
	for _, s := range steps {
		needsVenue[s] = true
		if s == "recover treasury" { // the last step that asks the venue
			break
		}
	}
	for _, step := range steps {
		t.Run("cancel at "+step, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var at time.Time
			took, err := runUntil(t, ctx, paperConfig(t.TempDir()), daemon.Options{Step: func(name string) {
				if name == step {
					at = time.Now()
					cancel()
				}
			}}, &at)
			if !errors.Is(err, context.Canceled) && err != nil {
				t.Errorf("Run = %v, want nil or context.Canceled", err)
			}
			if took > 5*time.Second {
				t.Errorf("Run returned %s after the cancel at %s, want within 5s", took, step)
			}
		})
		t.Run("venue fails from "+step, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := paperConfig(t.TempDir())
			seedUnfinished(t, cfg.Ledger.Path)
			cfg.Execution.Lookups = 3
			f := &failing{}
			var at time.Time
			o := daemon.Options{HTTPClient: &http.Client{Transport: f}, Step: func(name string) {
				if name == step {
					at = time.Now()
					f.down.Store(true)
				}
			}}
			if !needsVenue[step] {
				// Start-up no longer asks the venue: it completes, and
				// stops when told.
				o.Started = func(daemon.Info) { cancel() }
			}
			took, err := runUntil(t, ctx, cfg, o, &at)
			if needsVenue[step] && err == nil {
				t.Errorf("Run = nil with the venue down from %s, want its error", step)
			}
			if took > 5*time.Second {
				t.Errorf("Run returned %s after the venue failed at %s (err %v), want within 5s", took, step, err)
			}
		})
	}
}

// runUntil runs a daemon on cfg until it returns, and reports its error
// and how long it took after *at (set by a hook of o).
func runUntil(t *testing.T, ctx context.Context, cfg config.Config, o daemon.Options, at *time.Time) (time.Duration, error) {
	t.Helper()
	logs := &syncBuffer{}
	o.Logger = newLogger(logs)
	defer func() {
		if os.Getenv("STARTUP_LOG") != "" {
			t.Log(tail(logs.String(), 60))
		}
	}()
	d, err := daemon.New(cfg, config.Secrets{}, o)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case err := <-done:
		if at.IsZero() {
			t.Fatalf("Run returned before the step: %v", err)
		}
		return time.Since(*at), err
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s")
	}
	return 0, nil
}
