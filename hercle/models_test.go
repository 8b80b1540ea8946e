package hercle

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/jsondiff"
)

// responseModels maps a testdata file's endpoint prefix to the type its
// body decodes into. Bodies in either shape (object or one-element array)
// are listed by their element type and decoded as what the file holds.
var responseModels = map[string]func() any{
	"pairs":                   func() any { return new([]Pair) },
	"pair_size":               func() any { return new(SizeQuote) },
	"price":                   func() any { return new(PriceQuote) },
	"networks":                func() any { return new([]string) },
	"balances":                func() any { return new(Balances) },
	"trades":                  func() any { return new([]Trade) },
	"trades_historical":       func() any { return new([]Trade) },
	"trades_by_client_id":     func() any { return new([]Trade) },
	"transactions":            func() any { return new([]Transaction) },
	"transactions_historical": func() any { return new([]Transaction) },
	"place_order":             func() any { return new(Execution) },
	"accept_rfq":              func() any { return new(Execution) },
	"orders":                  func() any { return new([]Order) },
	"orders_by_client_id":     func() any { return new([]Order) },
	"create_rfq":              func() any { return new(RFQ) },
	"whitelist":               func() any { return new(AddressResult) },
	"whitelist_params":        func() any { return new(AddressResult) },
	"whitelist_remove":        func() any { return new(AddressResult) },
	"whitelisted":             func() any { return new([]WhitelistedAddress) },
	"deposit_addresses":       func() any { return new([]DepositAddress) },
	"deposit_address_create":  func() any { return new(DepositAddress) },
	"withdraw":                func() any { return new(Withdrawal) },
	"withdraw_address":        func() any { return new(Withdrawal) },
	"withdraw_instant":        func() any { return new(Withdrawal) },
	"withdrawals":             func() any { return new([]Withdrawal) },
	"withdrawals_paginated":   func() any { return new([]Withdrawal) },
	"invoice_create":          func() any { return new(Invoice) },
	"lightning_withdraw":      func() any { return new(LightningPayment) },
	"transfer_create":         func() any { return new(TransferReceipt) },
	"simulate_payin":          func() any { return new(PayIn) },
}

var requestModels = map[string]func() any{
	"place_order": func() any { return new(OrderRequest) },
	"accept_rfq": func() any {
		return new(struct {
			RequestForQuoteID string `json:"requestForQuoteId"`
		})
	},
	"create_rfq":        func() any { return new(RFQRequest) },
	"create_custom_rfq": func() any { return new(CustomRFQRequest) },
	"whitelist":         func() any { return new(WhitelistRequest) },
	"whitelist_params":  func() any { return new(WhitelistParamsRequest) },
	"whitelist_remove": func() any {
		return new(struct {
			AddressID string `json:"addressId"`
		})
	},
	"deposit_address_create": func() any { return new(DepositAddressRequest) },
	"withdraw":               func() any { return new(WithdrawalRequest) },
	"withdraw_instant":       func() any { return new(WithdrawalRequest) },
	"withdraw_address":       func() any { return new(AddressParamsWithdrawalRequest) },
	"invoice_create":         func() any { return new(InvoiceRequest) },
	"lightning_withdraw":     func() any { return new(LightningWithdrawalRequest) },
	"deposit_account_create": func() any { return new(DepositAccountRequest) },
	"payee_register":         func() any { return new(PayeeRequest) },
	"transfer_create":        func() any { return new(TransferRequest) },
	"simulate_payin":         func() any { return new(PayInRequest) },
}

// TestSamplesDecodeStrictly decodes every documented example and collection
// sample with unknown fields refused, re-encodes it, and checks that every
// key of the original survives with an equal value (numbers compared as
// decimals, so 20.0 equals 20).
func TestSamplesDecodeStrictly(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "error_") {
			continue
		}
		parts := strings.Split(base, ".") // endpoint.source.kind.json
		if len(parts) != 4 {
			t.Errorf("%s: name is not endpoint.source.kind.json", base)
			continue
		}
		models := responseModels
		if parts[2] == "request" {
			models = requestModels
		}
		newModel, ok := models[parts[0]]
		if !ok {
			t.Errorf("%s: no model registered for %q", base, parts[0])
			continue
		}
		t.Run(base, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(bytes.TrimSpace(body)) == 0 {
				t.Skip("sample has no body (handled by CreateDepositAddress's emptyOK)")
			}
			seen++
			model := newModel()
			if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) && reflect.TypeOf(model).Elem().Kind() != reflect.Slice {
				// The object-or-array responses: decode the array form strictly.
				model = reflect.New(reflect.SliceOf(reflect.TypeOf(model).Elem())).Interface()
			}
			strictDecode(t, body, model)
			again, err := json.Marshal(model)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			var orig, back any
			mustUseNumber(t, body, &orig)
			mustUseNumber(t, again, &back)
			if diffs := jsondiff.Compare("$", orig, back); len(diffs) > 0 {
				t.Errorf("re-encoding lost or changed fields:\n%s\nre-encoded: %s", strings.Join(diffs, "\n"), again)
			}
		})
	}
	if seen < 50 {
		t.Errorf("decoded %d samples, want at least 50 (testdata missing?)", seen)
	}
}

