package policy

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/scheduler"
)

// Defaults of the fields whose zero value means "default".
const (
	DefaultPollAfter          = 10 * time.Minute
	DefaultPollEvery          = time.Minute
	DefaultLookups            = 5
	DefaultPrecision          = 8
	DefaultPath               = "rfq"
	DefaultInvoiceExpiryHours = 24
	DefaultInvoicePrefix      = "lnbc"
)

// DefaultMaxSlippage is the slippage a conversion allows when none is
// given, in percent (0.5 = 0.5%).
var DefaultMaxSlippage = decimal.RequireFromString("0.5")

// Policy kinds.
const (
	// KindSweep keeps an asset's available balance at Hercle within
	// [min, max]: above max the excess over target leaves for a
	// destination (crypto withdrawal, Lightning payment or bank transfer).
	KindSweep = "sweep"
	// KindConvert sells the excess of an asset over target for another
	// asset through the execution path (the first link of a chain).
	KindConvert = "convert"
	// KindSettlement withdraws the Heropayments merchant balance above
	// max down to target to the Hercle deposit address.
	KindSettlement = "settlement"
)

// Destination types.
const (
	// TypeCrypto is a withdrawal to an address whitelisted at Hercle.
	TypeCrypto = "crypto"
	// TypeLightning pays a Lightning invoice for the amount, fetched from
	// the destination's Lightning Address or LNURL-pay endpoint.
	TypeLightning = "lightning"
	// TypeBank is a bank transfer from the account's internal address
	// to a payee address registered (and approved) at Hercle.
	TypeBank = "bank"
	// TypeHercleDeposit is the account's own Hercle deposit address,
	// read from the Hercle API: the destination of a settlement.
	TypeHercleDeposit = "hercle_deposit"
)

// Below-min actions.
const (
	BelowMinAlert = "alert" // log and count; the default
	BelowMinPull  = "pull"  // bring the balance back to target from Pull
)

// Pull sources.
const (
	PullConvert      = "convert"      // buy the shortfall through the execution path
	PullHeropayments = "heropayments" // settle the shortfall from the Heropayments balance
	PullInvoice      = "invoice"      // issue a Lightning invoice for the shortfall
)

// Config is the [treasury] section. The zero value is valid and does
// nothing.
type Config struct {
	// PollAfter is how long after it was sent an unresolved movement is
	// looked up over REST on every poll: the fallback for a late or lost
	// webhook. Zero means DefaultPollAfter.
	PollAfter tomlval.Duration `toml:"poll_after"`
	// PollEvery is how often the poll runs. Zero means DefaultPollEvery.
	PollEvery tomlval.Duration `toml:"poll_every"`
	// Lookups is how many lookups must find no record of a movement whose
	// outcome is unknown before it is failed (its amount returns to the
	// available balance). Zero means DefaultLookups.
	Lookups int `toml:"lookups"`
	// InWindow is what happens to a policy due inside a maintenance
	// window: "defer" (run once when it ends; the default) or "skip".
	InWindow string `toml:"in_window"`
	// DailyCaps caps what all policies together move out per UTC day,
	// per asset ("BTC" = "2"). An asset without a cap has only its
	// destinations' caps.
	DailyCaps map[string]tomlval.Decimal `toml:"daily_caps"`
	// Destinations is the allowlist: nothing is sent anywhere else.
	Destinations map[string]Destination `toml:"destinations"`
	// Policies by name.
	Policies map[string]Policy `toml:"policies"`
}

