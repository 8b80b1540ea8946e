package portfolio

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otcdesk/engine/market"
)

// Method is how the cost of a disposal is measured.
type Method string

// Cost methods.
const (
	// FIFO consumes the oldest lots first, each at its own cost.
	FIFO Method = "fifo"
	// Average costs every unit of an asset at the position's average cost.
	Average Method = "average"
)

// ParseMethod parses "fifo" or "average" (any case).
func ParseMethod(s string) (Method, error) {
	switch m := Method(strings.ToLower(strings.TrimSpace(s))); m {
	case FIFO, Average:
		return m, nil
	}
	return "", fmt.Errorf("%w: method: %q is neither fifo nor average", ErrInvalidConfig, s)
}

// Config configures a Book. Start from Default. The configuration package
// maps its own keys onto these fields; Validate names them reference,
// method and day_zone.
type Config struct {
	// Reference is the asset everything is valued in, for example "EUR".
	Reference market.Asset
	// Method is how disposals are costed: FIFO or Average.
	Method Method
	// DayZone is where a day starts for the per-day figures; use the risk
	// day zone so that both agree on what "today" is.
	DayZone *time.Location
}

// Default returns the default configuration: EUR, FIFO, days in UTC.
func Default() Config {
	return Config{Reference: "EUR", Method: FIFO, DayZone: time.UTC}
}

// Validate returns every problem, each naming its key, joined; each wraps
// ErrInvalidConfig.
func (c Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, key, fmt.Sprintf(format, args...)))
	}
	if r := string(c.Reference); r == "" || strings.ToUpper(r) != r || strings.ContainsAny(r, " :") {
		add("reference", "must be an upper-case asset code, got %q", r)
	}
	if c.Method != FIFO && c.Method != Average {
		add("method", "must be %q or %q, got %q", FIFO, Average, c.Method)
	}
	if c.DayZone == nil {
		add("day_zone", "missing (UTC, a fixed offset or an IANA zone)")
	}
	return errors.Join(errs...)
}
