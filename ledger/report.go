package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Reconciliation reports are kept in their own bucket, created by the first
// PutReport: files written before reports existed open unchanged, and a
// read-only store over such a file simply has no reports. The bucket is
// not one of the schema's required buckets for the same reason.
var bucketReports = []byte("reports") // id (8 bytes BE) -> report record

// MaxReportBody bounds a stored report's body. The reconciler keeps its
// reports well under it by listing matched records as counts only.
const MaxReportBody = 16 << 20

// Report is a stored reconciliation report: the summary the store can
// query, and the report itself as opaque JSON whose schema belongs to the
// package that writes it (reconcile). Reports are append-only like the
// journal, except that PutReport may prune the oldest.
type Report struct {
	// ID is assigned by PutReport: 1 for the first report, increasing.
	ID       uint64
	Started  time.Time // when the run began
	Finished time.Time // when it ended; not before Started
	// Breaks counts the findings that need attention; zero is a clean run.
	Breaks int
	// Body is the report as a JSON object.
	Body json.RawMessage
}

// Clean reports whether the run found no breaks.
func (r Report) Clean() bool { return r.Breaks == 0 }

func (r Report) validate() error {
	switch {
	case r.Started.IsZero() || r.Finished.IsZero():
		return fmt.Errorf("%w: report needs its start and finish times", ErrInvalidEntry)
	case r.Finished.Before(r.Started):
		return fmt.Errorf("%w: report finished (%s) before it started (%s)", ErrInvalidEntry, r.Finished.Format(time.RFC3339), r.Started.Format(time.RFC3339))
	case r.Breaks < 0:
		return fmt.Errorf("%w: report with %d breaks", ErrInvalidEntry, r.Breaks)
	case len(r.Body) > MaxReportBody:
		return fmt.Errorf("%w: report body of %d bytes exceeds %d", ErrInvalidEntry, len(r.Body), MaxReportBody)
	}
	b := bytes.TrimSpace(r.Body)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return fmt.Errorf("%w: report body must be a JSON object", ErrInvalidEntry)
	}
	return nil
}

// PutReport stores r under the next report ID and returns it with ID set,
// once durable. If keep is positive, the oldest reports beyond the newest
// keep are deleted in the same transaction. An invalid report (no times,
// finish before start, negative breaks, a body that is not a JSON object or
// is larger than MaxReportBody) is refused with ErrInvalidEntry and nothing
// is written.
func (s *Store) PutReport(ctx context.Context, r Report, keep int) (Report, error) {
	if err := r.validate(); err != nil {
		return Report{}, err
	}
	r.Started, r.Finished = r.Started.UTC(), r.Finished.UTC()
	r.Body = append(json.RawMessage(nil), bytes.TrimSpace(r.Body)...)
	var out Report
	err := s.write(ctx, func(tx *bbolt.Tx) error {
		out = Report{}
		b, err := tx.CreateBucketIfNotExists(bucketReports)
		if err != nil {
			return err
		}
		id, err := s.nextSeq(tx, bucketReports)
		if err != nil {
			return err
		}
		nr := r
		nr.ID = id
		rec, err := encodeReport(nr)
		if err != nil {
			return err
		}
		if err := s.put(tx, bucketReports, seqKey(id), rec); err != nil {
			return err
		}
		if keep > 0 && id > uint64(keep) {
			// Delete every report up to id-keep; ids are dense, so the
			// cursor stops at the first kept one.
			limit := seqKey(id - uint64(keep))
			var old [][]byte
			c := b.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, limit) <= 0; k, _ = c.Next() {
				old = append(old, bytes.Clone(k))
			}
			for _, k := range old {
				if err := s.del(tx, bucketReports, k); err != nil {
					return err
				}
			}
		}
		out = nr
		return nil
	})
	if err != nil { // the write may still commit and set out: do not read it
		return Report{}, err
	}
	return out, nil
}

// LastReport returns the newest stored report, or ErrNotFound if there is
// none.
func (s *Store) LastReport(ctx context.Context) (Report, error) {
	var out Report
	found := false
	err := s.eachReport(ctx, func(r Report) bool {
		out, found = r, true
		return false
	})
	if err == nil && !found {
		err = fmt.Errorf("report: %w", ErrNotFound)
	}
	return out, err
}

// LastCleanReport returns the newest stored report without breaks, or
// ErrNotFound if no stored report is clean.
func (s *Store) LastCleanReport(ctx context.Context) (Report, error) {
	var out Report
	found := false
	err := s.eachReport(ctx, func(r Report) bool {
		if r.Clean() {
			out, found = r, true
			return false
		}
		return true
	})
	if err == nil && !found {
		err = fmt.Errorf("clean report: %w", ErrNotFound)
	}
	return out, err
}

// Reports returns up to limit reports, newest first (every report if limit
// is not positive).
func (s *Store) Reports(ctx context.Context, limit int) ([]Report, error) {
	var out []Report
	err := s.eachReport(ctx, func(r Report) bool {
		out = append(out, r)
		return limit <= 0 || len(out) < limit
	})
	return out, err
}

// eachReport calls fn for each report, newest first, until fn returns false.
func (s *Store) eachReport(ctx context.Context, fn func(Report) bool) error {
	return s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketReports)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		n := 0
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if n++; n%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			r, err := decodeReport(v)
			if err != nil {
				return fmt.Errorf("report %x: %w", k, err)
			}
			if len(k) != 8 || binary.BigEndian.Uint64(k) != r.ID {
				return fmt.Errorf("%w: report key %x holds report %d", ErrCorrupt, k, r.ID)
			}
			if !fn(r) {
				return nil
			}
		}
		return nil
	})
}

// reportRecord is the stored form of a Report.
type reportRecord struct {
	ID       uint64          `json:"id"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Breaks   int             `json:"breaks"`
	Body     json.RawMessage `json:"body"`
}

func encodeReport(r Report) ([]byte, error) { return json.Marshal(reportRecord(r)) }

// decodeReport decodes and validates a stored report record; the body is
// copied, so nothing refers to bbolt's memory afterwards.
func decodeReport(b []byte) (Report, error) {
	var rec reportRecord
	if err := strictUnmarshal(b, &rec); err != nil {
		return Report{}, fmt.Errorf("%w: report: %w", ErrCorrupt, err)
	}
	r := Report(rec)
	if r.ID == 0 {
		return Report{}, fmt.Errorf("%w: report without an id", ErrCorrupt)
	}
	if err := r.validate(); err != nil {
		return Report{}, fmt.Errorf("%w: report %d: %w", ErrCorrupt, r.ID, err)
	}
	r.Body = append(json.RawMessage(nil), rec.Body...)
	return r, nil
}
