package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/otcdesk/engine/hercle"
)

// Format names the tick file format and its version; it is the header
// line's "format". A reader refuses other formats.
const Format = "otcdesk-ticks/1"

// A tick file is NDJSON: one header object, then one object per tick:
//
//	{"format":"otcdesk-ticks/1","venue":"hercle","pairs":["BTCUSDT"],"started":"2026-01-02T15:04:05Z"}
//	{"pair":"BTCUSDT","size":0.01,"buyPrice":26798.5,"sellPrice":26790.5,"time":"…","received":"…"}
//	{"pair":"BTCUSDT","size":0.01,"buyPrice":26801,"sellPrice":26793,"time":"…","received":"…","gap":true}
//
// Prices and sizes are JSON numbers written from the decimals' text. A file
// name ending in .gz is gzip-compressed.

// Header is a tick file's first line.
type Header struct {
	Format  string    `json:"format"`
	Venue   string    `json:"venue,omitempty"`
	Pairs   []string  `json:"pairs,omitempty"`
	Started time.Time `json:"started"`
}

// tickLine is one tick on disk.
type tickLine struct {
	Pair      string        `json:"pair"`
	Size      hercle.Number `json:"size"`
	BuyPrice  hercle.Number `json:"buyPrice"`
	SellPrice hercle.Number `json:"sellPrice"`
	Time      time.Time     `json:"time"`
	Received  time.Time     `json:"received"`
	Gap       bool          `json:"gap,omitempty"`
}

// ErrFormat is returned by a Reader for a file that is not a tick file of
// this format.
var ErrFormat = errors.New("feeds: not an " + Format + " tick file")

// ErrNotTick is wrapped by the error a Reader returns for a line that does
// not decode as a tick; the error names the line.
var ErrNotTick = errors.New("not a tick")

// Recorder writes a tick file. Write buffers; Flush makes everything
// written so far readable by a Reader even if the process is then killed
// (for gzip, a sync flush ends a deflate block; a Reader of a file without
// the gzip trailer reads every flushed tick and reports the truncation).
// Safe for concurrent use.
type Recorder struct {
	mu  sync.Mutex // guards everything below
	f   *os.File
	gz  *gzip.Writer // nil unless the name ends in .gz
	w   *bufio.Writer
	n   int
	err error // first write error; later calls return it
}

// CreateRecorder creates (truncating) path and writes the header. The
// header's Format is set to Format.
func CreateRecorder(path string, h Header) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("feeds: create %s: %w", path, err)
	}
	r := &Recorder{f: f}
	var w io.Writer = f
	if strings.HasSuffix(path, ".gz") {
		r.gz = gzip.NewWriter(f)
		w = r.gz
	}
	r.w = bufio.NewWriterSize(w, 64<<10)
	h.Format = Format
	if err := r.line(h); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := r.Flush(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}

func (r *Recorder) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("feeds: encode tick: %w", err)
	}
	b = append(b, '\n')
	if _, err := r.w.Write(b); err != nil {
		r.err = fmt.Errorf("feeds: write %s: %w", r.f.Name(), err)
		return r.err
	}
	return nil
}

// Write appends one tick.
func (r *Recorder) Write(u Update) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	t := u.Tick
	r.n++
	return r.line(tickLine{Pair: t.Pair, Size: hercle.N(t.Size), BuyPrice: hercle.N(t.BuyPrice),
		SellPrice: hercle.N(t.SellPrice), Time: t.Time.UTC(), Received: t.Received.UTC(), Gap: u.Gap})
}

// Count returns the number of ticks written.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Flush pushes buffered ticks to the file.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushLocked()
}

func (r *Recorder) flushLocked() error {
	if r.err != nil {
		return r.err
	}
	if err := r.w.Flush(); err != nil {
		r.err = fmt.Errorf("feeds: flush %s: %w", r.f.Name(), err)
		return r.err
	}
	if r.gz != nil {
		if err := r.gz.Flush(); err != nil {
			r.err = fmt.Errorf("feeds: flush %s: %w", r.f.Name(), err)
			return r.err
		}
	}
	return nil
}