// Destination is an allowed place money may go. For a crypto destination
// the address must also be whitelisted and approved at Hercle, for a bank
// destination the payee address approved; both are checked before every
// sweep.
type Destination struct {
	Type  string `toml:"type"`
	Asset string `toml:"asset"`
	// Network is the Hercle network name ("Bitcoin", "Ethereum", "SEPA");
	// for a Lightning destination it is unused.
	Network string `toml:"network"`
	// Address is the crypto address, or the bank account (IBAN) of a
	// bank destination, or where a Lightning destination's invoices come
	// from: a Lightning Address ("treasury@wallet.example"), an LNURL
	// ("lnurl1…") or an LNURL-pay URL. For a Hercle deposit destination it
	// is optional and pins the address the API must return.
	Address string `toml:"address"`
	// AddressParams are the whitelisted address's extra parameters
	// (withdrawal through /withdrawals/address), or a payee address's
	// routing parameters ({ bic = "..." }).
	AddressParams map[string]string `toml:"address_params"`
	// Instant sends crypto withdrawals through the instant route.
	Instant bool `toml:"instant"`
	// DailyCap caps what goes to this destination per UTC day, in Asset.
	// Required.
	DailyCap tomlval.Decimal `toml:"daily_cap"`

	// Bank destinations. PayeeAddressID names the registered payee
	// address; when empty it is found among the payees by asset, network
	// and account, or registered from Payee when that is given.
	PayeeAddressID string `toml:"payee_address_id"`
	// InternalAddressID is the internal address (deposit account) paid
	// from; when empty, the first deposit address of Asset.
	InternalAddressID string `toml:"internal_address_id"`
	// AccountName names the payee address when it is registered.
	AccountName string `toml:"account_name"`
	// Payee registers the beneficiary through the API when no payee
	// address matches.
	Payee *Payee `toml:"payee"`

	// InvoicePrefix is the BOLT11 prefix a Lightning invoice must carry
	// ("lnbc" mainnet, "lntb" testnet, "lnbcrt" regtest). Empty means
	// DefaultInvoicePrefix.
	InvoicePrefix string `toml:"invoice_prefix"`
}

// Payee is a bank-transfer beneficiary to register.
type Payee struct {
	Type       string `toml:"type"` // "individual" or "company"
	Name       string `toml:"name"`
	Surname    string `toml:"surname"`
	Company    string `toml:"company"`
	Country    string `toml:"country"` // ISO 3166-1 alpha-2
	State      string `toml:"state"`
	City       string `toml:"city"`
	Address    string `toml:"address"`
	PostalCode string `toml:"postal_code"`
}

// Policy keeps one balance within [Min, Max]: above Max the excess over
// Target moves (swept out, converted or settled); below Min the BelowMin
// action runs.
type Policy struct {
	Kind  string `toml:"kind"`
	Asset string `toml:"asset"`
	// Schedule is a cron spec, five fields or six with seconds, or a
	// descriptor such as "@every 15m".
	Schedule string `toml:"schedule"`
	// Min, Target and Max bound the available balance; required, with
	// 0 <= Min <= Target <= Max.
	Min    tomlval.Decimal `toml:"min"`
	Target tomlval.Decimal `toml:"target"`
	Max    tomlval.Decimal `toml:"max"`
	// Destination names an entry of Destinations (sweep, settlement).
	Destination string `toml:"destination"`
	// MinSweep is the smallest movement worth making, net of the fee.
	MinSweep tomlval.Decimal `toml:"min_sweep"`
	// Fee is the fee expected per movement, in Asset. By default the
	// venue takes it from the amount (the destination receives amount -
	// fee); with FeeOnTop it is charged on top, so the amount sent is
	// lowered by it to leave exactly Target.
	Fee      tomlval.Decimal `toml:"fee"`
	FeeOnTop bool            `toml:"fee_on_top"`
	// MaxFeeRatio skips a movement whose fee exceeds this share of its
	// amount ("0.01" = 1%). Zero means no limit.
	MaxFeeRatio tomlval.Decimal `toml:"max_fee_ratio"`
	// Precision is the number of decimals amounts are rounded down to;
	// absent means DefaultPrecision.
	Precision *int `toml:"precision"`
	// DryRun logs what would be sent and sends nothing. Absent means
	// true in live mode (a new policy is dry until dry_run = false is
	// written down) and false in paper mode, where it sends to the
	// simulator (the configuration applies WithDryRun).
	DryRun *bool `toml:"dry_run"`
	// BelowMin is "alert" (the default) or "pull" (see Pull).
	BelowMin string `toml:"below_min"`
	Pull     *Pull  `toml:"pull"`
	// Then names policies to run right after this one moved money: the
	// chain "convert BTC above target to EUR, then sweep EUR above max".
	// After a settlement they run when its deposit lands at Hercle.
	Then []string `toml:"then"`

	// Convert: sell the excess of Asset for To on Pair ("BTCEUR"),
	// through Path ("rfq" or "otc") allowing MaxSlippage percent.
	To          string          `toml:"to"`
	Pair        string          `toml:"pair"`
	Path        string          `toml:"path"`
	MaxSlippage tomlval.Decimal `toml:"max_slippage"`

	// Settlement: the Heropayments flow ("v2" or "custody") whose
	// merchant balance is settled, the customer id the withdrawal is made
	// for, the network name Heropayments uses (optional), and the most
	// the network may take: the Hercle deposit that settles the movement
	// must be within MaxNetworkFee below the amount sent.
	Flow          string          `toml:"flow"`
	CustomerID    string          `toml:"customer_id"`
	Network       string          `toml:"network"`
	MaxNetworkFee tomlval.Decimal `toml:"max_network_fee"`
}

