package daemon_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/ledger"
)

// adminPosts are the admin API's requests that take a JSON body.
var adminPosts = []string{
	"/admin/order",
	"/admin/convert",
	"/admin/pause",
	"/admin/kill",
	"/admin/resume",
	"/admin/strategies/none/params",
	"/admin/intents/none/resolve",
	"/admin/whitelist",
	"/admin/payees",
	"/admin/customers/deposits",
	"/admin/customers/payouts",
}

// FuzzAdminBodies posts arbitrary bodies to every admin request that takes
// one, on a paper engine with the Heropayments rail: each answer is a JSON
// object and never a 500, the engine keeps answering, and a body that is
// not JSON is refused with 400 and makes no intent. (The journal is no
// measure: payments made by earlier inputs settle at any time.)
func FuzzAdminBodies(f *testing.F) {
	h := start(f, customersConfig(f, "v2"), daemon.Options{})
	for _, pair := range []string{"BTCEUR", "USDTEUR"} { // priced, so valid bodies trade and pay
		h.waitMetric("engine_ticks_total", map[string]string{"pair": pair}, 1)
	}
	for i, body := range []string{
		`{"pair":"BTCEUR","side":"buy","size":"0.001"}`,
		`{"from":"EUR","to":"BTC","amount":"20"}`,
		`{"reason":"fuzz"}`,
		`{"reason":"fuzz"}`,
		`{}`,
		`{"params":{"band":"0.1"}}`,
		`{"outcome":"failed","evidence":"x"}`,
		`{"name":"x","asset":"BTC","address":"bc1q","network":"Bitcoin"}`,
		`{"type":"individual","name":"A B","country":"IT","city":"Rome","address":"Via 1","postal_code":"00100"}`,
		`{"order_id":"o-1","customer_id":"c-1","currency":"USDT","network":"Tron","amount":"10"}`,
		`{"id":"p-1","customer_id":"c-1","currency":"USDT","network":"Tron","address":"TX","amount":"1"}`,
	} {
		f.Add(uint8(i), []byte(body))
		f.Add(uint8(i), []byte(body[:len(body)/2]))
	}
	f.Add(uint8(0), []byte(`{"pair":"BTCEUR","side":"buy","size":1e400}`))
	f.Add(uint8(9), []byte(`{"amount":"-0","amount":"1"}`))
	f.Add(uint8(1), []byte("{}{}"))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := adminPosts[int(route)%len(adminPosts)]
		before := intentIDs(t, h)
		code, answer := adminPost(t, h, path, body)
		if code == http.StatusInternalServerError || !json.Valid([]byte(answer)) || !bytes.HasPrefix(bytes.TrimSpace([]byte(answer)), []byte("{")) {
			t.Fatalf("POST %s %q = %d %s, want a JSON object and no 500", path, body, code, answer)
		}
		if len(body) > 0 && !json.Valid(body) { // none is how pause, kill and resume are sent without a reason
			if code != http.StatusBadRequest {
				t.Fatalf("POST %s %q (not JSON) = %d %s, want 400", path, body, code, answer)
			}
			for id := range intentIDs(t, h) {
				if !before[id] {
					t.Fatalf("POST %s %q (not JSON) made intent %s", path, body, id)
				}
			}
		}
		adminGet(t, h, "/admin/status") // still answering
	})
}

func adminPost(t *testing.T, h *harness, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.info.AdminURL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	return do(t, req)
}

func adminGet(t *testing.T, h *harness, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.info.AdminURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	code, body := do(t, req)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, code, body)
	}
	return body
}

// intentIDs are the client ids of the intents the ledger holds. The
// states are read in the order an intent moves through them, so one that
// moves during the reads is seen at least once.
func intentIDs(t *testing.T, h *harness) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, st := range []string{"pending", "submitted", "unknown", "succeeded", "failed", "resolved"} {
		var list []ledger.Intent
		if err := json.Unmarshal([]byte(adminGet(t, h, "/admin/intents?state="+st)), &list); err != nil {
			t.Fatal(err)
		}
		for _, in := range list {
			if in.ClientID == "" {
				t.Fatalf("GET /admin/intents?state=%s: an intent without a client id", st)
			}
			ids[in.ClientID] = true
		}
	}
	return ids
}