func strictDecode(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("strict decode into %T: %v", v, err)
	}
	if dec.More() {
		t.Fatalf("trailing data after the JSON value")
	}
}

func mustUseNumber(t *testing.T, b []byte, v *any) {
	t.Helper()
	var err error
	if *v, err = jsondiff.Decode(b); err != nil {
		t.Fatalf("generic decode: %v", err)
	}
}

func TestIrregularSamples(t *testing.T) {
	read := func(name string, v any) {
		t.Helper()
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var trades []Trade
	read("trades.collection.response.json", &trades)
	if ts := trades[0].Timestamp; ts.Valid() || ts.Raw != "2023-07-23T32:35.000Z" {
		t.Errorf("out-of-range timestamp = %+v, want invalid with raw text kept", ts)
	}
	var deps []DepositAddress
	read("deposit_addresses.collection.response.json", &deps)
	if d := deps[0].CreationDate; d.Raw != "0001-01-01T00:00:00" || !d.Time.IsZero() || d.Valid() {
		t.Errorf("zone-less zero date = %+v, want raw kept and no valid time", d)
	}
	var docs, coll SizeQuote
	read("pair_size.docs.response.json", &docs)
	read("pair_size.collection.response.json", &coll)
	if docs.Time().Raw != "2024-01-01T12:00:00Z" || coll.Time().Raw != "2023-10-11T23:00:57.93094Z" {
		t.Errorf("timeStamp/timestamp: docs %q, collection %q", docs.Time().Raw, coll.Time().Raw)
	}
	if !coll.Price.Equal(decimal.RequireFromString("26844.07")) {
		t.Errorf("price = %s, want 26844.07 exactly", coll.Price)
	}
	var w oneOrArray[Withdrawal]
	read("withdraw.collection.response.json", &w)
	if !w.Array || w.V.ClientID != "68925acb-4f03-48ab-98a9-16b845f21017" || !SameNetwork(w.V.Network, "Ethereum") {
		t.Errorf("withdrawal array form = %+v", w)
	}
	for _, f := range []string{"balances.docs.response.json", "balances.collection.response.json", "balances.guide.response.json"} {
		var b oneOrArray[Balances]
		read(f, &b)
		if len(b.V.Assets) != 2 {
			t.Errorf("%s: %d assets, want 2", f, len(b.V.Assets))
		}
	}
	if !SameNetwork("Sepa", "SEPA") || SameNetwork("Sepa", "Swift") {
		t.Error("SameNetwork must ignore case only")
	}
}

func TestOneOrArrayRejectsOtherShapes(t *testing.T) {
	for _, body := range []string{`[]`, `[{"userId":"a"},{"userId":"b"}]`} {
		var b oneOrArray[Balances]
		err := json.Unmarshal([]byte(body), &b)
		if err == nil || !strings.Contains(err.Error(), ErrUnexpectedShape.Error()) {
			t.Errorf("decode %s: err = %v, want unexpected shape", body, err)
		}
	}
}

func TestRoutingCodesAndParams(t *testing.T) {
	var r RoutingCodes
	if err := json.Unmarshal([]byte(`{"sort_code":"200415","aba":26009593}`), &r); err != nil {
		t.Fatal(err)
	}
	want := RoutingCodes{{"aba", "26009593"}, {"sort_code", "200415"}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("object routing codes = %v, want %v", r, want)
	}
	var p Params
	if err := json.Unmarshal([]byte(`{"tag":123,"memo":null,"x":{"a":1}}`), &p); err != nil {
		t.Fatal(err)
	}
	if p["tag"] != "123" || p["memo"] != "" || p["x"] != `{"a":1}` {
		t.Errorf("params = %v", p)
	}
	b, err := json.Marshal(AddressParamsWithdrawalRequest{Asset: "EUR", Amount: MustNumber("1")})
	if err != nil || !bytes.Contains(b, []byte(`"addressParams":{}`)) {
		t.Errorf("nil params marshal as %s (%v), want {}", b, err)
	}
}
