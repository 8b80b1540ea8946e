package backtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/otcdesk/engine/feeds"
)

// FeedError is a recording that cannot be replayed. It names the file and,
// when the problem is on one line, the line (the header is line 1).
type FeedError struct {
	File string
	Line int // 0 when no line is involved (the file cannot be opened)
	Msg  string
	Err  error // underlying cause, if any (feeds.ErrFormat, io.ErrUnexpectedEOF, ...)
}

// Error names the file, the line if any, and the problem.
func (e *FeedError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("backtest: %s line %d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("backtest: %s: %s", e.File, e.Msg)
}

// Unwrap returns the underlying cause.
func (e *FeedError) Unwrap() error { return e.Err }

// feed is one recording being read, with the tick at its head.
type feed struct {
	path  string
	file  *os.File
	count countingReader
	gz    *inflater // nil for a plain recording
	r     *feeds.Reader
	size  int64
	head  feeds.Update
	ok    bool // head holds the next tick
	// received is the latest receive time read so far.
	received time.Time
	done     bool
}

// openFeed opens path and reads its header: a file of another format or
// version fails here, before anything is replayed.
func openFeed(path string) (*feed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FeedError{File: path, Msg: "cannot open the recording: " + errText(err), Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &FeedError{File: path, Msg: errText(err), Err: err}
	}
	fd := &feed{path: path, file: f, size: fi.Size()}
	fd.count.r = f
	src, gz, err := gunzipper(bufio.NewReaderSize(&fd.count, inflateChunk))
	if err != nil {
		f.Close()
		return nil, &FeedError{File: path, Line: 1, Msg: "not a readable gzip file: " + errText(err), Err: err}
	}
	fd.gz = gz
	r, err := feeds.NewReader(src)
	if err != nil {
		fd.close()
		msg := strings.TrimPrefix(err.Error(), "feeds: ")
		if errors.Is(err, feeds.ErrFormat) {
			msg += "; record with `engine record` or convert the file to " + feeds.Format
		}
		return nil, &FeedError{File: path, Line: 1, Msg: msg, Err: err}
	}
	fd.r = r
	return fd, nil
}

// advance reads the next tick into head.
func (f *feed) advance() error {
	f.ok = false
	ok, err := f.read(&f.head)
	f.ok = ok && err == nil
	return err
}

// read decodes the next tick into u, in place: false at the end of the
// file. After an error u holds nothing of use.
func (f *feed) read(u *feeds.Update) (bool, error) {
	if f.done {
		return false, nil
	}
	err := f.r.NextInto(u)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		f.done = true
		return false, nil
	case errors.Is(err, io.ErrUnexpectedEOF):
		return false, &FeedError{File: f.path, Line: f.r.Line() + 1, Err: err,
			Msg: "the recording ends in the middle of a line or of its gzip stream (truncated: was the recorder killed, or the copy cut short?)"}
	case errors.Is(err, feeds.ErrNotTick):
		return false, &FeedError{File: f.path, Line: f.r.Line(), Err: err, Msg: "not a tick: the line is corrupt or from another program"}
	default:
		return false, &FeedError{File: f.path, Line: f.r.Line() + 1, Err: err, Msg: "cannot read: " + errText(err)}
	}
	if u.Tick.Received.IsZero() {
		return false, &FeedError{File: f.path, Line: f.r.Line(), Msg: "the tick has no received time"}
	}
	// The recorder stamps receive times from the wall clock, which can be
	// set back; the loop that received the tick ran on a monotonic clock
	// and handled it after the one before. So it counts as received with
	// that one: the replay's time, the merge and the range never go back.
	if u.Tick.Received.Before(f.received) {
		u.Tick.Received = f.received
	}
	f.received = u.Tick.Received
	return true, nil
}

func (f *feed) close() {
	if f.gz != nil {
		f.gz.close()
	}
	f.file.Close()
}

// errText is err's text without the package prefixes Go adds.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// source merges recordings by receive time (ties in the order the files
// were given) and keeps only ticks received in [from, to). It reads each
// file as a stream, so memory does not depend on the recordings' length.
type source struct {
	feeds    []*feed
	from, to time.Time // zero: unbounded

	// first and last receive times seen, kept or not, for the error
	// about an empty range.
	first, last time.Time
	skipped     int64
	gaps        int64
}

