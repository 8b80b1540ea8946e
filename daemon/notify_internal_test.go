package daemon

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/portfolio"
	"github.com/otcdesk/engine/reconcile"
)

const notifySecret = "notify-signing-secret-0123456789abcdef"

// hook is a webhook receiver that records every request and answers 500
// while failing is set.
type hook struct {
	srv *httptest.Server

	mu      sync.Mutex
	failing bool
	tries   int
	ok      map[string]int    // event id -> answered 200
	bodies  map[string][]byte // event id -> body
	sigErrs []string
}

func newHook(t *testing.T) *hook {
	h := &hook{ok: map[string]int{}, bodies: map[string][]byte{}, failing: true}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.tries++
		if err := checkSignature(r.Header.Get(notify.SignatureHeader), body); err != nil {
			h.sigErrs = append(h.sigErrs, err.Error())
		}
		if h.failing {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		id := r.Header.Get(notify.EventIDHeader)
		h.ok[id]++
		h.bodies[id] = body
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// checkSignature verifies Engine-Signature as the notify package
// documents it: HMAC-SHA256 of "<t>.<body>" with the shared secret.
func checkSignature(header string, body []byte) error {
	var ts, v1 string
	for _, kv := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(notifySecret))
	fmt.Fprintf(mac, "%s.%s", ts, body)
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(v1)) {
		return fmt.Errorf("bad signature %q", header)
	}
	return nil
}

func (h *hook) state() (tries int, delivered map[string]int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.ok))
	for k, v := range h.ok {
		out[k] = v
	}
	return h.tries, out
}

// TestNotificationsOfFillsAndBreaks: 100 fills and 3 reconciliation
// breaks committed to the ledger reach a webhook receiver as 103 signed
// messages, each once, none carrying the signing secret. While the
// receiver answers 500 (for a minute of the notifier's clock), the writes
// and the feed go on undelayed: every event is raised before the receiver
// has answered anything but errors.
func TestNotificationsOfFillsAndBreaks(t *testing.T) {
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := newHook(t)
	manual := clock.NewManual(time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC))
	cfg := config.Default()
	cfg.Notify = notify.Config{QueueSize: 512, Sinks: []notify.SinkConfig{{Name: "ops", Type: notify.TypeWebhook,
		Classes: []string{"fills", "breaks"}, URL: h.srv.URL, SecretEnv: "NOTIFY_SECRET", RatePerMinute: 100000, Burst: 1000}}}
	cfg.Notify.GiveUpAfter = tomlval.Dur(time.Hour)
	reg := prometheus.NewRegistry()
	n, err := newNotifier(cfg.Notify, Options{
		Getenv: func(k string) string { return map[string]string{"NOTIFY_SECRET": notifySecret}[k] },
		Notify: func(o *notify.Options) { o.Clock = manual.Clock() },
	}, discard(), reg)
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{cfg: cfg, log: discard(), notifier: n}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { n.Run(ctx) })
	btceur := market.Pair{Symbol: "BTCEUR", Base: "BTC", Quote: "EUR"}
	feed := &notifyFeed{n: n, store: store, log: discard(), queue: ledger.NewEntryQueue(),
		pairs: func() map[string]market.Pair { return map[string]market.Pair{"BTCEUR": btceur} }}
	feed.follow()
	wg.Go(func() { feed.Run(ctx) })

	for i := range 100 {
		postFill(t, store, fmt.Sprintf("c%03d", i))
	}
	rl := reportingLedger{store, d.onReport}
	for i := 1; i <= 3; i++ {
		postBreaks(t, rl, i)
	}
	events := func() float64 {
		return testutil.ToFloat64(counterVec(t, reg, "engine_notify_events_total", "fills")) +
			testutil.ToFloat64(counterVec(t, reg, "engine_notify_events_total", "breaks"))
	}
	waitFor(t, "103 events raised", func() bool { return events() == 103 })
	if tries, got := h.state(); len(got) != 0 || tries > 1 {
		t.Fatalf("before the clock moved: %d attempts, %d delivered; want at most the first attempt, refused", tries, len(got))
	}
	for range 6 { // a minute of 500s
		manual.Advance(10 * time.Second)
	}
	h.mu.Lock()
	h.failing = false
	h.mu.Unlock()
	waitFor(t, "103 messages delivered", func() bool {
		manual.Advance(10 * time.Second)
		_, got := h.state()
		return len(got) >= 103
	})
	checkDelivered(t, h)
}

