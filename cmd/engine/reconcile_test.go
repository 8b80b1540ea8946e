package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/sim"
)

// reconcileFixture is a simulator on loopback (standing in for a
// standalone 'engine sim'), a ledger holding its opening balances, and a
// configuration pointing at both.
type reconcileFixture struct {
	srv    *sim.Server
	ledger string
	config string
	env    map[string]string
}

func newReconcileFixture(t *testing.T) *reconcileFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	const seed = 11
	t.Logf("simulator seed %d", seed)
	// The simulator's clock runs an hour behind: what it did is past the
	// grace period when the command runs.
	srv, err := sim.Start(ctx, sim.Options{Seed: seed, Clock: clock.New(lagging(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f := &reconcileFixture{srv: srv, ledger: filepath.Join(t.TempDir(), "ledger.db"), env: map[string]string{"HERCLE_API_KEY": srv.APIKey()}}
	f.post(t, func(s *ledger.Store) {
		for _, a := range srv.Venue().Balances().Assets {
			if _, _, err := s.Post(context.Background(), ledger.Entry{Key: "opening:" + string(a.Name), Kind: ledger.KindOpening,
				Time: time.Now().Add(-3 * time.Hour), Postings: []ledger.Posting{
					{Account: ledger.VenueAvailable(ledger.Hercle), Asset: a.Name, Amount: a.Available},
					{Account: ledger.OpeningBalance(), Asset: a.Name, Amount: a.Available.Neg()},
				}}); err != nil {
				t.Fatal(err)
			}
		}
	})
	f.config = writeFile(t, fmt.Sprintf(`mode = "paper"
[hercle]
base_url = %q
max_retries = 0
[ledger]
path = %q
lock_timeout = "50ms"
[reconcile]
grace = "10m"
`, srv.URL(), f.ledger))
	return f
}

// post writes to the ledger file with the engine stopped.
func (f *reconcileFixture) post(t *testing.T, fn func(*ledger.Store)) {
	t.Helper()
	s, err := ledger.Open(f.ledger, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

func TestReconcileCommand(t *testing.T) {
	f := newReconcileFixture(t)
	tx, err := f.srv.Venue().Credit("ETH", decimal.RequireFromString("1.5"))
	if err != nil {
		t.Fatal(err)
	}

	// A deposit the ledger never heard of: imported, not a break.
	code, stdout, stderr := runEngine(t, f.env, "reconcile", "-config", f.config, "-since", "3h", "-json")
	if code != exitOK {
		t.Fatalf("reconcile = %d, want 0; stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	rep, err := reconcile.DecodeReport([]byte(stdout))
	if err != nil {
		t.Fatalf("-json output does not decode: %v\n%s", err, stdout)
	}
	if rep.ID != 1 || rep.Imported != 1 || !rep.Clean() || rep.Findings[0].Imported != "hercle:deposit:"+tx.ID {
		t.Fatalf("report = %+v", rep)
	}

	// -last reads it back without the venue.
	code, stdout, stderr = runEngine(t, nil, "reconcile", "-config", f.config, "-last")
	if code != exitOK || !strings.Contains(stdout, "CLEAN") || !strings.Contains(stdout, "report 1") {
		t.Fatalf("reconcile -last = %d\n%s%s", code, stdout, stderr)
	}

	// A fill the venue never made: a break, exit status 3.
	f.post(t, func(s *ledger.Store) {
		d := decimal.RequireFromString
		if _, _, err := s.Post(context.Background(), ledger.Entry{Key: "hercle:trade:ghost", Kind: ledger.KindTrade, Time: time.Now().Add(-time.Hour),
			Postings: []ledger.Posting{
				{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d("0.1")},
				{Account: ledger.Counterparty(ledger.Hercle), Asset: "BTC", Amount: d("-0.1")},
			}}); err != nil {
			t.Fatal(err)
		}
	})
	code, stdout, stderr = runEngine(t, f.env, "reconcile", "-config", f.config)
	if code != exitBreaks || !strings.Contains(stdout, "BREAK") || !strings.Contains(stdout, "missing_at_venue") || !strings.Contains(stdout, "ghost") {
		t.Fatalf("reconcile with a ghost fill = %d, want %d\n%s%s", code, exitBreaks, stdout, stderr)
	}

	// A dry run reports the same and stores nothing.
	code, stdout, _ = runEngine(t, f.env, "reconcile", "-config", f.config, "-dry-run")
	if code != exitBreaks || !strings.Contains(stdout, "not stored (dry run)") {
		t.Fatalf("reconcile -dry-run = %d\n%s", code, stdout)
	}
	code, stdout, _ = runEngine(t, nil, "reconcile", "-config", f.config, "-last", "-json")
	if last, err := reconcile.DecodeReport([]byte(stdout)); code != exitBreaks || err != nil || last.ID != 2 {
		t.Fatalf("after the dry run, -last = %d, %+v, %v; want report 2", code, last, err)
	}
}

func TestReconcileCommandErrors(t *testing.T) {
	f := newReconcileFixture(t)
	paper := writeFile(t, fmt.Sprintf("mode = \"paper\"\n[ledger]\npath = %q\n", f.ledger))
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"paper without a venue", f.env, []string{"-config", paper}, exitUsage, "paper mode has no persistent venue"},
		{"no key", nil, []string{"-config", f.config}, exitUsage, "set HERCLE_API_KEY"},
		{"bad since", f.env, []string{"-config", f.config, "-since", "last week"}, exitUsage, "-since"},
		{"argument", f.env, []string{"-config", f.config, "now"}, exitUsage, "unexpected argument"},
		{"no report yet", nil, []string{"-config", f.config, "-last"}, exitFailure, "holds no report yet"},
		{"help", nil, []string{"-h"}, exitOK, "engine reconcile -config config.toml -since 72h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runEngine(t, c.env, append([]string{"reconcile"}, c.args...)...)
			if code != c.code || !strings.Contains(stdout+stderr, c.want) {
				t.Fatalf("exit %d, want %d with %q; output:\n%s%s", code, c.code, c.want, stdout, stderr)
			}
		})
	}

	// The engine holds the file.
	s, err := ledger.Open(f.ledger, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, _, stderr := runEngine(t, f.env, "reconcile", "-config", f.config)
	if code != exitFailure || !strings.Contains(stderr, "in use by a running engine") {
		t.Fatalf("reconcile on a held ledger = %d\n%s", code, stderr)
	}
}

// lagging is the system clock set back by a duration.
type lagging time.Duration

func (l lagging) Now() time.Time { return time.Now().Add(-time.Duration(l)) }

func (lagging) NewTimer(d time.Duration) clock.Timer { return clock.Clock{}.NewTimer(d) }
