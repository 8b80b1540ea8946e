package daemon

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/risk"
)

// An operator's kill switch is not reconciliation's to lift: a run over
// the break threshold while the switch is on, then a clean run, must
// leave trading stopped with the operator's reason.
func TestReconcilePauseNeverLiftsOperatorKill(t *testing.T) {
	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: newLedgerCounters(store, nil)})
	if err != nil {
		t.Fatal(err)
	}
	p := reconcilePauser{rk}

	rk.Kill("kill switch: operator")
	p.Pause("reconciliation found 5 break(s), above the threshold of 3")
	p.Resume()
	if killed, why := rk.Killed(); !killed || !strings.Contains(why, "operator") {
		t.Fatalf("after reconciliation paused and resumed: killed=%v reason=%q, want the operator's kill switch still on", killed, why)
	}

	// Its own pause it lifts.
	rk.Resume()
	p.Pause("reconciliation found 5 break(s), above the threshold of 3")
	if killed, _ := rk.Killed(); !killed {
		t.Fatal("reconciliation pause did not stop trading")
	}
	p.Resume()
	if killed, why := rk.Killed(); killed {
		t.Fatalf("reconciliation did not lift its own pause: %q", why)
	}
}
