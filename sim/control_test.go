package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/otcdesk/engine/sim"
)

// call sends an authenticated request with body (nil: none) to srv and
// returns the status and the answer.
func call(t *testing.T, srv *sim.Server, method, path, key string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// registerPayeeAddress registers a payee and a SEPA account for it over
// REST and returns the address id.
func registerPayeeAddress(t *testing.T, srv *sim.Server) string {
	t.Helper()
	code, b := call(t, srv, http.MethodPost, "/api/v1/payee", srv.APIKey(), map[string]any{"type": 0, "name": "Ada",
		"surname": "Lovelace", "country": "GB", "city": "London", "address": "1 St James's Sq", "postalCode": "SW1Y 4JU"})
	var p struct {
		ID string `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(b, &p) != nil || p.ID == "" {
		t.Fatalf("POST /payee = %d %s", code, b)
	}
	code, b = call(t, srv, http.MethodPost, "/api/v1/payees/"+p.ID+"/addresses", srv.APIKey(), map[string]any{"name": "Ada EUR",
		"asset": "EUR", "address": "GB33BUKB20201555555555", "network": "SEPA", "addressParams": map[string]string{"bic": "BUKBGB22"}})
	var a struct {
		ID     string `json:"id"`
		Status int    `json:"status"`
	}
	if code != http.StatusCreated || json.Unmarshal(b, &a) != nil || a.ID == "" {
		t.Fatalf("POST /payees/{id}/addresses = %d %s", code, b)
	}
	return a.ID
}

// whitelistAndWithdraw asks to whitelist a BTC address over REST and
// tries a withdrawal to it; it returns the entry's id and the withdrawal's
// status code.
func whitelistAndWithdraw(t *testing.T, srv *sim.Server, clientID string) (string, int) {
	t.Helper()
	const addr = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	code, b := call(t, srv, http.MethodPost, "/api/v1/addresses/whitelist", srv.APIKey(),
		map[string]any{"name": "cold", "asset": "BTC", "address": addr, "network": "Bitcoin"})
	var w struct {
		AddressID string `json:"addressId"`
	}
	if code/100 != 2 || json.Unmarshal(b, &w) != nil || w.AddressID == "" {
		t.Fatalf("POST /addresses/whitelist = %d %s", code, b)
	}
	return w.AddressID, withdraw(t, srv, clientID, addr)
}

func withdraw(t *testing.T, srv *sim.Server, clientID, addr string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/api/v1/withdrawals",
		bytes.NewReader([]byte(`{"asset":"BTC","amount":0.01,"address":"`+addr+`","network":"Bitcoin"}`)))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Client-Id", clientID)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestManualApprovalThroughControl: with manual approval a whitelist entry
// and a payee address wait; the control endpoint lists them, approves
// them (the withdrawal to the entry then goes through, and the payee
// address's approval is an event the webhooks carry) and refuses requests
// without the key, for unknown ids and for a deleted address.
func TestManualApprovalThroughControl(t *testing.T) {
	srv, _ := startServer(t, sim.Options{Seed: seed})
	events := srv.Venue().Subscribe()
	defer events.Close()

	wid, code := whitelistAndWithdraw(t, srv, "wd-before")
	if code != http.StatusBadRequest {
		t.Fatalf("withdrawal to a pending whitelist entry = %d, want 400", code)
	}
	pid := registerPayeeAddress(t, srv)

	code, b := call(t, srv, http.MethodGet, sim.ControlPath+"approvals", srv.APIKey(), nil)
	var pending struct {
		Whitelist      []struct{ ID string }
		PayeeAddresses []struct {
			ID     string
			Status int
		}
	}
	if code != http.StatusOK || json.Unmarshal(b, &pending) != nil || len(pending.Whitelist) != 1 || pending.Whitelist[0].ID != wid ||
		len(pending.PayeeAddresses) != 1 || pending.PayeeAddresses[0].ID != pid || pending.PayeeAddresses[0].Status != 0 {
		t.Fatalf("GET approvals = %d %s; want whitelist %s and payee address %s pending", code, b, wid, pid)
	}

	for _, bad := range []struct {
		path, key string
		want      int
	}{
		{"whitelist/" + wid + "/approve", "", http.StatusUnauthorized},
		{"whitelist/" + wid + "/approve", "wrong", http.StatusUnauthorized},
		{"whitelist/no-such-id/approve", srv.APIKey(), http.StatusNotFound},
		{"payee-addresses/no-such-id/approve", srv.APIKey(), http.StatusNotFound},
	} {
		if code, b := call(t, srv, http.MethodPost, sim.ControlPath+bad.path, bad.key, nil); code != bad.want {
			t.Errorf("POST %s with key %q = %d %s, want %d", bad.path, bad.key, code, b, bad.want)
		}
	}
	if code, b := call(t, srv, http.MethodPost, sim.ControlPath+"whitelist/"+wid+"/approve", srv.APIKey(), nil); code != http.StatusOK ||
		!bytes.Contains(b, []byte(`"status":2`)) {
		t.Fatalf("approve whitelist = %d %s, want 200 with status 2", code, b)
	}
	if code := withdraw(t, srv, "wd-after", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("withdrawal to the approved entry = %d, want 2xx", code)
	}
	if n := srv.Venue().Executions("wd-after"); n != 1 {
		t.Fatalf("executions of wd-after = %d, want 1", n)
	}
	if code, b := call(t, srv, http.MethodPost, sim.ControlPath+"payee-addresses/"+pid+"/approve", srv.APIKey(), nil); code != http.StatusOK ||
		!bytes.Contains(b, []byte(`"status":4`)) {
		t.Fatalf("approve payee address = %d %s, want 200 with status 4", code, b)
	}
	if a := srv.Venue().PendingApprovals(); len(a.Whitelist)+len(a.PayeeAddresses) != 0 {
		t.Fatalf("pending after approving both = %+v, want none", a)
	}
	waitEvent(t, events, func(e sim.Event) bool {
		c, ok := e.(sim.PayeeAddressChanged)
		return ok && c.PayeeAddress.ID == pid && c.Previous == sim.PayeeAddressStatusCreated &&
			c.PayeeAddress.Status == sim.PayeeAddressStatusApproved
	}, "the payee address's approval")
	if _, err := srv.Venue().SetPayeeAddressStatus(pid, sim.PayeeAddressStatusDeleted, ""); err != nil {
		t.Fatal(err)
	}
	if code, b := call(t, srv, http.MethodPost, sim.ControlPath+"payee-addresses/"+pid+"/refuse", srv.APIKey(), nil); code != http.StatusConflict {
		t.Fatalf("refuse a deleted payee address = %d %s, want 409", code, b)
	}
}

// TestAutoApproval: with automatic approval a whitelist entry is usable at
// once, and a payee address is created and then approved: two events, so
// a receiver of webhooks sees the approval as it would from Hercle.
func TestAutoApproval(t *testing.T) {
	srv, _ := startServer(t, sim.Options{Seed: seed, AutoApproveWhitelist: true, AutoApprovePayees: true})
	events := srv.Venue().Subscribe()
	defer events.Close()
	if _, code := whitelistAndWithdraw(t, srv, "wd-auto"); code/100 != 2 {
		t.Fatalf("withdrawal to an auto-approved entry = %d, want 2xx", code)
	}
	pid := registerPayeeAddress(t, srv)
	var seen []int
	waitEvent(t, events, func(e sim.Event) bool {
		switch e := e.(type) {
		case sim.PayeeAddressCreated:
			seen = append(seen, e.PayeeAddress.Status)
		case sim.PayeeAddressChanged:
			seen = append(seen, e.PayeeAddress.Status)
			return e.PayeeAddress.ID == pid
		}
		return false
	}, "the payee address's approval")
	if len(seen) != 2 || seen[0] != sim.PayeeAddressStatusCreated || seen[1] != sim.PayeeAddressStatusApproved {
		t.Fatalf("payee address statuses = %v, want [0 4]", seen)
	}
	if a := srv.Venue().PendingApprovals(); len(a.Whitelist)+len(a.PayeeAddresses) != 0 {
		t.Fatalf("pending with automatic approval = %+v, want none", a)
	}
}

// TestControlDropsHub: POST hub/drop closes every hub connection.
func TestControlDropsHub(t *testing.T) {
	srv, _ := startServer(t, sim.Options{Seed: seed, APIKey: testKey})
	dialHub(t, srv.URL(), nil)
	code, b := call(t, srv, http.MethodPost, sim.ControlPath+"hub/drop", srv.APIKey(), nil)
	if code != http.StatusOK || string(b) != `{"dropped":1}` {
		t.Fatalf("POST hub/drop = %d %s, want {\"dropped\":1}", code, b)
	}
	if n := srv.Hub().Drops(); n != 1 {
		t.Fatalf("hub drops = %d, want 1", n)
	}
}

// waitEvent reads events until match holds.
func waitEvent(t *testing.T, s *sim.Subscription, match func(sim.Event) bool, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for {
		e, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(e) {
			return
		}
	}
}
