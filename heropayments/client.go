package heropayments

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// ProductionURL is the Heropayments API host named by the document.
const ProductionURL = "https://api.heropayments.io"

// APIKeyHeader carries the API key. The document says to "insert API keys"
// without naming the header; x-api-key, the companion of x-api-sign, is
// assumed.
const APIKeyHeader = "x-api-key"

// Defaults applied by NewClient to zero Config fields.
const (
	DefaultTimeout   = 15 * time.Second
	DefaultRateLimit = 5 // requests per second
	DefaultBurst     = 5
)

// Config configures a Client. APIKey and APISecret are required; the zero
// value of every other field picks a safe default.
type Config struct {
	// BaseURL is ProductionURL when empty. It must be https, or http to a
	// loopback host (the simulator); no credentials, query or fragment.
	BaseURL string
	// APIKey goes in the x-api-key header; APISecret keys the request
	// signatures. Neither ever appears in errors, logs or String.
	APIKey    string
	APISecret string
	// HTTPClient carries the requests; nil means a new client with its own
	// transport. It is copied, and the copy refuses redirects.
	HTTPClient *http.Client
	// Timeout bounds each call, retries included, on top of the caller's
	// context. Zero means DefaultTimeout.
	Timeout time.Duration
	// RateLimit (requests per second) and Burst bound the client's pace;
	// zero means DefaultRateLimit and DefaultBurst.
	RateLimit float64
	Burst     int
	// MaxRetries bounds the automatic retries of one call (0..10).
	MaxRetries int
	// Limits, when set, mirrors the merchant's and customers' daily
	// withdrawal limits: a withdrawal over either is refused before any
	// request. Nil checks nothing locally.
	Limits *Limits
	// Metrics receives the collectors; nil registers none.
	Metrics prometheus.Registerer
	// Logger receives retries at Info level; nil discards.
	Logger *slog.Logger
	// Rand draws backoff jitter; nil uses math/rand/v2's global source.
	Rand *rand.Rand
	// Clock is the client's clock; the zero value is the system clock.
	// Sleep, when set, waits in its place (tests skip waits with it); it
	// must return ctx.Err() early when ctx ends.
	Clock clock.Clock
	Sleep func(ctx context.Context, d time.Duration) error
}

// String describes the configuration with the credentials redacted.
func (c Config) String() string {
	red := func(s string) string {
		if s == "" {
			return "[unset]"
		}
		return "[redacted]"
	}
	return fmt.Sprintf("heropayments.Config{BaseURL:%q APIKey:%s APISecret:%s Timeout:%v RateLimit:%v Burst:%d MaxRetries:%d}",
		c.BaseURL, red(c.APIKey), red(c.APISecret), c.Timeout, c.RateLimit, c.Burst, c.MaxRetries)
}

// GoString is String, so %#v cannot print the credentials either.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Config) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue keeps the credentials out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Client is a Heropayments REST client. It is safe for concurrent use.
// Create it with NewClient; the zero value is not usable.
type Client struct {
	base    string
	key     string // never printed
	secret  string // never printed
	redact  redactor
	limits  *Limits
	metrics *venuehttp.ClientMetrics
	clock   clock.Clock
	caller  *venuehttp.Caller // sends, paces and retries the calls
}

// NewClient validates cfg and returns a client. Every problem is reported,
// joined, each wrapping ErrConfig; the credentials are never echoed.
func NewClient(cfg Config) (*Client, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		bad("%v", err)
	}
	ctl := func(r rune) bool { return r <= ' ' || r == 0x7f }
	switch {
	case cfg.APIKey == "":
		bad("APIKey is empty (HEROPAYMENTS_API_KEY)")
	case strings.ContainsFunc(cfg.APIKey, ctl):
		bad("APIKey contains whitespace or control characters")
	}
	if cfg.APISecret == "" {
		bad("APISecret is empty (HEROPAYMENTS_API_SECRET)")
	}
	if cfg.Timeout < 0 || cfg.RateLimit < 0 || cfg.Burst < 0 {
		bad("Timeout, RateLimit and Burst must not be negative")
	}
	if cfg.MaxRetries < 0 || cfg.MaxRetries > 10 {
		bad("MaxRetries %d is outside 0..10", cfg.MaxRetries)
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		bad("metrics: %v", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Client{
		base:    base,
		key:     cfg.APIKey,
		secret:  cfg.APISecret,
		redact:  redactor{secrets: []string{cfg.APIKey, cfg.APISecret}},
		limits:  cfg.Limits,
		metrics: m,
		clock:   cfg.Clock,
		caller: &venuehttp.Caller{
			Name:       "heropayments",
			NotSent:    ErrNotSent,
			HTTP:       venuehttp.HTTPClient(cfg.HTTPClient),
			Limiter:    rate.NewLimiter(rate.Limit(cmp.Or(cfg.RateLimit, DefaultRateLimit)), cmp.Or(cfg.Burst, DefaultBurst)),
			Timeout:    cmp.Or(cfg.Timeout, DefaultTimeout),
			MaxRetries: cfg.MaxRetries,
			MaxBody:    maxBody,
			Clock:      cfg.Clock,
			Sleep:      cfg.Sleep,
			Log:        cfg.Logger,
			Rand:       cfg.Rand,
			// Query values (ids, our externalOrderId) stay out of errors.
			HideURL: true,
		},
	}, nil
}

// String describes the client without its credentials.
func (c *Client) String() string { return "heropayments.Client{" + c.base + "}" }

func baseURL(raw string) (string, error) {
	if raw == "" {
		return ProductionURL, nil
	}
	return venuehttp.ParseBaseURL(raw)
}