func openSource(paths []string, from, to time.Time) (*source, error) {
	s := &source{from: from, to: to}
	for _, p := range paths {
		f, err := openFeed(p)
		if err != nil {
			s.close()
			return nil, err
		}
		s.feeds = append(s.feeds, f)
	}
	for _, f := range s.feeds {
		if err := s.fill(f); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

// fill advances f to its next tick inside the range, or to its end.
func (s *source) fill(f *feed) error {
	for {
		if err := f.advance(); err != nil || !f.ok {
			return err
		}
		switch s.place(f.head.Tick.Received) {
		case afterRange:
			f.ok, f.done = false, true
			return nil
		case beforeRange:
			continue
		}
		return nil
	}
}

// Where a tick falls against a source's range.
const (
	inRange = iota
	beforeRange
	afterRange
)

// place notes the receive time of a tick read and says where it falls in
// [from, to): after it, nothing later of the file is wanted, as
// recordings are in receive order.
func (s *source) place(at time.Time) int {
	if s.first.IsZero() || at.Before(s.first) {
		s.first = at
	}
	if at.After(s.last) {
		s.last = at
	}
	if !s.to.IsZero() && !at.Before(s.to) {
		return afterRange
	}
	if !s.from.IsZero() && at.Before(s.from) {
		s.skipped++
		return beforeRange
	}
	return inRange
}

// next returns the earliest tick of all files, and false after the last.
func (s *source) next() (feeds.Update, bool, error) {
	var best *feed
	for _, f := range s.feeds {
		if f.ok && (best == nil || f.head.Tick.Received.Before(best.head.Tick.Received)) {
			best = f
		}
	}
	if best == nil {
		return feeds.Update{}, false, nil
	}
	u := best.head
	if u.Gap {
		s.gaps++
	}
	return u, true, s.fill(best)
}

// progress returns the bytes read and the total size of the files.
func (s *source) progress() (read, total int64) {
	for _, f := range s.feeds {
		read += f.count.n.Load()
		total += f.size
	}
	return read, total
}

func (s *source) close() {
	for _, f := range s.feeds {
		f.close()
	}
}

// Ticks are handed from the reading goroutine to the replay in batches, so
// the hand-off costs nothing per tick; a few batches in flight bound the
// memory whatever the recordings' length.
const (
	batchSize    = 1024
	batchesAhead = 4
)

// batch is a run of ticks in replay order. err, if set, ends the stream
// after the batch's ticks; the last batch has last set.
type batch struct {
	ups         []feeds.Update
	err         error
	last        bool
	read, total int64 // bytes read of the recordings, for progress
}

// stream reads the source on its own goroutine: decoding (and gunzipping)
// overlaps the replay, on another core when there is one. next returns the
// batches in order; stop ends the goroutine and waits for it, after which
// the source's counters may be read. The source must not be used
// otherwise until stop has returned.
type stream struct {
	out  chan *batch
	free chan *batch
	stop func()
}

func (s *source) stream(ctx context.Context) *stream {
	ctx, cancel := context.WithCancel(ctx)
	st := &stream{out: make(chan *batch, batchesAhead), free: make(chan *batch, batchesAhead)}
	for range batchesAhead {
		// One more than batchSize: fillOne decodes the tick after a
		// batch's last into it before carrying it over.
		st.free <- &batch{ups: make([]feeds.Update, 0, batchSize+1)}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(st.out)
		for {
			var b *batch
			select {
			case b = <-st.free:
			case <-ctx.Done():
				return
			}
			s.fillBatch(b)
			b.read, b.total = s.progress()
			select {
			case st.out <- b:
			case <-ctx.Done():
				return
			}
			if b.last {
				return
			}
		}
	}()
	st.stop = func() {
		cancel()
		<-done
	}
	return st
}

// fillBatch fills b with the next batchSize ticks in replay order, fewer
// in the last batch.
func (s *source) fillBatch(b *batch) {
	b.ups, b.err, b.last = b.ups[:0], nil, false
	if len(s.feeds) == 1 {
		s.fillOne(b)
		return
	}
	for len(b.ups) < batchSize {
		u, ok, err := s.next()
		if err != nil || !ok {
			b.err, b.last = err, true
			return
		}
		b.ups = append(b.ups, u)
	}
}

// fillOne is fillBatch for a single recording, which needs no merge: it
// decodes each tick straight into the batch instead of into the feed's
// head and copying it from there. It still reads one tick ahead as next
// does, so that a tick is handed over at the same point (its gap counted,
// and dropped when the line after it fails): the batch's last slot is
// that tick, carried over in the feed's head when the batch is full.
func (s *source) fillOne(b *batch) {
	f := s.feeds[0]
	if !f.ok {
		b.last = true
		return
	}
	b.ups = append(b.ups, f.head)
	for {
		n := len(b.ups)
		if n > batchSize {
			f.head = b.ups[n-1]
			b.ups = b.ups[:n-1]
			return
		}
		if b.ups[n-1].Gap {
			s.gaps++
		}
		b.ups = b.ups[:n+1]
		ok, err := s.readOne(f, &b.ups[n])
		if err != nil || !ok {
			f.ok = false
			b.ups, b.err, b.last = b.ups[:n], err, true
			if err != nil {
				b.ups = b.ups[:n-1]
			}
			return
		}
	}
}

// readOne reads f's next tick inside the range into u, as fill does into
// f's head: false at the end of the file or of the range.
func (s *source) readOne(f *feed, u *feeds.Update) (bool, error) {
	for {
		ok, err := f.read(u)
		if err != nil || !ok {
			return false, err
		}
		switch s.place(u.Tick.Received) {
		case afterRange:
			f.done = true
			return false, nil
		case beforeRange:
			continue
		}
		return true, nil
	}
}
