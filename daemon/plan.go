package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/treasury"
)

// Plan returns what every treasury policy would do now (sweep, convert,
// settlement: amount, destination, reason), sending and recording
// nothing (`engine treasury plan`); none when no policy is configured. It
// reads the ledger read-only, so it runs beside a running engine. In paper
// mode the venues are simulators started for the plan from the ledger's
// balances, as the engine's own would be.
func Plan(ctx context.Context, cfg config.Config, secrets config.Secrets, log *slog.Logger) ([]treasury.Result, error) {
	if len(cfg.Treasury.Policies) == 0 {
		return nil, nil
	}
	d, err := New(cfg, secrets, Options{Logger: log})
	if err != nil {
		return nil, err
	}
	store, fresh, closeStore, err := openForPlan(cfg.Ledger.Path)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	r := &run{d: d, g: newGroup(log, d.o.Clock), store: store}
	defer r.g.stop()
	if err := r.startVenue(ctx); err != nil {
		return nil, err
	}
	if err := r.connectREST(ctx); err != nil {
		return nil, err
	}
	rail, _, err := d.heropaymentsClient(ctx, store, r.simSrv, "", nil)
	if err != nil {
		return nil, err
	}
	r.hp = rail
	r.g.closer("heropayments", func() error { rail.close(); return nil })
	if fresh {
		// No engine has run yet: plan on the books its first start
		// would open, the venues' balances.
		if err := r.recoverBalances(ctx); err != nil {
			return nil, err
		}
	}
	proc, err := inbound.New(inbound.Options{Ledger: store, Logger: log, Clock: d.o.Clock})
	if err != nil {
		return nil, err
	}
	if err := proc.LoadRegistry(ctx); err != nil {
		return nil, err
	}
	var hp treasury.Heropayments
	if rail.client != nil {
		hp = rail.client
	}
	tr, err := treasury.New(cfg.Treasury, treasury.Deps{
		Ledger: store, Hercle: r.rest, Heropayments: hp, Gate: d.gate, Payees: proc.Registry(), Logger: log, Clock: d.o.Clock,
	})
	if err != nil {
		return nil, err
	}
	return tr.Plan(ctx)
}

// openForPlan opens the ledger read-only, or (fresh) an empty temporary
// one when the engine has not created it yet.
func openForPlan(path string) (s *ledger.Store, fresh bool, close func(), err error) {
	if _, err := os.Stat(path); err == nil {
		s, err := ledger.Open(path, ledger.Options{ReadOnly: true})
		if err != nil {
			return nil, false, nil, err
		}
		return s, false, func() { s.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "engine-plan-")
	if err != nil {
		return nil, false, nil, err
	}
	s, err = ledger.Open(filepath.Join(dir, "ledger.db"), ledger.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, false, nil, err
	}
	return s, true, func() { s.Close(); os.RemoveAll(dir) }, nil
}
