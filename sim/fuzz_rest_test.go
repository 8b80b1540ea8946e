package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
)

// FuzzListingRequests sends arbitrary path values and query strings to
// every GET listing: the answer is a 2xx or 4xx JSON body, never a 5xx or
// a panic, and a page holds at most pageSize records. The venue holds two
// transactions, so any page after page 0 must be empty: a page number
// whose offset overflows must not wrap around to the first page.
func FuzzListingRequests(f *testing.F) {
	at := time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)
	routes := []string{
		"/api/v1/user/trades/%s/%s/%s/%s", "/api/v1/user/trades/%s/%s/%s/%s/historical",
		"/api/v1/user/transactions/%s/%s/%s/%s", "/api/v1/user/transactions/%s/%s/%s/%s/historical",
		"/api/v1/orders/%s/%s/%s/%s", "/api/v1/withdrawals/%s/%s/%s/%s",
	}
	for i := range routes {
		f.Add(uint8(i), "2025-12-01T00:00:00Z", "2025-12-05T23:59:59Z", "0", "5", "")
		f.Add(uint8(i), "2025-12-03T08:00:00.5Z", "2025-12-03T10:00:00Z", "1", "5", "")
		f.Add(uint8(i), "2025-12-01T00:00:00Z", "2025-12-05T23:59:59Z", "368934881474191032", "50", "")
		f.Add(uint8(i), "2025-12-01T00:00:00Z", "2025-12-05T23:59:59Z", "-1", "4", "")
	}
	for _, q := range []string{
		"pageSize=5", "pageSize=5&from=2025-12-01T00:00:00Z&to=2025-12-30T23:59:59Z",
		`pageSize=5&paginationToken={"Id":{"S":"id-001"}}`, "pageSize=50&startDate=2025-12-01T00:00:00Z&endDate=2025-12-02T00:00:00Z&status=9",
		"page=184467440737095516&pageSize=50&asset=ETH", "pageSize=x",
	} {
		f.Add(uint8(len(routes)), "", "", "", "", q)
	}
	opts := Options{Seed: 1, Clock: clock.NewManual(at).Clock()}.withDefaults()
	s := &Server{opts: opts, key: "k"}
	s.venue = NewVenue(opts)
	for range 2 {
		if _, err := s.venue.Credit("ETH", decimal.NewFromInt(1)); err != nil {
			f.Fatal(err)
		}
	}
	h := s.handler()
	queried := []string{"/api/v1/withdrawals", "/api/v1/end-users/businesses", "/api/v1/end-users/individuals",
		"/api/v1/deposit-accounts", "/api/v1/payees", "/api/v1/payee-addresses", "/api/v1/transfers"}
	f.Fuzz(func(t *testing.T, which uint8, start, end, page, size, query string) {
		var target string
		i := int(which) % (len(routes) + len(queried))
		if i < len(routes) {
			seg := func(s string) string { return url.PathEscape(s) }
			target = strings.NewReplacer("%s", "\x00").Replace(routes[i])
			for _, v := range []string{start, end, page, size} {
				if v == "" || v == "." || v == ".." {
					return // the client never sends these; the mux would redirect
				}
				target = strings.Replace(target, "\x00", seg(v), 1)
			}
		} else {
			target = queried[i-len(routes)] + "?" + query
		}
		req, err := http.NewRequest(http.MethodGet, "http://sim"+target, nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("GET %s: status %d %s", target, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("GET %s: body is not JSON: %q", target, rec.Body)
		}
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "[") {
			return
		}
		var items []json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		n, _ := json.Number(req.URL.Query().Get("pageSize")).Int64()
		if i < len(routes) { // a path-paged listing; a 200 means page and size parsed
			p, _ := json.Number(page).Int64()
			sz, _ := json.Number(size).Int64()
			if int64(len(items)) > sz {
				t.Fatalf("GET %s: %d records on a page of %d", target, len(items), sz)
			}
			if p > 0 && len(items) > 0 {
				t.Fatalf("GET %s: page %d of a two-record listing holds %d records", target, p, len(items))
			}
		} else if n > 0 && int64(len(items)) > n {
			t.Fatalf("GET %s: %d records on a page of %d", target, len(items), n)
		}
	})
}
