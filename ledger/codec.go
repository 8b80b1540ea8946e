package ledger

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	b = appendRefs(b, e.Refs)
	b = binary.AppendUvarint(b, uint64(len(e.Postings)))
	for _, p := range e.Postings {
		b = appendStr(b, p.Account.name)
		b = appendStr(b, string(p.Asset))
		b = appendStr(b, p.Amount.String())
	}
	return b, nil
}

// appendRefs appends a string map, sorted by name.
func appendRefs(b []byte, m map[string]string) []byte {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		b = appendStr(appendStr(b, k), m[k])
	}
	return b
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
	// syms, when set, shares the strings that repeat from record to record
	// (kinds, accounts, assets, reference names) across a scan.
	syms symbols
}

// symbols interns short strings, up to a bound, so a scan of many
// records holds one copy of each account name instead of one per posting.
type symbols map[string]string

const (
	maxSymbols   = 4096
	maxSymbolLen = 128
)

func (m symbols) get(b []byte) string {
	if m == nil || len(b) > maxSymbolLen {
		return string(b)
	}
	if s, ok := m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(m) < maxSymbols {
		m[s] = s
	}
	return s
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
	return string(r.raw(what)) // copies: nothing refers to bbolt's memory afterwards
}

// sym is str for a string that repeats between records.
func (r *reader) sym(what string) string { return r.syms.get(r.raw(what)) }

// raw reads a length-prefixed string without copying it: the result
// aliases the record.
func (r *reader) raw(what string) []byte {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(what)
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

// bytes reads a length-prefixed byte string of at most max bytes, copied.
func (r *reader) bytes(what string, max int) []byte {
	n := r.uvarint(what)
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) || n > uint64(max) {
		r.fail(what)
		return nil
	}
	out := bytes.Clone(r.b[:n])
	r.b = r.b[n:]
	return out
}

// refs reads a string map written by appendRefs: at most maxRefs pairs,
// names strictly ascending. It returns nil for an empty map.
func (r *reader) refs(what string) map[string]string {
	n := r.count(what, maxRefs)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	prev := ""
	for i := range n {
		k, v := r.sym(what+" name"), r.str(what+" value")
		if i > 0 && k <= prev {
			r.fail(what + " order")
		}
		m[k], prev = v, k
	}
	if r.err != nil {
		return nil
	}
	return m
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

// entryHead reads an entry record's kind and time without decoding the
// rest; ok is false for a record whose head does not decode.
func entryHead(b []byte) (kind []byte, at time.Time, ok bool) {
	if len(b) == 0 || b[0] != entryRecordV1 {
		return nil, time.Time{}, false
	}
	r := &reader{b: b[1:]}
	r.uvarint("seq")
	r.raw("key")
	kind = r.raw("kind")
	at = r.time("time")
	return kind, at, r.err == nil
}

// decodeEntry decodes and fully validates a stored entry: a record that
// does not satisfy the invariants Post enforces is reported as corrupt.
func decodeEntry(b []byte) (Entry, error) { return decodeEntrySyms(b, nil) }

// decodeEntrySyms is decodeEntry sharing repeated strings through syms,
// which may be nil.
func decodeEntrySyms(b []byte, syms symbols) (Entry, error) {
	if len(b) == 0 || b[0] != entryRecordV1 {
		return Entry{}, fmt.Errorf("%w: entry record version %v", ErrCorrupt, b[:min(len(b), 1)])
	}
	r := &reader{b: b[1:], syms: syms}
	e := Entry{Seq: r.uvarint("seq"), Key: r.str("key"), Kind: Kind(r.sym("kind")),
		Time: r.time("time"), Recorded: r.time("recorded"),
		ClientID: r.str("client id"), Reverses: r.str("reverses"), Memo: r.str("memo")}
	e.Refs = r.refs("refs")
	n := r.count("postings", maxPostings)
	e.Postings = make([]Posting, n)
	for i := range n {
		acct, asset, amount := r.sym("account"), r.sym("asset"), r.raw("amount")
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

// maxStoredAmountLen bounds a stored decimal string. Balances and
// counters are sums of amounts of up to maxIntDigits integer digits, so
// they may have more: 20 more digits cover any number of sums a ledger can
// hold (fewer than 2^64 entries).
const maxStoredAmountLen = maxIntDigits + 20 + maxScale + 2

// parseAmount parses a stored decimal string, refusing exponent forms and
// lengths that Post never writes.
func parseAmount(b []byte) (decimal.Decimal, error) {
	if len(b) == 0 || len(b) > maxStoredAmountLen {
		return decimal.Decimal{}, fmt.Errorf("amount %.60q out of range", b)
	}
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' && i == 0) {
			return decimal.Decimal{}, fmt.Errorf("amount %q is not a plain decimal", b)
		}
	}
	if d, ok := parseSmallAmount(b); ok {
		return d, nil
	}
	return decimal.NewFromString(string(b))
}

// parseSmallAmount parses -?[0-9]+(\.[0-9]+)? with at most 18 digits, which
// fit an int64, without the string handling of decimal.NewFromString; ok
// is false for any other form. The result is the one NewFromString gives.
func parseSmallAmount(b []byte) (d decimal.Decimal, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v int64
	digits, frac, dot := 0, 0, false
	for _, c := range b {
		switch {
		case c == '.' && !dot && digits > 0:
			dot = true
		case c >= '0' && c <= '9':
			if digits++; digits > 18 {
				return decimal.Decimal{}, false
			}
			v = v*10 + int64(c-'0')
			if dot {
				frac++
			}
		default:
			return decimal.Decimal{}, false
		}
	}
	if digits == 0 || dot && frac == 0 {
		return decimal.Decimal{}, false
	}
	if neg {
		v = -v
	}
	return decimal.New(v, int32(-frac)), true
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// Token, not More: More answers false before a stray '}' or ']'.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
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
