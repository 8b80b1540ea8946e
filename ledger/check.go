package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/otcdesk/engine/market"
)

// metaCheckpoint holds the last checkpoint of the books (see Check).
var metaCheckpoint = []byte("checkpoint")

// Checkpoint is what Check proved of the books last time: the journal up
// to Seq hashes to Journal, and the balances after entry Seq hash to
// Balances. It lives in the file; a change to anything it covers makes
// the next Check fail.
type Checkpoint struct {
	Seq      uint64    `json:"seq"`
	Journal  string    `json:"journal"`  // SHA-256 of the journal's records 1..Seq
	Balances string    `json:"balances"` // SHA-256 of the balances after Seq
	At       time.Time `json:"at"`
}

// CheckReport is what Check did.
type CheckReport struct {
	// Full is set when every entry was decoded and the balances rebuilt
	// (no checkpoint yet, or the quick check failed and Verify named the
	// problem).
	Full bool
	// Since is the checkpoint the quick check started from; Checked the
	// entries decoded after it; Seq the journal's last entry.
	Since, Checked, Seq uint64
	Took                time.Duration
}

// Check proves the books are intact before money moves, fast on a large
// ledger: the journal's records up to the last checkpoint must hash as
// they did (any change to a past entry, however small, fails this without
// decoding it), every entry after it must decode and balance, its key
// index must point at it, and the stored balances less what those later
// entries posted must hash to the checkpoint's balances. When all holds,
// the checkpoint moves to the journal's end (a store opened read-only
// leaves it). Without a checkpoint the first Check verifies in full.
//
// When the quick check fails, Check runs Verify to name the entry or the
// balance at fault and returns its *VerifyError (wrapping ErrCorrupt); a
// page bbolt cannot read is an ErrCorrupt naming the file.
func (s *Store) Check(ctx context.Context) (CheckReport, error) {
	start := s.wall.Now()
	var rep CheckReport
	var cp Checkpoint
	var quick error
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		cp, rep, quick, err = quickCheck(ctx, tx)
		return err
	})
	if err != nil {
		return rep, err
	}
	if quick != nil {
		rep.Full = true
		if err := s.Verify(ctx); err != nil {
			return rep, err
		}
		// Verify found nothing: the checkpoint itself was damaged or
		// from before a correction; a fresh one replaces it.
	}
	rep.Took = s.wall.Since(start)
	if s.readOnly {
		return rep, nil
	}
	cp.At = s.clock.Now().UTC()
	if err := s.putCheckpoint(ctx, cp); err != nil {
		return rep, fmt.Errorf("ledger: record the checkpoint: %w", err)
	}
	rep.Took = s.wall.Since(start)
	return rep, nil
}

// quickCheck checks tx against its checkpoint and returns the checkpoint
// of tx's end. quick reports why the books did not check (nil: they did);
// err is an error reading them.
func quickCheck(ctx context.Context, tx *bbolt.Tx) (next Checkpoint, rep CheckReport, quick error, err error) {
	var cp Checkpoint
	raw := tx.Bucket(bucketMeta).Get(metaCheckpoint)
	if raw == nil {
		rep.Full = true
	} else if err := json.Unmarshal(raw, &cp); err != nil {
		quick = fmt.Errorf("checkpoint unreadable: %v", err)
	}
	rep.Since = cp.Seq
	h := sha256.New()
	delta := map[balanceKey2]decimal.Decimal{}
	keys := tx.Bucket(bucketKeys)
	var n, last uint64
	err = tx.Bucket(bucketJournal).ForEach(func(k, v []byte) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		seq := binary.BigEndian.Uint64(k)
		if seq <= cp.Seq {
			hashRecord(h, k, v)
			if seq == cp.Seq && quick == nil && hex.EncodeToString(h.Sum(nil)) != cp.Journal {
				quick = fmt.Errorf("the journal up to entry %d no longer hashes as at its checkpoint", seq)
			}
			last = seq
			return nil
		}
		if last < cp.Seq && quick == nil {
			quick = fmt.Errorf("the journal ends at %d, before its checkpoint %d", last, cp.Seq)
		}
		hashRecord(h, k, v)
		last = seq
		rep.Checked++
		if quick != nil {
			return nil
		}
		e, err := decodeEntry(v) // includes the zero-sum check
		if err != nil {
			quick = fmt.Errorf("journal entry %d: %w", seq, err)
			return nil
		}
		if e.Seq != seq || string(keys.Get([]byte(e.Key))) != string(k) {
			quick = fmt.Errorf("journal entry %d (%s): sequence or key index broken", seq, e.Key)
			return nil
		}
		for _, p := range e.Postings {
			bk := balanceKey2{p.Account.name, p.Asset}
			delta[bk] = delta[bk].Add(p.Amount)
		}
		return nil
	})
	if err != nil {
		return Checkpoint{}, rep, nil, err
	}
	if last < cp.Seq && quick == nil {
		quick = fmt.Errorf("the journal ends at %d, before its checkpoint %d", last, cp.Seq)
	}
	if kn := keys.Stats().KeyN; uint64(kn) != n && quick == nil {
		quick = fmt.Errorf("key index has %d keys, journal %d entries", kn, n)
	}
	stored, err := storedBalances(tx)
	if err != nil {
		quick = errors.Join(quick, err)
	}
	rep.Seq = last
	if quick == nil && raw != nil {
		if got := balancesDigest(stored, delta); got != cp.Balances {
			quick = errors.New("the stored balances are not the checkpoint's plus the entries since")
		}
	}
	next = Checkpoint{Seq: last, Journal: hex.EncodeToString(h.Sum(nil)), Balances: balancesDigest(stored, nil)}
	if raw == nil && quick == nil {
		quick = errors.New("no checkpoint yet")
	}
	return next, rep, quick, nil
}

