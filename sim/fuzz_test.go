package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// FuzzNumber: an amount either fails to decode or decodes to the decimal
// its text spells, and is written back as that decimal.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0.1", "26844.07", "0.123456789012345678", "1e3", "-0", `"1"`, "null", "1.5E-20", "123456789012345678901234567890"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var x num
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return
		}
		want, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("%q decoded to %s but is not a decimal: %v", s, x.Decimal, err)
		}
		if !x.Decimal.Equal(want) {
			t.Fatalf("%q decoded to %s", s, x.Decimal)
		}
		out, _ := x.MarshalJSON()
		back, err := decimal.NewFromString(string(out))
		if err != nil || !back.Equal(want) || strings.ContainsAny(string(out), `"eE`) {
			t.Fatalf("%q written as %s", s, out)
		}
	})
}

// FuzzRequestBodies posts arbitrary bodies to every POST and DELETE
// endpoint: the answer is a documented 2xx or 4xx JSON body, never a 5xx
// or a panic.
func FuzzRequestBodies(f *testing.F) {
	paths := []string{
		"POST /api/v1/orders", "POST /api/v1/rfq", "POST /api/v1/rfq/custom-expiration", "POST /api/v1/rfq/accept",
		"POST /api/v1/addresses/whitelist", "POST /api/v1/addresses/whitelist/params", "DELETE /api/v1/addresses/whitelist",
		"POST /api/v1/addresses/deposit", "POST /api/v1/withdrawals", "POST /api/v1/withdrawals/instant",
		"POST /api/v1/withdrawals/address", "POST /api/v1/invoices", "POST /api/v1/lightning/withdrawals",
		"POST /api/v1/end-users/businesses", "POST /api/v1/end-users/individuals", "POST /api/v1/deposit-accounts",
		"POST /api/v1/payee", "POST /api/v1/payees/p1/addresses", "POST /api/v1/transfer", "POST /api/v1/simulate-payin",
	}
	seeds := []string{
		`{"priceId":"x","side":"buy","slippage":1}`,
		`{"pair":"BTCUSDT","side":"buy","size":0.5,"amount":25000}`,
		`{"pair":"BTCUSDT","side":"sell","size":0,"amount":26844.07,"expirationInSeconds":15}`,
		`{"requestForQuoteId":"123"}`,
		`{"name":"My Wallet","asset":"BTC","address":"1A1z","addressParams":{"id":"i"},"network":"Bitcoin"}`,
		`{"addressId":"addr_1"}`, `{"id":"addr_1"}`, `{"asset":"EUR","network":"Sepa"}`,
		`{"asset":"ETH","amount":1.234567890123456789,"address":"0xdead","addressParams":{},"network":"Ethereum","isInstant":false}`,
		`{"amountBtc":0.001,"expiryHours":24,"memo":"m"}`, `{"paymentRequestHash":"lnbc2500u1pvjluez"}`,
		`{"business":{"companyName":"A"},"businessPersons":[{}],"ipAddress":"1.2.3.4","sector":"BLOCKCHAIN"}`,
		`{"person":{"firstName":"F","lastName":"M","dob":"1990-05-20","nationality":["IT"],"phone":"+39","email":"e","address":{"line1":"abc","city":"c","postalCode":"p","country":"IT"}},"ipAddress":"1.2.3.4"}`,
		`{"asset":"EUR","network":"Sepa","fiatAccountId":"fac_1","endUserId":"eus_1"}`,
		`{"type":0,"name":"John","endUserId":"","surname":"Doe","company":"C","country":"US","state":"CA","city":"SF","address":"1","postalCode":"9"}`,
		`{"name":"n","asset":"EUR","address":"DE89","addressParams":{"bic":"X"},"network":"Sepa"}`,
		`{"asset":"USD","amount":1000.5,"internalAddressId":"a","payeeAddressId":"b","description":"d"}`,
		`{"amount":789.31,"toAddress":"fac_x","from":{"accountHolderName":"F","iban":"IT08"},"fromType":"PERSON","paymentScheme":"SCT","reference":"r"}`,
		``, `null`, `[]`, `{"amount":"1"}`, `{}{}`,
	}
	for i := range paths {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	s := &Server{opts: Options{Seed: 1, AutoApproveWhitelist: true}.withDefaults(), key: "k"}
	s.venue = NewVenue(s.opts)
	h := s.handler()
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		method, path, _ := strings.Cut(paths[int(which)%len(paths)], " ")
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s %q: status %d %s", method, path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s %q: body is not JSON: %q", method, path, body, rec.Body)
		}
		if rec.Code >= 400 && strings.Contains(rec.Body.String(), body) && len(body) > 8 {
			t.Fatalf("%s %s: error echoes the request body: %s", method, path, rec.Body)
		}
	})
}

func TestErrorStatusesForEveryKind(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{invalid("x", "bad"), http.StatusBadRequest}, {missing("x"), http.StatusBadRequest},
		{notFound("x", "1"), http.StatusNotFound}, {conflict("c"), http.StatusConflict},
		{&Error{Kind: KindInsufficientFunds}, http.StatusBadRequest}, {expired("x", "e"), http.StatusBadRequest},
	} {
		if got := toAPIError(tt.err).status; got != tt.want {
			t.Errorf("toAPIError(%v).status = %d, want %d", tt.err, got, tt.want)
		}
	}
}
