package hub

import "testing"

// BenchmarkHubDecode measures SignalR frame parsing, decode and dispatch of
// one priceUpdate envelope (data as a JSON string, the guide's shape) through the client's
// receive path, as the hub delivers it. Target: ≥ 500,000 messages/s on one
// core (go test -bench HubDecode -cpu 1 ./hercle/hub/).
func BenchmarkHubDecode(b *testing.B) {
	for _, asString := range []bool{true, false} {
		name := "data=object"
		if asString {
			name = "data=string"
		}
		b.Run(name, func(b *testing.B) {
			env := envelope(b, ChannelSubscriptions, SubjectPriceUpdate, "c", docPayloads[SubjectPriceUpdate], asString)
			// The SignalR invocation frame as it arrives on the WebSocket.
			msg := append([]byte(`{"type":1,"target":"subscriptions","arguments":[`), env...)
			msg = append(msg, "]}"...)
			var got int
			r := newHubReceiver(nil, func(PriceUpdate) { got++ }, nil, nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if !r.frame(msg) {
					b.Fatal("frame not taken")
				}
			}
			if got != b.N {
				b.Fatalf("dispatched %d of %d", got, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