type balanceKey2 struct {
	account string
	asset   market.Asset
}

// hashRecord adds one journal record to h: its key, its length, its bytes.
func hashRecord(h hash.Hash, k, v []byte) {
	var n [binary.MaxVarintLen64]byte
	h.Write(k)
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	h.Write(v)
}

// balancesDigest hashes stored less minus, sorted, zeros left out.
func balancesDigest(stored []Balance, minus map[balanceKey2]decimal.Decimal) string {
	m := make(map[balanceKey2]decimal.Decimal, len(stored))
	for _, b := range stored {
		m[balanceKey2{b.Account.name, b.Asset}] = b.Amount
	}
	for k, d := range minus {
		m[k] = m[k].Sub(d)
	}
	keys := make([]balanceKey2, 0, len(m))
	for k, v := range m {
		if !v.IsZero() {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].account < keys[j].account || keys[i].account == keys[j].account && keys[i].asset < keys[j].asset
	})
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", k.account, k.asset, m[k].String())
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Store) putCheckpoint(ctx context.Context, cp Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		// Another write may have moved the journal on since the check: the
		// checkpoint only covers what was checked, so it is kept if the
		// journal is still there.
		if tx.Bucket(bucketJournal).Sequence() != cp.Seq {
			return nil
		}
		return meta.Put(metaCheckpoint, b)
	})
}

// metaProbe is the key Probe writes.
var metaProbe = []byte("probe")

// Probe makes one small durable write (the time, in the meta bucket), to
// learn whether the file can be written again after a write error.
func (s *Store) Probe(ctx context.Context) error {
	now := []byte(s.clock.Now().UTC().Format(time.RFC3339Nano))
	return s.write(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaProbe, now)
	})
}

// checkPages reads the header of every page of every bucket (bbolt's
// Bucket.Stats walks them; bbolt checks each header's id and type as it
// reads it), so that a damaged branch or leaf page is found at Open and
// not by whichever read first reaches it, perhaps once trading has begun.
// It does not decode records: Check and Verify do. The caller's goroutine
// must have SetPanicOnFault set, as Open's has.
func checkPages(db *bbolt.DB) error {
	var bucket []byte
	err := db.View(func(tx *bbolt.Tx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: bucket %s has an unreadable page (%s); restore the file from a backup", ErrCorrupt, bucket, damage(r))
			}
		}()
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			bucket = name
			b.Stats()
			return nil
		})
	})
	return err
}

// damage says what bbolt reported when it could not read a page: the
// value of a recovered panic, without the words of a crash ("panic:",
// "runtime error:"), which would send an operator looking for a bug in
// the engine when the file is what needs restoring.
func damage(r any) string {
	s := fmt.Sprint(r)
	for _, p := range []string{"panic: ", "runtime error: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// recordProblems decodes every record outside the journal and the
// balances (which rebuild checks): intents, inbox events, reconciliation
// reports and counters. Each that does not decode is a problem naming its
// key; the engine would refuse it at the start-up read that reaches it.
func recordProblems(ctx context.Context, tx *bbolt.Tx) ([]string, error) {
	var problems []string
	check := func(bucket []byte, decode func(v []byte) error) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil // reports: created by the first report
		}
		n := 0
		return b.ForEach(func(k, v []byte) error {
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := decode(v); err != nil {
				problems = append(problems, fmt.Sprintf("%s %q: %v", bucket, k, err))
			}
			return nil
		})
	}
	for _, c := range []struct {
		bucket []byte
		decode func(v []byte) error
	}{
		{bucketIntents, func(v []byte) error { _, err := decodeIntent(v); return err }},
		{bucketInbox, func(v []byte) error { _, err := decodeEvent(v); return err }},
		{bucketReports, func(v []byte) error { _, err := decodeReport(v); return err }},
		{bucketCounters, func(v []byte) error { _, err := parseAmount(v); return err }},
	} {
		if err := check(c.bucket, c.decode); err != nil {
			return nil, err
		}
	}
	return problems, nil
}
