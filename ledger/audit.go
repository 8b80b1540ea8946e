package ledger

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"go.etcd.io/bbolt"
)

// The audit trail of operator actions is kept in its own bucket, created
// by the first PutAudit, as the reports are: files written before it
// existed open unchanged, and a read-only store over such a file has an
// empty trail.
var bucketAudit = []byte("audit") // id (8 bytes BE) -> audit record (JSON)

// Bounds of an audit record's fields, in bytes.
const (
	maxAuditName   = 64
	maxAuditTarget = 256
	maxAuditDetail = 4096
)

// AuditRecord is one operator action: who did what, when, and how it
// ended. Records are append-only: never edited, never pruned. They hold
// no secret: the caller names the token, never writes it.
type AuditRecord struct {
	// ID is assigned by PutAudit: 1 for the first record, increasing.
	ID uint64 `json:"id"`
	// Time is when the action was taken; PutAudit sets the store clock
	// if zero.
	Time time.Time `json:"time"`
	// Who names the credential that asked ("admin", the token's name).
	Who string `json:"who"`
	// Action names the verb ("pause", "order", "strategy.disable").
	Action string `json:"action"`
	// Target is what it acted on (a strategy, a policy, a Client-Id);
	// empty when the action has none.
	Target string `json:"target,omitempty"`
	// Detail is what was asked (the request's parameters) and what came
	// of it beyond Result (a Client-Id, a count), short.
	Detail string `json:"detail,omitempty"`
	// Result is "ok", or why the action was refused or failed.
	Result string `json:"result"`
}

func (r AuditRecord) validate() error {
	switch {
	case r.Who == "" || len(r.Who) > maxAuditName:
		return fmt.Errorf("%w: audit record needs who, at most %d bytes", ErrInvalidEntry, maxAuditName)
	case r.Action == "" || len(r.Action) > maxAuditName:
		return fmt.Errorf("%w: audit record needs an action, at most %d bytes", ErrInvalidEntry, maxAuditName)
	case len(r.Target) > maxAuditTarget:
		return fmt.Errorf("%w: audit target of %d bytes exceeds %d", ErrInvalidEntry, len(r.Target), maxAuditTarget)
	case len(r.Detail) > maxAuditDetail || len(r.Result) > maxAuditDetail:
		return fmt.Errorf("%w: audit detail or result exceeds %d bytes", ErrInvalidEntry, maxAuditDetail)
	case r.Result == "":
		return fmt.Errorf("%w: audit record needs a result", ErrInvalidEntry)
	}
	for _, s := range []string{r.Who, r.Action, r.Target, r.Detail, r.Result} {
		if !utf8.ValidString(s) {
			return fmt.Errorf("%w: audit record with invalid UTF-8", ErrInvalidEntry)
		}
	}
	if y := r.Time.Year(); !r.Time.IsZero() && (y < 1 || y > 9999) {
		return fmt.Errorf("%w: audit time outside years 1 to 9999", ErrInvalidEntry)
	}
	return nil
}

// PutAudit appends r to the audit trail under the next ID and returns it
// with ID (and Time, if zero) set, once durable. An invalid record (no
// who, action or result; a field over its bound; invalid UTF-8) is
// refused with ErrInvalidEntry and nothing is written.
func (s *Store) PutAudit(ctx context.Context, r AuditRecord) (AuditRecord, error) {
	if err := r.validate(); err != nil {
		return AuditRecord{}, err
	}
	if r.Time.IsZero() {
		r.Time = s.clock.Now()
	}
	r.Time = r.Time.UTC()
	var out AuditRecord
	err := s.write(ctx, func(tx *bbolt.Tx) error {
		out = AuditRecord{}
		if _, err := tx.CreateBucketIfNotExists(bucketAudit); err != nil {
			return err
		}
		id, err := s.nextSeq(tx, bucketAudit) // replicated, as every record of the books
		if err != nil {
			return err
		}
		nr := r
		nr.ID = id
		rec, err := json.Marshal(nr)
		if err != nil {
			return err
		}
		if err := s.put(tx, bucketAudit, seqKey(id), rec); err != nil {
			return err
		}
		out = nr
		return nil
	})
	if err != nil { // the write may still commit and set out: do not read it
		return AuditRecord{}, err
	}
	return out, nil
}

// AuditFilter selects audit records. The zero value selects all.
type AuditFilter struct {
	Since, Until time.Time // Time in [Since, Until); zero: unbounded
	Action       string    // exact; empty: any
	// Limit keeps only the newest Limit records selected; zero: all.
	Limit int
}

// Audit returns the audit records f selects, oldest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	var out []AuditRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var r AuditRecord
			if err := strictUnmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: audit record %x: %w", ErrCorrupt, k, err)
			}
			if len(k) != 8 || binary.BigEndian.Uint64(k) != r.ID {
				return fmt.Errorf("%w: audit key %x holds record %d", ErrCorrupt, k, r.ID)
			}
			if !f.Until.IsZero() && !r.Time.Before(f.Until) {
				continue
			}
			if !f.Since.IsZero() && r.Time.Before(f.Since) {
				continue
			}
			if f.Action != "" && r.Action != f.Action {
				continue
			}
			out = append(out, r)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}