// Close flushes, ends the gzip stream and closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.flushLocked()
	if r.gz != nil {
		if cerr := r.gz.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("feeds: close %s: %w", r.f.Name(), cerr)
		}
	}
	if cerr := r.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("feeds: close %s: %w", r.f.Name(), cerr)
	}
	return err
}

// MaxLine bounds a tick file's line length; a longer line is an error.
const MaxLine = 64 << 10

// Reader streams a tick file in constant memory, one tick per Next.
type Reader struct {
	Header Header

	br    *bufio.Reader
	gz    *gzip.Reader
	c     io.Closer
	line  int
	buf   []byte
	cache *lineCache // interned pair names, their last decimals, the last date
}

// OpenReader opens a tick file; gzip is detected from its magic bytes.
func OpenReader(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("feeds: open %s: %w", path, err)
	}
	r, err := NewReader(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("feeds: %s: %w", path, err)
	}
	r.c = f
	return r, nil
}

// NewReader reads a tick file from src (plain or gzip) and its header.
func NewReader(src io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	r := &Reader{br: br, cache: newLineCache()}
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		r.gz = gz
		r.br = bufio.NewReaderSize(gz, 64<<10)
	}
	b, err := r.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrFormat
		}
		return nil, err
	}
	if err := json.Unmarshal(b, &r.Header); err != nil {
		return nil, fmt.Errorf("%w (line 1 is not a tick file header)", ErrFormat)
	}
	if r.Header.Format != Format {
		return nil, fmt.Errorf("%w (its header says format %q)", ErrFormat, clipText(r.Header.Format))
	}
	return r, nil
}

// clipText bounds text from a file that goes into an error.
func clipText(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Line returns the number of the last line read, counting the header as
// line 1: after an error from Next, the line that failed is Line()+1 for a
// truncated file and Line() for a line that does not decode.
func (r *Reader) Line() int { return r.line }

// next returns the next complete line, valid until the next call. A last line without its newline (a
// recorder killed mid-write) is io.ErrUnexpectedEOF, as is a gzip stream
// without its trailer.
func (r *Reader) next() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) > MaxLine {
			return nil, fmt.Errorf("feeds: line %d longer than %d bytes", r.line+1, MaxLine)
		}
		if err == nil && len(r.buf) == 0 {
			// The whole line is in the reader's buffer: use it in place,
			// it is decoded before the next read.
			r.line++
			return bytes.TrimSpace(chunk), nil
		}
		r.buf = append(r.buf, chunk...)
		switch {
		case err == nil:
			r.line++
			return bytes.TrimSpace(r.buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(bytes.TrimSpace(r.buf)) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

// Next returns the next tick: io.EOF after the last one, io.ErrUnexpectedEOF
// if the file ends mid-line or mid-stream (every tick before it was
// returned), or an error naming the line that does not decode.
func (r *Reader) Next() (Update, error) {
	var u Update
	err := r.NextInto(&u)
	return u, err
}

// NextInto is Next decoding into *u, which saves copying the Update for
// a caller that keeps it in place (a backtest fills batches of them).
// After an error *u holds nothing of use.
func (r *Reader) NextInto(u *Update) error {
	for {
		b, err := r.next()
		if err != nil {
			return err
		}
		if len(b) == 0 {
			continue
		}
		if !decodeFast(b, r.cache, u) {
			var l tickLine
			if err := json.Unmarshal(b, &l); err != nil {
				return fmt.Errorf("feeds: line %d is %w", r.line, ErrNotTick)
			}
			*u = l.update()
		}
		if u.Tick.Pair == "" {
			return fmt.Errorf("feeds: line %d is %w", r.line, ErrNotTick)
		}
		return nil
	}
}

// Close closes the file opened by OpenReader.
func (r *Reader) Close() error {
	if r.gz != nil {
		_ = r.gz.Close()
	}
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}
