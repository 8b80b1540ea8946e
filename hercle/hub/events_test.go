package hub

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otcdesk/engine/hercle"
)

// envelope builds a hub message with data embedded (asString false) or as a
// JSON string holding the JSON (asString true).
func envelope(t testing.TB, channel, subject, clientID, data string, asString bool) []byte {
	t.Helper()
	env := map[string]any{
		"channel": channel, "topic": "Execution", "subject": subject,
		"type": "message", "clientId": clientID,
	}
	if asString {
		env["data"] = data
	} else {
		env["data"] = json.RawMessage(data)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatalf("marshal envelope: %v", err)
	}
	return b
}

// The documented example payloads, one per subject (hercle-docs §3).
var docPayloads = map[string]string{
	SubjectPriceUpdate:                `{"id":"xxxx","buyPrice":26798.5,"sellPrice":26790.5,"size":1,"pair":"BTCUSDT","markPrice":26794.575,"timestamp":"2023-10-11T23:00:57.93094Z"}`,
	SubjectPairs:                      `[{"name":"BTCUSDT","asset":"BTC","currency":"USDT","minSize":0.0001,"minQuoteSize":5,"maxSize":100,"maxQuoteSize":1000000}]`,
	SubjectPairPrice:                  `{"id":"size-request-123","pair":"BTCUSDT","price":50000,"size":0.002,"timestamp":"2024-01-01T12:00:00Z"}`,
	SubjectOrderExecuted:              `{"tradeId":"987e6543-e21b-12d3-a456-426614174001","side":"buy","pair":"BTCUSDT","price":26844.07,"size":0.01,"notional":268.4407,"status":1,"baseCurrency":"BTC","quoteCurrency":"USDT","timestamp":"2023-10-11T23:00:57.93094Z","statusError":""}`,
	SubjectRFQCreated:                 `{"requestForQuoteId":"rfq-789","userId":"user-123","instrument":"BTCUSDT","baseCurrency":"BTC","quoteCurrency":"USDT","side":"buy","size":0.5,"price":30000,"amount":15000,"status":0,"requestDateTime":"2024-01-01T12:00:00Z","expireDateTime":"2024-01-01T12:05:00Z"}`,
	SubjectOrdersSnapshot:             `[{"orderId":"123e4567-e89b-12d3-a456-426614174000","clientId":"c","userId":"u","instrument":"BTCUSDT","base":"BTC","quote":"USDT","side":"buy","orderType":0,"price":30000,"executedPrice":29950,"executedTimestamp":"2024-04-21T10:15:30Z","quantity":0.1,"quantityFilled":0.1,"orderStatus":1,"cancellationReason":"","slippage":0.5,"timestamp":"2024-04-21T10:15:30Z"}]`,
	SubjectTradesSnapshot:             `[{"id":"trade_123456789","userId":"user_987654321","clientId":"my-client-123","instrument":"BTC-USD","side":"buy","price":30000.5,"quantityFilled":0.1,"timestamp":"2024-04-21T15:30:00Z","email":"user@example.com"}]`,
	SubjectTransactionsSnapshot:       `[{"id":"txn_123456789","userId":"user_987654321","sequence":1001,"type":0,"asset":"BTC","amount":0.5,"timestamp":"2024-04-21T10:15:30Z"}]`,
	SubjectBalancesSnapshot:           `{"userId":"user-123","sequence":123,"assets":[{"name":"BTC","available":0.5,"allocated":0,"currentExposure":0,"maxExposure":1500}],"baseCurrency":"EUR","totalCurrentExposure":1430,"totalMaxExposure":1500,"deleted":false}`,
	SubjectWithdrawCreated:            `{"id":"xxxx","clientId":"68925acb-4f03-48ab-98a9-16b845f21017","userId":"yyyy","destination":"xyzwallet","network":"Ethereum","amount":100,"asset":"USDT","fee":1,"status":"CREATED","isInstant":true,"timestamp":"2024-01-01T12:00:00Z"}`,
	SubjectWithdrawalsSnapshot:        `[{"id":"xxxx","clientId":"c","description":null,"destinationParams":{},"status":"CONFIRMED","amount":1}]`,
	SubjectAddressRegistered:          `{"httpStatusCode":201,"userId":"user-123","addressId":"zzzz","message":""}`,
	SubjectExternalAddressesSnapshot:  `[{"id":"xxxx","name":"BTC 01","userId":"yyyy","asset":"BTC","address":"zzzz","addressParams":{},"network":"Bitcoin","status":2,"comment":"","auditBy":"","auditDate":"","enabled":true,"deleted":false,"creationDate":"2023-10-05T14:07:59+00:00"}]`,
	SubjectInternalAddressCreated:     `{"id":"addr_def456ghi789","userId":"user_789xyz","endUserId":"eus_987xyz654","name":"BTC Deposit Address","asset":"BTC","network":"Bitcoin","address":"bc1q","addressParams":{},"refAccountId":"35","refAccountType":"CRYPTO_ACCOUNT"}`,
	SubjectInternalAddressesSnapshot:  `[{"id":"xxxx","name":"EUR","userId":"yyyy","endUserId":null,"asset":"EUR","address":"zzzz","addressParams":{},"network":"Sepa","deleted":false,"creationDate":"0001-01-01T00:00:00"}]`,
	SubjectTransferCreated:            `{"httpStatusCode":201,"message":"Transfer fund request registered successfully","id":"id_123456","asset":"BTC","amount":0.001,"internalAddressId":"internal_addr_123","payeeAddressId":"payee_addr_456","description":"Monthly payment to supplier"}`,
	SubjectTransfersSnapshot:          `[{"id":"id_123456","userId":"userId_123456","clientId":"client123","description":"Monthly payment to supplier","status":"CREATED","isInstant":false}]`,
	SubjectLedgerDetails:              `{"id":"a12f5e4d","refId":"b34d6e7f","userId":"c56e7f8a","type":"DEPOSIT","status":"CREATED","description":"Deposit","asset":"EUR","amount":1000}`,
	SubjectPayeeRegistered:            `{"httpStatusCode":201,"message":"","id":"p1","userId":"u","type":1,"name":"John","surname":"Doe","company":"Acme Corp","country":"US","state":"CA","city":"San Francisco","address":"123 Main Street","postalCode":"94105"}`,
	SubjectPayeeAddressRegistered:     `{"httpStatusCode":201,"id":"pa1","payeeId":"p1","name":"USDC Wallet","asset":"USDC","address":"address_001","addressParams":{"tag":"stable"},"network":"Ethereum"}`,
	SubjectPayeesSnapshot:             `[{"id":"id-001","userId":"userId-001","type":1,"name":"John","surname":"Doe","company":"Acme"}]`,
	SubjectPayeeAddressesSnapshot:     `[{"id":"pa1","payeeId":"p1","name":"n","asset":"USDC","address":"a","addressParams":{},"network":"Ethereum","status":0}]`,
	SubjectInvoiceCreated:             `{"httpStatusCode":201,"id":"inv_abc123def456","expiresAt":"2024-03-28T16:03:12.456Z","message":"Lightning invoice created successfully","encodedPaymentRequest":"lnbc10u1p3xnhl2pp5jmxtqn235tkjzf..."}`,
	SubjectInvoicesSnapshot:           `[{"id":"i1","userId":"u","email":"e","encodedPaymentRequest":"lnbc1","expiresAt":"2024-03-28T16:03:12.456Z","status":"OPEN","memo":"m"}]`,
	SubjectLightningWithdrawalCreated: `{"httpStatusCode":200,"paymentId":"pay_abc123def456","status":"PENDING","amountBTC":0.001,"destinationPublicKey":"02a1","message":"Lightning withdrawal created successfully"}`,
}

