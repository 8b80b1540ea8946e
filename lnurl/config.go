package lnurl

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/otcdesk/engine/internal/clock"
)

// Networks a Config may name.
const (
	Mainnet = "mainnet" // invoices lnbc…
	Testnet = "testnet" // invoices lntb…
	Signet  = "signet"  // invoices lntbs…
	Regtest = "regtest" // invoices lnbcrt…
)

// Defaults and bounds of Config.
const (
	DefaultTimeout = 20 * time.Second
	// DefaultMaxBody leaves room for LUD-06 metadata carrying its largest
	// thumbnail (136536 base64 characters).
	DefaultMaxBody = 256 << 10
	// MinMaxBody and MaxMaxBody bound Config.MaxBody: a BOLT11 invoice
	// alone may be 7089 characters.
	MinMaxBody = 16 << 10
	MaxMaxBody = 16 << 20
)

// Config configures a Client. The zero value is usable: mainnet, a plain
// http.Client, DefaultTimeout, DefaultMaxBody, https only, the wall clock.
type Config struct {
	// Network is the network invoices must be for: Mainnet (default),
	// Testnet, Signet or Regtest. Hercle pays on mainnet.
	Network string
	// HTTPClient makes the requests; nil means a new http.Client. Its
	// redirect policy is wrapped: at most 5 redirects, each to an allowed
	// scheme. The Client copies it and never changes the caller's value.
	HTTPClient *http.Client
	// Timeout bounds one Invoice call, both requests together. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// AllowHTTP accepts plain http:// endpoints, and resolves a Lightning
	// Address or lnurlp:// link on a loopback host to http. Only for the
	// simulator, in paper mode and tests: a live payee is https.
	AllowHTTP bool
	// MaxBody bounds each answer, in bytes. Zero means DefaultMaxBody.
	MaxBody int64
	// Clock is the clock invoices' expiry is checked against; the zero
	// value is the system clock.
	Clock clock.Clock
}

// DefaultConfig returns the zero Config with its defaults filled in.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.Network == "" {
		c.Network = Mainnet
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	return c
}

// Validate reports every problem of c, each wrapping ErrConfig. Zero
// fields are valid: they take the defaults.
func (c Config) Validate() error {
	var errs []error
	if _, ok := lookupNetwork(c.Network); !ok && c.Network != "" {
		errs = append(errs, fmt.Errorf("%w: Network %q: want %s, %s, %s or %s", ErrConfig, c.Network,
			Mainnet, Testnet, Signet, Regtest))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("%w: Timeout %v is negative", ErrConfig, c.Timeout))
	}
	if c.MaxBody != 0 && (c.MaxBody < MinMaxBody || c.MaxBody > MaxMaxBody) {
		errs = append(errs, fmt.Errorf("%w: MaxBody %d: want %d to %d bytes, or 0 for %d", ErrConfig, c.MaxBody,
			MinMaxBody, MaxMaxBody, DefaultMaxBody))
	}
	return errors.Join(errs...)
}

// network is a Lightning network: its name, its BOLT11 currency prefix
// and the chain parameters lnd's decoder checks invoices against.
type network struct {
	name   string
	hrp    string
	params *chaincfg.Params
}

func lookupNetwork(name string) (network, bool) {
	switch name {
	case Mainnet:
		return network{Mainnet, "bc", &chaincfg.MainNetParams}, true
	case Testnet:
		return network{Testnet, "tb", &chaincfg.TestNet3Params}, true
	case Signet:
		return network{Signet, "tbs", &chaincfg.SigNetParams}, true
	case Regtest:
		return network{Regtest, "bcrt", &chaincfg.RegressionNetParams}, true
	}
	return network{}, false
}

// networkOfCurrency names the network of a BOLT11 currency prefix, for
// messages.
func networkOfCurrency(hrp string) string {
	for _, name := range []string{Mainnet, Testnet, Signet, Regtest} {
		if n, _ := lookupNetwork(name); n.hrp == hrp {
			return name
		}
	}
	return fmt.Sprintf("unknown currency %q", clip(hrp, 16))
}

// NetworkOf returns the network whose invoices carry the BOLT11 prefix
// ("lnbc", "lntb", "lntbs", "lnbcrt"), and false for any other prefix.
func NetworkOf(prefix string) (string, bool) {
	switch prefix {
	case "lnbc":
		return Mainnet, true
	case "lntb":
		return Testnet, true
	case "lntbs":
		return Signet, true
	case "lnbcrt":
		return Regtest, true
	}
	return "", false
}
