package treasury

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/execution"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/treasury/policy"
)

// target is a destination resolved and approved for one movement.
type target struct {
	name    string
	dest    policy.Destination
	method  execution.Method
	account ledger.Account // where the money goes in the books; the cap's scope
	address string
	network string
	params  map[string]string
	payee   string // payee address id (bank)
	from    string // internal address id (bank)
	invoice string // Lightning payment request, fetched for the final amount
	// planNote, in plan mode, is what sending would do first (create the
	// Hercle deposit address).
	planNote string
}

// resolve checks that the destination may be paid now and returns how:
// crypto, whitelisted and approved at Hercle with the configured asset,
// network and parameters; bank, the payee address registered, not refused
// or deleted, and APPROVED in the registry, for the configured account;
// Hercle deposit, the address the API returns (equal to a pinned one).
// Lightning needs no venue approval: its invoice is checked against the
// amount when it is fetched. In plan mode nothing is registered or created.
func (t *Treasury) resolve(ctx context.Context, name string, p policy.Policy, plan bool) (target, error) {
	d, ok := t.cfg.Destinations[name]
	if !ok {
		return target{}, fmt.Errorf("%w: %q is not a configured destination", ErrNotAllowlisted, name)
	}
	tg := target{name: name, dest: d, address: d.Address, network: d.Network, params: maps.Clone(d.AddressParams),
		account: destinationAccount(d.Type, d.Network, d.Address, name)}
	switch d.Type {
	case policy.TypeCrypto:
		tg.method = execution.MethodWithdrawal
		switch {
		case len(d.AddressParams) > 0:
			tg.method = execution.MethodParams
		case d.Instant:
			tg.method = execution.MethodInstant
		}
		return tg, t.whitelisted(ctx, tg)
	case policy.TypeBank:
		tg.method = execution.MethodTransfer
		return t.bankTarget(ctx, tg, plan)
	case policy.TypeLightning:
		tg.method = execution.MethodLightning
		return tg, nil
	case policy.TypeHercleDeposit:
		tg.method = execution.MethodSettlement
		addr, err := t.depositAddress(ctx, name, d, plan)
		if err != nil {
			return target{}, err
		}
		if addr == "" { // plan mode: sending creates it, as it would now
			tg.planNote = fmt.Sprintf("Hercle has no %s deposit address on %s yet: sending creates one first", d.Asset, d.Network)
		}
		// The address goes to Heropayments, whose network names are its
		// own: the policy's network, not Hercle's.
		tg.address, tg.network = addr, p.Network
		return tg, nil
	}
	return target{}, fmt.Errorf("%w: destination %q has type %q", ErrNotAllowlisted, name, d.Type)
}

// whitelisted looks the address up in Hercle's withdrawal whitelist.
func (t *Treasury) whitelisted(ctx context.Context, tg target) error {
	list, err := t.d.Hercle.WhitelistedAddresses(ctx)
	if err != nil {
		return fmt.Errorf("destination %s: read the withdrawal whitelist: %w", tg.name, err)
	}
	var seen []string
	for _, w := range list {
		if !strings.EqualFold(w.Asset, tg.dest.Asset) || w.Address != tg.address || !hercle.SameNetwork(w.Network, tg.network) {
			continue
		}
		if w.Status == hercle.AddressApproved && !w.Deleted && paramsMatch(tg.params, w.AddressParams) {
			return nil
		}
		switch {
		case w.Deleted:
			seen = append(seen, fmt.Sprintf("entry %s is deleted", w.ID))
		case w.Status != hercle.AddressApproved:
			seen = append(seen, fmt.Sprintf("entry %s is %s", w.ID, w.Status))
		default:
			seen = append(seen, fmt.Sprintf("entry %s has other address parameters", w.ID))
		}
	}
	why := "the address is not on Hercle's withdrawal whitelist: whitelist it and have it approved"
	if len(seen) > 0 {
		why = strings.Join(seen, "; ")
	}
	return fmt.Errorf("destination %s (%s %s on %s): %w: %s", tg.name, tg.dest.Asset, tg.address, tg.network, ErrNotApproved, why)
}

// paramsMatch reports whether the configured parameters are exactly the
// whitelist entry's (an empty value counts as absent): every configured
// one with the same value, and none more. An entry approved with a memo or
// tag is not approval to send without it.
func paramsMatch(want map[string]string, got hercle.Params) bool {
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	for k, v := range got {
		if v != "" && want[k] != v {
			return false
		}
	}
	return true
}

