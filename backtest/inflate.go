package backtest

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"sync/atomic"
)

// A gzip recording is inflated on a goroutine of its own, ahead of the
// goroutine decoding its lines, so that the two overlap: inflating costs
// about as much as decoding. A few chunks in flight bound the memory.
const (
	inflateChunk  = 64 << 10
	inflateChunks = 4
)

// countingReader counts the bytes read through it; n may be read from
// another goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// inflater is an io.Reader of a gzip stream's content, inflated on its own
// goroutine. Read is for one goroutine; close stops the inflating one and
// waits for it.
type inflater struct {
	out  chan []byte // inflated chunks, in order; closed after the last
	free chan []byte
	quit chan struct{}
	done chan struct{}
	err  error // why out was closed: io.EOF or the stream's error; set before the close
	cur  []byte
	held []byte // the chunk cur is in, returned to free when used up
}

// gunzipper returns a reader of src's content if src starts with the gzip
// magic, inflating on a goroutine; otherwise src itself and nil. The gzip
// header is read here, so a broken one is reported at once.
func gunzipper(src *bufio.Reader) (io.Reader, *inflater, error) {
	if magic, err := src.Peek(2); err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return src, nil, nil
	}
	gz, err := gzip.NewReader(src)
	if err != nil {
		return nil, nil, err
	}
	z := &inflater{out: make(chan []byte, inflateChunks), free: make(chan []byte, inflateChunks),
		quit: make(chan struct{}), done: make(chan struct{})}
	for range inflateChunks {
		z.free <- make([]byte, inflateChunk)
	}
	go z.run(gz)
	return z, z, nil
}

func (z *inflater) run(gz *gzip.Reader) {
	defer close(z.done)
	defer close(z.out)
	for {
		var buf []byte
		select {
		case buf = <-z.free:
		case <-z.quit:
			return
		}
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var k int
			k, err = gz.Read(buf[n:])
			n += k
		}
		if n > 0 {
			select {
			case z.out <- buf[:n]:
			case <-z.quit:
				return
			}
		}
		if err != nil {
			z.err = err
			return
		}
	}
}

func (z *inflater) Read(p []byte) (int, error) {
	for len(z.cur) == 0 {
		if z.held != nil {
			z.free <- z.held[:cap(z.held)] // never blocks: there are only as many chunks
			z.held = nil
		}
		b, ok := <-z.out
		if !ok {
			if errors.Is(z.err, io.EOF) {
				return 0, io.EOF
			}
			return 0, z.err
		}
		z.cur, z.held = b, b
	}
	n := copy(p, z.cur)
	z.cur = z.cur[n:]
	return n, nil
}

// close stops the inflating goroutine and waits for it.
func (z *inflater) close() {
	select {
	case <-z.quit:
	default:
		close(z.quit)
	}
	<-z.done
}
