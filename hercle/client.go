package hercle

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

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// Base URLs of the two Hercle environments.
const (
	SandboxURL    = "https://publicapi.sandbox.hercle.financial"
	ProductionURL = "https://publicapi.hercle.financial"
)

// Defaults applied by NewClient to zero Config fields.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultRateLimit = 10 // requests per second
	DefaultBurst     = 5
)

// Config configures a Client. The zero value is not usable: it needs an
// APIKey and either an Environment or a BaseURL.
type Config struct {
	// Environment is "sandbox" or "production". Ignored when BaseURL is set.
	Environment string
	// BaseURL overrides Environment, for the simulator or a proxy. It must
	// be https, or http to a loopback host; it must not carry credentials,
	// a query or a fragment. A path prefix is kept.
	BaseURL string
	// APIKey is sent as a Bearer token. It never appears in errors, logs
	// or the output of String.
	APIKey string
	// HTTPClient carries the requests; nil means a new client with its own
	// http.Transport. It is copied, and the copy refuses redirects; its
	// Timeout is left as is (Timeout below is the call deadline).
	HTTPClient *http.Client
	// Timeout bounds each call, retries and waits included, on top of the
	// caller's context. Zero means DefaultTimeout.
	Timeout time.Duration
	// RateLimit is the client-side ceiling in requests per second; zero
	// means DefaultRateLimit. Burst is how many may go at once; zero
	// means DefaultBurst.
	RateLimit float64
	Burst     int
	// MaxRetries bounds the automatic retries of one call (zero: none).
	MaxRetries int
	// Metrics receives the client's collectors; nil registers none.
	Metrics prometheus.Registerer
	// Logger receives retries at Info level; nil discards.
	Logger *slog.Logger
	// Rand draws backoff jitter; nil uses math/rand/v2's global source.
	// It is guarded by the client, so it need not be safe for concurrent use.
	Rand *rand.Rand
	// Clock is the client's clock, for the rate limiter, backoff,
	// Retry-After dates and latency metrics; the zero value is the system
	// clock. Sleep, when set, waits in its place (tests skip waits with
	// it); it must return ctx.Err() early when ctx ends.
	Clock clock.Clock
	Sleep func(ctx context.Context, d time.Duration) error
}

// String describes the configuration with the API key redacted.
func (c Config) String() string {
	key := "[unset]"
	if c.APIKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("hercle.Config{Environment:%q BaseURL:%q APIKey:%s Timeout:%v RateLimit:%v Burst:%d MaxRetries:%d}",
		c.Environment, c.BaseURL, key, c.Timeout, c.RateLimit, c.Burst, c.MaxRetries)
}

// GoString is String, so %#v cannot print the key either.
func (c Config) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Config) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue keeps the key out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Client is a Hercle REST client. It is safe for concurrent use. Create it
// with NewClient; the zero value is not usable.
type Client struct {
	base    string // scheme://host[/prefix], no trailing slash
	auth    string // "Bearer <key>"; never printed
	redact  redactor
	metrics *venuehttp.ClientMetrics
	clock   clock.Clock
	caller  *venuehttp.Caller // sends, paces and retries the calls
}

// NewClient validates cfg and returns a client. Every problem found is
// reported, joined, each wrapping ErrConfig; the API key is never echoed.
func NewClient(cfg Config) (*Client, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	base, err := baseURL(cfg.Environment, cfg.BaseURL)
	if err != nil {
		bad("%v", err)
	}
	switch {
	case cfg.APIKey == "":
		bad("APIKey is empty")
	case strings.ContainsFunc(cfg.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		bad("APIKey contains whitespace or control characters")
	}
	if cfg.Timeout < 0 {
		bad("Timeout %v is negative", cfg.Timeout)
	}
	if cfg.RateLimit < 0 {
		bad("RateLimit %v is negative", cfg.RateLimit)
	}
	if cfg.Burst < 0 {
		bad("Burst %d is negative", cfg.Burst)
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
		auth:    "Bearer " + cfg.APIKey,
		redact:  redactor{key: cfg.APIKey},
		metrics: m,
		clock:   cfg.Clock,
		caller: &venuehttp.Caller{
			Name:       "hercle",
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
			// Waiting that fails after an attempt reports that attempt.
			KeepLastError: true,
		},
	}, nil
}

// String describes the client without its API key.
func (c *Client) String() string { return "hercle.Client{" + c.base + "}" }

// GoString is String: %#v would otherwise print the fields, the key among
// them.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the URL requests are sent to.
func (c *Client) BaseURL() string { return c.base }

// NewClientID returns a fresh Client-Id (a random UUID). Callers that record
// an intent before sending generate the id with it and pass it in.
func NewClientID() (string, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return "", fmt.Errorf("hercle: generate Client-Id: %w", err)
	}
	return id.String(), nil
}

// maxClientID bounds a Client-Id: a UUID's 36 characters, which the venue's
// hub also names as its limit.
const maxClientID = 36

// checkClientID accepts ids made of letters, digits, '-' and '_', so an id
// is always a safe header value and a single path segment for the lookups.
func checkClientID(id string) error {
	if id == "" || len(id) > maxClientID {
		return fmt.Errorf("%w: Client-Id must have 1 to %d characters, got %d", ErrInvalidInput, maxClientID, len(id))
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%w: Client-Id %q may hold only letters, digits, '-' and '_'", ErrInvalidInput, id)
		}
	}
	return nil
}

// useClientID returns id after checking it, or a new one when id is empty.
func useClientID(id string) (string, error) {
	if id == "" {
		return NewClientID()
	}
	return id, checkClientID(id)
}

func baseURL(env, raw string) (string, error) {
	if raw == "" {
		switch env {
		case "sandbox":
			return SandboxURL, nil
		case "production":
			return ProductionURL, nil
		case "":
			return "", errors.New(`set Environment ("sandbox" or "production") or BaseURL`)
		default:
			return "", fmt.Errorf(`Environment must be "sandbox" or "production", got %q`, env)
		}
	}
	return venuehttp.ParseBaseURL(raw)
}
