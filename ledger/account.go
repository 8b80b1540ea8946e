package ledger

import (
	"fmt"
	"strings"
)

// Venue names a trading venue or payment rail, lower case: "hercle",
// "heropayments".
type Venue string

// The venues the engine knows.
const (
	Hercle       Venue = "hercle"
	Heropayments Venue = "heropayments"
)

// TransitKind says what kind of movement holds money in transit.
type TransitKind string

// Kinds of money in transit.
const (
	TransitWithdrawal TransitKind = "withdrawal" // crypto withdrawal sent, not yet confirmed
	TransitBank       TransitKind = "bank"       // bank transfer sent, not yet settled
	TransitLightning  TransitKind = "lightning"  // Lightning payment in flight
	TransitSettlement TransitKind = "settlement" // movement between two of our venues
)

// Account is a validated name in the chart of accounts (see the package
// documentation). It is built only by the constructors below or by
// ParseAccount; the zero Account is invalid and refused by Post.
//
// The constructors do not return errors so that entries read naturally;
// every account of an entry is validated when the entry is posted, and an
// account built from a bad segment (a space, an empty reference) makes Post
// fail with ErrInvalidAccount.
type Account struct{ name string }

// VenueAvailable is the balance free to trade or withdraw at a venue.
func VenueAvailable(v Venue) Account { return Account{"venue:" + string(v) + ":available"} }

// VenueAllocated is the balance a venue holds against open orders, RFQs or
// pending payouts.
func VenueAllocated(v Venue) Account { return Account{"venue:" + string(v) + ":allocated"} }

// VenuePending is money a venue reported received (a deposit webhook) that
// its history has not confirmed yet: ours at the venue, not yet to spend.
// The deposit's confirmation moves it to VenueAvailable.
func VenuePending(v Venue) Account { return Account{"venue:" + string(v) + ":pending"} }

// Transit is money that has left one account and not yet reached its
// destination. ref is the intent's Client-Id, which makes the account
// unique to the movement, so its balance returns to zero when the movement
// settles or fails.
func Transit(k TransitKind, ref string) Account {
	return Account{"transit:" + string(k) + ":" + ref}
}

// ExternalAddress is a blockchain address outside the engine. network is the
// chain or asset network ("BTC", "ETH", "TRX"); the address is kept as given.
func ExternalAddress(network, address string) Account {
	return Account{"external:address:" + network + ":" + address}
}

// ExternalBank is a bank payee (a beneficiary id or IBAN without spaces).
func ExternalBank(payee string) Account { return Account{"external:bank:" + payee} }

// ExternalLightning is a Lightning destination (node id or invoice hash).
func ExternalLightning(dest string) Account { return Account{"external:lightning:" + dest} }

// ExternalUnknown is the other side of a deposit whose sender is not known.
func ExternalUnknown() Account { return Account{"external:unknown"} }

// Counterparty is the venue as trading counterparty: it receives what the
// engine sells and delivers what it buys.
func Counterparty(v Venue) Account { return Account{"counterparty:" + string(v)} }

// Fees are fees charged by a venue (trading, withdrawal and network fees).
func Fees(v Venue) Account { return Account{"fees:" + string(v)} }

// OpeningBalance is the equity side of opening balances.
func OpeningBalance() Account { return Account{"equity:opening"} }

// Adjustment is the equity side of a reconciliation adjustment, posted when
// a venue's own history proves the ledger wrong and a reversal alone cannot
// express the difference.
func Adjustment() Account { return Account{"equity:adjustment"} }

// ParseAccount parses and validates an account name such as
// "venue:hercle:available" or "transit:withdrawal:0b6f...".
func ParseAccount(s string) (Account, error) {
	if err := validateAccount(s); err != nil {
		return Account{}, fmt.Errorf("%w %q: %s", ErrInvalidAccount, s, err)
	}
	return Account{s}, nil
}

