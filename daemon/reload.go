package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
)

// holds reports whether the loop holds a strategy named name.
func holds(held []trader.StrategyState, name string) bool {
	for _, h := range held {
		if h.Name == name {
			return true
		}
	}
	return false
}

// ReloadResult says what a reload changed and what waits for a restart.
type ReloadResult struct {
	// Applied lists the changes made live: strategies added, re-built
	// with new parameters, enabled or disabled.
	Applied []string `json:"applied"`
	// Restart lists the sections that differ from the running
	// configuration and take effect only after a restart.
	Restart []string `json:"restart_needed"`
}

func (r ReloadResult) auditNote() string {
	return fmt.Sprintf("applied %v; restart needed for %v", r.Applied, r.Restart)
}

// errNoReload: the daemon was started without a way to read its file.
var errNoReload = errors.New("reload: the engine was started without a configuration file to read again")

// Reload reads the configuration again (Options.Reload, as SIGHUP asks)
// and applies what can change live: the [[strategy]] tables (added,
// re-parametrised, enabled, disabled; one removed from the file is
// disabled). A file that does not pass the checks engine run makes is
// refused and nothing changes. Every other section that differs is
// reported, and takes effect at the next start. Changes made since by
// engine admin strategy are replaced by the file's.
func (d *Daemon) Reload(ctx context.Context) (ReloadResult, error) {
	if d.o.Reload == nil {
		return ReloadResult{}, errNoReload
	}
	loop := d.loopOrNil()
	if loop == nil {
		return ReloadResult{}, errors.New("reload: starting up; try again once the engine trades")
	}
	cfg, err := d.o.Reload()
	if err != nil {
		return ReloadResult{}, fmt.Errorf("reload refused, nothing changed: %w", err)
	}
	res := ReloadResult{Applied: []string{}, Restart: restartSections(d.cfg, cfg)}
	d.strat.mu.Lock()
	defer d.strat.mu.Unlock()
	type change struct {
		spec    strategy.Spec
		s       strategy.Strategy // nil: enable or disable only
		enabled bool
		what    string
	}
	var changes []change
	inFile := map[string]bool{}
	for _, sp := range cfg.Strategies {
		inFile[sp.Name] = true
		cur, known := d.strat.specs[sp.Name]
		switch {
		case !known || cur.Kind != sp.Kind || !reflect.DeepEqual(cur.Params, sp.Params):
			s, err := d.buildStrategy(ctx, sp)
			if err != nil {
				return ReloadResult{}, fmt.Errorf("reload refused, nothing changed: strategy %s: %w", sp.Name, err)
			}
			what := "strategy " + sp.Name + ": new parameters"
			if !known {
				what = "strategy " + sp.Name + ": added"
			}
			changes = append(changes, change{sp, s, !sp.Disabled, what})
		case cur.Disabled != sp.Disabled:
			changes = append(changes, change{spec: sp, enabled: !sp.Disabled, what: fmt.Sprintf("strategy %s: enabled=%v", sp.Name, !sp.Disabled)})
		}
	}
	for name, sp := range d.strat.specs {
		if !inFile[name] && !sp.Disabled {
			sp.Disabled = true
			changes = append(changes, change{spec: sp, what: "strategy " + name + ": removed from the file, disabled"})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].spec.Name < changes[j].spec.Name })
	held, err := loop.Strategies(ctx)
	if err != nil {
		return ReloadResult{}, fmt.Errorf("reload: the event loop did not answer: %w", err)
	}
	for _, c := range changes {
		if err := applyStrategy(ctx, d, c.spec.Name, c.s, c.enabled, held); err != nil {
			return res, fmt.Errorf("reload stopped at %s (those before it applied): %w", c.what, err)
		}
		d.strat.specs[c.spec.Name] = c.spec
		res.Applied = append(res.Applied, c.what)
	}
	d.log.Warn("configuration reloaded", "applied", res.Applied, "restart_needed", res.Restart)
	return res, nil
}

// applyStrategy puts s in place (when set), or enables or disables the
// strategy the loop holds under name.
func applyStrategy(ctx context.Context, d *Daemon, name string, s strategy.Strategy, enabled bool, held []trader.StrategyState) error {
	loop := d.loopOrNil()
	switch {
	case s != nil:
		return loop.SetStrategy(ctx, s, enabled)
	case !holds(held, name):
		return nil // never built: nothing runs
	case enabled:
		return loop.EnableStrategy(ctx, name)
	default:
		return loop.DisableStrategy(ctx, name)
	}
}

// restartSections lists the top-level sections of next that differ from
// cur, but the strategies.
func restartSections(cur, next config.Config) []string {
	out := []string{}
	a, b := reflect.ValueOf(cur), reflect.ValueOf(next)
	for i := range a.NumField() {
		f := a.Type().Field(i)
		if f.Name == "Strategies" {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			out = append(out, key)
		}
	}
	return out
}

// reload answers POST /admin/reload.
func (d *Daemon) reload(r *http.Request) (int, any) {
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	res, err := d.Reload(ctx)
	if err != nil {
		return http.StatusConflict, errBody(err.Error())
	}
	return http.StatusOK, res
}

// ReloadOnSignal reloads as SIGHUP asks, and records it in the audit
// trail as done by "signal".
func (d *Daemon) ReloadOnSignal(ctx context.Context) {
	res, err := d.Reload(ctx)
	rec := ledger.AuditRecord{Time: d.o.Clock.Now(), Who: "signal", Action: "reload", Detail: "SIGHUP", Result: "ok: " + res.auditNote()}
	if err != nil {
		d.log.Error("configuration not reloaded", "err", err)
		rec.Result = clipAudit("refused: "+err.Error(), 2048)
	}
	d.mu.Lock()
	store := d.store
	d.mu.Unlock()
	if store != nil {
		if _, err := store.PutAudit(ctx, rec); err != nil {
			d.log.Error("reload not audited", "err", err)
		}
	}
}
