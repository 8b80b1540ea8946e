package inbound_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
)

// A deposit reported again after a restart (its webhook re-applied after a
// crash) reaches the strategies once: the relay marks it in the ledger
// before handing it on, so autoconvert cannot convert it twice.
func TestDepositRelayedOnceAcrossRestarts(t *testing.T) {
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	dep := func(tx string) inbound.Deposit {
		return inbound.Deposit{EventID: "ev-" + tx, TransactionID: tx, Venue: ledger.Hercle, Asset: "USDT",
			Amount: decimal.NewFromInt(500), EntryKey: ledger.DepositKey(tx), Time: at}
	}
	run := 0
	relay := func(deps ...inbound.Deposit) []string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := inbound.NewRelay(store, clock.Clock{}, nil) // a new process: nothing seen in memory
		sink := make(chan inbound.Deposit, len(deps)+1)
		done := make(chan struct{})
		go func() { r.Run(ctx, func(_ context.Context, d inbound.Deposit) { sink <- d }); close(done) }()
		for _, d := range deps {
			r.Push(d)
		}
		run++
		marker := fmt.Sprintf("marker-%d", run)
		r.Push(dep(marker)) // relayed after the others: it arriving means they were handled
		var got []string
		for d := range sink {
			if d.TransactionID == marker {
				break
			}
			got = append(got, d.TransactionID)
		}
		cancel()
		<-done
		return got
	}
	if got := relay(dep("tx-1")); len(got) != 1 || got[0] != "tx-1" {
		t.Fatalf("first process relayed %v, want [tx-1]", got)
	}
	if got := relay(dep("tx-1"), dep("tx-2")); len(got) != 1 || got[0] != "tx-2" {
		t.Fatalf("after a restart relayed %v, want only the new [tx-2]", got)
	}
}