func TestDecodeHubEventEveryDocumentedSubject(t *testing.T) {
	for subject, payload := range docPayloads {
		for _, asString := range []bool{false, true} {
			name := subject + "/object"
			if asString {
				name = subject + "/string"
			}
			t.Run(name, func(t *testing.T) {
				ch := ChannelExecutionEvents
				if subject == SubjectPriceUpdate {
					ch = ChannelSubscriptions
				}
				ev, err := DecodeEvent(envelope(t, ch, subject, "cid-1", payload, asString))
				if err != nil {
					t.Fatalf("DecodeEvent: %v", err)
				}
				if ev.Subject != subject || ev.ClientID != "cid-1" || ev.Channel != ch || ev.DataWasString != asString {
					t.Fatalf("envelope = %+v", ev)
				}
				if ev.Data == nil {
					t.Fatalf("Data = nil")
				}
				if _, raw := ev.Data.(json.RawMessage); raw {
					t.Fatalf("Data is raw for a documented subject")
				}
			})
		}
	}
}

func TestDecodeHubEventTypedValues(t *testing.T) {
	ev, err := DecodeEvent(envelope(t, ChannelSubscriptions, SubjectPriceUpdate, "c", docPayloads[SubjectPriceUpdate], true))
	if err != nil {
		t.Fatal(err)
	}
	p := ev.Data.(PriceUpdate)
	if p.Pair != "BTCUSDT" || p.ID != "xxxx" || !p.BuyPrice.Equal(hercle.MustNumber("26798.5").Decimal) ||
		!p.SellPrice.Equal(hercle.MustNumber("26790.5").Decimal) || !p.MarkPrice.Equal(hercle.MustNumber("26794.575").Decimal) ||
		!p.Size.Equal(hercle.MustNumber("1").Decimal) || p.Timestamp.Time.Nanosecond() != 930940000 {
		t.Fatalf("price update = %+v", p)
	}
	ev, err = DecodeEvent(envelope(t, ChannelExecutionEvents, SubjectOrderExecuted, "c", docPayloads[SubjectOrderExecuted], false))
	if err != nil {
		t.Fatal(err)
	}
	x := ev.Data.(hercle.Execution)
	if x.Status != hercle.OrderExecuted || !x.Notional.Equal(hercle.MustNumber("268.4407").Decimal) {
		t.Fatalf("execution = %+v", x)
	}
	for status, want := range map[string]hercle.OrderStatus{"0": hercle.OrderCreated, "1": hercle.OrderExecuted, "2": hercle.OrderCancelled, "3": hercle.OrderPending} {
		body := `{"tradeId":"t","side":"sell","pair":"BTCUSDT","price":1,"size":1,"notional":1,"status":` + status + `,"statusError":"no funds"}`
		ev, err := DecodeEvent(envelope(t, ChannelExecutionEvents, SubjectOrderExecuted, "c", body, true))
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.Data.(hercle.Execution); got.Status != want || got.StatusError != "no funds" {
			t.Fatalf("status %s: %+v", status, got)
		}
	}
	ev, err = DecodeEvent(envelope(t, ChannelExecutionEvents, SubjectBalancesSnapshot, "c", "["+docPayloads[SubjectBalancesSnapshot]+"]", false))
	if err != nil {
		t.Fatalf("balances as a list: %v", err)
	}
	if b := ev.Data.(hercle.Balances); b.Sequence != 123 {
		t.Fatalf("balances = %+v", b)
	}
}

