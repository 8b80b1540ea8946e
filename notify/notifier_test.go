package notify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/tomlval"
)

func fill(i int) Event {
	return FillEvent(Fill{Side: "buy", Amount: decimal.RequireFromString("0.05"), Base: "BTC",
		Price: decimal.NewFromInt(60100 + int64(i)), Quote: "EUR", Strategy: "rebalance core", Path: "OTC",
		ClientID: fmt.Sprintf("c-%03d", i)})
}

func breakRun(i int) Event {
	return BreakEvent(Break{Run: fmt.Sprint(i), Breaks: i, Counts: []Count{{"trades missing_at_venue", i}}})
}

// The acceptance scenario: 100 fills and 3 breaks reach each local
// receiver as configured, each once, with no secret in any body.
func TestFillsAndBreaksReachEachReceiverOnce(t *testing.T) {
	clk := clock.NewManual(t0)
	slackRx, tgRx, hookRx := newReceiver(t, clk.Clock()), newReceiver(t, clk.Clock()), newReceiver(t, clk.Clock())
	const token, signing = "123456:tg-secret-ABCDEFG", "whsec-secret-0123456789"
	slackURL := slackRx.srv.URL + "/services/T000/B000/slack-secret-XYZXYZ"
	env := map[string]string{"SLACK_URL": slackURL, "TG_TOKEN": token, "HOOK_SECRET": signing}
	cfg := Config{Sinks: []SinkConfig{
		slackSink("slack", "SLACK_URL", ClassFills, ClassBreaks),
		{Name: "telegram", Type: TypeTelegram, Classes: []string{"breaks", "kills"}, BaseURL: tgRx.srv.URL,
			ChatID: "-100200300", TokenEnv: "TG_TOKEN", RatePerMinute: 600000, Burst: 10000},
		{Name: "hook", Type: TypeWebhook, Classes: []string{"fills", "breaks"}, URL: hookRx.srv.URL + "/engine",
			SecretEnv: "HOOK_SECRET", RatePerMinute: 600000, Burst: 10000},
	}}
	r := newRig(t, clk, cfg, env)
	r.start(t)

	var want, wantBreaks []Event
	for i := range 100 {
		want = append(want, fill(i))
	}
	for i := 1; i <= 3; i++ {
		wantBreaks = append(wantBreaks, breakRun(i))
	}
	want = append(want, wantBreaks...)
	for _, ev := range want {
		r.n.Notify(ev)
	}
	waitFor(t, "every message", func() bool {
		return slackRx.count() == 103 && tgRx.count() == 3 && hookRx.count() == 103
	})
	r.stop(t)

	var wantSlack, wantTelegram []string
	for _, ev := range want {
		wantSlack = append(wantSlack, slackText(ev))
	}
	for _, ev := range wantBreaks {
		wantTelegram = append(wantTelegram, telegramText(ev))
	}
	// One worker per sink sends in queue order.
	if diff := cmp.Diff(wantSlack, slackRx.texts(t)); diff != "" {
		t.Errorf("Slack messages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTelegram, tgRx.texts(t)); diff != "" {
		t.Errorf("Telegram messages (-want +got):\n%s", diff)
	}
	for _, req := range slackRx.requests() {
		if req.Path != "/services/T000/B000/slack-secret-XYZXYZ" {
			t.Fatalf("Slack request path = %q", req.Path)
		}
	}
	for _, req := range tgRx.requests() {
		var b struct {
			ChatID json.RawMessage `json:"chat_id"`
		}
		if err := json.Unmarshal(req.Body, &b); err != nil {
			t.Fatal(err)
		}
		// A numeric id goes as a JSON number.
		if req.Path != "/bot"+token+"/sendMessage" || string(b.ChatID) != "-100200300" {
			t.Fatalf("Telegram request to %q with chat_id %s", req.Path, b.ChatID)
		}
	}
	ids := map[string]bool{}
	var titles []string
	for _, req := range hookRx.requests() {
		if err := verifyWebhook([]byte(signing), req.Header.Get(SignatureHeader), req.Body, clk.Now()); err != nil {
			t.Fatalf("webhook signature: %v", err)
		}
		var b WebhookBody
		if err := json.Unmarshal(req.Body, &b); err != nil {
			t.Fatal(err)
		}
		if ids[b.ID] || b.ID != req.Header.Get(EventIDHeader) {
			t.Fatalf("webhook id %q repeated or not in the header (%q)", b.ID, req.Header.Get(EventIDHeader))
		}
		ids[b.ID] = true
		titles = append(titles, b.Title)
	}
	var wantTitles []string
	for _, ev := range want {
		wantTitles = append(wantTitles, ev.Title)
	}
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Errorf("webhook titles (-want +got):\n%s", diff)
	}
	for _, rx := range []*receiver{slackRx, tgRx, hookRx} {
		for _, req := range rx.requests() {
			assertNoSecret(t, "request body", string(req.Body), env)
		}
	}
	assertNoSecret(t, "log", r.logs.String(), env)
	if got := r.counter(r.n.m.sent, "slack"); got != 103 {
		t.Errorf("sent{slack} = %d, want 103", got)
	}
	if got := r.counter(r.n.m.events, "fills"); got != 100 {
		t.Errorf("events{fills} = %d, want 100", got)
	}
}

