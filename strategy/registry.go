package strategy

import (
	"fmt"
	"slices"
	"sync"
)

// Factory builds one strategy instance. name is the instance name from
// configuration. decode fills a typed params struct from the instance's
// params table; the config loader passes BurntSushi/toml's PrimitiveDecode
// for it, tests pass a function of their own, and nil means no params (the
// factory keeps its defaults). A factory validates its params and returns
// every problem at once.
type Factory func(name string, decode func(any) error) (Strategy, error)

// Registry maps a strategy kind ("rebalance") to its Factory. There is no
// global registry: the daemon and the backtester each build one with
// Builtins and Register whatever else they run. The zero value is not
// usable; use NewRegistry. A Registry is safe for concurrent use.
type Registry struct {
	mu        sync.Mutex         // guards factories
	factories map[string]Factory // by kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{factories: make(map[string]Factory)}
}

// Builtins returns a registry holding the built-in kinds: rebalance, twap,
// threshold and autoconvert.
func Builtins() *Registry {
	r := NewRegistry()
	for kind, f := range map[string]Factory{
		KindRebalance:   newRebalanceFactory,
		KindTWAP:        newTWAPFactory,
		KindThreshold:   newThresholdFactory,
		KindAutoconvert: newAutoconvertFactory,
	} {
		r.factories[kind] = f
	}
	return r
}

// Register adds a kind. It returns ErrDuplicateKind if kind is taken, and
// an error for an empty kind or a nil factory.
func (r *Registry) Register(kind string, f Factory) error {
	if kind == "" || f == nil {
		return fmt.Errorf("strategy: register %q: empty kind or nil factory", kind)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.factories[kind]; ok {
		return fmt.Errorf("register %q: %w", kind, ErrDuplicateKind)
	}
	r.factories[kind] = f
	return nil
}

// New builds an instance of kind named name. It returns ErrUnknownKind
// (naming the known kinds) or the factory's error, prefixed with the
// instance name.
func (r *Registry) New(kind, name string, decode func(any) error) (Strategy, error) {
	r.mu.Lock()
	f, ok := r.factories[kind]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("strategy %q: kind %q (known: %v): %w", name, kind, r.Kinds(), ErrUnknownKind)
	}
	if name == "" {
		return nil, fmt.Errorf("strategy of kind %q: empty name", kind)
	}
	s, err := f(name, decode)
	if err != nil {
		return nil, fmt.Errorf("strategy %q (%s): %w", name, kind, err)
	}
	return s, nil
}

// Kinds returns the registered kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.factories))
	for k := range r.factories {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// decodeInto applies decode to p unless it is nil.
func decodeInto(decode func(any) error, p any) error {
	if decode == nil {
		return nil
	}
	if err := decode(p); err != nil {
		return fmt.Errorf("decode params: %w", err)
	}
	return nil
}
