package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/strategy"
)

// TestNotifyDelaysNothing: with the fills' receiver hanging on every
// request, the engine keeps trading; the desk's receiver hears the pause
// and the resume an operator asks for, with who asked, and no secret.
func TestNotifyDelaysNothing(t *testing.T) {
	release := make(chan struct{})
	var hung sync.WaitGroup
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		defer hung.Done()
		<-release
	}))
	defer slow.Close()
	defer close(release) // before the server closes: its handlers return
	var mu sync.Mutex
	var titles []string
	var bodies []string
	desk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var wb notify.WebhookBody
		json.Unmarshal(b, &wb)
		mu.Lock()
		titles = append(titles, wb.Title)
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer desk.Close()
	const secret = "hook-secret-value-0123456789abcdef"
	cfg := paperConfig(t.TempDir())
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	cfg.Notify = notify.Config{DrainGrace: tomlval.Dur(50 * time.Millisecond), RequestTimeout: tomlval.Dur(500 * time.Millisecond),
		Sinks: []notify.SinkConfig{
			{Name: "slow", Type: notify.TypeWebhook, Classes: []string{"fills"}, URL: slow.URL, SecretEnv: "HOOK_SECRET"},
			{Name: "desk", Type: notify.TypeWebhook, Classes: []string{"kills"}, URL: desk.URL, SecretEnv: "HOOK_SECRET"},
		}}
	h := start(t, cfg, daemon.Options{Getenv: func(k string) string { return map[string]string{"HOOK_SECRET": secret}[k] }})
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "s", "outcome": "filled"}, 10)
	h.waitMetric("engine_notify_events_total", map[string]string{"class": "fills"}, 10)
	if n := metric(t, h.d.Registry(), "engine_notify_sent_total", map[string]string{"sink": "slow"}); n != 0 {
		t.Fatalf("the hanging receiver answered %v messages", n)
	}
	if code, _ := h.admin(http.MethodPost, "/admin/pause", adminToken); code != http.StatusOK {
		t.Fatalf("pause = %d", code)
	}
	h.waitMetric("engine_notify_sent_total", map[string]string{"sink": "desk"}, 1)
	if code, _ := h.admin(http.MethodPost, "/admin/resume", adminToken); code != http.StatusOK {
		t.Fatalf("resume = %d", code)
	}
	h.waitMetric("engine_notify_sent_total", map[string]string{"sink": "desk"}, 2)
	mu.Lock()
	defer mu.Unlock()
	if len(titles) != 2 || titles[0] != "Trading paused: paused by operator" || titles[1] != "Trading resumed: paused by operator" {
		t.Errorf("desk heard %q, want the pause and the resume", titles)
	}
	for _, b := range bodies {
		if strings.Contains(b, secret) || !strings.Contains(b, `"value":"admin"`) {
			t.Errorf("message %s: a secret, or no operator named", b)
		}
	}
}
