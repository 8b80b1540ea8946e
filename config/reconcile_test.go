package config

import (
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/reconcile"
)

func TestReconcileSection(t *testing.T) {
	cfg, err := Parse("t.toml", []byte(`mode = "paper"
[reconcile]
schedule = "@every 5m"
grace = "2m"
pause_above = 3
tolerances = { BTC = "0.00000001", EUR = "0.01" }
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Reconcile.WithDefaults()
	if r.Schedule != "@every 5m" || r.Grace.Duration != 2*time.Minute || r.Lookback.Duration != reconcile.DefaultLookback ||
		r.PauseAbove != 3 || r.KeepReports != reconcile.DefaultKeepReports {
		t.Fatalf("WithDefaults = %+v", r)
	}
	if tol := r.Tolerances["EUR"]; tol.String() != "0.01" {
		t.Fatalf("EUR tolerance = %s, want 0.01", tol.String())
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if err := (reconcile.Settings{}).WithDefaults().Validate(); err != nil {
		t.Fatalf("the default section is invalid: %v", err)
	}
}

func TestReconcileProblems(t *testing.T) {
	for _, c := range []struct {
		toml string
		want string
	}{
		{`schedule = "every now and then"`, "reconcile.schedule: cron spec"},
		{`grace = "soon"`, `reconcile.grace: duration "soon"`},
		{`lookback = "-1h"`, "reconcile.lookback: must not be negative"},
		{`lookback = "9000h"`, "reconcile.lookback: at most"},
		{`tolerances = { btc = "1" }`, `reconcile.tolerances.btc: asset "btc" is not an upper-case code`},
		{`tolerances = { BTC = "-1" }`, "reconcile.tolerances.BTC: must not be negative"},
		{`tolerances = { BTC = 0.5 }`, "reconcile.tolerances.BTC: want a decimal string"},
		{`pause_above = -2`, "reconcile.pause_above: must be -1"},
		{`keep_reports = -1`, "reconcile.keep_reports: must not be negative"},
		{`schedule = "@every 0s"`, "reconcile.schedule: cron spec \"@every 0s\" fires every 1s; at least 1m0s apart"},
		{`schedule = "@every -5m"`, "reconcile.schedule: cron spec \"@every -5m\" fires every 1s"},
		{`schedule = "* * * * * *"`, "reconcile.schedule: cron spec \"* * * * * *\" fires every 1s"},
		{`schedule = "0 0 30 2 *"`, "reconcile.schedule: cron spec \"0 0 30 2 *\" never fires"},
	} {
		_, err := Parse("t.toml", []byte("mode = \"paper\"\n[reconcile]\n"+c.toml+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse = %v, want a problem containing %q", c.toml, err, c.want)
		}
	}
}

func TestExampleFileReconcileSection(t *testing.T) {
	cfg, err := Load("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Reconcile
	if r.Schedule != reconcile.DefaultSchedule || r.Grace.Duration != reconcile.DefaultGrace ||
		r.Lookback.Duration != reconcile.DefaultLookback || r.KeepReports != reconcile.DefaultKeepReports || r.PauseAbove != 0 {
		t.Fatalf("config.toml's [reconcile] = %+v, want the documented defaults", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}
