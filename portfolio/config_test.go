package portfolio

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	for _, c := range []struct {
		name string
		edit func(*Config)
		keys []string // every key the error must name
	}{
		{"no reference", func(c *Config) { c.Reference = "" }, []string{"reference"}},
		{"lower-case reference", func(c *Config) { c.Reference = "eur" }, []string{"reference"}},
		{"reference with a colon", func(c *Config) { c.Reference = "EUR:X" }, []string{"reference"}},
		{"no method", func(c *Config) { c.Method = "" }, []string{"method"}},
		{"unknown method", func(c *Config) { c.Method = "lifo" }, []string{"method"}},
		{"no day zone", func(c *Config) { c.DayZone = nil }, []string{"day_zone"}},
		{"everything", func(c *Config) { *c = Config{} }, []string{"reference", "method", "day_zone"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			c.edit(&cfg)
			err := cfg.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig", err)
			}
			for _, k := range c.keys {
				if !strings.Contains(err.Error(), k+":") {
					t.Errorf("Validate() = %q, want it to name %q", err, k)
				}
			}
			if _, nerr := New(cfg, Inputs{}); !errors.Is(nerr, ErrInvalidConfig) {
				t.Errorf("New = %v, want ErrInvalidConfig", nerr)
			}
		})
	}
}

func TestConfigDayZone(t *testing.T) {
	cfg := Default()
	cfg.DayZone = time.FixedZone("UTC+14", 14*3600)
	b := mustBook(t, cfg, Inputs{})
	mustApply(t, b, deposit("D", at(10), "hercle", "EUR", "5")) // 10:00 UTC is 00:00 on the 2nd at UTC+14
	r := b.Report(nil, at(10))
	if len(r.ByDay) != 1 || r.ByDay[0].Day != "2024-03-02" {
		t.Fatalf("ByDay = %+v, want one day, 2024-03-02", r.ByDay)
	}
}

func TestParseMethod(t *testing.T) {
	for in, want := range map[string]Method{"fifo": FIFO, "FIFO": FIFO, " average ": Average} {
		if got, err := ParseMethod(in); err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMethod("lifo"); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "method") {
		t.Errorf("ParseMethod(lifo) = %v, want ErrInvalidConfig naming method", err)
	}
}
