package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/scheduler"
)

// Problem is one thing wrong with the section, under its key path relative
// to the section ("policies.btc-cold.max").
type Problem = tomlval.Problem

// Error lists every problem of a section parsed on its own.
type Error = tomlval.Error

// Parse decodes data as the body of a [treasury] section (its keys at the
// top level), strictly: an unknown key is a problem. It returns the Config
// or an *Error listing every problem; name is used in messages.
func Parse(name string, data []byte) (Config, error) {
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return Config{}, &Error{Name: name, Problems: []Problem{tomlval.DecodeProblem(err)}}
	}
	var ps []Problem
	for _, k := range md.Undecoded() {
		ps = append(ps, Problem{Key: k.String(), Msg: "unknown key"})
	}
	ps = append(ps, c.Problems()...)
	if len(ps) > 0 {
		return Config{}, &Error{Name: name, Problems: ps}
	}
	return c, nil
}

// Validate returns an *Error listing every problem, or nil.
func (c Config) Validate() error {
	if ps := c.Problems(); len(ps) > 0 {
		return &Error{Name: "treasury", Problems: ps}
	}
	return nil
}

// problems adds the section's own rules to tomlval's collector.
type problems struct{ tomlval.Problems }

func (ps *problems) add(key, format string, args ...any) { ps.Add(key, format, args...) }

func (ps *problems) amount(key string, a tomlval.Decimal) bool { return ps.Decimal(key, a) }

func (ps *problems) nonNegative(key string, a tomlval.Decimal) { ps.NonNegative(key, a) }

// duration: zero (the default) or at least a second.
func (ps *problems) duration(key string, d tomlval.Duration) {
	switch {
	case !ps.Duration(key, d):
	case d.Duration < 0:
		ps.add(key, "must not be negative, got %s", d.Duration)
	case d.Duration > 0 && d.Duration < time.Second:
		ps.add(key, "must be at least 1s (zero means the default), got %s", d.Duration)
	case d.Duration > 365*24*time.Hour:
		ps.add(key, "must be at most 8760h (a year), got %s", d.Duration)
	}
}

func (ps *problems) forbid(key, why string, set bool) {
	if set {
		ps.add(key, "%s", why)
	}
}

// Problems returns every problem of the section, in a stable order.
func (c Config) Problems() []Problem {
	var ps problems
	ps.duration("poll_after", c.PollAfter)
	ps.duration("poll_every", c.PollEvery)
	if c.Lookups < 0 || c.Lookups > 100 {
		ps.add("lookups", "must be from 0 (the default, %d) to 100, got %d", DefaultLookups, c.Lookups)
	}
	if c.InWindow != "" {
		if _, err := scheduler.ParseWindowPolicy(c.InWindow); err != nil {
			ps.add("in_window", "%v", err)
		}
	}
	for _, a := range sortedKeys(c.DailyCaps) {
		key := "daily_caps." + a
		if !validCode(a) {
			ps.add(key, "asset codes are upper case, such as \"BTC\"")
		}
		if cp := c.DailyCaps[a]; ps.amount(key, cp) && !cp.IsPositive() {
			ps.add(key, "must be greater than zero, got %s", cp.Decimal)
		}
	}
	for _, n := range sortedKeys(c.Destinations) {
		c.destination(&ps, n)
	}
	for _, n := range c.PolicyNames() {
		c.policy(&ps, n)
	}
	c.chains(&ps)
	c.overlaps(&ps)
	return ps.Problems
}

