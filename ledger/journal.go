package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/otcdesk/engine/market"
)

// Post appends e to the journal and updates the balances of its accounts in
// the same transaction. It returns the stored entry, with Seq and Recorded
// set, and created true; or, if an entry with e.Key already exists, that
// original entry and created false, writing nothing (whatever e holds).
//
// An entry that does not validate (ErrInvalidEntry, ErrUnbalanced), or a
// reversal whose original is missing or not exactly negated
// (ErrNotFound, ErrInvalidEntry), is refused and nothing is written.
// A reversal must carry the key Reverse gives it, so that an entry can be
// reversed only once. Validation comes first, so an invalid entry is
// refused even if its key exists. A Time outside years 1 to 9999 is
// refused (ErrInvalidEntry): no RFC 3339 export of the journal could write
// it. A movement's settled entry is refused while its failed entry stands
// unreversed, and the other way round (ErrOutcomeConflict; see
// SettledKey). Post returns once the entry is durable; concurrent Posts share
// fsyncs. If ctx ends while the entry is queued, Post returns ctx.Err()
// and the entry may still commit: post it again to learn which.
func (s *Store) Post(ctx context.Context, e Entry) (Entry, bool, error) {
	e, err := s.prepare(e)
	if err != nil {
		return Entry{}, false, err
	}
	var (
		out     Entry
		created bool
	)
	err = s.write(ctx, func(tx *bbolt.Tx) error {
		out, created = Entry{}, false
		if err := s.checkPost(tx, e); err != nil {
			var ex *existing
			if errors.As(err, &ex) {
				out = ex.e
				return nil
			}
			return err
		}
		var err error
		out, err = s.postTx(tx, e)
		created = err == nil
		return err
	})
	if err != nil {
		return Entry{}, false, err
	}
	return out, created, nil
}

// prepare validates e the way Post does and returns it ready to store:
// its time set and in UTC, its postings and refs copied (so that a caller
// whose context ends while the entry is queued can reuse its slices and
// maps without changing what commits).
func (s *Store) prepare(e Entry) (Entry, error) {
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	if e.Time.IsZero() {
		e.Time = s.clock.Now()
	}
	e.Time = e.Time.UTC()
	// Checked here, not in Validate, so that stored entries keep decoding.
	if e.Reverses != "" && e.Key != reversalPrefix+e.Reverses {
		return Entry{}, fmt.Errorf("%w %s: a reversal's key is %s<key of the entry it reverses> (use Reverse), so that an entry is reversed at most once", ErrInvalidEntry, e.Key, reversalPrefix)
	}
	if y := e.Time.Year(); y < 1 || y > 9999 {
		return Entry{}, fmt.Errorf("%w %s: time %s is outside years 1 to 9999 (a time in milliseconds read as seconds?)", ErrInvalidEntry, e.Key, e.Time.Format(time.RFC3339))
	}
	e.Postings = append([]Posting(nil), e.Postings...)
	e.Refs = maps.Clone(e.Refs)
	return e, nil
}

// existing is checkPost's answer for an entry whose key is already in the
// journal: the original entry, which posting it again returns.
type existing struct{ e Entry }

func (x *existing) Error() string { return "ledger: entry " + x.e.Key + " exists" }

// checkPost decides, in tx and without writing, whether e may be posted:
// nil if so; an *existing holding the original if its key is taken; a
// rejection for an outcome excluded by its opposite (see SettledKey) or a
// reversal that does not match its original.
func (s *Store) checkPost(tx *bbolt.Tx, e Entry) error {
	keys := tx.Bucket(bucketKeys)
	if seq := keys.Get([]byte(e.Key)); seq != nil {
		orig, err := getEntry(tx, seq)
		if err != nil {
			return err
		}
		return &existing{orig}
	}
	// The opposite outcome excludes this one unless it was reversed
	// (Reverse's key): the correction procedure of the package.
	if other, ok := opposite(e.Key); ok && keys.Get([]byte(other)) != nil && keys.Get([]byte(reversalPrefix+other)) == nil {
		return reject(fmt.Errorf("post %s: %w (%s)", e.Key, ErrOutcomeConflict, other))
	}
	if e.Reverses != "" {
		seq := keys.Get([]byte(e.Reverses))
		if seq == nil {
			return reject(fmt.Errorf("post %s: reversed entry %s: %w", e.Key, e.Reverses, ErrNotFound))
		}
		orig, err := getEntry(tx, seq)
		if err != nil {
			return err
		}
		if !negates(e, orig) {
			return reject(fmt.Errorf("%w %s: postings are not the exact negation of %s", ErrInvalidEntry, e.Key, e.Reverses))
		}
	}
	return nil
}

