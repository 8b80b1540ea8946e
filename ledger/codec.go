package ledger

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// Journal entries, the hot records, are stored in a compact binary form;
// intents and inbox events as JSON. Amounts are exact decimal strings in
// both. The record layouts are separate from the API types so that neither
// a change to the API nor decimal's process-wide JSON switches can change
// the bytes on disk.
//
// Entry record, version 1 (str is a uvarint length and that many bytes;
// time is a varint of Unix seconds and a uvarint of nanoseconds, UTC):
//
//	byte 1 | uvarint seq | str key | str kind | time | time recorded |
//	str client id | str reverses | str memo |
//	uvarint n, n × (str name, str value) refs, sorted by name |
//	uvarint n, n × (str account, str asset, str amount) postings
const entryRecordV1 = 1

func encodeEntry(e Entry) ([]byte, error) {
	b := make([]byte, 0, 128+64*len(e.Postings))
	b = append(b, entryRecordV1)
	b = binary.AppendUvarint(b, e.Seq)
	b = appendStr(b, e.Key)
	b = appendStr(b, string(e.Kind))
	b = appendTime(b, e.Time)
	b = appendTime(b, e.Recorded)
	b = appendStr(b, e.ClientID)
	b = appendStr(b, e.Reverses)
	b = appendStr(b, e.Memo)
	names := make([]string, 0, len(e.Refs))
	for k := range e.Refs {
		names = append(names, k)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendStr(appendStr(b, k), e.Refs[k])
	}
	b = binary.AppendUvarint(b, uint64(len(e.Postings)))
	for _, p := range e.Postings {
		b = appendStr(b, p.Account.name)
		b = appendStr(b, string(p.Asset))
		b = appendStr(b, p.Amount.String())
	}
	return b, nil
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendTime(b []byte, t time.Time) []byte {
	return binary.AppendUvarint(binary.AppendVarint(b, t.Unix()), uint64(t.Nanosecond()))
}

// reader decodes a record; the first error sticks and later reads return
// zero values.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or malformed %s", what)
	}
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a collection length, bounded by max.
func (r *reader) count(what string, max int) int {
	n := r.uvarint(what)
	if n > uint64(max) {
		r.fail(what)
		return 0
	}
	return int(n)
}

func (r *reader) str(what string) string {
	n := r.uvarint(what)
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n]) // copies: nothing refers to bbolt's memory afterwards
	r.b = r.b[n:]
	return s
}

func (r *reader) time(what string) time.Time {
	sec := r.varint(what)
	nsec := r.uvarint(what)
	if nsec >= 1e9 {
		r.fail(what)
	}
	if r.err != nil {
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// decodeEntry decodes and fully validates a stored entry: a record that
// does not satisfy the invariants Post enforces is reported as corrupt.
func decodeEntry(b []byte) (Entry, error) {
	if len(b) == 0 || b[0] != entryRecordV1 {
		return Entry{}, fmt.Errorf("%w: entry record version %v", ErrCorrupt, b[:min(len(b), 1)])
	}
	r := &reader{b: b[1:]}
	e := Entry{Seq: r.uvarint("seq"), Key: r.str("key"), Kind: Kind(r.str("kind")),
		Time: r.time("time"), Recorded: r.time("recorded"),
		ClientID: r.str("client id"), Reverses: r.str("reverses"), Memo: r.str("memo")}
	if n := r.count("refs", maxRefs); n > 0 {
		e.Refs = make(map[string]string, n)
		prev := ""
		for i := range n {
			k, v := r.str("ref name"), r.str("ref value")
			if i > 0 && k <= prev {
				r.fail("refs order")
			}
			e.Refs[k], prev = v, k
		}
	}
	n := r.count("postings", maxPostings)
	e.Postings = make([]Posting, n)
	for i := range n {
		acct, asset, amount := r.str("account"), r.str("asset"), r.str("amount")
		if r.err != nil {
			break
		}
		amt, err := parseAmount(amount)
		if err != nil {
			return Entry{}, fmt.Errorf("%w: entry %q posting %d: %w", ErrCorrupt, e.Key, i, err)
		}
		e.Postings[i] = Posting{Account: Account{acct}, Asset: market.Asset(asset), Amount: amt}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the record", len(r.b))
	}
	if r.err != nil {
		return Entry{}, fmt.Errorf("%w: entry: %w", ErrCorrupt, r.err)
	}
	if e.Seq == 0 {
		return Entry{}, fmt.Errorf("%w: entry %q without a sequence number", ErrCorrupt, e.Key)
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
