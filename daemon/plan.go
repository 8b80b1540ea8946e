package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/treasury"
)

// Plan returns what every treasury policy would do now, sending and
// recording nothing (`engine treasury plan`). It reads the ledger
// read-only, so it runs beside a running engine. In paper mode the venue
// is a simulator started for the plan from the ledger's balances, as the
// engine's own would be.
func Plan(ctx context.Context, cfg config.Config, secrets config.Secrets, log *slog.Logger) ([]treasury.Result, error) {
	if len(cfg.Treasury.Policies) == 0 {
		return nil, errors.New("no [treasury.policies] configured")
	}
	d, err := New(cfg, secrets, Options{Logger: log})
	if err != nil {
		return nil, err
	}
	store, closeStore, err := openForPlan(cfg.Ledger.Path)
	if err != nil {
		return nil, err
	}
	defer closeStore()
	url, key, stop, _, err := d.venue(ctx, store, nil, nil)
	if err != nil {
		return nil, err
	}
	defer stop()
	rest, err := hercle.NewClient(hercle.Config{
		Environment: cfg.Hercle.Environment, BaseURL: url, APIKey: key,
		Timeout: cfg.Hercle.Timeout.Duration, RateLimit: cfg.Hercle.RateLimit, Burst: cfg.Hercle.Burst,
		MaxRetries: cfg.Hercle.MaxRetries, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	proc, err := inbound.New(inbound.Options{Ledger: store, Logger: log})
	if err != nil {
		return nil, err
	}
	if err := proc.LoadRegistry(ctx); err != nil {
		return nil, fmt.Errorf("payee registry: %w", err)
	}
	tr, err := treasury.New(cfg.Treasury, treasury.Deps{
		Ledger: store, Hercle: rest, Gate: d.gate, Payees: proc.Registry(), Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return tr.Plan(ctx)
}

// openForPlan opens the ledger read-only, or an empty temporary one when
// the engine has not created it yet.
func openForPlan(path string) (*ledger.Store, func(), error) {
	if _, err := os.Stat(path); err == nil {
		s, err := ledger.Open(path, ledger.Options{ReadOnly: true})
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "engine-plan-")
	if err != nil {
		return nil, nil, err
	}
	s, err := ledger.Open(filepath.Join(dir, "ledger.db"), ledger.Options{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return s, func() { s.Close(); os.RemoveAll(dir) }, nil
}