// bankTarget resolves the payee address and internal address of a bank
// destination and checks its approval.
func (t *Treasury) bankTarget(ctx context.Context, tg target, plan bool) (target, error) {
	ids, addr, err := t.payeeAddress(ctx, tg, plan)
	if err != nil {
		return target{}, err
	}
	switch {
	case addr.Deleted:
		return target{}, fmt.Errorf("destination %s: payee address %s: %w: Hercle lists it deleted", tg.name, ids.payeeAddressID, ErrNotApproved)
	case addr.Status == hercle.PayeeAddressRefused:
		return target{}, fmt.Errorf("destination %s: payee address %s: %w: Hercle lists it refused", tg.name, ids.payeeAddressID, ErrNotApproved)
	}
	if !strings.EqualFold(addr.Asset, tg.dest.Asset) || !sameAccount(addr.Address, tg.address) || !hercle.SameNetwork(addr.Network, tg.network) {
		return target{}, fmt.Errorf("destination %s: payee address %s is %s %s on %s, the allowlist says %s %s on %s: %w",
			tg.name, ids.payeeAddressID, addr.Asset, addr.Address, addr.Network, tg.dest.Asset, tg.address, tg.network, ErrNotAllowlisted)
	}
	reg, ok := t.d.Payees.PayeeAddress(ids.payeeAddressID)
	switch {
	case !ok:
		return target{}, fmt.Errorf("destination %s: payee address %s: %w: no Payee.StatusUpdated APPROVED webhook recorded yet", tg.name, ids.payeeAddressID, ErrNotApproved)
	case !reg.Approved():
		return target{}, fmt.Errorf("destination %s: payee address %s: %w: its latest status is %s", tg.name, ids.payeeAddressID, ErrNotApproved, reg.Status)
	case reg.Address != "" && !sameAccount(reg.Address, tg.address):
		return target{}, fmt.Errorf("destination %s: the approved payee address %s is for account %s, the allowlist says %s: %w",
			tg.name, ids.payeeAddressID, reg.Address, tg.address, ErrNotAllowlisted)
	}
	if ids.internalID == "" {
		id, err := t.internalAddress(ctx, tg)
		if err != nil {
			return target{}, err
		}
		ids.internalID = id
		t.bank[tg.name] = ids
	}
	tg.payee, tg.from = ids.payeeAddressID, ids.internalID
	return tg, nil
}

// sameAccount compares bank accounts ignoring spaces and case.
func sameAccount(a, b string) bool {
	n := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, " ", "")) }
	return n(a) == n(b)
}

// payeeAddress finds the destination's payee address among the payees (by
// its configured id, or by asset, account and network), registering the
// payee and the address when it is missing and the destination says how.
// It returns the address as Hercle lists it now.
func (t *Treasury) payeeAddress(ctx context.Context, tg target, plan bool) (bankIDs, hercle.PayeeAddress, error) {
	match := func(a hercle.PayeeAddress) bool {
		if tg.dest.PayeeAddressID != "" {
			return a.ID == tg.dest.PayeeAddressID
		}
		return !a.Deleted && strings.EqualFold(a.Asset, tg.dest.Asset) && sameAccount(a.Address, tg.address) && hercle.SameNetwork(a.Network, tg.network)
	}
	if ids, ok := t.bank[tg.name]; ok {
		for a, err := range t.d.Hercle.PayeeAddresses(ctx, ids.payeeID, hercle.CursorQuery{}) {
			if err != nil {
				return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: list payee addresses: %w", tg.name, err)
			}
			if a.ID == ids.payeeAddressID {
				return ids, a, nil
			}
		}
		delete(t.bank, tg.name) // gone: search again
	}
	for p, err := range t.d.Hercle.Payees(ctx, hercle.CursorQuery{}) {
		if err != nil {
			return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: list payees: %w", tg.name, err)
		}
		if p.Deleted || p.Disabled {
			continue
		}
		for a, err := range t.d.Hercle.PayeeAddresses(ctx, p.ID, hercle.CursorQuery{}) {
			if err != nil {
				return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: list payee addresses: %w", tg.name, err)
			}
			if match(a) {
				ids := bankIDs{payeeID: p.ID, payeeAddressID: a.ID, internalID: tg.dest.InternalAddressID}
				t.bank[tg.name] = ids
				return ids, a, nil
			}
		}
	}
	switch {
	case tg.dest.PayeeAddressID != "":
		return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: %w: payee address %s is not registered at Hercle", tg.name, ErrNotApproved, tg.dest.PayeeAddressID)
	case tg.dest.Payee == nil:
		return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: %w: no payee address for %s %s on %s is registered at Hercle; register it or configure payee", tg.name, ErrNotApproved, tg.dest.Asset, tg.address, tg.network)
	case plan:
		return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: %w: the payee address is not registered yet; the first run registers it for approval", tg.name, ErrNotApproved)
	}
	return t.registerPayee(ctx, tg)
}

