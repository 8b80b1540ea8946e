package webhook

import "testing"

// Benchmark bodies: the typical deposit update in the site's form (Data an
// object), the same data in the document's form (Data a JSON string), and
// the wrapped status change the webhook page's example shows.
var (
	benchWebhookObject  = []byte(`{"EventId":"e-000123","EventType":"Banking.Deposit.StatusUpdated","Timestamp":"2025-03-03T00:10:12Z","Data":{"Id":"d-000123","Status":"SUCCESS","Asset":"BTC","Amount":12.3456}}`)
	benchWebhookString  = []byte(`{"EventId":"e-000123","EventType":"Banking.Deposit.StatusUpdated","Timestamp":"2025-03-03T00:10:12Z","Data":"{\"Id\":\"d-000123\",\"Status\":\"SUCCESS\",\"Asset\":\"BTC\",\"Amount\":12.3456}"}`)
	benchWebhookWrapped = []byte(`{"EventId":"e-000123","EventType":"Banking.Deposit.StatusUpdated","Timestamp":"2025-03-03T00:10:12Z","Data":{"StatusChange":{"Previous":"PENDING","Current":"SUCCESS"},"Resource":{"Id":"d-000123","Status":"SUCCESS","Asset":"BTC","Amount":12.3456}}}`)
)

// BenchmarkWebhookDecode measures DecodeEvent and
// ParseEnvelope on the three body forms, and the encoding/json
// decoder they replaced (webhook_ref_test.go) on the same bodies, so one
// run gives the before and after on the same machine:
//
//	go test -run '^$' -bench WebhookDecode -benchmem ./hercle/webhook/
func BenchmarkWebhookDecode(b *testing.B) {
	for _, impl := range []struct {
		name   string
		decode func([]byte) (*Event, error)
		parse  func([]byte) (Envelope, error)
	}{
		{"new", DecodeEvent, ParseEnvelope},
		{"reference", refDecodeWebhookEvent, refParseWebhookEnvelope},
	} {
		for _, c := range []struct {
			name string
			body []byte
		}{{"object", benchWebhookObject}, {"string", benchWebhookString}, {"wrapped", benchWebhookWrapped}} {
			b.Run("Decode/"+c.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.body)))
				for b.Loop() {
					if _, err := impl.decode(c.body); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Parse/"+c.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.body)))
				for b.Loop() {
					if _, err := impl.parse(c.body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