func (c Config) destination(ps *problems, name string) {
	d := c.Destinations[name]
	key := "destinations." + name
	if !validName(name) {
		ps.add(key, "name must be 1-64 letters, digits, '.', '_' or '-'")
	}
	if !validCode(d.Asset) {
		ps.add(key+".asset", "must be an upper-case asset code such as \"BTC\", got %q", d.Asset)
	}
	switch {
	case !d.DailyCap.IsSet():
		ps.add(key+".daily_cap", "required: the most that may go to this destination per UTC day, in %s", d.Asset)
	case ps.amount(key+".daily_cap", d.DailyCap) && !d.DailyCap.IsPositive():
		ps.add(key+".daily_cap", "must be greater than zero, got %s", d.DailyCap.Decimal)
	}
	bank := d.PayeeAddressID != "" || d.InternalAddressID != "" || d.AccountName != "" || d.Payee != nil
	switch d.Type {
	case TypeCrypto:
		need(ps, key+".address", d.Address)
		need(ps, key+".network", d.Network)
		ps.forbid(key, "payee_address_id, internal_address_id, account_name and payee are for bank destinations", bank)
		ps.forbid(key+".invoice_prefix", "is for Lightning destinations", d.InvoicePrefix != "")
	case TypeBank:
		need(ps, key+".address", d.Address)
		need(ps, key+".network", d.Network)
		ps.forbid(key+".instant", "is for crypto destinations", d.Instant)
		ps.forbid(key+".invoice_prefix", "is for Lightning destinations", d.InvoicePrefix != "")
		if d.Payee != nil {
			payee(ps, key+".payee", *d.Payee)
		}
	case TypeLightning:
		if d.Asset != "" && d.Asset != "BTC" {
			ps.add(key+".asset", "a Lightning destination pays BTC, got %q", d.Asset)
		}
		need(ps, key+".address", d.Address)
		if d.Address != "" && !lightningAddress(d.Address) {
			ps.add(key+".address", "must be a Lightning Address (name@domain), an LNURL (lnurl1…) or an https:// LNURL-pay URL, got %q", d.Address)
		}
		ps.forbid(key, "a Lightning destination takes no network, address_params or instant: its invoices come from its address",
			d.Network != "" || len(d.AddressParams) > 0 || d.Instant)
		ps.forbid(key, "payee_address_id, internal_address_id, account_name and payee are for bank destinations", bank)
		switch d.InvoicePrefix {
		case "", "lnbc", "lntb", "lntbs", "lnbcrt":
		default:
			ps.add(key+".invoice_prefix", "must be lnbc, lntb, lntbs or lnbcrt, got %q", d.InvoicePrefix)
		}
	case TypeHercleDeposit:
		need(ps, key+".network", d.Network)
		ps.forbid(key, "a Hercle deposit destination takes no address_params or instant", len(d.AddressParams) > 0 || d.Instant)
		ps.forbid(key, "payee_address_id, internal_address_id, account_name and payee are for bank destinations", bank)
		ps.forbid(key+".invoice_prefix", "is for Lightning destinations", d.InvoicePrefix != "")
	default:
		ps.add(key+".type", "must be %q, %q, %q or %q, got %q", TypeCrypto, TypeLightning, TypeBank, TypeHercleDeposit, d.Type)
	}
	for _, k := range sortedKeys(d.AddressParams) {
		if k == "" || strings.TrimSpace(d.AddressParams[k]) == "" {
			ps.add(key+".address_params", "parameter %q has an empty name or value", k)
		}
	}
	switch {
	case d.Type == TypeBank && strings.ContainsFunc(d.Address, isControl):
		ps.add(key+".address", "must not contain control characters")
	case d.Type != TypeBank && strings.ContainsFunc(d.Address, isSpaceOrControl):
		ps.add(key+".address", "must not contain spaces or control characters")
	}
}

// payee checks what POST /api/v1/payee requires: every field but the
// company, which a company payee needs too.
func payee(ps *problems, key string, p Payee) {
	need(ps, key+".name", p.Name)
	need(ps, key+".surname", p.Surname)
	need(ps, key+".state", p.State)
	need(ps, key+".city", p.City)
	need(ps, key+".address", p.Address)
	need(ps, key+".postal_code", p.PostalCode)
	switch p.Type {
	case "individual":
	case "company":
		need(ps, key+".company", p.Company)
	default:
		ps.add(key+".type", "must be \"individual\" or \"company\", got %q", p.Type)
	}
	if len(p.Country) != 2 || strings.ToUpper(p.Country) != p.Country {
		ps.add(key+".country", "must be an ISO 3166-1 alpha-2 code such as \"IT\", got %q", p.Country)
	}
}

func need(ps *problems, key, v string) {
	if strings.TrimSpace(v) == "" {
		ps.add(key, "required")
	}
}

