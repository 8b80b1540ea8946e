package hercle

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestNumberRoundTrip(t *testing.T) {
	for _, s := range []string{"0.1", "26844.07", "0.123456789012345678", "1200000", "-3.5", "1e-8"} {
		var n Number
		if err := json.Unmarshal([]byte(s), &n); err != nil {
			t.Fatalf("Unmarshal(%s): %v", s, err)
		}
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		var back Number
		if err := json.Unmarshal(b, &back); err != nil || !back.Equal(n.Decimal) || strings.Contains(string(b), `"`) {
			t.Errorf("round trip of %s: marshal %s, back %s, err %v", s, b, back, err)
		}
	}
	var q Number
	if err := json.Unmarshal([]byte(`"2.50"`), &q); err != nil || q.String() != "2.5" {
		t.Errorf("quoted decimal = %s, %v", q, err)
	}
	for _, bad := range []string{`".5"`, `"1."`, `"+1"`, `1e9999`, `"abc"`, `true`, `{}`, strings.Repeat("9", 101)} {
		var n Number
		if err := json.Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("Unmarshal(%.20s) accepted a non-number: %s", bad, n)
		}
	}
	n := MustNumber("7")
	if err := json.Unmarshal([]byte(`null`), &n); err != nil || n.String() != "7" {
		t.Errorf("null changed the value to %s (%v)", n, err)
	}
}

func TestTimeForms(t *testing.T) {
	cases := []struct {
		in    string
		valid bool
		want  time.Time
	}{
		{`"2023-10-11T23:00:57.93094Z"`, true, time.Date(2023, 10, 11, 23, 0, 57, 930940000, time.UTC)},
		{`"2023-10-05T14:07:59+00:00"`, true, time.Date(2023, 10, 5, 14, 7, 59, 0, time.UTC)},
		{`"2024-03-17T16:09:15"`, true, time.Date(2024, 3, 17, 16, 9, 15, 0, time.UTC)},
		{`"0001-01-01T00:00:00"`, false, time.Time{}},
		{`"2023-07-23T32:35.000Z"`, false, time.Time{}},
		{`""`, false, time.Time{}},
		{`1700000000`, false, time.Time{}},
	}
	for _, tc := range cases {
		var tm Time
		if err := json.Unmarshal([]byte(tc.in), &tm); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if tm.Valid() != tc.valid || !tm.Time.Equal(tc.want) {
			t.Errorf("Unmarshal(%s) = %v valid %v, want %v valid %v", tc.in, tm.Time, tm.Valid(), tc.want, tc.valid)
		}
		if b, _ := json.Marshal(tm); tc.in != `""` && string(b) != tc.in && tc.in != `1700000000` {
			t.Errorf("re-encode of %s = %s, want the raw text back", tc.in, b)
		}
	}
	var tm Time
	if err := json.Unmarshal([]byte(`{"a":1}`), &tm); err == nil {
		t.Error("an object was accepted as a timestamp")
	}
	if b, _ := json.Marshal(Time{}); string(b) != "null" {
		t.Errorf("zero Time marshals as %s, want null", b)
	}
	if b, _ := json.Marshal(T(time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)))); string(b) != `"2025-01-02T02:04:05Z"` {
		t.Errorf("Go-made Time marshals as %s", b)
	}
	if (Time{Raw: "garbage"}).IsZero() || !(Time{}).IsZero() {
		t.Error("IsZero must be true only for an absent timestamp")
	}
}

func TestUnixMillis(t *testing.T) {
	for in, want := range map[string]int64{`1700000000123`: 1700000000123, `1700000000123.0`: 1700000000123} {
		var u UnixMillis
		if err := json.Unmarshal([]byte(in), &u); err != nil || u.UnixMilli() != want {
			t.Errorf("Unmarshal(%s) = %v, %v", in, u.UnixMilli(), err)
		}
	}
	for _, bad := range []string{`1.5`, `"1700000000123"`, `1e30`, `x`} {
		var u UnixMillis
		if err := json.Unmarshal([]byte(bad), &u); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	if b, _ := json.Marshal(UnixMillis{time.UnixMilli(42)}); string(b) != "42" {
		t.Errorf("marshal = %s", b)
	}
}

func TestRouteTable(t *testing.T) {
	if len(allRoutes) != 45 {
		t.Errorf("%d routes, want 41 documented + 4 from the collection and guide", len(allRoutes))
	}
	seen := map[string]bool{}
	names := map[string]bool{}
	for _, r := range allRoutes {
		if seen[r.op()] || names[r.name] {
			t.Errorf("duplicate route %s (%s)", r.op(), r.name)
		}
		seen[r.op()], names[r.name] = true, true
		if r.source == "" || !strings.HasPrefix(r.path, "/api/v1/") {
			t.Errorf("%s: source %q", r.op(), r.source)
		}
		if (r.method == "GET") != (r.kind == read) {
			t.Errorf("%s: only GETs may be blindly retried", r.op())
		}
	}
	for _, r := range []route{routePlaceOrder, routeAcceptRFQ, routeWithdraw, routeWithdrawInstant, routeWithdrawAddressParams, routeLightningWithdraw, routeCreateTransfer} {
		if r.kind != money {
			t.Errorf("%s is not marked money-moving", r.op())
		}
	}
}

func TestEnumStrings(t *testing.T) {
	cases := map[string]string{
		OrderCreated.String(): "Created", OrderExecuted.String(): "Executed", OrderCancelled.String(): "Cancelled",
		OrderPending.String(): "Pending", OrderStatus(9).String(): "OrderStatus(9)", OrderFillOrKill.String(): "FillOrKill",
		TxTrade.String(): "Trade", AddressApproved.String(): "Approved", PayeeCompany.String(): "Company",
		PayeeAddressRefused.String(): "Refused",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestRedactor(t *testing.T) {
	r := redactor{key: testKey}
	for _, in := range []string{"bad key " + testKey, "Invalid API key provided: " + testKey[:6] + "...", "line\nbreak\x00" + testKey} {
		if out := r.clean(in); strings.Contains(out, testKey[:6]) || strings.ContainsAny(out, "\n\x00") {
			t.Errorf("clean(%q) = %q", in, out)
		}
	}
	if out := r.clean(strings.Repeat("é", 300)); len(out) > maxMessage+3 {
		t.Errorf("clean did not bound the length: %d", len(out))
	}
}
