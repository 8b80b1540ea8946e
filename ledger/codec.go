package ledger

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Records are stored as JSON with amounts as exact decimal strings. The
// record types are separate from the API types so that neither a change to
// the API nor decimal's process-wide JSON switches can change the bytes on
// disk.

type entryRecord struct {
	Seq      uint64            `json:"seq"`
	Key      string            `json:"key"`
	Kind     string            `json:"kind"`
	Time     time.Time         `json:"time"`
	Recorded time.Time         `json:"recorded"`
	ClientID string            `json:"client_id,omitempty"`
	Refs     map[string]string `json:"refs,omitempty"`
	Reverses string            `json:"reverses,omitempty"`
	Memo     string            `json:"memo,omitempty"`
	Postings []postingRecord   `json:"postings"`
}

type postingRecord struct {
	Account string `json:"account"`
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
}

func encodeEntry(e Entry) ([]byte, error) {
	r := entryRecord{
		Seq: e.Seq, Key: e.Key, Kind: string(e.Kind), Time: e.Time.UTC(), Recorded: e.Recorded.UTC(),
		ClientID: e.ClientID, Refs: e.Refs, Reverses: e.Reverses, Memo: e.Memo,
		Postings: make([]postingRecord, len(e.Postings)),
	}
	for i, p := range e.Postings {
		r.Postings[i] = postingRecord{Account: p.Account.name, Asset: string(p.Asset), Amount: p.Amount.String()}
	}
	return json.Marshal(r)
}

// decodeEntry decodes and fully validates a stored entry: a record that
// does not satisfy the invariants Post enforces is reported as corrupt.
func decodeEntry(b []byte) (Entry, error) {
	var r entryRecord
	if err := strictUnmarshal(b, &r); err != nil {
		return Entry{}, fmt.Errorf("%w: entry: %w", ErrCorrupt, err)
	}
	e := Entry{
		Seq: r.Seq, Key: r.Key, Kind: Kind(r.Kind), Time: r.Time, Recorded: r.Recorded,
		ClientID: r.ClientID, Refs: r.Refs, Reverses: r.Reverses, Memo: r.Memo,
		Postings: make([]Posting, len(r.Postings)),
	}
	if len(e.Refs) == 0 {
		e.Refs = nil // "refs":{} and no refs are the same entry
	}
	for i, p := range r.Postings {
		amt, err := parseAmount(p.Amount)
		if err != nil {
			return Entry{}, fmt.Errorf("%w: entry %q posting %d: %w", ErrCorrupt, r.Key, i, err)
		}
		e.Postings[i] = Posting{Account: Account{p.Account}, Asset: market.Asset(p.Asset), Amount: amt}
	}
	if e.Seq == 0 {
		return Entry{}, fmt.Errorf("%w: entry %q without a sequence number", ErrCorrupt, r.Key)
	}
	if err := e.Validate(); err != nil {
		return Entry{}, fmt.Errorf("%w: stored entry: %w", ErrCorrupt, err)
	}
	return e, nil
}

// parseAmount parses a stored decimal string, refusing exponent forms and
// lengths that Post never writes.
func parseAmount(s string) (decimal.Decimal, error) {
	if s == "" || len(s) > maxIntDigits+maxScale+3 {
		return decimal.Decimal{}, fmt.Errorf("amount %.60q out of range", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c == '.' || c == '-' && i == 0) {
			return decimal.Decimal{}, fmt.Errorf("amount %q is not a plain decimal", s)
		}
	}
	return decimal.NewFromString(s)
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after record")
	}
	return nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func balanceKey(a Account, asset market.Asset) []byte {
	k := make([]byte, 0, len(a.name)+1+len(asset))
	k = append(k, a.name...)
	k = append(k, 0)
	return append(k, asset...)
}

func splitBalanceKey(k []byte) (Account, market.Asset, error) {
	i := bytes.IndexByte(k, 0)
	if i < 0 {
		return Account{}, "", fmt.Errorf("%w: balance key %q", ErrCorrupt, k)
	}
	a, err := ParseAccount(string(k[:i]))
	if err != nil {
		return Account{}, "", fmt.Errorf("%w: balance key: %w", ErrCorrupt, err)
	}
	asset := string(k[i+1:])
	if !validCode(asset) {
		return Account{}, "", fmt.Errorf("%w: balance key asset %q", ErrCorrupt, asset)
	}
	return a, market.Asset(asset), nil
}
