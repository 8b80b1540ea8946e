package risk_test

import (
	"strings"
	"testing"

	"github.com/otcdesk/engine/risk"
)

// An operator's kill switch is not reconciliation's to lift: a run over
// the break threshold while the switch is on, then a clean run, must
// leave trading stopped with the operator's reason.
func TestPauserNeverLiftsOperatorKill(t *testing.T) {
	rk, err := risk.New(risk.DefaultLimits(), risk.Options{Counters: &risk.MemoryCounters{}})
	if err != nil {
		t.Fatal(err)
	}
	p := rk.PauseFor("reconciliation breaks: ")

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

// The kill-switch file survives a restart: written, it reads back on; read
// when absent, off; removed, off again.
func TestKillFile(t *testing.T) {
	k := risk.KillFile{Path: t.TempDir() + "/KILLED"}
	if _, on, err := k.Read(); on || err != nil {
		t.Fatalf("Read of no file = %v, %v; want off", on, err)
	}
	if err := k.Write("desk closed"); err != nil {
		t.Fatal(err)
	}
	if why, on, err := k.Read(); !on || why != "desk closed" || err != nil {
		t.Fatalf("Read = %q, %v, %v; want on, desk closed", why, on, err)
	}
	if err := k.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, on, _ := k.Read(); on {
		t.Fatal("on after Remove")
	}
}
