package daemon_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/daemon"
)

// TestAdminThrottlesWrongTokens: wrong tokens are refused, then the client
// is throttled (429, without the token being compared), and the refusals
// are logged in aggregate, not a line each.
func TestAdminThrottlesWrongTokens(t *testing.T) {
	h := start(t, paperConfig(t.TempDir()), daemon.Options{})
	codes := map[int]int{}
	for range 200 {
		code, _ := h.admin(http.MethodGet, "/admin/status", "wrong-token-wrong-token-wrong-token")
		codes[code]++
	}
	if codes[401] != 5 || codes[429] != 195 {
		t.Fatalf("answers to 200 wrong tokens: %v, want 5 × 401 then 195 × 429", codes)
	}
	// Throttled: even the right token waits out the block from that client.
	if code, _ := h.admin(http.MethodGet, "/admin/status", adminToken); code != 429 {
		t.Errorf("right token from a throttled client = %d, want 429", code)
	}
	if n := strings.Count(h.logs.String(), "admin request refused"); n > 5 {
		t.Errorf("%d log lines for 201 refused admin requests, want at most 5 (the rest in the summary)", n)
	}
	h.waitMetric("engine_admin_refused_total", map[string]string{"reason": "throttled"}, 196)
}

// TestUnsafeListenersRefused: a short admin token, metrics on a public
// address, and remote admin over plain HTTP are configuration errors.
func TestUnsafeListenersRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*config.Config)
		token  string
		substr string
	}{
		{"short token", func(*config.Config) {}, "a", "ADMIN_TOKEN is 1 bytes"},
		{"metrics off loopback", func(c *config.Config) { c.Metrics.Addr = "0.0.0.0:0" }, adminToken, "metrics.addr"},
		{"remote admin without TLS", func(c *config.Config) { c.Admin.Addr, c.Admin.AllowRemote = "0.0.0.0:0", true }, adminToken, "admin.allow_remote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := paperConfig(t.TempDir())
			tc.edit(&cfg)
			secrets, err := config.LoadSecrets(func(k string) string { return map[string]string{"ADMIN_TOKEN": tc.token}[k] })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := daemon.New(cfg, secrets, daemon.Options{}); err == nil || !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("New = %v, want an error naming %q", err, tc.substr)
			}
		})
	}
}
