package sim

import (
	"maps"
	"strings"
	"time"

	"github.com/otcdesk/engine/market"
)

// AddressStatus is a whitelist entry's status.
type AddressStatus int

// Whitelist statuses, as the documentation numbers them.
const (
	AddressPending  AddressStatus = 0
	AddressRefused  AddressStatus = 1
	AddressApproved AddressStatus = 2
	AddressDeleted  AddressStatus = 3
)

// WhitelistedAddress is a withdrawal destination. Withdrawals go only to
// an Approved entry with the same asset, address and network.
type WhitelistedAddress struct {
	ID        string
	Name      string
	Asset     market.Asset
	Address   string
	Params    map[string]string
	Network   string
	Status    AddressStatus
	Comment   string
	AuditBy   string
	AuditDate time.Time // zero until reviewed
	EndUserID string
	Created   time.Time
}

// Enabled reports whether withdrawals may use the entry.
func (w WhitelistedAddress) Enabled() bool { return w.Status == AddressApproved }

// WhitelistRequest asks to whitelist a withdrawal address.
type WhitelistRequest struct {
	Name    string
	Asset   market.Asset
	Address string
	Network string
	Params  map[string]string // optional
}

// WhitelistAddress submits an address for whitelisting. It stays Pending
// until ApproveWhitelist, unless Options.AutoApproveWhitelist.
func (v *Venue) WhitelistAddress(req WhitelistRequest) (WhitelistedAddress, error) {
	now := v.begin()
	defer v.mu.Unlock()
	for _, f := range []struct{ name, v string }{{"name", req.Name}, {"asset", string(req.Asset)}, {"address", req.Address}, {"network", req.Network}} {
		if f.v == "" {
			return WhitelistedAddress{}, missing(f.name)
		}
	}
	w := &WhitelistedAddress{ID: v.newIDLocked(), Name: req.Name, Asset: req.Asset, Address: req.Address,
		Params: maps.Clone(req.Params), Network: req.Network, Status: AddressPending, Created: now}
	if w.Params == nil {
		w.Params = map[string]string{}
	}
	if v.opts.AutoApproveWhitelist {
		w.Status, w.AuditBy, w.AuditDate = AddressApproved, "sim", now
	}
	v.whitelist = append(v.whitelist, w)
	wc := w.clone()
	v.emitLocked(now, func(h EventHeader) Event { return WhitelistChanged{h, wc} })
	return wc, nil
}

func (w *WhitelistedAddress) clone() WhitelistedAddress {
	c := *w
	c.Params = maps.Clone(w.Params)
	return c
}

// WhitelistedAddresses lists every whitelist entry, deleted ones included.
func (v *Venue) WhitelistedAddresses() []WhitelistedAddress {
	v.begin()
	defer v.mu.Unlock()
	out := make([]WhitelistedAddress, len(v.whitelist))
	for i, w := range v.whitelist {
		out[i] = w.clone()
	}
	return out
}

// RemoveWhitelisted marks an entry Deleted. ErrNotFound for an unknown or
// already deleted id.
func (v *Venue) RemoveWhitelisted(id string) (WhitelistedAddress, error) {
	return v.review(id, AddressDeleted, "")
}

// ApproveWhitelist approves a whitelist entry, as the venue's compliance
// team would: the manual approval of `engine sim`'s control endpoint and a
// test hook. ErrNotFound for an unknown or deleted id.
func (v *Venue) ApproveWhitelist(id string) error {
	_, err := v.review(id, AddressApproved, "approved by the simulator")
	return err
}

// RefuseWhitelist refuses a whitelist entry (control endpoint and test
// hook). ErrNotFound for an unknown or deleted id.
func (v *Venue) RefuseWhitelist(id string) error {
	_, err := v.review(id, AddressRefused, "refused by the simulator")
	return err
}