// registerPayee registers the destination's payee and payee address. The
// address starts unapproved: the venue reviews it, and the first sweep that
// finds it APPROVED in the registry pays it.
func (t *Treasury) registerPayee(ctx context.Context, tg target) (bankIDs, hercle.PayeeAddress, error) {
	pc := tg.dest.Payee
	typ := hercle.PayeeIndividual
	if pc.Type == "company" {
		typ = hercle.PayeeCompany
	}
	p, err := t.d.Hercle.RegisterPayee(ctx, hercle.PayeeRequest{Type: typ, Name: pc.Name, Surname: pc.Surname, Company: pc.Company,
		Country: pc.Country, State: pc.State, City: pc.City, Address: pc.Address, PostalCode: pc.PostalCode})
	if err != nil {
		return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: register the payee: %w", tg.name, err)
	}
	name := tg.dest.AccountName
	if name == "" {
		name = tg.name
	}
	a, err := t.d.Hercle.RegisterPayeeAddress(ctx, p.ID, hercle.PayeeAddressRequest{Name: name, Asset: tg.dest.Asset,
		Address: tg.address, AddressParams: hercle.Params(tg.params), Network: tg.network})
	if err != nil {
		return bankIDs{}, hercle.PayeeAddress{}, fmt.Errorf("destination %s: register the payee address of payee %s: %w", tg.name, p.ID, err)
	}
	t.log.Info("treasury: payee address registered; it is paid once Hercle approves it", "destination", tg.name,
		"payee_id", p.ID, "payee_address_id", a.ID)
	ids := bankIDs{payeeID: p.ID, payeeAddressID: a.ID, internalID: tg.dest.InternalAddressID}
	t.bank[tg.name] = ids
	return ids, a, nil
}

// internalAddress is the internal address a transfer is paid from: the
// account's first deposit address in the destination's asset.
func (t *Treasury) internalAddress(ctx context.Context, tg target) (string, error) {
	list, err := t.d.Hercle.DepositAddresses(ctx)
	if err != nil {
		return "", fmt.Errorf("destination %s: list deposit addresses for the internal address: %w", tg.name, err)
	}
	for _, a := range list {
		if !a.Deleted && strings.EqualFold(a.Asset, tg.dest.Asset) {
			return a.ID, nil
		}
	}
	return "", fmt.Errorf("destination %s: no internal address (deposit account) in %s to pay from; set internal_address_id", tg.name, tg.dest.Asset)
}

// depositAddress returns the account's Hercle deposit address for the
// destination's asset and network, creating one when there is none. In
// plan mode it creates nothing and returns "" where sending would create
// one (no address pinned: a new one could not be the pinned one). A pinned
// address must match.
func (t *Treasury) depositAddress(ctx context.Context, name string, d policy.Destination, plan bool) (string, error) {
	addr, ok := t.deposit[name]
	if !ok {
		list, err := t.d.Hercle.DepositAddresses(ctx)
		if err != nil {
			return "", fmt.Errorf("destination %s: list Hercle deposit addresses: %w", name, err)
		}
		addr = findDeposit(list, d)
		if addr == "" && plan && d.Address == "" {
			return "", nil
		}
		if addr == "" && !plan {
			created, err := t.d.Hercle.CreateDepositAddress(ctx, hercle.DepositAddressRequest{Asset: d.Asset, Network: d.Network})
			if err != nil {
				return "", fmt.Errorf("destination %s: create a Hercle %s deposit address on %s: %w", name, d.Asset, d.Network, err)
			}
			if created != nil && created.Address != "" {
				addr = created.Address
			} else if list, err = t.d.Hercle.DepositAddresses(ctx); err == nil {
				addr = findDeposit(list, d)
			}
		}
		if addr == "" {
			return "", fmt.Errorf("destination %s: %w: Hercle has no %s deposit address on %s", name, ErrNotApproved, d.Asset, d.Network)
		}
		t.deposit[name] = addr
	}
	if d.Address != "" && addr != d.Address {
		delete(t.deposit, name)
		return "", fmt.Errorf("destination %s: Hercle's %s deposit address on %s is %s, the allowlist pins %s: %w",
			name, d.Asset, d.Network, addr, d.Address, ErrNotAllowlisted)
	}
	return addr, nil
}

func findDeposit(list []hercle.DepositAddress, d policy.Destination) string {
	i := slices.IndexFunc(list, func(a hercle.DepositAddress) bool {
		return !a.Deleted && a.Address != "" && strings.EqualFold(a.Asset, d.Asset) && hercle.SameNetwork(a.Network, d.Network)
	})
	if i < 0 {
		return ""
	}
	return list[i].Address
}

// fetchInvoice asks the destination's invoice source (its Lightning
// Address or LNURL-pay endpoint, the destination's address) for an
// invoice of exactly amount. The source decodes and checks it (amount,
// network, description hash) before it returns.
func (t *Treasury) fetchInvoice(ctx context.Context, tg target, amount decimal.Decimal) (string, error) {
	inv, err := t.d.Invoices.Invoice(ctx, tg.dest.Prefix(), tg.address, amount)
	if err != nil {
		return "", fmt.Errorf("destination %s: get an invoice for %s BTC from %s: %w", tg.name, amount, tg.address, err)
	}
	return inv, nil
}
