package sim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestControlGuardRefusesRemotePeers: a control request from a peer off
// loopback is refused even with the key, and changes nothing; from
// loopback it is served. (The server listens on loopback only, so this
// is the second line of defence, tested on the handler.)
func TestControlGuardRefusesRemotePeers(t *testing.T) {
	s := &Server{opts: Options{Seed: 1}.withDefaults(), key: "k"}
	s.venue = NewVenue(s.opts)
	w, err := s.venue.WhitelistAddress(WhitelistRequest{Name: "n", Asset: "BTC", Address: "bc1q", Network: "Bitcoin"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.controlRoutes(mux)
	for _, tt := range []struct {
		remote string
		want   int
	}{
		{"192.0.2.7:40000", http.StatusForbidden},
		{"[2001:db8::1]:40000", http.StatusForbidden},
		{"127.0.0.1:40000", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodPost, ControlPath+"whitelist/"+w.ID+"/approve", nil)
		req.RemoteAddr = tt.remote
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Fatalf("approve from %s = %d %s, want %d", tt.remote, rec.Code, rec.Body, tt.want)
		}
		approved := s.venue.PendingApprovals().Whitelist == nil || len(s.venue.PendingApprovals().Whitelist) == 0
		if approved != (tt.want == http.StatusOK) {
			t.Fatalf("after the request from %s the entry is approved = %v", tt.remote, approved)
		}
	}
}