func TestDecodeHubEventGuideShapes(t *testing.T) {
	// The guide's listener does JSON.parse(message): the whole envelope may
	// arrive as a string, with data a string inside it.
	inner := envelope(t, ChannelExecutionEvents, SubjectOrderExecuted, "your-client-id", docPayloads[SubjectOrderExecuted], true)
	outer, _ := json.Marshal(string(inner))
	ev, err := DecodeEvent(outer)
	if err != nil {
		t.Fatalf("envelope as string: %v", err)
	}
	if ev.ClientID != "your-client-id" || ev.Data.(hercle.Execution).TradeID == "" {
		t.Fatalf("event = %+v", ev)
	}
}

func TestDecodeHubEventErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		check   func(t *testing.T, ev Event)
	}{
		{name: "not json", in: `hello`, wantErr: ErrMalformed},
		{name: "array", in: `[1,2]`, wantErr: ErrMalformed},
		{name: "truncated", in: `{"subject":"execution.pairs","data":[`, wantErr: ErrMalformed},
		{name: "no subject", in: `{"channel":"executionEvents","data":{}}`, wantErr: ErrMalformed},
		{name: "subject not a string", in: `{"subject":5,"data":{}}`, wantErr: ErrMalformed},
		{name: "data string not json", in: `{"subject":"execution.pairs","data":"{oops"}`, wantErr: ErrBadData},
		{name: "price data string not json", in: `{"subject":"execution.feeds.priceUpdate","data":"nope"}`, wantErr: ErrBadData},
		{name: "missing data", in: `{"subject":"execution.pairs"}`, wantErr: ErrBadData},
		{name: "wrong type", in: `{"subject":"execution.order.executed","data":[1,2]}`, wantErr: ErrWrongType},
		{name: "price wrong type", in: `{"subject":"execution.feeds.priceUpdate","data":{"pair":"BTCUSDT","buyPrice":"abc"}}`, wantErr: ErrWrongType},
		{name: "price array", in: `{"subject":"execution.feeds.priceUpdate","data":[]}`, wantErr: ErrWrongType},
		{name: "status as text", in: `{"subject":"execution.order.executed","data":{"status":"done"}}`, wantErr: ErrWrongType},
		{name: "unknown subject", in: `{"subject":"account.something.new","clientId":"c","data":{"a":1}}`, wantErr: ErrUnknownSubject,
			check: func(t *testing.T, ev Event) {
				if ev.Subject != "account.something.new" || string(ev.Data.(json.RawMessage)) != `{"a":1}` {
					t.Fatalf("unknown subject event = %+v", ev)
				}
			}},
		{name: "prechecks bare text", in: `{"subject":"preChecksError","clientId":"c","data":"ClientId is required"}`,
			check: func(t *testing.T, ev Event) {
				if e := ev.Data.(*Error); e.Message != "ClientId is required" || e.ClientID != "c" {
					t.Fatalf("Error = %+v", e)
				}
			}},
		{name: "operational error", in: `{"subject":"execution.order.error","clientId":"c","data":"{\"statusError\":\"Insufficient funds\"}"}`,
			check: func(t *testing.T, ev Event) {
				e := ev.Data.(*Error)
				if e.StatusError != "Insufficient funds" || !strings.Contains(e.Error(), "Insufficient funds") {
					t.Fatalf("Error = %+v", e)
				}
			}},
		{name: "prechecks object", in: `{"subject":"preChecksError","data":{"message":"Side must be buy or sell"}}`,
			check: func(t *testing.T, ev Event) {
				if e := ev.Data.(*Error); e.Message != "Side must be buy or sell" {
					t.Fatalf("Error = %+v", e)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := DecodeEvent([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
				t.Fatalf("DecodeEvent(%s) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, ev)
			}
		})
	}
}

func FuzzDecodeHubEvent(f *testing.F) {
	for subject, payload := range docPayloads {
		f.Add(envelope(f, ChannelExecutionEvents, subject, "c", payload, false))
		f.Add(envelope(f, ChannelExecutionEvents, subject, "c", payload, true))
	}
	f.Add([]byte(`{"subject":"preChecksError","data":"x"}`))
	f.Add([]byte(`"{\"subject\":\"execution.pairs\",\"data\":\"[]\"}"`))
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeEvent(b)
		if err != nil && !errors.Is(err, ErrUnknownSubject) {
			for _, want := range []error{ErrMalformed, ErrBadData, ErrWrongType} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("error %v wraps no sentinel", err)
		}
		if ev.Subject == "" {
			t.Fatalf("event without subject and no error: %q", b)
		}
		if ev.Data == nil {
			t.Fatalf("event without data and no error: %q", b)
		}
	})
}