// postTx appends e, which checkPost accepted, to the journal in tx and
// applies its postings to the balances. The entry is noted for the
// transaction's watchers.
func (s *Store) postTx(tx *bbolt.Tx, e Entry) (Entry, error) {
	seq, err := s.nextSeq(tx, bucketJournal)
	if err != nil {
		return Entry{}, err
	}
	e.Seq, e.Recorded = seq, s.clock.Now().UTC()
	rec, err := encodeEntry(e)
	if err != nil {
		return Entry{}, err
	}
	if err := s.put(tx, bucketJournal, seqKey(seq), rec); err != nil {
		return Entry{}, err
	}
	if err := s.put(tx, bucketKeys, []byte(e.Key), seqKey(seq)); err != nil {
		return Entry{}, err
	}
	if err := s.applyPostings(tx, e.Postings); err != nil {
		return Entry{}, err
	}
	s.posted = append(s.posted, e)
	return e, nil
}

// applyPostings adds each posting to its balance. A balance that reaches
// zero is deleted, so stored balances and a rebuild list the same keys.
// Each new balance is noted for the transaction's watchers (see
// WatchBalances).
func (s *Store) applyPostings(tx *bbolt.Tx, ps []Posting) error {
	b := tx.Bucket(bucketBalances)
	for _, p := range ps {
		k := balanceKey(p.Account, p.Asset)
		cur := decimal.Zero
		if v := b.Get(k); v != nil {
			d, err := parseAmount(v)
			if err != nil {
				return fmt.Errorf("%w: balance %s %s: %w", ErrCorrupt, p.Account, p.Asset, err)
			}
			cur = d
		}
		next := cur.Add(p.Amount)
		s.changed = append(s.changed, Balance{p.Account, p.Asset, next})
		var err error
		if next.IsZero() {
			err = s.del(tx, bucketBalances, k)
		} else {
			err = s.put(tx, bucketBalances, k, []byte(next.String()))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func getEntry(tx *bbolt.Tx, seq []byte) (Entry, error) {
	v := tx.Bucket(bucketJournal).Get(seq)
	if v == nil {
		return Entry{}, fmt.Errorf("%w: index names entry %x, which is missing", ErrCorrupt, seq)
	}
	return decodeEntry(v) // decodes into new memory: nothing refers to v afterwards
}

// Entry returns the entry with the given idempotency key, or ErrNotFound.
func (s *Store) Entry(ctx context.Context, key string) (Entry, error) {
	var e Entry
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		seq := tx.Bucket(bucketKeys).Get([]byte(key))
		if seq == nil {
			return fmt.Errorf("entry %s: %w", key, ErrNotFound)
		}
		var err error
		e, err = getEntry(tx, seq)
		return err
	})
	return e, err
}

// Filter selects journal entries. The zero Filter selects every entry.
type Filter struct {
	// Account selects entries with a posting to this account or under it
	// at a segment boundary ("venue:hercle" covers both hercle accounts).
	Account string
	Asset   market.Asset // entries with a posting in this asset
	Kind    Kind
	// From and To bound Entry.Time: From <= Time < To. Zero means open.
	From, To time.Time
	ClientID string
	// AfterSeq skips entries up to and including this sequence number,
	// for paging.
	AfterSeq uint64
	// ToSeq, when not zero, ends the walk after this sequence number, so
	// that ranges of the journal can be read concurrently.
	ToSeq uint64
	// Limit stops after this many entries; zero means no limit.
	Limit int
	// Newest walks from the newest entry back to the oldest, so that
	// Limit keeps the last entries without reading the whole journal.
	Newest bool
}

// skips reports, from an entry record's head alone, that the entry does
// not match f; false when the head does not decode (the full decode then
// reports it).
func (f Filter) skips(rec []byte) bool {
	if f.Kind == "" && f.From.IsZero() && f.To.IsZero() {
		return false
	}
	kind, at, ok := entryHead(rec)
	return ok && (f.Kind != "" && string(kind) != string(f.Kind) ||
		!f.From.IsZero() && at.Before(f.From) || !f.To.IsZero() && !at.Before(f.To))
}

func (f Filter) match(e Entry) bool {
	if f.Kind != "" && e.Kind != f.Kind {
		return false
	}
	if f.ClientID != "" && e.ClientID != f.ClientID {
		return false
	}
	if !f.From.IsZero() && e.Time.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !e.Time.Before(f.To) {
		return false
	}
	if f.Account == "" && f.Asset == "" {
		return true
	}
	for _, p := range e.Postings {
		if (f.Account == "" || p.Account.HasPrefix(f.Account)) && (f.Asset == "" || p.Asset == f.Asset) {
			return true
		}
	}
	return false
}

// Journal calls fn for each entry matching f, in journal order, inside one
// read transaction (a consistent snapshot). An error from fn stops the walk
// and is returned. fn must not write to the store.
//
// Entries of another kind or outside [f.From, f.To) are skipped on their
// record's head, without decoding the rest, so a window at the end of a
// long journal costs little more than the window: Verify, not Journal, is
// the integrity check of the whole file.
func (s *Store) Journal(ctx context.Context, f Filter, fn func(Entry) error) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		n, syms := 0, symbols{}
		first, next := func() ([]byte, []byte) { return c.Seek(seqKey(f.AfterSeq + 1)) }, c.Next
		if f.Newest {
			first, next = func() ([]byte, []byte) { return lastAtOrBefore(c, f.ToSeq) }, c.Prev
		}
		for k, v := first(); k != nil; k, v = next() {
			seq := binary.BigEndian.Uint64(k)
			if f.ToSeq != 0 && seq > f.ToSeq || f.Newest && seq <= f.AfterSeq {
				return nil
			}
			if n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if f.skips(v) {
				continue
			}
			e, err := decodeEntrySyms(v, syms)
			if err != nil {
				return fmt.Errorf("journal at %x: %w", k, err)
			}
			if !f.match(e) {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
			n++
			if f.Limit > 0 && n >= f.Limit {
				return nil
			}
		}
		return nil
	})
}

