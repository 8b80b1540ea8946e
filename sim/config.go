package sim

import (
	"fmt"
	"net"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/internal/venuehttp"
	"github.com/otcdesk/engine/scheduler"
)

// Config configures the venue simulator (paper mode and `engine sim`).
type Config struct {
	// Addr is the listen address; it must be a loopback address.
	Addr string `toml:"addr"`
	// Seed makes prices, ids and faults reproducible.
	Seed int64 `toml:"seed"`
	// Dedup enables Client-Id deduplication (6 h), as the Hercle sandbox does.
	// Production does not deduplicate; set false to behave like it.
	Dedup bool `toml:"dedup"`
	// SettleAfter is how long a withdrawal or transfer takes to reach its
	// final status (CONFIRMING after a sixth of it). Zero means
	// DefaultSettleAfter.
	SettleAfter tomlval.Duration `toml:"settle_after"`
	// WhitelistApproval and PayeeApproval are "auto" (the venue approves
	// each whitelist entry and payee address at once) or "manual" (they
	// wait for the control endpoint, ApproveWhitelist or
	// ApprovePayeeAddress, as they wait for Hercle's compliance team).
	WhitelistApproval string `toml:"whitelist_approval"`
	PayeeApproval     string `toml:"payee_approval"`
	// Maintenance simulates the [maintenance] section's weekly and extra
	// windows (without its margins, which are the engine's): the REST API
	// answers 503 and the hub closes. See MaintenanceWindow.
	Maintenance bool                `toml:"maintenance"`
	Faults      FaultsConfig        `toml:"faults"`
	Hub         HubConfig           `toml:"hub"`
	Webhooks    WebhookFaultsConfig `toml:"webhooks"`
	Customers   CustomersConfig     `toml:"customers"`
}

// FaultsConfig injects failures into the simulator. Rates are probabilities per
// request, from 0 to 1.
type FaultsConfig struct {
	// RateLimited answers 429 with Retry-After.
	RateLimited float64 `toml:"rate_limited"`
	// ResetBeforeRead closes the connection before reading the request.
	ResetBeforeRead float64 `toml:"reset_before_read"`
	// ErrorAfterApply applies a request, then answers 5xx.
	ErrorAfterApply float64 `toml:"error_after_apply"`
	// Latency is added to every response.
	Latency tomlval.Duration `toml:"latency"`
}

// HubConfig is [sim.hub], the SignalR hub's behaviour.
type HubConfig struct {
	// Envelope is "string" (the guide's form, read with JSON.parse),
	// "object" (data a JSON string) or "embedded" (data an object): see
	// HubEnvelope.
	Envelope string `toml:"envelope"`
	// DropEvery drops every hub connection at this interval ("0s": never);
	// clients reconnect and subscribe again.
	DropEvery tomlval.Duration `toml:"drop_every"`
}

// WebhookFaultsConfig is [sim.webhooks], the faults of the webhooks the
// simulator sends (WebhookFaults). Rates are probabilities per event.
type WebhookFaultsConfig struct {
	Duplicate      float64          `toml:"duplicate"`       // delivered twice
	BadSignature   float64          `toml:"bad_signature"`   // first attempt's signature corrupted
	StaleTimestamp float64          `toml:"stale_timestamp"` // first attempt signed stale_by in the past
	Delay          float64          `toml:"delay"`           // first attempt delayed up to max_delay
	Reorder        float64          `toml:"reorder"`         // held back behind the next event
	MaxDelay       tomlval.Duration `toml:"max_delay"`
	StaleBy        tomlval.Duration `toml:"stale_by"`
}

// CustomersConfig is [sim.customers]: the Heropayments simulator's
// customers paying deposits (package sim/heropay's Customers reads it).
type CustomersConfig struct {
	// Every is the time between two customer payments ("0s": none).
	Every tomlval.Duration `toml:"every"`
	// Count is how many customers pay.
	Count int `toml:"count"`
	// Currency is what the customers' own deposits are in (USDT, USDC,
	// BTC or ETH); MinAmount and MaxAmount bound each payment in it.
	Currency  string          `toml:"currency"`
	MinAmount tomlval.Decimal `toml:"min_amount"`
	MaxAmount tomlval.Decimal `toml:"max_amount"`
	// Repeat is the chance a customer pays again to an address they paid
	// before (a multiple deposit, with a new sequence).
	Repeat float64 `toml:"repeat"`
	// Step is the time between two statuses of a Heropayments payment (a
	// paid deposit, a payout); zero means the simulator's 1 minute.
	Step tomlval.Duration `toml:"step"`
	// PayoutEvery is how often, in paper mode, the engine pays one of
	// these customers out (through the same path as an operator's
	// payout: recorded, checked by risk and the daily limits, sent once);
	// "0s": never.
	PayoutEvery tomlval.Duration `toml:"payout_every"`
	// MerchantBalance is the merchant's USDT balance at the Heropayments
	// simulator when it starts.
	MerchantBalance tomlval.Decimal `toml:"merchant_balance"`
}

