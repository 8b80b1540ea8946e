package ledger

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkPost measures durable posting throughput (every Post returns
// after its fsync) with 1 and 64 concurrent writers. entries/s is the
// figure to compare; ns/op is per entry.
//
//	go test -run '^$' -bench BenchmarkPost -benchtime 20000x ./ledger/
func BenchmarkPost(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, _ := openTemp(b)
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range writers {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						if _, _, err := s.Post(ctx, trade(fmt.Sprintf("bench-%d", i), "0.01", "650.25")); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
