package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/otcdesk/engine/strategy"
	"github.com/otcdesk/engine/trader"
)

// strategySpecs are the [[strategy]] tables as the running engine holds
// them: the file's, then each operator change of parameters. A change
// lasts until the engine stops (or SIGHUP reloads the file): the file is
// the source of truth.
type strategySpecs struct {
	mu    sync.Mutex // guards specs; held across a change, so changes never interleave
	specs map[string]strategy.Spec
}

// StrategyInfo is one strategy in GET /admin/strategies.
type StrategyInfo struct {
	trader.StrategyState
	Kind   string         `json:"kind"`
	Params map[string]any `json:"params"`
}

// strategiesList answers GET /admin/strategies.
func (d *Daemon) strategiesList(r *http.Request) (int, any) {
	loop := d.loopOrNil()
	if loop == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	states, err := loop.Strategies(ctx)
	if err != nil {
		return http.StatusServiceUnavailable, errBody("the event loop did not answer: " + err.Error())
	}
	d.strat.mu.Lock()
	defer d.strat.mu.Unlock()
	out := []StrategyInfo{}
	seen := map[string]bool{}
	for _, st := range states {
		sp := d.strat.specs[st.Name]
		out = append(out, StrategyInfo{StrategyState: st, Kind: sp.Kind, Params: sp.Params})
		seen[st.Name] = true
	}
	for _, sp := range d.cfg.Strategies { // disabled in the file, never built
		if !seen[sp.Name] {
			cur := d.strat.specs[sp.Name]
			out = append(out, StrategyInfo{StrategyState: trader.StrategyState{Name: sp.Name}, Kind: cur.Kind, Params: cur.Params})
		}
	}
	return http.StatusOK, out
}

func (d *Daemon) loopOrNil() *trader.Loop {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.trading {
		return nil
	}
	return d.loop
}

// strategyAnswer is what the strategy verbs answer.
type strategyAnswer struct {
	Name    string         `json:"name"`
	Enabled bool           `json:"enabled"`
	Params  map[string]any `json:"params,omitempty"`
}

func (a strategyAnswer) auditNote() string { return fmt.Sprintf("enabled=%v", a.Enabled) }

// strategyEnable answers POST /admin/strategies/{name}/enable: a strategy
// the loop holds runs again; one the file keeps disabled is built from
// its table (checked as the file is) and runs.
func (d *Daemon) strategyEnable(r *http.Request) (int, any) {
	return d.strategyChange(r, true, nil)
}

// strategyDisable answers POST /admin/strategies/{name}/disable.
func (d *Daemon) strategyDisable(r *http.Request) (int, any) {
	return d.strategyChange(r, false, nil)
}

// paramsBody is the body of POST /admin/strategies/{name}/params.
type paramsBody struct {
	// Params are set over the current ones, key by key, as the
	// [strategy.params] table of the file would set them.
	Params map[string]any `json:"params"`
}

// strategyParams answers POST /admin/strategies/{name}/params: a new
// instance with the changed parameters, checked as the file is, takes the
// old one's place (its intents in flight finish); it stays enabled or
// disabled as it was.
func (d *Daemon) strategyParams(r *http.Request) (int, any) {
	var b paramsBody
	if err := decodeBody(r, &b); err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	if len(b.Params) == 0 {
		return http.StatusBadRequest, errBody(`params: give at least one, e.g. {"params": {"size": "0.05"}}`)
	}
	params, err := tomlValues(b.Params)
	if err != nil {
		return http.StatusBadRequest, errBody("params: " + err.Error())
	}
	return d.strategyChange(r, false, params)
}

// strategyChange enables or disables the strategy the path names, or,
// with params, replaces its instance with one built with them.
func (d *Daemon) strategyChange(r *http.Request, enable bool, params map[string]any) (int, any) {
	name := r.PathValue("name")
	loop := d.loopOrNil()
	if loop == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	d.strat.mu.Lock()
	defer d.strat.mu.Unlock()
	spec, ok := d.strat.specs[name]
	if !ok {
		return http.StatusNotFound, errBody(fmt.Sprintf("no strategy %q in the configuration", name))
	}
	states, err := loop.Strategies(ctx)
	if err != nil {
		return http.StatusServiceUnavailable, errBody("the event loop did not answer: " + err.Error())
	}
	held, running := false, false
	for _, st := range states {
		if st.Name == name {
			held, running = true, st.Enabled
		}
	}
	switch {
	case params == nil && !enable:
		if held {
			err = loop.DisableStrategy(ctx, name)
		}
		return d.strategyDone(name, false, spec, err)
	case params == nil && held:
		return d.strategyDone(name, true, spec, loop.EnableStrategy(ctx, name))
	case params != nil:
		spec.Params = maps.Clone(spec.Params)
		if spec.Params == nil {
			spec.Params = map[string]any{}
		}
		maps.Copy(spec.Params, params)
		enable = running
	}
	s, err := d.buildStrategy(ctx, spec)
	if err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	if err := loop.SetStrategy(ctx, s, enable); err != nil {
		return http.StatusServiceUnavailable, errBody(err.Error())
	}
	d.strat.specs[name] = spec
	return d.strategyDone(name, enable, spec, nil)
}

func (d *Daemon) strategyDone(name string, enabled bool, spec strategy.Spec, err error) (int, any) {
	if errors.Is(err, trader.ErrUnknownStrategy) {
		return http.StatusNotFound, errBody(err.Error())
	}
	if err != nil {
		return http.StatusServiceUnavailable, errBody(err.Error())
	}
	d.log.Warn("strategy changed by admin", "strategy", name, "enabled", enabled, "by", d.who())
	return http.StatusOK, strategyAnswer{Name: name, Enabled: enabled, Params: spec.Params}
}

// buildStrategy builds spec as the file's table would be (its kind's
// factory, then what risk could never let it trade against the venue's
// fed pairs) and restores its state from the ledger.
func (d *Daemon) buildStrategy(ctx context.Context, spec strategy.Spec) (strategy.Strategy, error) {
	s, err := d.o.Strategies.New(spec.Kind, spec.Name, spec.Decode)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	fed, store := d.fed, d.store
	d.mu.Unlock()
	if err := unreachable(d.cfg.Risk, []strategy.Strategy{s}, fed); err != nil {
		return nil, err
	}
	if err := trader.Restore(ctx, store, s, d.log); err != nil {
		return nil, err
	}
	return s, nil
}

// tomlValues turns JSON values into what a TOML table of the file would
// hold: whole numbers as integers, other numbers as floats (which, as in
// the file, no decimal parameter accepts: write "0.05"), tables and
// arrays alike.
func tomlValues(m map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		x, err := tomlValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = x
	}
	return out, nil
}

func tomlValue(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, nil
		}
		return v.Float64()
	case map[string]any:
		return tomlValues(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			y, err := tomlValue(x)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	case nil:
		return nil, errors.New("null is not a TOML value")
	}
	return v, nil
}
