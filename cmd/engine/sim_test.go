package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startSimCommand runs engine sim with args until the test ends and
// returns the variables it printed and its logs, once it logged that it
// serves.
func startSimCommand(t *testing.T, args ...string) (map[string]string, *watchWriter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	serving := make(chan struct{})
	logs := &watchWriter{want: `msg="simulator serving"`, fire: func() { close(serving) }}
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, &env{stdout: &out, stderr: logs, getenv: func(string) string { return "" }}, append([]string{"sim"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("engine sim = %d at shutdown, want 0; logs:\n%s", code, logs)
		}
	})
	select {
	case <-serving:
	case code := <-done:
		t.Fatalf("engine sim %v = %d before serving; logs:\n%s", args, code, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("engine sim %v did not serve; logs:\n%s", args, logs)
	}
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vars[k] = v
		}
	}
	return vars, logs
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func request(t *testing.T, method, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestSimFlags: engine sim's flags override the file's [sim] section
// (the log states each setting); manual whitelist approval holds an entry
// until the control endpoint approves it; -heropayments serves the
// Heropayments simulator with the credentials it prints.
func TestSimFlags(t *testing.T) {
	vars, logs := startSimCommand(t, "-config", "../../config.toml", "-addr", "127.0.0.1:0",
		"-whitelist-approval", "manual", "-payee-approval", "manual", "-hub-envelope", "object", "-hub-drop-every", "5s",
		"-maintenance", "-webhook-duplicate", "0.25", "-webhook-stale-by", "20m", "-heropayments", "-customers-every", "1s")
	for _, want := range []string{"whitelist_approval=manual", "payee_approval=manual", "maintenance=true", "hub_envelope=object",
		"hub_drop_every=5s", "Duplicate:0.25", "StaleBy:20m0s", "control=http://127.0.0.1:", "customers_every=1s"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	base, auth := vars["HERCLE_BASE_URL"], map[string]string{"Authorization": "Bearer " + vars["HERCLE_API_KEY"], "Content-Type": "application/json"}
	code, body := request(t, http.MethodPost, base+"/api/v1/addresses/whitelist", auth,
		`{"name":"cold","asset":"BTC","address":"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq","network":"Bitcoin"}`)
	var w struct {
		AddressID string `json:"addressId"`
	}
	if code/100 != 2 || json.Unmarshal([]byte(body), &w) != nil {
		t.Fatalf("whitelist = %d %s", code, body)
	}
	if code, body := request(t, http.MethodGet, base+"/sim/control/approvals", auth, ""); code != http.StatusOK || !strings.Contains(body, w.AddressID) {
		t.Fatalf("approvals = %d %s, want %s pending", code, body, w.AddressID)
	}
	if code, body := request(t, http.MethodPost, base+"/sim/control/whitelist/"+w.AddressID+"/approve", auth, ""); code != http.StatusOK ||
		!strings.Contains(body, `"status":2`) {
		t.Fatalf("approve = %d %s", code, body)
	}

	mac := hmac.New(sha512.New, []byte(vars["HEROPAYMENTS_API_SECRET"])) // a GET signs its empty query
	hp := map[string]string{"x-api-key": vars["HEROPAYMENTS_API_KEY"], "x-api-sign": hex.EncodeToString(mac.Sum(nil))}
	if code, body := request(t, http.MethodGet, vars["HEROPAYMENTS_BASE_URL"]+"/v2/balance", hp, ""); code != http.StatusOK ||
		!strings.Contains(body, `"currency":"USDT"`) {
		t.Fatalf("Heropayments balance with the printed credentials = %d %s", code, body)
	}
}

// TestSimFlagsRefused: a flag value the section would refuse is a usage
// error naming the key, and nothing is served.
func TestSimFlagsRefused(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-hub-envelope", "json"}, "sim.hub.envelope"},
		{[]string{"-whitelist-approval", "maybe"}, "sim.whitelist_approval"},
		{[]string{"-webhook-delay", "2"}, "sim.webhooks.delay"},
		{[]string{"-webhook-stale-by", "1m"}, "sim.webhooks.stale_by"},
		{[]string{"-hub-drop-every", "5"}, "want a duration"},
		{[]string{"-webhook-duplicate", "lots"}, "want a number"},
		{[]string{"-maintenance=perhaps"}, "maintenance"},
	} {
		code, stdout, stderr := runEngine(t, nil, append([]string{"sim", "-config", "../../config.toml", "-addr", "127.0.0.1:0"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
			t.Errorf("engine sim %v = %d %q %q, want %d naming %s and nothing served", tt.args, code, stdout, stderr, exitUsage, tt.want)
		}
	}
}