// Approval names.
const (
	ApprovalAuto   = "auto"
	ApprovalManual = "manual"
)

// DefaultConfig is the section a file leaves out: a free loopback port,
// seed 1, Client-Id deduplication as the sandbox does, automatic approval,
// no maintenance window, no faults, the hub's envelope as the guide's
// JSON string, movements settling in 20 s, and a customer paying a
// Heropayments deposit every 30 s (a status every 10 s) and asking for a
// payout every 45 s: a paper run shows the whole mission within minutes.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:0", Seed: 1, Dedup: true, SettleAfter: tomlval.Dur(20 * time.Second),
		WhitelistApproval: ApprovalAuto, PayeeApproval: ApprovalAuto,
		Hub: HubConfig{Envelope: EnvelopeString.String()},
		Webhooks: WebhookFaultsConfig{MaxDelay: tomlval.Dur(200 * time.Millisecond),
			StaleBy: tomlval.Dur(10 * time.Minute)},
		Customers: CustomersConfig{Every: tomlval.Dur(30 * time.Second), Count: 3, Currency: "USDT",
			MinAmount: tomlval.MustDec("20"), MaxAmount: tomlval.MustDec("500"), Repeat: 0.3,
			Step: tomlval.Dur(10 * time.Second), PayoutEvery: tomlval.Dur(45 * time.Second), MerchantBalance: tomlval.MustDec("5000")},
	}
}

// Problems lists what is wrong with the section, keys relative to it.
func (c Config) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if host, _, err := net.SplitHostPort(c.Addr); err != nil {
		ps.Add("addr", "must be host:port, got %q", c.Addr)
	} else if !venuehttp.IsLoopback(host) {
		ps.Add("addr", "must be a loopback address (the simulator is for this machine only), got %q", c.Addr)
	}
	for _, a := range []struct{ key, v string }{{"whitelist_approval", c.WhitelistApproval}, {"payee_approval", c.PayeeApproval}} {
		if a.v != ApprovalAuto && a.v != ApprovalManual {
			ps.Add(a.key, "must be %q or %q, got %q", ApprovalAuto, ApprovalManual, a.v)
		}
	}
	f := c.Faults
	ps.Finite("faults.rate_limited", f.RateLimited, 0, 1)
	ps.Finite("faults.reset_before_read", f.ResetBeforeRead, 0, 1)
	ps.Finite("faults.error_after_apply", f.ErrorAfterApply, 0, 1)
	if sum := f.RateLimited + f.ResetBeforeRead + f.ErrorAfterApply; sum > 1 {
		ps.Add("faults", "fault rates add up to %v; their sum must be at most 1", sum)
	}
	ps.DurationIn("faults.latency", f.Latency, 0, time.Minute)
	if d := c.SettleAfter; d.Err() != nil || d.Duration != 0 {
		ps.DurationIn("settle_after", d, 100*time.Millisecond, 24*time.Hour)
	}
	if _, err := ParseHubEnvelope(c.Hub.Envelope); err != nil {
		ps.Add("hub.envelope", "must be string, object or embedded, got %q", c.Hub.Envelope)
	}
	if d := c.Hub.DropEvery; d.Err() != nil || d.Duration != 0 {
		ps.DurationIn("hub.drop_every", d, time.Second, 24*time.Hour)
	}
	w := c.Webhooks
	for _, r := range []struct {
		key  string
		rate float64
	}{{"duplicate", w.Duplicate}, {"bad_signature", w.BadSignature}, {"stale_timestamp", w.StaleTimestamp},
		{"delay", w.Delay}, {"reorder", w.Reorder}} {
		ps.Finite("webhooks."+r.key, r.rate, 0, 1)
	}
	ps.DurationIn("webhooks.max_delay", w.MaxDelay, time.Millisecond, time.Minute)
	// A stale timestamp must be older than the documents' 5 minutes'
	// tolerance, or the receiver rightly accepts it.
	ps.DurationIn("webhooks.stale_by", w.StaleBy, 6*time.Minute, 24*time.Hour)
	c.Customers.problems(&ps)
	return ps
}

