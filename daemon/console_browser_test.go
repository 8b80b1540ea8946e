package daemon_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/strategy"
)

// chromium finds a Chromium or Chrome binary. Without one the browser
// test skips, unless ENGINE_REQUIRE_BROWSER=1 (CI), where it fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ENGINE_REQUIRE_BROWSER") == "1" {
		t.Fatal("ENGINE_REQUIRE_BROWSER=1 but no chromium on PATH: apt-get install -y chromium")
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium); set ENGINE_REQUIRE_BROWSER=1 to fail instead")
	return ""
}

// TestConsoleInBrowser drives the console in headless Chromium against a
// paper engine holding a manual order the simulator leaves pending: log
// in, see the portfolio and the open intent, pause with confirmation, see
// it paused (and the admin API agree, with the action audited). With
// ENGINE_CONSOLE_SCREENSHOTS=DIR it saves login.png, overview.png and
// paused.png there (docs/console/ holds the committed ones).
func TestConsoleInBrowser(t *testing.T) {
	exe := chromium(t)
	cfg := paperConfig(t.TempDir())
	cfg.Sim.Seed = 20
	cfg.Execution.Lookups = 2 // the admin order answers "unresolved" at once; the intent stays open
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "dip-buyer", Disabled: true, Params: always("buy", "BTCEUR", "0.001", "otc")}}
	cfg.Risk.Transfers.MaxDaily = tomlval.MustDec("20000")
	// USDT is among the simulator's opening balances: fed, it is valued.
	cfg.Feeds.Pairs = append(cfg.Feeds.Pairs, feeds.PairSettings{Pair: "USDTEUR", Size: tomlval.MustDec("1000")})
	h := start(t, cfg, daemon.Options{Sim: func(o *sim.Options) { o.PendingProbability, o.PendingFor = 1, time.Hour }})
	for _, p := range []string{"BTCEUR", "ETHEUR", "USDTEUR"} {
		h.waitMetric("engine_ticks_total", map[string]string{"pair": p}, 1)
	}
	code, ans := h.post("/admin/order", map[string]string{"pair": "BTCEUR", "side": "buy", "size": "0.002", "reason": "browser test"})
	if code != 202 || ans["status"] != "unresolved" || ans["client_id"] == "" {
		t.Fatalf("manual order = %d %v, want 202 unresolved with a Client-Id", code, ans)
	}
	t.Logf("seed %d; open intent %s", cfg.Sim.Seed, ans["client_id"])

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser, on a context without a deadline
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	ctx, cancelRun := context.WithTimeout(ctx, 60*time.Second)
	defer cancelRun()
	shots := os.Getenv("ENGINE_CONSOLE_SCREENSHOTS")

	step(t, ctx, "log in", chromedp.Navigate(h.info.AdminURL+"/console/"), chromedp.WaitVisible(chromedp.ID("token")))
	screenshot(t, ctx, shots, "login.png")
	step(t, ctx, "submit the token", chromedp.SendKeys(chromedp.ID("token"), adminToken), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("portfolio")))
	if got := text(t, ctx, "#equity"); got == "" || got == "0.00" {
		t.Errorf("equity shown = %q, want the paper account's", got)
	}
	if got := text(t, ctx, "#intents"); !strings.Contains(got, ans["client_id"]) || !strings.Contains(got, "submitted") {
		t.Errorf("open intents section does not show %s submitted:\n%s", ans["client_id"], got)
	}
	if got := text(t, ctx, "#state"); got != "trading" {
		t.Errorf("state before pause = %q, want trading", got)
	}
	screenshot(t, ctx, shots, "overview.png")
	step(t, ctx, "pause", chromedp.Click(chromedp.ID("pause")), chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.ID("reason"), "end of day"), chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if got := text(t, ctx, "#state"); got != "paused" {
		t.Errorf("state after pause = %q, want paused", got)
	}
	screenshot(t, ctx, shots, "paused.png")
	if st := h.state(); st != "paused" {
		t.Errorf("admin API state after the console's pause = %q, want paused", st)
	}
	if recs := h.auditOf("pause"); len(recs) != 1 || recs[0].Who != "admin via console" || !strings.Contains(recs[0].Detail, "end of day") {
		t.Errorf("pause audit records = %+v, want one by the console with its reason", recs)
	}
}

// step runs browser actions, failing the test with what it was doing.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// text is the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// screenshot saves the whole page as dir/name, when dir is set.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser: screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