func (c Config) policy(ps *problems, name string) {
	p := c.Policies[name]
	key := "policies." + name
	if !validName(name) {
		ps.add(key, "name must be 1-64 letters, digits, '.', '_' or '-'")
	}
	if !validCode(p.Asset) {
		ps.add(key+".asset", "must be an upper-case asset code such as \"BTC\", got %q", p.Asset)
	}
	if p.Schedule == "" {
		ps.add(key+".schedule", "required: a cron spec such as \"0 */15 * * * *\" or \"@every 15m\"")
	} else if err := scheduler.ParseSpec(p.Schedule); err != nil {
		ps.add(key+".schedule", "%v", err)
	}
	c.bounds(ps, key, p)
	ps.nonNegative(key+".min_sweep", p.MinSweep)
	ps.nonNegative(key+".fee", p.Fee)
	if ps.amount(key+".max_fee_ratio", p.MaxFeeRatio) && (p.MaxFeeRatio.IsNegative() || p.MaxFeeRatio.GreaterThanOrEqual(one)) {
		ps.add(key+".max_fee_ratio", "must be from 0 (no limit) to below 1, got %s", p.MaxFeeRatio.Decimal)
	}
	if p.Precision != nil && (*p.Precision < 0 || *p.Precision > 18) {
		ps.add(key+".precision", "must be 0 to 18 decimal places, got %d", *p.Precision)
	}
	switch p.BelowMin {
	case "", BelowMinAlert:
		ps.forbid(key+".pull", "is used only with below_min = \"pull\"", p.Pull != nil)
	case BelowMinPull:
		if p.Pull == nil {
			ps.add(key+".pull", "required with below_min = \"pull\"")
		} else {
			c.pull(ps, key+".pull", p)
		}
	default:
		ps.add(key+".below_min", "must be %q or %q, got %q", BelowMinAlert, BelowMinPull, p.BelowMin)
	}
	for i, t := range p.Then {
		k := fmt.Sprintf("%s.then[%d]", key, i)
		switch _, found := c.Policies[t]; {
		case t == name:
			ps.add(k, "a policy cannot chain to itself")
		case !found:
			ps.add(k, "names no policy: %q", t)
		}
	}
	c.kind(ps, key, p)
}

// bounds checks min <= target <= max, each given and not negative.
func (c Config) bounds(ps *problems, key string, p Policy) {
	ok := true
	for _, f := range []struct {
		k string
		a tomlval.Decimal
	}{{"min", p.Min}, {"target", p.Target}, {"max", p.Max}} {
		switch {
		case !f.a.IsSet():
			ps.add(key+"."+f.k, "required")
			ok = false
		case !ps.amount(key+"."+f.k, f.a):
			ok = false
		case f.a.IsNegative():
			ps.add(key+"."+f.k, "must not be negative, got %s", f.a.Decimal)
			ok = false
		}
	}
	if ok && (p.Min.GreaterThan(p.Target.Decimal) || p.Target.GreaterThan(p.Max.Decimal)) {
		ps.add(key, "needs min <= target <= max, got %s, %s, %s", p.Min.Decimal, p.Target.Decimal, p.Max.Decimal)
	}
}

