package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"time"

	"go.etcd.io/bbolt"
)

// Source names where an inbound event came from.
type Source string

// Event sources.
const (
	SourceHercleWebhook        Source = "hercle.webhook"
	SourceHercleHub            Source = "hercle.hub"
	SourceHeropaymentsCallback Source = "heropayments.callback"
)

// Event is an inbound event stored in the inbox before its sender is
// acknowledged. Source and ID together are the key.
type Event struct {
	Source Source
	ID     string // the sender's event id (webhook EventId, callback id)
	Type   string // the sender's event type, for listing
	// Body is the raw bytes exactly as received, so a signature can be
	// checked again and the event re-applied after a crash.
	Body []byte
	// Meta holds what the processor needs besides the body (signature
	// timestamp, content type); never a secret.
	Meta       map[string]string
	Received   time.Time // set by PutEvent
	Processed  time.Time // zero until MarkProcessed
	Deliveries int       // times the sender delivered it; above 1 for duplicates
}

const maxEventBody = 1 << 20

// PutEvent stores ev durably and returns it with duplicate false; only then
// may the sender be acknowledged. If (Source, ID) is already stored it
// returns the stored event with duplicate true and Deliveries counted up;
// the stored body is not changed (compare ev.Body with the returned Body to
// detect a sender reusing an id).
func (s *Store) PutEvent(ctx context.Context, ev Event) (Event, bool, error) {
	if !validSource(ev.Source) || ev.ID == "" || len(ev.ID) > maxRefLen || !printable(ev.ID) {
		return Event{}, false, fmt.Errorf("%w: event needs a source and a printable id up to %d bytes", ErrInvalidEntry, maxRefLen)
	}
	if len(ev.Body) > maxEventBody || len(ev.Type) > maxRefLen || len(ev.Meta) > maxRefs {
		return Event{}, false, fmt.Errorf("%w: event %s/%s: body, type or meta too large", ErrInvalidEntry, ev.Source, ev.ID)
	}
	ev.Body, ev.Meta = bytes.Clone(ev.Body), maps.Clone(ev.Meta)
	ev.Received, ev.Processed, ev.Deliveries = s.clock.Now().UTC(), time.Time{}, 1
	var (
		out Event
		dup bool
	)
	err := s.write(ctx, func(tx *bbolt.Tx) error {
		out, dup = Event{}, false
		k := eventKey(ev.Source, ev.ID)
		b := tx.Bucket(bucketInbox)
		if v := b.Get(k); v != nil {
			old, err := decodeEvent(v)
			if err != nil {
				return err
			}
			old.Deliveries++
			if err := s.putEvent(tx, old); err != nil {
				return err
			}
			out, dup = old, true
			return nil
		}
		if err := s.putEvent(tx, ev); err != nil {
			return err
		}
		out = ev
		return nil
	})
	if err != nil { // the write may still commit and set out: do not read it
		return Event{}, false, err
	}
	return out, dup, nil
}

// MarkProcessed records that the event has been applied. Marking an event
// already processed is a no-op; an unknown event returns ErrNotFound.
func (s *Store) MarkProcessed(ctx context.Context, src Source, id string) error {
	return s.write(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketInbox).Get(eventKey(src, id))
		if v == nil {
			return reject(fmt.Errorf("event %s/%s: %w", src, id, ErrNotFound))
		}
		ev, err := decodeEvent(v)
		if err != nil {
			return err
		}
		if !ev.Processed.IsZero() {
			return nil
		}
		ev.Processed = s.clock.Now().UTC()
		return s.putEvent(tx, ev)
	})
}

// GetEvent returns a stored event, or ErrNotFound.
func (s *Store) GetEvent(ctx context.Context, src Source, id string) (Event, error) {
	var ev Event
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketInbox).Get(eventKey(src, id))
		if v == nil {
			return fmt.Errorf("event %s/%s: %w", src, id, ErrNotFound)
		}
		var err error
		ev, err = decodeEvent(v)
		return err
	})
	return ev, err
}

// Unprocessed returns every stored event not yet marked processed, in key
// order. The processor applies them at start-up.
func (s *Store) Unprocessed(ctx context.Context) ([]Event, error) {
	var out []Event
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		all := tx.Bucket(bucketInbox)
		return tx.Bucket(bucketInboxPending).ForEach(func(k, _ []byte) error {
			v := all.Get(k)
			if v == nil {
				return fmt.Errorf("%w: pending-event index names %q, which is missing", ErrCorrupt, k)
			}
			ev, err := decodeEvent(v)
			if err != nil {
				return s.damagedEvent(k, err)
			}
			out = append(out, ev)
			return nil
		})
	})
	return out, err
}

