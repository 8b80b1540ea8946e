package strategy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/internal/tomlval"
)

// configured is how the config loader reads [[strategy]] tables.
type configured struct {
	Strategy []struct {
		Name   string         `toml:"name"`
		Kind   string         `toml:"kind"`
		Params toml.Primitive `toml:"params"`
	} `toml:"strategy"`
}

const exampleTOML = `
[[strategy]]
name = "mix"
kind = "rebalance"
[strategy.params]
reference = "EUR"
band = "0.05"
min_trade = "250"
every = "15m"
weights = { BTC = "0.5", ETH = "0.2", EUR = "0.3" }

[[strategy]]
name = "dca-btc"
kind = "twap"
[strategy.params]
pair = "BTCEUR"
side = "buy"
amount = "7000"
start = 2026-03-02T09:00:00+01:00
period = "168h"
cron = "CRON_TZ=Europe/Rome 0 9 * * *"

[[strategy]]
name = "dip"
kind = "threshold"
[strategy.params]
pair = "BTCEUR"
side = "buy"
order = "limit"
price = "55000"
size = "0.1"
rearm = true
cooldown = "1h"

[[strategy]]
name = "usdt-to-eur"
kind = "autoconvert"
[strategy.params]
from = "USDT"
to = "EUR"
min = "100"
`

func TestRegistryBuildsFromTOML(t *testing.T) {
	var c configured
	md, err := toml.Decode(exampleTOML, &c)
	if err != nil {
		t.Fatal(err)
	}
	reg := Builtins()
	for _, sc := range c.Strategy {
		s, err := reg.New(sc.Kind, sc.Name, func(v any) error { return md.PrimitiveDecode(sc.Params, v) })
		if err != nil {
			t.Fatalf("New(%s, %s): %v", sc.Kind, sc.Name, err)
		}
		if s.Name() != sc.Name {
			t.Errorf("Name() = %q, want %q", s.Name(), sc.Name)
		}
	}
	if und := md.Undecoded(); len(und) != 0 {
		t.Errorf("undecoded keys %v", und)
	}
	tw, _ := reg.New("twap", "t", func(v any) error { return md.PrimitiveDecode(c.Strategy[1].Params, v) })
	// 09:00 in Rome on 2 March (CET) is the start itself, 08:00 UTC.
	if got := tw.(Timed).NextTimer(t0); got.UTC().Format("2006-01-02 15:04") != "2026-03-02 08:00" {
		t.Errorf("twap first activation %v, want 2026-03-02 08:00 UTC", got.UTC())
	}
}

func TestRegistryReportsEveryProblemWithItsKey(t *testing.T) {
	const bad = `
[[strategy]]
name = "mix"
kind = "rebalance"
[strategy.params]
reference = "EUR"
band = 0.05
min_trade = "lots"
every = 300
weights = { BTC = "0.5", EUR = "0.4" }
`
	var c configured
	md, err := toml.Decode(bad, &c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Builtins().New("rebalance", "mix", func(v any) error { return md.PrimitiveDecode(c.Strategy[0].Params, v) })
	if err == nil {
		t.Fatal("New accepted bad params")
	}
	for _, k := range []string{`strategy "mix"`, "band: want a decimal string", `min_trade: "lots"`, "every: duration must be a string", "weights: must sum to exactly 1"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not mention %q", err, k)
		}
	}
}

func TestRegistry(t *testing.T) {
	reg := Builtins()
	if got, want := reg.Kinds(), []string{"autoconvert", "rebalance", "threshold", "twap"}; !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if err := reg.Register("twap", newTWAPFactory); !errors.Is(err, ErrDuplicateKind) {
		t.Errorf("Register(twap) again = %v, want ErrDuplicateKind", err)
	}
	if _, err := reg.New("grid", "g", nil); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("New(grid) = %v, want ErrUnknownKind", err)
	}
	custom := NewRegistry()
	var gotName string
	if err := custom.Register("noop", func(name string, decode func(any) error) (Strategy, error) {
		gotName = name
		return NewAutoconvert(name, AutoconvertParams{From: "A", To: "B", RetryAfter: tomlval.Dur(1), Path: RFQ})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := custom.New("noop", "n1", nil); err != nil || gotName != "n1" {
		t.Errorf("custom New = %v, factory saw name %q", err, gotName)
	}
	if _, err := reg.New("threshold", "th", nil); err == nil {
		t.Error("threshold without params built; want validation errors")
	}
}

// TestTWAPStartNeedsAnOffset: a TOML date-time without an offset is read
// in the machine's zone at its current offset, so the plan's start would
// move with the machine, its zone or daylight saving across a restart, and
// Restore would drop (and the TWAP send again) fills made before the moved
// start. Such a start is a configuration error naming the key.
func TestTWAPStartNeedsAnOffset(t *testing.T) {
	for _, start := range []string{"2026-03-02T09:00:00", "2026-03-02"} {
		doc := `
[[strategy]]
name = "dca"
kind = "twap"
[strategy.params]
pair = "BTCEUR"
side = "buy"
size = "1"
start = ` + start + `
period = "24h"
every = "1h"
`
		var c configured
		md, err := toml.Decode(doc, &c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Builtins().New("twap", "dca", func(v any) error { return md.PrimitiveDecode(c.Strategy[0].Params, v) })
		if err == nil || !strings.Contains(err.Error(), "start:") {
			t.Errorf("start = %s: New() = %v, want an error naming start", start, err)
		}
	}
}
