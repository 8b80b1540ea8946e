package ledger

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.etcd.io/bbolt"
)

// Replication: a store can feed a replicated log (see Replicator) and be
// fed from one (Apply). The log carries, for each write transaction, the
// exact records it put into or deleted from every bucket but meta (the
// journal, its key index, balances, intents, inbox, counters, reports):
// a node that applies the log in order holds byte for byte the records of
// the node that wrote it. Meta stays local: the checkpoint, the probe, the
// schema and the replication state itself.

// ErrDiverged: a transaction was appended to the replicated log and then
// could not commit locally; the store refuses further writes until it is
// opened again and catches up from the log.
var ErrDiverged = errors.New("ledger: the local file is behind the replicated log it appended to; restart to catch up")

// ErrReplicaOrder: an entry of the replicated log applied out of order.
var ErrReplicaOrder = errors.New("ledger: replicated log entry out of order")

// Replicator makes each write transaction's changes durable as the next
// entry of a replicated log before the transaction commits locally. Append
// returning an error rolls the transaction back: none of its writes
// happened, and they return that error. Append is called on the store's
// writer goroutine, one call at a time, and must bound its own wait.
type Replicator interface {
	Append(index uint64, delta []byte) error
}

// ReplicaState is where a store stands in a replicated log.
type ReplicaState struct {
	Log   string `json:"log"`   // the log's identity; "" before the store joins one
	Index uint64 `json:"index"` // the last entry applied or appended
}

var metaReplica = []byte("replica")

// change is one record put or deleted, or a bucket sequence set, by a
// write transaction.
type change struct {
	op     byte // 'p' put, 'd' delete, 's' sequence
	bucket []byte
	key    []byte
	value  []byte
	seq    uint64
}

func (s *Store) put(tx *bbolt.Tx, bucket, k, v []byte) error {
	if err := tx.Bucket(bucket).Put(k, v); err != nil {
		return err
	}
	s.delta = append(s.delta, change{op: 'p', bucket: bucket, key: bytes.Clone(k), value: bytes.Clone(v)})
	return nil
}

func (s *Store) del(tx *bbolt.Tx, bucket, k []byte) error {
	if err := tx.Bucket(bucket).Delete(k); err != nil {
		return err
	}
	s.delta = append(s.delta, change{op: 'd', bucket: bucket, key: bytes.Clone(k)})
	return nil
}

func (s *Store) nextSeq(tx *bbolt.Tx, bucket []byte) (uint64, error) {
	n, err := tx.Bucket(bucket).NextSequence()
	if err != nil {
		return 0, err
	}
	s.delta = append(s.delta, change{op: 's', bucket: bucket, seq: n})
	return n, nil
}

// SetReplicator makes every later write transaction that changes the
// books go through r first (nil: none). It is safe for concurrent use.
func (s *Store) SetReplicator(r Replicator) {
	s.repl.Store(&r)
}

func (s *Store) replicator() Replicator {
	if p := s.repl.Load(); p != nil {
		return *p
	}
	return nil
}

// appendDelta hands the transaction's changes to the replicator as the
// entry after the store's index, and moves the index on in the same
// transaction. It runs at the end of a write transaction, before commit.
func (s *Store) appendDelta(tx *bbolt.Tx) (appended bool, err error) {
	r := s.replicator()
	if r == nil || len(s.delta) == 0 {
		return false, nil
	}
	st, err := readReplica(tx)
	if err != nil {
		return false, err
	}
	st.Index++
	if err := r.Append(st.Index, encodeDelta(s.delta)); err != nil {
		return false, err
	}
	return true, putReplica(tx, st)
}

// Replica returns where the store stands in its replicated log.
func (s *Store) Replica(ctx context.Context) (ReplicaState, error) {
	var st ReplicaState
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		st, err = readReplica(tx)
		return err
	})
	return st, err
}

// JoinLog records that the store follows log from index (the log's entry
// its books equal), if it follows none yet; a store in another log is
// refused.
func (s *Store) JoinLog(ctx context.Context, log string, index uint64) error {
	return s.write(ctx, func(tx *bbolt.Tx) error {
		st, err := readReplica(tx)
		if err != nil {
			return err
		}
		switch {
		case st.Log == log:
			return nil
		case st.Log != "":
			return reject(fmt.Errorf("ledger: join log %s: the books follow log %s", log, st.Log))
		}
		return putReplica(tx, ReplicaState{Log: log, Index: index})
	})
}