// Events calls fn for every stored event of src, processed or not, in key
// order, inside one read transaction (a consistent snapshot). Processed
// events stay in the inbox, so a consumer can rebuild state derived from
// them (a registry of payees, the latest balance snapshot) at start-up. An
// error from fn stops the walk and is returned. fn must not write to the
// store.
func (s *Store) Events(ctx context.Context, src Source, fn func(Event) error) error {
	prefix := append([]byte(src), 0)
	return s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketInbox).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			ev, err := decodeEvent(v)
			if err != nil {
				return s.damagedEvent(k, err)
			}
			if err := fn(ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// damagedEvent names the file and the event whose record at key k did not
// decode: a scan at start-up reports it to an operator.
func (s *Store) damagedEvent(k []byte, err error) error {
	src, id, _ := bytes.Cut(k, []byte{0})
	return fmt.Errorf("ledger %s: inbox event %s/%q: %w", s.path, src, id, err)
}

func eventKey(src Source, id string) []byte {
	return append(append([]byte(src), 0), id...)
}

// validSource: lower case [a-z0-9._-], 1-64 bytes, a letter first.
func validSource(s Source) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Inbox event record, version 1 (schema 2; layout as for entries, see
// codec.go):
//
//	byte 1 | str source | str id | str type | str body |
//	uvarint n, n × (str name, str value) meta, sorted by name |
//	time received | time processed (the zero time when unprocessed) |
//	uvarint deliveries
//
// Schema 1 stored events as JSON (eventRecord); decodeEvent still reads
// those, so a file opened read-only by this engine works unmigrated.
const eventRecordV1 = 1

func encodeEvent(ev Event) []byte {
	b := make([]byte, 0, 64+len(ev.Source)+len(ev.ID)+len(ev.Type)+len(ev.Body))
	b = append(b, eventRecordV1)
	b = appendStr(b, string(ev.Source))
	b = appendStr(b, ev.ID)
	b = appendStr(b, ev.Type)
	b = appendStr(b, string(ev.Body))
	b = appendRefs(b, ev.Meta)
	b = appendTime(b, ev.Received)
	b = appendTime(b, ev.Processed)
	return binary.AppendUvarint(b, uint64(ev.Deliveries))
}

func (s *Store) putEvent(tx *bbolt.Tx, ev Event) error {
	k := eventKey(ev.Source, ev.ID)
	if err := s.put(tx, bucketInbox, k, encodeEvent(ev)); err != nil {
		return err
	}
	if ev.Processed.IsZero() {
		return s.put(tx, bucketInboxPending, k, nil)
	}
	return s.del(tx, bucketInboxPending, k)
}

// decodeEvent decodes a stored event record of either version.
func decodeEvent(b []byte) (Event, error) {
	if len(b) > 0 && b[0] == '{' {
		return decodeEventJSON(b)
	}
	if len(b) == 0 || b[0] != eventRecordV1 {
		return Event{}, fmt.Errorf("%w: event record version %v", ErrCorrupt, b[:min(len(b), 1)])
	}
	r := &reader{b: b[1:]}
	ev := Event{Source: Source(r.str("source")), ID: r.str("id"), Type: r.str("type"), Body: r.bytes("body", maxEventBody)}
	ev.Meta = r.refs("meta")
	ev.Received, ev.Processed = r.time("received"), r.time("processed")
	deliveries := r.uvarint("deliveries")
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the record", len(r.b))
	}
	if r.err != nil {
		return Event{}, fmt.Errorf("%w: event: %w", ErrCorrupt, r.err)
	}
	if !validSource(ev.Source) || ev.ID == "" || deliveries < 1 || deliveries > math.MaxInt32 {
		return Event{}, fmt.Errorf("%w: event %q: missing source, id or delivery count", ErrCorrupt, ev.ID)
	}
	ev.Deliveries = int(deliveries)
	return ev, nil
}

// eventRecord is the schema 1 (JSON) form of an inbox event.
type eventRecord struct {
	Source     Source            `json:"source"`
	ID         string            `json:"id"`
	Type       string            `json:"type,omitempty"`
	Body       []byte            `json:"body"`
	Meta       map[string]string `json:"meta,omitempty"`
	Received   time.Time         `json:"received"`
	Processed  time.Time         `json:"processed"`
	Deliveries int               `json:"deliveries"`
}

func decodeEventJSON(b []byte) (Event, error) {
	var r eventRecord
	if err := strictUnmarshal(b, &r); err != nil {
		return Event{}, fmt.Errorf("%w: event: %w", ErrCorrupt, err)
	}
	if !validSource(r.Source) || r.ID == "" || r.Deliveries < 1 || r.Deliveries > math.MaxInt32 {
		return Event{}, fmt.Errorf("%w: event %q: missing source, id or delivery count", ErrCorrupt, r.ID)
	}
	if len(r.Body) > maxEventBody || len(r.Meta) > maxRefs {
		return Event{}, fmt.Errorf("%w: event %q: body or meta too large", ErrCorrupt, r.ID)
	}
	return Event(r), nil
}
