package treasury

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Methods: how a movement is sent.
const (
	methodWithdrawal = "withdrawal"         // POST /api/v1/withdrawals
	methodInstant    = "withdrawal_instant" // POST /api/v1/withdrawals/instant
	methodParams     = "withdrawal_params"  // POST /api/v1/withdrawals/address
	methodLightning  = "lightning"          // POST /api/v1/lightning/withdrawals
	methodTransfer   = "transfer"           // POST /api/v1/transfer
	methodSettlement = "settlement"         // Heropayments withdrawal to the Hercle deposit address
)

// origin marks the intents treasury wrote; execution's share the ledger.
const origin = "treasury"

// record is what the ledger keeps of a movement (Intent.Request): enough to
// look it up, settle it and release its caps after a restart.
type record struct {
	Origin      string            `json:"origin"`
	Policy      string            `json:"policy"`
	Method      string            `json:"method"`
	Destination string            `json:"destination"` // configured name
	Account     string            `json:"account"`     // the destination's ledger account
	Source      ledger.Venue      `json:"source"`      // where the money leaves from
	Asset       market.Asset      `json:"asset"`
	Amount      decimal.Decimal   `json:"amount"` // debited from the source
	Fee         decimal.Decimal   `json:"fee"`    // expected
	Day         string            `json:"day"`    // UTC day the caps count it against
	Global      bool              `json:"global"` // counted against the global cap too
	Address     string            `json:"address,omitempty"`
	Network     string            `json:"network,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Instant     bool              `json:"instant,omitempty"`
	PayeeAddr   string            `json:"payee_address_id,omitempty"`
	Internal    string            `json:"internal_address_id,omitempty"`
	Invoice     string            `json:"invoice,omitempty"`
	Flow        string            `json:"flow,omitempty"`
	Customer    string            `json:"customer_id,omitempty"`
	MaxNetFee   decimal.Decimal   `json:"max_network_fee"`
}

// decodeRecord returns the record of a treasury intent; ok is false for
// intents of other packages.
func decodeRecord(in ledger.Intent) (record, bool) {
	var r record
	if len(in.Request) == 0 || json.Unmarshal(in.Request, &r) != nil || r.Origin != origin {
		return record{}, false
	}
	return r, true
}

func (r record) intentKind() ledger.IntentKind {
	switch r.Method {
	case methodLightning:
		return ledger.IntentLightning
	case methodTransfer:
		return ledger.IntentTransfer
	case methodSettlement:
		return ledger.IntentPayout
	}
	return ledger.IntentWithdrawal
}

func (r record) transitKind() ledger.TransitKind {
	switch r.Method {
	case methodLightning:
		return ledger.TransitLightning
	case methodTransfer:
		return ledger.TransitBank
	case methodSettlement:
		return ledger.TransitSettlement
	}
	return ledger.TransitWithdrawal
}

func (r record) venue() ledger.Venue {
	if r.Method == methodSettlement {
		return ledger.Heropayments
	}
	return ledger.Hercle
}

// sentEntry moves the amount out of the source's available balance into
// the movement's transit account.
func sentEntry(clientID string, r record) ledger.Entry {
	kind := ledger.KindWithdrawal
	if r.Method == methodSettlement {
		kind = ledger.KindTransfer
	}
	return ledger.Entry{
		Key:      ledger.SentKey(clientID),
		Kind:     kind,
		ClientID: clientID,
		Refs:     map[string]string{"policy": r.Policy, "destination": r.Destination, "method": r.Method, ledger.RefTo: r.Account},
		Memo:     fmt.Sprintf("treasury %s: %s %s to %s", r.Policy, r.Amount, r.Asset, r.Destination),
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(r.Source), Asset: r.Asset, Amount: r.Amount.Neg()},
			{Account: ledger.Transit(r.transitKind(), clientID), Asset: r.Asset, Amount: r.Amount},
		},
	}
}

// failedEntry moves what is in transit back to the source.
func failedEntry(clientID string, r record, amount decimal.Decimal, note string) ledger.Entry {
	return ledger.Entry{
		Key:      ledger.FailedKey(clientID),
		Kind:     ledger.KindWithdrawalFailed,
		ClientID: clientID,
		Refs:     map[string]string{"policy": r.Policy, "source": "treasury"},
		Memo:     clip(note),
		Postings: []ledger.Posting{
			{Account: ledger.Transit(r.transitKind(), clientID), Asset: r.Asset, Amount: amount.Neg()},
			{Account: ledger.VenueAvailable(r.Source), Asset: r.Asset, Amount: amount},
		},
	}
}

// settledEntry moves what is in transit to the destination, the fee the
// venue reported (when it is less than the amount) to its fees account.
func settledEntry(clientID string, r record, amount, fee decimal.Decimal, refs map[string]string) (ledger.Entry, error) {
	dest, err := ledger.ParseAccount(r.Account)
	if err != nil {
		dest = ledger.ExternalUnknown()
	}
	ps := []ledger.Posting{{Account: ledger.Transit(r.transitKind(), clientID), Asset: r.Asset, Amount: amount.Neg()}}
	if fee.IsPositive() && fee.LessThan(amount) {
		ps = append(ps,
			ledger.Posting{Account: dest, Asset: r.Asset, Amount: amount.Sub(fee)},
			ledger.Posting{Account: ledger.Fees(r.Source), Asset: r.Asset, Amount: fee})
	} else {
		ps = append(ps, ledger.Posting{Account: dest, Asset: r.Asset, Amount: amount})
	}
	return ledger.Entry{
		Key: ledger.SettledKey(clientID), Kind: ledger.KindWithdrawalSettled, ClientID: clientID,
		Refs: refs, Postings: ps,
	}, nil
}

// destinationAccount is the ledger account a destination's money goes to.
// The sent entry names it (ledger.RefTo), so whichever path settles the
// movement (a poll here, the venue's webhook in package inbound) credits
// it. A Lightning destination is named by its configured name: each
// payment pays a new invoice.
func destinationAccount(typ, network, address, name string) ledger.Account {
	switch typ {
	case "lightning":
		a := ledger.ExternalLightning(name)
		if _, err := ledger.ParseAccount(a.String()); err != nil {
			return ledger.ExternalUnknown()
		}
		return a
	case "hercle_deposit":
		return ledger.VenueAvailable(ledger.Hercle)
	case "bank":
		return ledger.Destination("BANK", address)
	}
	return ledger.Destination(network, address)
}

// clip bounds a note for the ledger (intent notes and memos have limits).
func clip(s string) string {
	const max = 500
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