// Pull says where a balance below Min is refilled from, up to Target.
type Pull struct {
	// From is "convert" (buy the asset on Pair with the other asset of
	// the pair), "heropayments" (settle from the Heropayments merchant
	// balance with the settlement policy named Policy) or "invoice"
	// (issue a Lightning invoice for the shortfall; BTC only).
	From        string          `toml:"from"`
	Pair        string          `toml:"pair"`
	Path        string          `toml:"path"`
	MaxSlippage tomlval.Decimal `toml:"max_slippage"`
	Policy      string          `toml:"policy"`
	// ExpiryHours is the invoice's lifetime; zero means
	// DefaultInvoiceExpiryHours.
	ExpiryHours int `toml:"expiry_hours"`
}

// IsDryRun reports whether the policy only logs: true unless dry_run =
// false was written.
func (p Policy) IsDryRun() bool { return p.DryRun == nil || *p.DryRun }

// WithDryRun returns c with dry set on every policy that does not say:
// paper mode sends (to the simulator) unless a policy says dry_run =
// true; live mode only logs unless it says dry_run = false.
func (c Config) WithDryRun(dry bool) Config {
	if len(c.Policies) == 0 {
		return c
	}
	ps := make(map[string]Policy, len(c.Policies))
	for name, p := range c.Policies {
		if p.DryRun == nil {
			p.DryRun = &dry
		}
		ps[name] = p
	}
	c.Policies = ps
	return c
}

// Decimals returns the precision amounts are rounded down to.
func (p Policy) Decimals() int32 {
	if p.Precision == nil {
		return DefaultPrecision
	}
	return int32(*p.Precision)
}

// Slippage returns the conversion's slippage, or DefaultMaxSlippage.
func (p Policy) Slippage() decimal.Decimal {
	if !p.MaxSlippage.IsSet() {
		return DefaultMaxSlippage
	}
	return p.MaxSlippage.Decimal
}

// PathOr returns the conversion path, or DefaultPath.
func (p Policy) PathOr() string {
	if p.Path == "" {
		return DefaultPath
	}
	return p.Path
}

// PolicyNames returns the policy names, sorted.
func (c Config) PolicyNames() []string {
	out := make([]string, 0, len(c.Policies))
	for n := range c.Policies {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Window returns the scheduler's policy for a run due in a maintenance
// window.
func (c Config) Window() scheduler.WindowPolicy {
	if c.InWindow == "skip" {
		return scheduler.Skip
	}
	return scheduler.Defer
}

// LookupsOr returns Lookups or DefaultLookups.
func (c Config) LookupsOr() int {
	if c.Lookups == 0 {
		return DefaultLookups
	}
	return c.Lookups
}

// Prefix returns the BOLT11 prefix Lightning invoices must carry.
func (d Destination) Prefix() string {
	if d.InvoicePrefix == "" {
		return DefaultInvoicePrefix
	}
	return d.InvoicePrefix
}