// String returns the account name.
func (a Account) String() string { return a.name }

// IsZero reports whether a is the zero (invalid) Account.
func (a Account) IsZero() bool { return a.name == "" }

// Class returns the first segment: venue, transit, external, counterparty,
// fees or equity.
func (a Account) Class() string {
	c, _, _ := strings.Cut(a.name, ":")
	return c
}

// MarshalText implements encoding.TextMarshaler.
func (a Account) MarshalText() ([]byte, error) { return []byte(a.name), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it validates.
func (a *Account) UnmarshalText(b []byte) error {
	p, err := ParseAccount(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// HasPrefix reports whether a is prefix or lies under it at a segment
// boundary: "venue:hercle" covers "venue:hercle:available" but not
// "venue:hercles:available".
func (a Account) HasPrefix(prefix string) bool {
	return a.name == prefix || strings.HasPrefix(a.name, prefix) && (strings.HasSuffix(prefix, ":") || a.name[len(prefix)] == ':')
}

const maxAccountLen = 300

func validateAccount(s string) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if len(s) > maxAccountLen {
		return fmt.Errorf("longer than %d bytes", maxAccountLen)
	}
	class, rest, _ := strings.Cut(s, ":")
	switch class {
	case "venue":
		v, side, ok := strings.Cut(rest, ":")
		if !ok || !validVenue(v) || (side != "available" && side != "allocated" && side != "pending") {
			return fmt.Errorf("want venue:<venue>:available, :allocated or :pending")
		}
	case "transit":
		k, ref, ok := strings.Cut(rest, ":")
		switch TransitKind(k) {
		case TransitWithdrawal, TransitBank, TransitLightning, TransitSettlement:
		default:
			return fmt.Errorf("want transit:<withdrawal|bank|lightning|settlement>:<ref>")
		}
		if !ok || !validRef(ref) {
			return fmt.Errorf("transit reference must be 1-200 printable ASCII characters without spaces")
		}
	case "external":
		k, ref, _ := strings.Cut(rest, ":")
		switch k {
		case "unknown":
			if rest != "unknown" {
				return fmt.Errorf("external:unknown takes no reference")
			}
		case "address":
			network, addr, ok := strings.Cut(ref, ":")
			if !ok || !validCode(network) || !validRef(addr) {
				return fmt.Errorf("want external:address:<NETWORK>:<address>")
			}
		case "bank", "lightning":
			if !validRef(ref) {
				return fmt.Errorf("want external:%s:<ref> with a printable reference without spaces", k)
			}
		default:
			return fmt.Errorf("want external:<address|bank|lightning|unknown>:...")
		}
	case "counterparty", "fees":
		if !validVenue(rest) {
			return fmt.Errorf("want %s:<venue>", class)
		}
	case "equity":
		if rest != "opening" && rest != "adjustment" {
			return fmt.Errorf("want equity:opening or equity:adjustment")
		}
	default:
		return fmt.Errorf("unknown class %q (want venue, transit, external, counterparty, fees or equity)", class)
	}
	return nil
}

// validVenue: a lower-case name, [a-z][a-z0-9-]{0,31}.
func validVenue(v string) bool {
	if v == "" || len(v) > 32 || v[0] < 'a' || v[0] > 'z' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validRef: 1-200 printable ASCII characters, no spaces. It may contain ':'
// because it is always the last segment.
func validRef(r string) bool {
	if r == "" || len(r) > 200 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if r[i] <= ' ' || r[i] > '~' {
			return false
		}
	}
	return true
}

// validCode: an asset or network code, [A-Z0-9._-]{1,20}, with a letter or
// digit first.
func validCode(c string) bool {
	if c == "" || len(c) > 20 {
		return false
	}
	for i := 0; i < len(c); i++ {
		ch := c[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || i > 0 && (ch == '.' || ch == '_' || ch == '-')) {
			return false
		}
	}
	return true
}