// checkDelivered: every message was answered 200 once, signed, without
// the secret: 100 fills of dip and 3 breaks.
func checkDelivered(t *testing.T, h *hook) {
	t.Helper()
	_, got := h.state()
	fills, breaks := 0, 0
	for id, c := range got {
		if c != 1 {
			t.Errorf("message %s delivered %d times", id, c)
		}
		body := h.bodies[id]
		if strings.Contains(string(body), notifySecret) {
			t.Errorf("message %s carries the signing secret", id)
		}
		var wb notify.WebhookBody
		if err := json.Unmarshal(body, &wb); err != nil {
			t.Fatal(err)
		}
		switch wb.Class {
		case notify.ClassFills:
			fills++
			if !strings.Contains(wb.Title, "BUY 0.01 BTC @ 60,000 EUR (dip, OTC)") {
				t.Errorf("fill title %q", wb.Title)
			}
		case notify.ClassBreaks:
			breaks++
		}
	}
	if fills != 100 || breaks != 3 || len(got) != 103 {
		t.Errorf("delivered %d fills and %d breaks (%d messages), want 100 and 3", fills, breaks, len(got))
	}
	if len(h.sigErrs) > 0 {
		t.Errorf("signatures that do not verify: %v", h.sigErrs[:1])
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func postFill(t *testing.T, s *ledger.Store, cid string) {
	t.Helper()
	ctx := context.Background()
	req := `{"strategy":"dip","pair":"BTCEUR","side":"buy","size":"0.01","amount":"0","path":"otc"}`
	if _, _, err := s.CreateIntent(ctx, ledger.Intent{ClientID: cid, Kind: ledger.IntentOrder, Venue: ledger.Hercle, Request: []byte(req)}); err != nil {
		t.Fatal(err)
	}
	avail, cp := ledger.VenueAvailable(ledger.Hercle), ledger.Counterparty(ledger.Hercle)
	d := decimal.RequireFromString
	e := ledger.Entry{Key: ledger.TradeKey("t-" + cid), Kind: ledger.KindTrade, ClientID: cid,
		Refs: map[string]string{"pair": "BTCEUR", "side": "buy"}, Postings: []ledger.Posting{
			{Account: avail, Asset: "BTC", Amount: d("0.01")}, {Account: cp, Asset: "BTC", Amount: d("-0.01")},
			{Account: avail, Asset: "EUR", Amount: d("-600")}, {Account: cp, Asset: "EUR", Amount: d("600")}}}
	if _, _, err := s.Post(ctx, e); err != nil {
		t.Fatal(err)
	}
}

func postBreaks(t *testing.T, l reportingLedger, n int) {
	t.Helper()
	now := time.Now()
	rep := reconcile.Report{Started: now, Finished: now, Breaks: n, Counts: []reconcile.Count{{Check: "trades", Outcome: "missing_in_ledger", N: n}}}
	body, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutReport(context.Background(), ledger.Report{Started: now, Finished: now, Breaks: n, Body: body}, 0); err != nil {
		t.Fatal(err)
	}
}

func counterVec(t *testing.T, g prometheus.Gatherer, name, class string) prometheus.Collector {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "class" && l.GetValue() == class {
					c.Add(m.GetCounter().GetValue())
				}
			}
		}
	}
	return c
}

// waitFor polls cond until it holds, for at most 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		<-time.After(10 * time.Millisecond) // polling a condition other goroutines make true
	}
}

// TestDailySummary: the day's booked figures, then the equity and the
// unrealised PnL now, from the portfolio.
func TestDailySummary(t *testing.T) {
	d := decimal.RequireFromString
	var p pnl.Portfolio
	p.Reference, p.Equity, p.Totals.Unrealised = "EUR", d("1234567.5"), d("-20")
	p.Assets = []portfolio.AssetReport{{Asset: "BTC", Quantity: d("1.5")}, {Asset: "ETH"}}
	p.ByDay = []portfolio.DayPnL{{Day: "2025-03-03", Amounts: portfolio.Amounts{Realised: d("99")}},
		{Day: "2025-03-04", Amounts: portfolio.Amounts{Realised: d("1000.25"), Fees: d("3")}}}
	ev := dailyEvent(p, "2025-03-04")
	var got []string
	for _, f := range ev.Fields {
		got = append(got, f.Name+"="+f.Value)
	}
	want := "BTC=1.5|realised PnL=1,000.25 EUR|fees=3 EUR|inflows=0 EUR|outflows=0 EUR|equity=1,234,567.5 EUR|unrealised PnL=-20 EUR"
	if ev.Class != notify.ClassDaily || !strings.Contains(ev.Title, "2025-03-04") || !strings.HasSuffix(strings.Join(got, "|"), want) {
		t.Errorf("daily = %q %q, want %q", ev.Title, got, want)
	}
}