// A receiver that fails for a minute delays nothing: 10,000 Notify calls
// return at once while it fails, and once it recovers every event that
// was queued is delivered once; the rest are counted as dropped and
// logged in one line per interval.
func TestFailingReceiverDelaysNothing(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	recovered := t0.Add(time.Minute)
	rx.setAnswer(func(_ int, r request, w http.ResponseWriter) {
		if r.At.Before(recovered) {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	const queue = 64
	cfg := Config{QueueSize: queue, Sinks: []SinkConfig{slackSink("slack", "URL", ClassFills)}}
	r := newRig(t, clk, cfg, map[string]string{"URL": rx.srv.URL + "/hook"})
	r.start(t)

	// The first event is in flight: sent once, failed, waiting to retry.
	r.n.Notify(fill(0))
	waitFor(t, "the first attempt to fail", func() bool { return rx.count() == 1 && clk.Pending() > 0 })

	const calls = 10_000
	events := make([]Event, calls+1)
	for i := range events {
		events[i] = fill(i)
	}
	var slowest time.Duration
	start := time.Now()
	for _, ev := range events[1:] {
		s := time.Now()
		r.n.Notify(ev)
		slowest = max(slowest, time.Since(s))
	}
	total := time.Since(start)
	t.Logf("%d Notify calls while the receiver fails: %v in all, slowest %v", calls, total, slowest)
	// Generous bounds: a blocked call would wait for the manual clock,
	// which does not move here, and never return.
	if total > 2*time.Second || slowest > 250*time.Millisecond {
		t.Errorf("Notify took %v for %d calls (slowest %v), want well under a second", total, calls, slowest)
	}
	if got, want := r.dropped("slack", "queue_full"), calls-queue; got != want {
		t.Errorf("dropped{queue_full} = %d, want %d", got, want)
	}

	delivered := func() map[string]int {
		seen := map[string]int{}
		for _, req := range rx.requests() {
			if !req.At.Before(recovered) {
				var b struct{ Text string }
				json.Unmarshal(req.Body, &b)
				seen[b.Text]++
			}
		}
		return seen
	}
	r.advanceUntil(t, "the queued events to be delivered", time.Second, func() bool {
		return len(delivered()) == queue+1
	})
	r.stop(t)

	got := delivered()
	for i := 0; i <= queue; i++ {
		if n := got[slackText(fill(i))]; n != 1 {
			t.Errorf("fill %d delivered %d times after recovery, want 1", i, n)
		}
	}
	if n := len(rx.requests()) - len(got); n < 5 {
		t.Errorf("%d failed attempts in the minute, want retries with backoff (at least 5)", n)
	}
	if got := r.counter(r.n.m.retries, "slack"); got < 5 {
		t.Errorf("retries = %d, want at least 5", got)
	}
	lines := r.logs.lines(t, "notify: events dropped")
	sum := 0
	for _, l := range lines {
		sum += int(l["queue_full"].(float64))
	}
	if sum != calls-queue || len(lines) > 2 {
		t.Errorf("drop log: %d lines counting %d queue_full, want at most 2 lines counting %d", len(lines), sum, calls-queue)
	}
}

func TestDedupSendsAKeyOncePerWindow(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	cfg := Config{DedupWindow: tomlval.Dur(10 * time.Minute), Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}
	r := newRig(t, clk, cfg, map[string]string{"URL": rx.srv.URL})
	r.start(t)

	alert := Event{Class: ClassAlerts, Key: "feed-stale:BTCEUR", Title: "Feed stale: BTCEUR"}
	for range 5 {
		r.n.Notify(alert)
	}
	clk.Advance(10*time.Minute - time.Second)
	r.n.Notify(alert) // still inside the window
	unkeyed := Event{Class: ClassAlerts, Title: "no key"}
	r.n.Notify(unkeyed)
	r.n.Notify(unkeyed)
	if got := r.counter(r.n.m.deduplicated, "slack"); got != 5 {
		t.Errorf("deduplicated = %d, want 5", got)
	}
	waitFor(t, "three messages", func() bool { return rx.count() == 3 })

	clk.Advance(time.Second) // the window since the first has passed
	r.n.Notify(alert)
	waitFor(t, "the alert again", func() bool { return rx.count() == 4 })
	r.stop(t)
	want := []string{slackText(alert), slackText(unkeyed), slackText(unkeyed), slackText(alert)}
	if diff := cmp.Diff(want, rx.texts(t)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

// Over the rate, events are summed up in one message, not lost.
func TestRateLimitCoalesces(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	sink := slackSink("slack", "URL", ClassFills, ClassKills)
	sink.RatePerMinute, sink.Burst = 60, 2
	r := newRig(t, clk, Config{Sinks: []SinkConfig{sink}}, map[string]string{"URL": rx.srv.URL})

	for i := range 10 {
		r.n.Notify(fill(i))
	}
	kill := KillEvent(Kill{Kind: KillSwitch, On: true, Reason: "operator", Time: t0})
	r.n.Notify(kill)
	r.start(t)
	waitFor(t, "two sent and nine held back", func() bool {
		return rx.count() == 2 && r.counter(r.n.m.coalesced, "slack", "fills")+r.counter(r.n.m.coalesced, "slack", "kills") == 9
	})
	if got := clk.Pending(); got != 1 {
		t.Fatalf("pending timers = %d, want the summary's", got)
	}
	clk.Advance(time.Second) // one token
	waitFor(t, "the summary", func() bool { return rx.count() == 3 })
	r.stop(t)

	summary := Event{Class: ClassAlerts, Severity: SeverityCritical,
		Title: "Rate limit: 9 more events not sent one by one",
		Fields: []Field{
			{"fills", "8 more; last: " + fill(9).Title},
			{"kills", "1 more; last: Kill switch ON: operator"},
		}}
	want := []string{slackText(fill(0)), slackText(fill(1)), slackText(summary)}
	if diff := cmp.Diff(want, rx.texts(t)); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if got := r.counter(r.n.m.coalesced, "slack", "fills"); got != 8 {
		t.Errorf("coalesced{fills} = %d, want 8", got)
	}
}

func TestRetryAfterIsRespected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typ    string
		answer func(w http.ResponseWriter)
		want   time.Duration
	}{
		{"slack header", TypeSlack, func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 30 * time.Second},
		{"telegram body", TypeTelegram, func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}`)
		}, 7 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewManual(t0)
			rx := newReceiver(t, clk.Clock())
			rx.setAnswer(func(n int, _ request, w http.ResponseWriter) {
				if n == 0 {
					tc.answer(w)
				}
			})
			sink := slackSink("s", "URL", ClassAlerts)
			env := map[string]string{"URL": rx.srv.URL}
			if tc.typ == TypeTelegram {
				sink = SinkConfig{Name: "s", Type: TypeTelegram, Classes: []string{"alerts"}, ChatID: "@desk", TokenEnv: "TOKEN", BaseURL: rx.srv.URL}
				env = map[string]string{"TOKEN": "1:token-abcdef"}
			}
			r := newRig(t, clk, Config{Sinks: []SinkConfig{sink}}, env)
			r.start(t)
			r.n.Notify(Event{Class: ClassAlerts, Title: "x"})
			waitFor(t, "the 429 and its wait", func() bool { return rx.count() == 1 && clk.Pending() == 1 })
			clk.Advance(tc.want - time.Millisecond)
			if rx.count() != 1 || clk.Pending() != 1 {
				t.Fatalf("retried before Retry-After: %d requests, %d timers", rx.count(), clk.Pending())
			}
			clk.Advance(time.Millisecond)
			waitFor(t, "the retry", func() bool { return rx.count() == 2 })
			r.stop(t)
			reqs := rx.requests()
			if got := reqs[1].At.Sub(reqs[0].At); got != tc.want {
				t.Errorf("retry after %v, want %v", got, tc.want)
			}
			if got := r.counter(r.n.m.sent, "s"); got != 1 {
				t.Errorf("sent = %d, want 1", got)
			}
		})
	}
}

// A full queue drops, counts by reason, and logs once per interval.
func TestQueueFullDropsAndLogsOncePerInterval(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	release := make(chan struct{})
	rx.setAnswer(func(n int, _ request, _ http.ResponseWriter) {
		if n == 0 || n == 3 {
			select { // hold the worker inside a send
			case <-release:
			case <-time.After(10 * time.Second):
			}
		}
	})
	cfg := Config{QueueSize: 2, DropLogEvery: tomlval.Dur(time.Minute), Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}
	r := newRig(t, clk, cfg, map[string]string{"URL": rx.srv.URL})
	r.start(t)
	alert := func(i int) Event { return Event{Class: ClassAlerts, Title: fmt.Sprint("alert ", i)} }

	r.n.Notify(alert(0))
	waitFor(t, "the first send", func() bool { return rx.count() == 1 })
	for i := 1; i <= 5; i++ {
		r.n.Notify(alert(i)) // 1 and 2 are queued, 3 to 5 dropped
	}
	if got := r.dropped("slack", "queue_full"); got != 3 {
		t.Errorf("dropped{queue_full} = %d, want 3", got)
	}
	release <- struct{}{}
	waitFor(t, "the first drop line and the queued sends", func() bool {
		return len(r.logs.lines(t, "notify: events dropped")) == 1 && rx.count() == 3
	})

	r.n.Notify(alert(6))
	waitFor(t, "the second held send", func() bool { return rx.count() == 4 })
	for i := 7; i <= 11; i++ {
		r.n.Notify(alert(i)) // 7 and 8 queued, 9 to 11 dropped
	}
	release <- struct{}{}
	waitFor(t, "everything queued to be sent", func() bool { return rx.count() == 6 && clk.Pending() == 1 })
	if n := len(r.logs.lines(t, "notify: events dropped")); n != 1 {
		t.Fatalf("%d drop lines within the interval, want 1", n)
	}
	clk.Advance(time.Minute)
	waitFor(t, "the second drop line", func() bool { return len(r.logs.lines(t, "notify: events dropped")) == 2 })
	r.stop(t)

	lines := r.logs.lines(t, "notify: events dropped")
	for i, want := range []float64{3, 3} {
		if lines[i]["queue_full"] != want || lines[i]["sink"] != "slack" {
			t.Errorf("drop line %d = %v, want sink slack, queue_full %v", i, lines[i], want)
		}
	}
	if got := r.dropped("slack", "queue_full"); got != 6 {
		t.Errorf("dropped{queue_full} = %d, want 6", got)
	}
}

func TestGiveUpAndRejection(t *testing.T) {
	clk := clock.NewManual(t0)
	failing, refusing := newReceiver(t, clk.Clock()), newReceiver(t, clk.Clock())
	failing.setAnswer(func(_ int, _ request, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) })
	refusing.setAnswer(func(_ int, _ request, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) })
	cfg := Config{GiveUpAfter: tomlval.Dur(time.Minute), Sinks: []SinkConfig{
		slackSink("failing", "A", ClassAlerts), slackSink("refusing", "B", ClassAlerts)}}
	r := newRig(t, clk, cfg, map[string]string{"A": failing.srv.URL, "B": refusing.srv.URL})
	r.start(t)
	r.n.Notify(Event{Class: ClassAlerts, Title: "x"})
	r.advanceUntil(t, "the failing sink to give up", time.Second, func() bool { return r.dropped("failing", "gave_up") == 1 })
	waitFor(t, "the refusal", func() bool { return r.dropped("refusing", "rejected") == 1 })
	r.stop(t)

	reqs := failing.requests()
	if last := reqs[len(reqs)-1].At; last.After(t0.Add(time.Minute)) || len(reqs) < 5 {
		t.Errorf("%d attempts, the last at %v: want several, none after give_up_after", len(reqs), last.Sub(t0))
	}
	if n := refusing.count(); n != 1 {
		t.Errorf("a 404 was retried: %d requests", n)
	}
	got := map[string]map[string]any{}
	for _, l := range r.logs.lines(t, "notify: events dropped") {
		got[l["sink"].(string)] = l
	}
	if l := got["failing"]; l["gave_up"] != 1.0 || l["last_error"] != "notify: send to failing: HTTP 502" {
		t.Errorf("failing sink's drop line = %v", l)
	}
	if l := got["refusing"]; l["rejected"] != 1.0 || l["last_error"] != "notify: send to refusing: HTTP 404" {
		t.Errorf("refusing sink's drop line = %v", l)
	}
}

// Events that waited in the queue longer than give_up_after, behind a
// receiver that kept failing, are dropped without an attempt.
func TestQueuedEventsExpire(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	recovered := t0.Add(15 * time.Minute)
	rx.setAnswer(func(_ int, r request, w http.ResponseWriter) {
		if r.At.Before(recovered) {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	cfg := Config{GiveUpAfter: tomlval.Dur(10 * time.Minute), Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}
	r := newRig(t, clk, cfg, map[string]string{"URL": rx.srv.URL})
	for i := range 3 {
		r.n.Notify(Event{Class: ClassAlerts, Title: fmt.Sprint("old ", i)})
	}
	r.start(t)
	r.advanceUntil(t, "the old events to expire", 10*time.Second, func() bool { return r.dropped("slack", "gave_up") == 3 })
	for _, req := range rx.requests() {
		if !strings.Contains(string(req.Body), "old 0") {
			t.Errorf("attempted %s after it expired in the queue", req.Body)
		}
	}
	clk.Set(recovered)
	r.n.Notify(Event{Class: ClassAlerts, Title: "new"})
	waitFor(t, "the new event", func() bool { return r.counter(r.n.m.sent, "slack") == 1 })
	r.stop(t)
}

func TestShutdownDrainsThenStops(t *testing.T) {
	t.Run("drains what is queued", func(t *testing.T) {
		clk := clock.NewManual(t0)
		rx := newReceiver(t, clk.Clock())
		r := newRig(t, clk, Config{Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}, map[string]string{"URL": rx.srv.URL})
		for i := range 5 {
			r.n.Notify(Event{Class: ClassAlerts, Title: fmt.Sprint(i)})
		}
		r.start(t)
		r.stop(t)
		if n := rx.count(); n != 5 {
			t.Errorf("%d of 5 queued events sent before Run returned", n)
		}
		r.n.Notify(Event{Class: ClassAlerts, Title: "late"})
		if got := r.dropped("slack", "closed"); got != 1 {
			t.Errorf("dropped{closed} = %d, want 1", got)
		}
	})
	t.Run("the grace bounds a failing receiver", func(t *testing.T) {
		clk := clock.NewManual(t0)
		rx := newReceiver(t, clk.Clock())
		rx.setAnswer(func(_ int, _ request, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
		cfg := Config{DrainGrace: tomlval.Dur(5 * time.Second), Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}
		r := newRig(t, clk, cfg, map[string]string{"URL": rx.srv.URL})
		r.start(t)
		r.n.Notify(Event{Class: ClassAlerts, Title: "x"})
		waitFor(t, "a retry wait", func() bool { return clk.Pending() == 1 })
		r.cancel()
		waitFor(t, "the grace timer", func() bool { return clk.Pending() == 2 })
		clk.Advance(5 * time.Second)
		r.wait(t)
		if got := r.dropped("slack", "shutdown"); got != 1 {
			t.Errorf("dropped{shutdown} = %d, want 1", got)
		}
		if got := clk.Now().Sub(t0); got > 2*time.Minute {
			t.Errorf("shutdown took %v of clock time", got)
		}
	})
	t.Run("Close", func(t *testing.T) {
		clk := clock.NewManual(t0)
		rx := newReceiver(t, clk.Clock())
		r := newRig(t, clk, Config{Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}, map[string]string{"URL": rx.srv.URL})
		done := make(chan error, 1)
		go func() { done <- r.n.Run(t.Context()) }()
		r.n.Notify(Event{Class: ClassAlerts, Title: "x"})
		waitFor(t, "Run to start", func() bool {
			r.n.mu.Lock()
			defer r.n.mu.Unlock()
			return r.n.started
		})
		if err := r.n.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after Close")
		}
		if n := rx.count(); n != 1 {
			t.Errorf("%d messages, want the one queued before Close", n)
		}
		if err := r.n.Run(t.Context()); err != ErrRunTwice {
			t.Errorf("second Run = %v, want ErrRunTwice", err)
		}
	})
}

func TestNilNotifierDiscards(t *testing.T) {
	var n *Notifier
	n.Notify(Event{Class: ClassAlerts, Title: "x"}) // must not panic
}

func TestCloseWithoutRun(t *testing.T) {
	n, err := New(Config{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := n.Run(t.Context()); err != nil {
		t.Errorf("Run after Close = %v, want nil at once", err)
	}
}

func TestNotifyCopiesFields(t *testing.T) {
	clk := clock.NewManual(t0)
	rx := newReceiver(t, clk.Clock())
	r := newRig(t, clk, Config{Sinks: []SinkConfig{slackSink("slack", "URL", ClassAlerts)}}, map[string]string{"URL": rx.srv.URL})
	fields := []Field{{"a", "1"}}
	r.n.Notify(Event{Class: ClassAlerts, Title: "x", Fields: fields})
	fields[0].Value = "changed by the caller"
	r.start(t)
	waitFor(t, "the message", func() bool { return rx.count() == 1 })
	if got := rx.texts(t)[0]; got != "*x*\na: 1" {
		t.Errorf("text = %q, want the fields as they were at Notify", got)
	}
}

func BenchmarkNotify(b *testing.B) {
	n, err := New(Config{QueueSize: 1 << 16, Sinks: []SinkConfig{
		slackSink("a", "URL", ClassFills), slackSink("b", "URL", ClassFills)}},
		Options{Getenv: func(k string) string { return map[string]string{"URL": "http://127.0.0.1:1/x"}[k] }})
	if err != nil {
		b.Fatal(err)
	}
	ev := fill(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ev.Key = fmt.Sprint(i)
		n.Notify(ev)
	}
}