// lastAtOrBefore positions c on the last entry, or on the last at or
// before seq when seq is not zero.
func lastAtOrBefore(c *bbolt.Cursor, seq uint64) ([]byte, []byte) {
	if seq == 0 {
		return c.Last()
	}
	k, _ := c.Seek(seqKey(seq + 1))
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

// Entries returns the entries matching f (see Journal).
func (s *Store) Entries(ctx context.Context, f Filter) ([]Entry, error) {
	var out []Entry
	err := s.Journal(ctx, f, func(e Entry) error { out = append(out, e); return nil })
	return out, err
}

// Balance is the balance of one account in one asset.
type Balance struct {
	Account Account
	Asset   market.Asset
	Amount  decimal.Decimal
}

// LastSeq returns the sequence number of the newest journal entry; zero
// for an empty journal. It reads one counter, not the journal.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		seq = tx.Bucket(bucketJournal).Sequence()
		return nil
	})
	return seq, err
}

// Balance returns the balance of account in asset; zero if it has none.
func (s *Store) Balance(ctx context.Context, a Account, asset market.Asset) (decimal.Decimal, error) {
	amt := decimal.Zero
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketBalances).Get(balanceKey(a, asset))
		if v == nil {
			return nil
		}
		var err error
		amt, err = parseAmount(v)
		if err != nil {
			return fmt.Errorf("%w: balance %s %s: %w", ErrCorrupt, a, asset, err)
		}
		return nil
	})
	return amt, err
}

// Balances returns every non-zero balance, sorted by account then asset.
func (s *Store) Balances(ctx context.Context) ([]Balance, error) {
	var out []Balance
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = storedBalances(tx)
		return err
	})
	return out, err
}

func storedBalances(tx *bbolt.Tx) ([]Balance, error) {
	var out []Balance
	err := tx.Bucket(bucketBalances).ForEach(func(k, v []byte) error {
		a, asset, err := splitBalanceKey(k)
		if err != nil {
			return err
		}
		amt, err := parseAmount(v)
		if err != nil {
			return fmt.Errorf("%w: balance %s %s: %w", ErrCorrupt, a, asset, err)
		}
		out = append(out, Balance{a, asset, amt})
		return nil
	})
	return out, err
}

// Rebuild recomputes every non-zero balance from the journal alone, sorted
// like Balances. It writes nothing; Verify compares the two.
func (s *Store) Rebuild(ctx context.Context) ([]Balance, error) {
	var out []Balance
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, _, err = rebuild(ctx, tx)
		return err
	})
	return out, err
}

