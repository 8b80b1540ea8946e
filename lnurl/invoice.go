package lnurl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/lightningnetwork/lnd/zpay32"
	"github.com/shopspring/decimal"
)

// Invoice is a BOLT11 invoice that passed every check: signed, for the
// configured network, for exactly the amount asked, committing to the
// payRequest's metadata, and unexpired when it was checked.
type Invoice struct {
	// PaymentRequest is the BOLT11 text to pay (Hercle's
	// paymentRequestHash).
	PaymentRequest string
	// AmountMsat is the amount in millisatoshi.
	AmountMsat int64
	// PaymentHash is the invoice's payment hash, in hex: the payment's id
	// on the Lightning Network.
	PaymentHash string
	// DescriptionHash is sha256 of the LNURL metadata, in hex.
	DescriptionHash string
	// Description is the metadata's text/plain entry as the payee wrote
	// it, clipped to 200 characters with control characters replaced
	// (empty from Verify). Text from outside: quote it when shown.
	Description string
	// Payee is the public key of the node that signed the invoice,
	// compressed, in hex.
	Payee string
	// Created and Expires bound the invoice's life.
	Created time.Time
	Expires time.Time
	// Network is the Config.Network it was checked against.
	Network string
}

// AmountBTC returns the amount in BTC.
func (i Invoice) AmountBTC() decimal.Decimal { return decimal.New(i.AmountMsat, -11) }

// maxMsat is the 21 million BTC there will ever be, in millisatoshi.
const maxMsat = 21_000_000 * 100_000_000_000

// msatOf converts a BTC amount to millisatoshi. Errors wrap ErrAmount.
func msatOf(btc decimal.Decimal) (int64, error) {
	msat := btc.Shift(11)
	switch {
	case !btc.IsPositive():
		return 0, fmt.Errorf("%w: %s BTC is not positive", ErrAmount, btc)
	case !msat.IsInteger():
		return 0, fmt.Errorf("%w: %s BTC is not a whole millisatoshi; round it to 11 decimal places", ErrAmount, btc)
	case msat.Cmp(decimal.NewFromInt(maxMsat)) > 0:
		return 0, fmt.Errorf("%w: %s BTC is more than 21 million BTC", ErrAmount, btc)
	}
	return msat.IntPart(), nil
}

// verify checks a BOLT11 invoice: its currency is net's, lnd's zpay32
// decodes it and verifies its signature (against its n field, or by
// recovering the payee's key), its amount is wantMsat, its description
// hash is descHash, and it has not expired at now. Errors are
// *RefusedError.
func verify(pr string, net network, wantMsat int64, descHash [32]byte, now time.Time) (Invoice, error) {
	// zpay32 checks the network by prefix only, and lnbcrt starts with
	// lnbc: name the currency exactly first.
	if cur, ok := currency(pr); !ok {
		return Invoice{}, refused(CheckMalformed, "not a BOLT11 invoice (no ln prefix and separator)")
	} else if cur != net.hrp {
		return Invoice{}, refused(CheckNetwork, "the invoice is for %s, the client pays on %s (ln%s…)",
			networkOfCurrency(cur), net.name, net.hrp)
	}
	inv, err := zpay32.Decode(pr, net.params)
	if err != nil {
		return Invoice{}, refused(CheckMalformed, "not a valid signed BOLT11 invoice: %s", clip(err.Error(), maxReason))
	}
	switch {
	case inv.MilliSat == nil:
		return Invoice{}, refused(CheckAmount, "the invoice has no amount, %d msat were asked for", wantMsat)
	case int64(*inv.MilliSat) != wantMsat:
		return Invoice{}, refused(CheckAmount, "the invoice is for %d msat, %d msat were asked for", int64(*inv.MilliSat), wantMsat)
	case inv.DescriptionHash == nil:
		return Invoice{}, refused(CheckDescriptionHash, "the invoice has a plain description, LUD-06 requires the hash of the metadata")
	case *inv.DescriptionHash != descHash:
		return Invoice{}, refused(CheckDescriptionHash, "the invoice commits to %x, sha256 of the metadata is %x", *inv.DescriptionHash, descHash)
	}
	created := inv.Timestamp.UTC()
	expires := created.Add(inv.Expiry())
	if !now.Before(expires) {
		return Invoice{}, refused(CheckExpired, "the invoice expired at %s, it is %s", expires.Format(time.RFC3339),
			now.UTC().Format(time.RFC3339))
	}
	return Invoice{
		PaymentRequest:  pr,
		AmountMsat:      wantMsat,
		PaymentHash:     hex.EncodeToString(inv.PaymentHash[:]),
		DescriptionHash: hex.EncodeToString(descHash[:]),
		Payee:           hex.EncodeToString(inv.Destination.SerializeCompressed()),
		Created:         created,
		Expires:         expires,
		Network:         net.name,
	}, nil
}

// currency returns the currency prefix of a BOLT11 invoice: what follows
// "ln" in the human-readable part, up to the amount's first digit.
func currency(pr string) (string, bool) {
	s := strings.ToLower(pr)
	sep := strings.LastIndexByte(s, '1')
	if !strings.HasPrefix(s, "ln") || sep < 2 {
		return "", false
	}
	hrp := s[2:sep]
	if i := strings.IndexAny(hrp, "0123456789"); i >= 0 {
		hrp = hrp[:i]
	}
	return hrp, true
}

// descriptionHash is what LUD-06 requires an invoice to commit to:
// sha256 of the metadata string's UTF-8 bytes.
func descriptionHash(metadata string) [32]byte { return sha256.Sum256([]byte(metadata)) }
