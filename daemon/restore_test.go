package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
)

// TestRestoreIntoAFreshNode: an engine trading under faults, with
// deduplication off, takes scheduled backups; it is SIGKILLed; the backup
// holding the most unfinished intents is restored into a fresh node,
// which starts on it. Its books verify, recovery resolves every intent the
// backup left open by Client-Id lookup, and no Client-Id is executed
// twice at the venue.
func TestRestoreIntoAFreshNode(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine in child processes")
	}
	t.Parallel() // the longest tests, mostly waiting on timers and child processes: overlapped
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sim.Start(ctx, sim.Options{
		Seed: crashSeed + 7, APIKey: crashKey, Dedup: false,
		Faults:       sim.Faults{RateLimited: 0.05, ResetBeforeRead: 0.05, ErrorAfterApply: 0.10, RetryAfter: 10 * time.Millisecond},
		Hub:          sim.HubOptions{PriceInterval: 20 * time.Millisecond},
		ConfirmAfter: 100 * time.Millisecond, SettleAfter: 300 * time.Millisecond,
		Pairs: crashPairs(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	whitelist(t, srv)
	v := srv.Venue()
	backups := t.TempDir()
	node1 := filepath.Join(t.TempDir(), "ledger.db")
	child := startChild(t, srv.URL(), node1, envBackupDir+"="+backups)
	for !child.waitRunning(t) {
		child = startChild(t, srv.URL(), node1, envBackupDir+"="+backups)
	}
	// The figure is a 1,000-order run; the default is shorter.
	orders := 60
	if os.Getenv("ENGINE_HA_SOAK") == "1" {
		orders = 1000
	}
	deadline := time.Now().Add(45*time.Second + time.Duration(orders)*150*time.Millisecond)
	for {
		files, _ := ledger.Backups(backups)
		if len(files) >= 3 && countTrades(t, v) >= orders {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %d backups, %d trades\n%s", len(files), countTrades(t, v), tail(child.output(), 30))
		}
		time.Sleep(50 * time.Millisecond) // polling the venue and the backup directory for a condition
	}
	child.kill(t)
	best, open := pickBackup(t, backups)
	t.Logf("%d trades at the venue when node 1 was killed; restoring %s (%d intents open)", countTrades(t, v), filepath.Base(best.Path), open)

	node2 := filepath.Join(t.TempDir(), "ledger.db")
	if _, err := ledger.Restore(ctx, best.Path, node2, time.Second); err != nil {
		t.Fatal(err)
	}
	child = startChild(t, srv.URL(), node2, envFinal+"=1")
	for !child.waitRunning(t) {
		child = startChild(t, srv.URL(), node2, envFinal+"=1")
	}
	child.waitSettled(t)
	child.terminate(t)
	recovered := map[string]int{}
	child.countRecovered(recovered)
	t.Logf("intents resolved by the restored node's start-up: %v", recovered)

	store, err := ledger.Open(node2, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Verify(ctx); err != nil {
		t.Errorf("restored books: %v", err)
	}
	checkRestored(t, v, store)
}

// whitelist approves the crash test's withdrawal addresses.
func whitelist(t *testing.T, srv *sim.Server) {
	t.Helper()
	for _, w := range []sim.WhitelistRequest{{Name: "cold", Asset: "BTC", Address: crashAddress, Network: "Bitcoin"},
		{Name: "usdt-cold", Asset: "USDT", Address: crashUSDTAddress, Network: "Tron"}} {
		e, err := srv.Venue().WhitelistAddress(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Venue().ApproveWhitelist(e.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// pickBackup returns the scheduled backup with the most unfinished
// intents (the newest among equals): the hardest one to restore.
func pickBackup(t *testing.T, dir string) (ledger.BackupReport, int) {
	t.Helper()
	files, err := ledger.Backups(dir)
	if err != nil {
		t.Fatal(err)
	}
	var best ledger.BackupReport
	for _, f := range files {
		rep, err := ledger.VerifyFile(context.Background(), f)
		if err != nil {
			t.Fatalf("scheduled backup %s: %v", f, err)
		}
		if best.Path == "" || rep.Intents >= best.Intents {
			best = rep
		}
	}
	return best, best.Intents
}

// checkRestored: nothing the restored node knows of is left unfinished,
// every fill it holds is a venue trade of the same Client-Id, every venue
// trade of an intent it holds is in its books, and no Client-Id was
// executed twice at the venue.
func checkRestored(t *testing.T, v *sim.Venue, store *ledger.Store) {
	t.Helper()
	ctx := context.Background()
	byClient := map[string][]sim.Trade{}
	for _, tr := range venueTrades(t, v) {
		byClient[tr.ClientID] = append(byClient[tr.ClientID], tr)
	}
	for cid, trs := range byClient {
		if len(trs) > 1 {
			t.Errorf("Client-Id %s executed %d times at the venue", cid, len(trs))
		}
	}
	intents, err := store.Intents(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range intents {
		if !in.State.Final() {
			t.Errorf("intent %s left %s", in.ClientID, in.State)
		}
		if n := v.Executions(in.ClientID); n > 1 {
			t.Errorf("intent %s executed %d times", in.ClientID, n)
		}
		for _, tr := range byClient[in.ClientID] {
			if _, err := store.Entry(ctx, ledger.TradeKey(tr.ID)); err != nil {
				t.Errorf("venue trade %s of intent %s not in the restored books: %v", tr.ID, in.ClientID, err)
			}
		}
	}
	fills := 0
	err = store.Journal(ctx, ledger.Filter{Kind: ledger.KindTrade}, func(e ledger.Entry) error {
		fills++
		if len(byClient[e.ClientID]) != 1 {
			t.Errorf("fill %s (client %s) has no venue trade", e.Key, e.ClientID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restored node: %d intents, %d fills, all final and one to one with the venue", len(intents), fills)
}
