package hercle

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addSamples seeds a fuzz target with every testdata body.
func addSamples(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
}

func FuzzDecodeAPIError(f *testing.F) {
	addSamples(f)
	f.Add([]byte("<html>502 Bad Gateway</html>"))
	f.Add([]byte(`{"error":"x"}`))
	f.Add([]byte(`{"code":404,"message":["a"]}`))
	red := redactor{key: testKey}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{400, 429, 503} {
			res := result{status: status, header: http.Header{"Retry-After": {string(body)}}, body: body}
			e := parseAPIError("GET /api/v1/pairs", res, red, time.Unix(0, 0))
			if e.Status != status || e.Err == nil {
				t.Fatalf("APIError %+v lost its status or class", e)
			}
			if msg := e.Error(); strings.Contains(msg, testKey) {
				t.Fatalf("error leaks the key: %s", msg)
			}
		}
	})
}

func FuzzDecodeOneOrArray(f *testing.F) {
	addSamples(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var b oneOrArray[Balances]
		_ = json.Unmarshal(body, &b)
		var w oneOrArray[Withdrawal]
		_ = json.Unmarshal(body, &w)
	})
}

func FuzzDecodeNumber(f *testing.F) {
	for _, s := range []string{"0.1", "26844.07", "0.123456789012345678", `"1.5"`, "1e-999", "-0", "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n Number
		if err := n.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Number
		if err := back.UnmarshalJSON(out); err != nil && len(out) <= maxNumberLen {
			t.Fatalf("%s re-encoded as %s, which does not decode: %v", b, out, err)
		}
	})
}

func FuzzDecodeTime(f *testing.F) {
	for _, s := range []string{`"2023-07-23T32:35.000Z"`, `"0001-01-01T00:00:00"`, `"2023-10-05T14:07:59+00:00"`, `12`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tm Time
		if err := tm.UnmarshalJSON(b); err != nil {
			return
		}
		if _, err := tm.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
		var u UnixMillis
		_ = u.UnmarshalJSON(b)
	})
}

// FuzzDecodeModel runs the client's response decoder over every model.
func FuzzDecodeModel(f *testing.F) {
	addSamples(f)
	f.Add([]byte(`{"payload":[{"id":"p","createdAt":1764000000000,"updatedAt":1.7e12,"routingCodes":{"aba":"026009593"}}],"paginationToken":{"Id":{"S":"id-001"}}}`))
	f.Add([]byte(`{"id":"t","type":"DEPOSIT","amount":1.5,"debtor":{"routingCodes":[{"type":"sort_code","value":"200415"}],"addressParams":{"tag":1}},"creditor":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{"application/json", "text/html", ""} {
			res := result{status: 200, header: http.Header{"Content-Type": {ct}}, body: body}
			for _, newModel := range responseModels {
				_ = decodeBody("GET /x", res, newModel(), false)
			}
			var page CursorPage[Transfer]
			_ = decodeBody("GET /x", res, &page, false)
			// The banking models, which no testdata sample covers.
			for _, m := range []any{new(CursorPage[Payee]), new(CursorPage[PayeeAddress]), new(CursorPage[BusinessEndUser]),
				new(CursorPage[IndividualEndUser]), new(CursorPage[DepositAccount]), new(LedgerTransaction), new(Payee),
				new(PayeeAddress), new(DepositAccount), new(BusinessEndUser), new(IndividualEndUser)} {
				_ = decodeBody("GET /x", res, m, false)
			}
			var inv struct {
				Invoices []LightningInvoice `json:"invoices"`
			}
			_ = decodeBody("GET /x", res, &inv, false)
		}
	})
}