// kind checks the fields of the policy's kind, and that it sets none of
// another kind's.
func (c Config) kind(ps *problems, key string, p Policy) {
	convertFields := p.To != "" || p.Pair != "" || p.Path != "" || p.MaxSlippage.IsSet()
	settleFields := p.Flow != "" || p.CustomerID != "" || p.Network != "" || p.MaxNetworkFee.IsSet()
	switch p.Kind {
	case KindSweep:
		ps.forbid(key, "to, pair, path and max_slippage are for convert policies", convertFields)
		ps.forbid(key, "flow, customer_id, network and max_network_fee are for settlement policies", settleFields)
		c.policyDestination(ps, key, p, TypeCrypto, TypeLightning, TypeBank)
	case KindConvert:
		ps.forbid(key+".destination", "a convert policy sells through the execution path; chain a sweep with then", p.Destination != "")
		ps.forbid(key, "flow, customer_id, network and max_network_fee are for settlement policies", settleFields)
		if !validCode(p.To) || p.To == p.Asset {
			ps.add(key+".to", "must be an upper-case asset code other than %q, got %q", p.Asset, p.To)
		} else if p.Pair != p.Asset+p.To && p.Pair != p.To+p.Asset {
			ps.add(key+".pair", "must be %s or %s, got %q", p.Asset+p.To, p.To+p.Asset, p.Pair)
		}
		trade(ps, key, p.Path, p.MaxSlippage)
	case KindSettlement:
		ps.forbid(key, "to, pair, path and max_slippage are for convert policies", convertFields)
		c.policyDestination(ps, key, p, TypeHercleDeposit)
		if p.Flow != "v2" && p.Flow != "custody" {
			ps.add(key+".flow", "must be \"v2\" or \"custody\", got %q", p.Flow)
		}
		need(ps, key+".customer_id", p.CustomerID)
		ps.nonNegative(key+".max_network_fee", p.MaxNetworkFee)
		ps.forbid(key+".below_min", "a settlement can only alert below min", p.BelowMin == BelowMinPull)
	default:
		ps.add(key+".kind", "must be %q, %q or %q, got %q", KindSweep, KindConvert, KindSettlement, p.Kind)
	}
}

func trade(ps *problems, key, path string, slippage tomlval.Decimal) {
	if path != "" && path != "rfq" && path != "otc" {
		ps.add(key+".path", "must be \"rfq\" or \"otc\", got %q", path)
	}
	ps.nonNegative(key+".max_slippage", slippage)
}

var one = tomlval.MustDec("1").Decimal

// policyDestination checks the policy's destination exists, has one of
// types, matches the asset and can take at least one minimum sweep a day.
func (c Config) policyDestination(ps *problems, key string, p Policy, types ...string) {
	if p.Destination == "" {
		ps.add(key+".destination", "required: the name of an entry of [treasury.destinations]")
		return
	}
	d, ok := c.Destinations[p.Destination]
	if !ok {
		ps.add(key+".destination", "unknown destination %q: add it to [treasury.destinations]", p.Destination)
		return
	}
	if !slices.Contains(types, d.Type) {
		ps.add(key+".destination", "%q is a %s destination; a %s policy needs %s", p.Destination, d.Type, p.Kind, strings.Join(types, " or "))
	}
	if d.Asset != p.Asset {
		ps.add(key+".destination", "%q receives %s, the policy moves %s", p.Destination, d.Asset, p.Asset)
	}
	if p.MinSweep.Err() == nil && d.DailyCap.Err() == nil && d.DailyCap.IsPositive() && d.DailyCap.LessThan(p.MinSweep.Decimal) {
		ps.add(key+".min_sweep", "%s is above destination %q's daily_cap %s: the policy could never send", p.MinSweep.Decimal, p.Destination, d.DailyCap.Decimal)
	}
	if cp, ok := c.DailyCaps[p.Asset]; ok && cp.Err() == nil && p.MinSweep.Err() == nil && cp.IsPositive() && cp.LessThan(p.MinSweep.Decimal) {
		ps.add(key+".min_sweep", "%s is above daily_caps.%s %s: the policy could never send", p.MinSweep.Decimal, p.Asset, cp.Decimal)
	}
}

