package passes

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func never() (<-chan time.Time, func() bool) { return nil, func() bool { return false } }

func TestSyncWaitsForAWholePassAndStops(t *testing.T) {
	l := New()
	var passes atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(context.Context) error { return nil }, func(context.Context) { passes.Add(1) }, never)
	}()
	for i := int32(1); i <= 3; i++ {
		if err := l.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The start-up pass, then one pass per Sync.
		if n := passes.Load(); n < i+1 {
			t.Fatalf("after Sync %d: %d passes, want at least %d", i, n, i+1)
		}
	}
	l.Notify()
	l.Notify() // coalesces; never blocks
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := l.Sync(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Sync after Run = %v, want ErrStopped", err)
	}
	if err := l.Run(context.Background(), nil, nil, never); err == nil {
		t.Fatal("a second Run was accepted")
	}
}

func TestStartErrorStops(t *testing.T) {
	l := New()
	boom := errors.New("boom")
	if err := l.Run(context.Background(), func(context.Context) error { return boom }, func(context.Context) { t.Error("pass after a failed start") }, never); err != boom {
		t.Fatalf("Run = %v, want the start error", err)
	}
	if err := l.Sync(context.Background()); !errors.Is(err, ErrStopped) || !errors.Is(err, boom) {
		t.Fatalf("Sync = %v, want ErrStopped wrapping the start error", err)
	}
}