func (c CustomersConfig) problems(ps *tomlval.Problems) {
	if d := c.Every; d.Err() != nil || d.Duration != 0 {
		ps.DurationIn("customers.every", d, time.Second, 24*time.Hour)
	}
	if c.Count < 1 || c.Count > 1000 {
		ps.Add("customers.count", "must be from 1 to 1000, got %d", c.Count)
	}
	switch c.Currency {
	case "USDT", "USDC", "BTC", "ETH":
	default:
		ps.Add("customers.currency", "must be USDT, USDC, BTC or ETH, got %q", c.Currency)
	}
	okMin, okMax := ps.Decimal("customers.min_amount", c.MinAmount), ps.Decimal("customers.max_amount", c.MaxAmount)
	if okMin && okMax {
		if !c.MinAmount.IsPositive() {
			ps.Add("customers.min_amount", "must be greater than zero, got %s", c.MinAmount.Decimal)
		}
		if c.MaxAmount.LessThan(c.MinAmount.Decimal) {
			ps.Add("customers.max_amount", "must be at least min_amount (%s), got %s", c.MinAmount.Decimal, c.MaxAmount.Decimal)
		}
	}
	ps.Finite("customers.repeat", c.Repeat, 0, 1)
	if d := c.Step; d.Err() != nil || d.Duration != 0 {
		ps.DurationIn("customers.step", d, 100*time.Millisecond, time.Hour)
	}
	ps.NonNegative("customers.merchant_balance", c.MerchantBalance)
	if d := c.PayoutEvery; d.Err() != nil || d.Duration != 0 {
		ps.DurationIn("customers.payout_every", d, time.Second, 24*time.Hour)
	}
}

// Options returns the simulator's Options for the section. Webhooks
// carries only the faults: the caller sets the receiver's URL. The
// maintenance window needs the [maintenance] section: MaintenanceWindow.
func (c Config) Options() Options {
	env, _ := ParseHubEnvelope(c.Hub.Envelope) // Problems refused anything else
	w := c.Webhooks
	return Options{
		Addr:                 c.Addr,
		Seed:                 uint64(c.Seed),
		Dedup:                c.Dedup,
		SettleAfter:          c.SettleAfter.Duration,
		ConfirmAfter:         c.SettleAfter.Duration / 6,
		AutoApproveWhitelist: c.WhitelistApproval != ApprovalManual,
		AutoApprovePayees:    c.PayeeApproval != ApprovalManual,
		Faults: Faults{
			RateLimited:     c.Faults.RateLimited,
			ResetBeforeRead: c.Faults.ResetBeforeRead,
			ErrorAfterApply: c.Faults.ErrorAfterApply,
			Latency:         c.Faults.Latency.Duration,
		},
		Hub: HubOptions{Envelope: env, DropEvery: c.Hub.DropEvery.Duration},
		Webhooks: WebhookOptions{Faults: WebhookFaults{Duplicate: w.Duplicate, BadSignature: w.BadSignature,
			StaleTimestamp: w.StaleTimestamp, Delay: w.Delay, Reorder: w.Reorder, MaxDelay: w.MaxDelay.Duration,
			StaleBy: w.StaleBy.Duration}},
	}
}

// MaintenanceWindow returns the Options.Maintenance func of the venue's
// maintenance window as the [maintenance] section m describes it, its
// weekly window and extra windows without the margins (they are the
// engine's own caution, not the venue's downtime); nil when the section
// does not simulate maintenance (Maintenance false).
func (c Config) MaintenanceWindow(m scheduler.Maintenance) (func(time.Time) bool, error) {
	if !c.Maintenance {
		return nil, nil
	}
	m.MarginBefore, m.MarginAfter = tomlval.Duration{}, tomlval.Duration{}
	g, err := m.Gate()
	if err != nil {
		return nil, fmt.Errorf("sim: maintenance window: %w", err)
	}
	return func(t time.Time) bool { return !g.Open(t) }, nil
}