func (c Config) pull(ps *problems, key string, p Policy) {
	pl := p.Pull
	hercle := p.Kind == KindSweep || p.Kind == KindConvert
	switch pl.From {
	case PullConvert:
		base, quote := strings.HasPrefix(pl.Pair, p.Asset), strings.HasSuffix(pl.Pair, p.Asset)
		switch {
		case pl.Pair == "" || !base && !quote:
			ps.add(key+".pair", "must be a pair of %s such as \"BTC%s\", got %q", p.Asset, p.Asset, pl.Pair)
		case base && quote:
			// The pull reads the asset as the base when the pair starts
			// with it: here that may be the wrong side, and the pull
			// would spend what it should refill.
			ps.add(key+".pair", "%q starts and ends with %s: which side %s is cannot be told, and the wrong one would spend what the pull should refill", pl.Pair, p.Asset, p.Asset)
		}
		trade(ps, key, pl.Path, pl.MaxSlippage)
	case PullHeropayments:
		src, ok := c.Policies[pl.Policy]
		switch {
		case !ok:
			ps.add(key+".policy", "names no policy: %q", pl.Policy)
		case src.Kind != KindSettlement:
			ps.add(key+".policy", "%q is a %s policy; a pull from Heropayments needs a settlement policy", pl.Policy, src.Kind)
		case src.Asset != p.Asset:
			ps.add(key+".policy", "%q settles %s, the policy needs %s", pl.Policy, src.Asset, p.Asset)
		}
	case PullInvoice:
		if p.Asset != "BTC" {
			ps.add(key+".from", "a Lightning invoice receives BTC; the policy manages %s", p.Asset)
		}
		if pl.ExpiryHours < 0 || pl.ExpiryHours > 720 {
			ps.add(key+".expiry_hours", "must be from 1 to 720 (zero means %d), got %d", DefaultInvoiceExpiryHours, pl.ExpiryHours)
		}
	default:
		ps.add(key+".from", "must be %q, %q or %q, got %q", PullConvert, PullHeropayments, PullInvoice, pl.From)
	}
	if !hercle && pl.From != "" {
		ps.add(key, "only a policy on the Hercle balance can pull")
	}
}

// chains reports the first loop of then references (one is enough to
// refuse the file; fixing it shows the next).
func (c Config) chains(ps *problems) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case active:
			ps.add("policies."+path[0]+".then", "chain loops: %s", strings.Join(append(path, n), " -> "))
			return false
		case done:
			return true
		}
		state[n] = active
		for _, t := range c.Policies[n].Then {
			if _, ok := c.Policies[t]; ok && t != n && !visit(t, append(slices.Clone(path), n)) {
				return false
			}
		}
		state[n] = done
		return true
	}
	for _, n := range c.PolicyNames() {
		if state[n] == unseen && !visit(n, nil) {
			return
		}
	}
}

// overlaps reports two policies managing overlapping ranges of one
// balance: each would move what the other keeps.
func (c Config) overlaps(ps *problems) {
	names := c.PolicyNames()
	for i, a := range names {
		pa := c.Policies[a]
		for _, b := range names[i+1:] {
			pb := c.Policies[b]
			if balanceOf(pa) == "" || balanceOf(pa) != balanceOf(pb) || !rangeOK(pa) || !rangeOK(pb) {
				continue
			}
			if pa.Min.LessThanOrEqual(pb.Max.Decimal) && pb.Min.LessThanOrEqual(pa.Max.Decimal) {
				ps.add("policies."+b, "manages the %s in [%s, %s], overlapping policy %q's [%s, %s]; give a balance one policy or disjoint ranges",
					balanceOf(pb), pb.Min.Decimal, pb.Max.Decimal, a, pa.Min.Decimal, pa.Max.Decimal)
			}
		}
	}
}

// balanceOf names the balance a policy manages.
func balanceOf(p Policy) string {
	switch p.Kind {
	case KindSweep, KindConvert:
		return "available " + p.Asset + " at Hercle"
	case KindSettlement:
		return "Heropayments " + p.Flow + " merchant " + p.Asset + " balance"
	}
	return ""
}

func rangeOK(p Policy) bool {
	return p.Min.IsSet() && p.Max.IsSet() && p.Min.Err() == nil && p.Max.Err() == nil
}

// validName: 1-64 of [A-Za-z0-9._-].
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validCode: an upper-case asset code, [A-Z0-9]{1,20}.
func validCode(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// lightningAddress reports whether s has the form of a Lightning Address
// (LUD-16), a bech32 LNURL (LUD-01) or an LNURL-pay URL. Whether it
// answers is learnt when an invoice is fetched.
func lightningAddress(s string) bool {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "lnurl1"):
		return len(s) > len("lnurl1")
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
		return len(s) > len("https://") && !strings.ContainsAny(s, " \t\n")
	}
	name, domain, ok := strings.Cut(s, "@")
	return ok && name != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " /\t\n")
}