func (v *Venue) review(id string, st AddressStatus, comment string) (WhitelistedAddress, error) {
	now := v.begin()
	defer v.mu.Unlock()
	for _, w := range v.whitelist {
		if w.ID != id || w.Status == AddressDeleted {
			continue
		}
		w.Status = st
		if comment != "" {
			w.Comment, w.AuditBy, w.AuditDate = comment, "sim", now
		}
		wc := w.clone()
		v.emitLocked(now, func(h EventHeader) Event { return WhitelistChanged{h, wc} })
		return wc, nil
	}
	return WhitelistedAddress{}, notFound("whitelisted address", id)
}

func (v *Venue) approvedLocked(asset market.Asset, address, network string) bool {
	for _, w := range v.whitelist {
		if w.Status == AddressApproved && strings.EqualFold(string(w.Asset), string(asset)) &&
			w.Address == address && strings.EqualFold(w.Network, network) {
			return true
		}
	}
	return false
}

// DepositAddress is an address or bank account the account receives on.
// RefAccountID is the vac_… (fiat) or crypto account id a pay-in or
// deposit is sent to.
type DepositAddress struct {
	ID             string
	Name           string
	EndUserID      string
	Asset          market.Asset
	Address        string
	Params         map[string]string
	Network        string
	Created        time.Time
	RefAccountID   string
	RefAccountType string // VIRTUAL_ACCOUNT or CRYPTO_ACCOUNT
	Bank           *Account
}

// Account is a bank account (fiat) or a crypto address, the debtor or
// creditor of a ledger entry and the details of a deposit address.
type Account struct {
	BankName           string
	BankAddressCountry string
	AccountHolderName  string
	Country            string
	AccountNumber      string
	RoutingCodes       map[string]string
	IBAN               string
	BIC                string
	Address            string // crypto address
}

// IsFiat reports whether asset is a currency the venue banks (EUR, GBP,
// USD): its deposit addresses are bank accounts.
func IsFiat(asset market.Asset) bool {
	switch strings.ToUpper(string(asset)) {
	case "EUR", "GBP", "USD":
		return true
	}
	return false
}

// CreateDepositAddress creates a deposit address for asset on network.
func (v *Venue) CreateDepositAddress(asset market.Asset, network string) (DepositAddress, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if asset == "" {
		return DepositAddress{}, missing("asset")
	}
	if network == "" {
		return DepositAddress{}, missing("network")
	}
	d := v.newDepositLocked(now, asset, network, "")
	return d.clone(), nil
}

func (v *Venue) newDepositLocked(now time.Time, asset market.Asset, network, endUserID string) *DepositAddress {
	d := &DepositAddress{ID: v.newIDLocked(), Name: string(asset), EndUserID: endUserID, Asset: asset,
		Network: network, Params: map[string]string{}, Created: now}
	if IsFiat(asset) {
		d.RefAccountID = v.newTokenLocked("vac_")
		d.RefAccountType = "VIRTUAL_ACCOUNT"
		d.Address = "GB" + strings.ToUpper(v.newTokenLocked("SIMB"))[:20]
		d.Bank = &Account{BankName: "Simulated Bank", AccountHolderName: "Paper Trading Ltd", Country: "GB",
			AccountNumber: d.Address[len(d.Address)-8:], IBAN: d.Address, BIC: "SIMBGB2L"}
	} else {
		d.RefAccountID = v.newIDLocked()
		d.RefAccountType = "CRYPTO_ACCOUNT"
		d.Address = "sim" + strings.ReplaceAll(v.newIDLocked(), "-", "")
	}
	v.deposits = append(v.deposits, d)
	v.emitLocked(now, func(h EventHeader) Event { return DepositAddressCreated{h, d.clone()} })
	return d
}

func (d *DepositAddress) clone() DepositAddress {
	c := *d
	c.Params = maps.Clone(d.Params)
	if d.Bank != nil {
		b := *d.Bank
		c.Bank = &b
	}
	return c
}

// DepositAddresses lists the deposit addresses.
func (v *Venue) DepositAddresses() []DepositAddress {
	v.begin()
	defer v.mu.Unlock()
	out := make([]DepositAddress, len(v.deposits))
	for i, d := range v.deposits {
		out[i] = d.clone()
	}
	return out
}