// Apply applies entry index of the store's replicated log, which must be
// the one after the store's index (ErrReplicaOrder otherwise). It is not
// itself handed to the replicator. Balance watchers do not hear of it.
func (s *Store) Apply(ctx context.Context, index uint64, delta []byte) error {
	changes, err := decodeDelta(delta)
	if err != nil {
		return fmt.Errorf("ledger: apply log entry %d: %w", index, err)
	}
	return s.write(ctx, func(tx *bbolt.Tx) error {
		st, err := readReplica(tx)
		if err != nil {
			return err
		}
		if st.Log == "" || index != st.Index+1 {
			return reject(fmt.Errorf("%w: entry %d, the books are at %d of log %q", ErrReplicaOrder, index, st.Index, st.Log))
		}
		for _, c := range changes {
			b, err := tx.CreateBucketIfNotExists(c.bucket)
			if err != nil {
				return err
			}
			switch c.op {
			case 'p':
				err = b.Put(c.key, c.value)
			case 'd':
				err = b.Delete(c.key)
			case 's':
				err = b.SetSequence(c.seq)
			}
			if err != nil {
				return err
			}
		}
		st.Index = index
		return putReplica(tx, st)
	})
}

// Fingerprint hashes every record of the replicated buckets and their
// sequences: two stores with the same fingerprint hold the same books.
func (s *Store) Fingerprint(ctx context.Context) (string, error) {
	h := sha256.New()
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			if bytes.Equal(name, bucketMeta) {
				return nil
			}
			fmt.Fprintf(h, "bucket %q %d\n", name, b.Sequence())
			return b.ForEach(func(k, v []byte) error {
				hashRecord(h, k, v)
				return ctx.Err()
			})
		})
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func readReplica(tx *bbolt.Tx) (ReplicaState, error) {
	var st ReplicaState
	raw := tx.Bucket(bucketMeta).Get(metaReplica)
	if raw == nil {
		return st, nil
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("%w: replica state: %v", ErrCorrupt, err)
	}
	return st, nil
}

func putReplica(tx *bbolt.Tx, st ReplicaState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(metaReplica, b)
}

// encodeDelta writes changes as a compressed sequence of records.
func encodeDelta(changes []change) []byte {
	var raw []byte
	for _, c := range changes {
		raw = append(raw, c.op)
		raw = binary.AppendUvarint(raw, uint64(len(c.bucket)))
		raw = append(raw, c.bucket...)
		switch c.op {
		case 's':
			raw = binary.AppendUvarint(raw, c.seq)
		default:
			raw = binary.AppendUvarint(raw, uint64(len(c.key)))
			raw = append(raw, c.key...)
			raw = binary.AppendUvarint(raw, uint64(len(c.value)))
			raw = append(raw, c.value...)
		}
	}
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed) // only a bad level errs
	w.Write(raw)
	w.Close()
	return buf.Bytes()
}

// decodeDelta reads what encodeDelta wrote; anything else is an error.
func decodeDelta(b []byte) ([]change, error) {
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), 1<<30))
	if err != nil {
		return nil, fmt.Errorf("%w: delta: %v", ErrCorrupt, err)
	}
	var out []change
	bad := fmt.Errorf("%w: delta truncated", ErrCorrupt)
	field := func() ([]byte, bool) {
		n, k := binary.Uvarint(raw)
		if k <= 0 || uint64(len(raw)-k) < n {
			return nil, false
		}
		f := raw[k : k+int(n)]
		raw = raw[k+int(n):]
		return f, true
	}
	for len(raw) > 0 {
		c := change{op: raw[0]}
		raw = raw[1:]
		var ok bool
		if c.bucket, ok = field(); !ok || len(c.bucket) == 0 || bytes.Equal(c.bucket, bucketMeta) {
			return nil, bad
		}
		switch c.op {
		case 's':
			n, k := binary.Uvarint(raw)
			if k <= 0 {
				return nil, bad
			}
			c.seq, raw = n, raw[k:]
		case 'p', 'd':
			if c.key, ok = field(); !ok || len(c.key) == 0 {
				return nil, bad
			}
			if c.value, ok = field(); !ok {
				return nil, bad
			}
		default:
			return nil, bad
		}
		out = append(out, c)
	}
	return out, nil
}