// rebuild walks the journal, checking each entry and the key index, and
// returns the balances it implies plus any problems found.
func rebuild(ctx context.Context, tx *bbolt.Tx) ([]Balance, []string, error) {
	type acctAsset struct {
		a     string
		asset market.Asset
	}
	sums := map[acctAsset]decimal.Decimal{}
	var problems []string
	keys := tx.Bucket(bucketKeys)
	n := 0
	var last uint64
	err := tx.Bucket(bucketJournal).ForEach(func(k, v []byte) error {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, err := decodeEntry(v) // includes the zero-sum check
		if err != nil {
			problems = append(problems, fmt.Sprintf("journal %x: %v", k, err))
			return nil
		}
		if string(seqKey(e.Seq)) != string(k) || e.Seq <= last {
			problems = append(problems, fmt.Sprintf("journal %x: entry %s has seq %d", k, e.Key, e.Seq))
		}
		last = e.Seq
		if idx := keys.Get([]byte(e.Key)); string(idx) != string(k) {
			problems = append(problems, fmt.Sprintf("key index for %s is %x, want %x", e.Key, idx, k))
		}
		for _, p := range e.Postings {
			aa := acctAsset{p.Account.name, p.Asset}
			sums[aa] = sums[aa].Add(p.Amount)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if kn := keys.Stats().KeyN; kn != n {
		problems = append(problems, fmt.Sprintf("key index has %d keys, journal %d entries", kn, n))
	}
	out := make([]Balance, 0, len(sums))
	for aa, amt := range sums {
		if !amt.IsZero() {
			out = append(out, Balance{Account{aa.a}, aa.asset, amt})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account.name < out[j].Account.name
		}
		return out[i].Asset < out[j].Asset
	})
	return out, problems, nil
}

// Verify checks the ledger's invariants in one snapshot: every entry
// decodes and sums to zero per asset, the key index matches the journal,
// the stored balances equal Rebuild, every intent, inbox event, report and
// counter decodes, and bbolt's own page check passes. It returns nil or a
// *VerifyError (which wraps ErrCorrupt). A page too
// damaged for bbolt to read (it panics on those) is reported as a problem,
// not a panic: Verify is what an operator runs on a suspect file.
func (s *Store) Verify(ctx context.Context) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &VerifyError{Problems: []string{"bbolt: unreadable page: " + damage(r)}}
		}
	}()
	return s.view(ctx, func(tx *bbolt.Tx) error {
		rebuilt, problems, err := rebuild(ctx, tx)
		if err != nil {
			return err
		}
		ve := &VerifyError{Problems: problems}
		records, err := recordProblems(ctx, tx)
		if err != nil {
			return err
		}
		ve.Problems = append(ve.Problems, records...)
		stored, err := storedBalances(tx)
		if err != nil {
			ve.Problems = append(ve.Problems, err.Error())
		}
		sort.Slice(stored, func(i, j int) bool {
			if stored[i].Account != stored[j].Account {
				return stored[i].Account.name < stored[j].Account.name
			}
			return stored[i].Asset < stored[j].Asset
		})
		ve.Mismatches = diffBalances(stored, rebuilt)
		for err := range tx.Check() {
			// A page its check could not read comes as the panic it
			// recovered.
			msg := err.Error()
			if d := damage(msg); d != msg {
				msg = "unreadable page: " + d
			}
			ve.Problems = append(ve.Problems, "bbolt: "+msg)
		}
		if len(ve.Mismatches) > 0 || len(ve.Problems) > 0 {
			return ve
		}
		return nil
	})
}

// diffBalances merges two sorted balance lists.
func diffBalances(stored, rebuilt []Balance) []Mismatch {
	var out []Mismatch
	less := func(a, b Balance) bool {
		return a.Account.name < b.Account.name || a.Account == b.Account && a.Asset < b.Asset
	}
	i, j := 0, 0
	for i < len(stored) || j < len(rebuilt) {
		switch {
		case j == len(rebuilt) || i < len(stored) && less(stored[i], rebuilt[j]):
			out = append(out, Mismatch{stored[i].Account, string(stored[i].Asset), stored[i].Amount.String(), ""})
			i++
		case i == len(stored) || less(rebuilt[j], stored[i]):
			out = append(out, Mismatch{rebuilt[j].Account, string(rebuilt[j].Asset), "", rebuilt[j].Amount.String()})
			j++
		default:
			if !stored[i].Amount.Equal(rebuilt[j].Amount) {
				out = append(out, Mismatch{stored[i].Account, string(stored[i].Asset), stored[i].Amount.String(), rebuilt[j].Amount.String()})
			}
			i, j = i+1, j+1
		}
	}
	return out
}

// VenueBalances returns what the books hold at venue v per asset:
// available plus allocated.
func (s *Store) VenueBalances(ctx context.Context, v Venue) (map[market.Asset]decimal.Decimal, error) {
	bs, err := s.Balances(ctx)
	if err != nil {
		return nil, err
	}
	out := map[market.Asset]decimal.Decimal{}
	avail, alloc := VenueAvailable(v), VenueAllocated(v)
	for _, b := range bs {
		if b.Account == avail || b.Account == alloc {
			out[b.Asset] = out[b.Asset].Add(b.Amount)
		}
	}
	return out, nil
}
