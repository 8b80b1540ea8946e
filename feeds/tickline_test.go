package feeds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// decodeSlow is the reference: the line through encoding/json, as the
// Reader decoded every line before the fast path.
func decodeSlow(b []byte) (Update, error) {
	var l tickLine
	if err := json.Unmarshal(b, &l); err != nil {
		return Update{}, err
	}
	return l.update(), nil
}

// sameUpdate compares exactly: value, exponent and location included, so
// the fast path cannot change how a decimal or a time prints.
func sameUpdate(a, b Update) bool {
	sameDec := func(x, y interface {
		String() string
		Exponent() int32
	}) bool {
		return x.String() == y.String() && x.Exponent() == y.Exponent()
	}
	return a.Gap == b.Gap && a.Tick.Pair == b.Tick.Pair &&
		sameDec(a.Tick.Size, b.Tick.Size) && sameDec(a.Tick.BuyPrice, b.Tick.BuyPrice) && sameDec(a.Tick.SellPrice, b.Tick.SellPrice) &&
		a.Tick.Time.Equal(b.Tick.Time) && a.Tick.Received.Equal(b.Tick.Received) &&
		a.Tick.Time.Location() == b.Tick.Time.Location() && a.Tick.Received.Location() == b.Tick.Received.Location()
}

var tickLineSeeds = []string{
	`{"pair":"BTCUSDT","size":0.01,"buyPrice":26798.5,"sellPrice":26790.5,"time":"2026-01-02T03:04:05Z","received":"2026-01-02T03:04:05.123456789Z"}`,
	`{"pair":"BTCUSDT","size":0.01,"buyPrice":26801,"sellPrice":26793,"time":"2026-01-02T03:04:05.1Z","received":"2026-01-02T03:04:05.12Z","gap":true}`,
	`{ "received" : "2024-02-29T23:59:59Z" , "pair" : "ETHEUR", "gap": false, "sellPrice": -0.000000000000000001, "buyPrice": 0, "size": 123456789012345678 }`,
	`{"pair":"X","size":1234567890123456789,"buyPrice":1e3,"sellPrice":"2.5","time":"2026-01-02T03:04:05+01:00","received":null}`,
	`{"pair":"X","time":"2023-02-29T00:00:00Z"}`,
	`{"pair":"X","time":"2026-01-02T24:00:00Z"}`,
	`{"pair":"X","time":"2026-01-02T03:04:05.1234567891Z"}`,
	`{"pair":"X\u0041","size":01}`,
	`{"PAIR":"X","Size":1}`,
	`{"pai":"X","siz":1,"sellPric":1,"buyPric":1,"tim":"2026-01-02T03:04:05Z","receive":"2026-01-02T03:04:05Z","ga":true}`,
	`{"pairs":"X"}`,
	`{"s":1}`,
	`{"sizes":1}`,
	`{"sellPrices":1}`,
	`{"pair":"X","gap":true,"g":1}`,
	`{"`,
	`{"p`,
	`{"pair":"X","size":1.}`,
	`{"pair":"X","size":-}`,
	`{"pair":"é","size":1}`,
	`{"pair":"X","size":1} x`,
	`{"pair":"X","pair":"Y"}`,
	`{}`,
	`[]`,
}

func TestDecodeFastMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, line := range tickLineSeeds {
		var got Update
		ok := decodeFast([]byte(line), newLineCache(), &got)
		want, err := decodeSlow([]byte(line))
		if !ok {
			continue
		}
		fast++
		if err != nil {
			t.Errorf("decodeFast(%s) accepted a line encoding/json refuses: %v", line, err)
			continue
		}
		if !sameUpdate(got, want) {
			t.Errorf("decodeFast(%s) = %+v, want %+v", line, got, want)
		}
	}
	if fast < 3 {
		t.Fatalf("the fast path took %d of the seed lines; the recorder's own lines must take it", fast)
	}
	// The recorder's own lines take the fast path when their decimals
	// have at most 18 significant digits, as venue prices do.
	var buf bytes.Buffer
	rec := &Recorder{w: bufio.NewWriter(&buf)}
	for i, u := range sampleUpdates(20) {
		u.Tick.SellPrice = decimal.New(int64(2679012345+i), -5)
		if err := rec.Write(u); err != nil {
			t.Fatal(err)
		}
	}
	rec.w.Flush()
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if !decodeFast(line, newLineCache(), new(Update)) {
			t.Fatalf("the fast path refused a recorder line: %s", line)
		}
	}
}

// FuzzDecodeTickLine: whatever the line, the fast path either declines or
// decodes exactly what encoding/json decodes.
func FuzzDecodeTickLine(f *testing.F) {
	for _, s := range tickLineSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// A cache that has seen other lines must not leak their values.
		cache := newLineCache()
		for _, s := range tickLineSeeds[:3] {
			decodeFast([]byte(s), cache, new(Update))
		}
		// u holds another line's tick, as a Reader's does: nothing of it
		// may leak into the decoded one.
		var got Update
		decodeFast([]byte(tickLineSeeds[1]), cache, &got)
		ok := decodeFast(b, cache, &got)
		if !ok {
			return
		}
		want, err := decodeSlow(b)
		if err != nil {
			t.Fatalf("decodeFast(%q) accepted a line encoding/json refuses: %v", b, err)
		}
		if !sameUpdate(got, want) {
			t.Fatalf("decodeFast(%q) = %+v, want %+v", b, got, want)
		}
	})
}

func TestReaderErrorsNameTheLine(t *testing.T) {
	head := `{"format":"` + Format + `"}` + "\n"
	good := tickLineSeeds[0] + "\n"
	r, err := NewReader(strings.NewReader(head + good + "{\"pair\":\"X\",\"size\":\"nope\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if !errors.Is(err, ErrNotTick) || !strings.Contains(err.Error(), "line 3") || r.Line() != 3 {
		t.Fatalf("Next on a bad line 3 = %v (Line %d), want ErrNotTick naming line 3", err, r.Line())
	}

	r, _ = NewReader(strings.NewReader(head + good + `{"pair":"BT`))
	r.Next()
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) || r.Line()+1 != 3 {
		t.Fatalf("Next on a torn line 3 = %v (Line %d), want io.ErrUnexpectedEOF after line 2", err, r.Line())
	}

	_, err = NewReader(strings.NewReader(`{"format":"otcdesk-ticks/2"}` + "\n"))
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), `"otcdesk-ticks/2"`) {
		t.Fatalf("NewReader of another version = %v, want ErrFormat naming the version found", err)
	}
}

// BenchmarkReadTicks is the read-and-decode time of a recording: the
// baseline the backtester's end-to-end speed is compared with.
func BenchmarkReadTicks(b *testing.B) {
	for _, name := range []string{"ticks.ndjson", "ticks.ndjson.gz"} {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), name)
			const n = 100_000
			rec, err := CreateRecorder(path, Header{})
			if err != nil {
				b.Fatal(err)
			}
			for i, u := range sampleUpdates(n) {
				u.Tick.SellPrice = decimal.New(int64(2679012+i%1000), -2) // a venue's price
				if err := rec.Write(u); err != nil {
					b.Fatal(err)
				}
			}
			if err := rec.Close(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				r, err := OpenReader(path)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for {
					if _, err := r.Next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
					got++
				}
				r.Close()
				if got != n {
					b.Fatalf("read %d ticks, want %d", got, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ticks/s")
		})
	}
}

// One cache decodes a file's lines in turn: a date or a pair remembered
// from the lines before must not change what a line decodes to, whether
// the line's own date is the same, another, or invalid, and whether its
// pair is among the few compared first or beyond them.
func TestDecodeFastCacheAcrossLines(t *testing.T) {
	c := newLineCache()
	dates := []string{"2024-02-28T23:59:59.999999999Z", "2024-02-29T00:00:00Z", "2024-02-29T12:00:00.5Z",
		"2023-02-29T00:00:00Z", "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-02-29T24:00:00Z",
		"2024-03-01T00:00:00Z", "1969-12-31T23:59:59Z", "2024-0a-01T00:00:00Z", "2024-02-29 00:00:00Z"}
	fast := 0
	for i := range 300 {
		pair := fmt.Sprintf("P%dEUR", (i*3)%(2*maxFewPairs+1))
		at, received := dates[i%len(dates)], dates[(i/2)%len(dates)]
		if i%4 == 0 {
			received = at[:11] + "01:02:03Z" // the date just read, valid or not
		}
		line := fmt.Sprintf(`{"pair":%q,"size":0.01,"buyPrice":%d.5,"sellPrice":%d,"time":%q,"received":%q}`,
			pair, i%5, i%3, at, received)
		var got Update
		if !decodeFast([]byte(line), c, &got) {
			continue
		}
		fast++
		want, err := decodeSlow([]byte(line))
		if err != nil {
			t.Fatalf("decodeFast(%s) accepted a line encoding/json refuses: %v", line, err)
		}
		if !sameUpdate(got, want) {
			t.Fatalf("decodeFast(%s) = %+v, want %+v", line, got, want)
		}
	}
	if fast < 30 {
		t.Fatalf("the fast path took %d of 300 lines", fast)
	}
}

// TestDecodeFastRecentPrices: a price seen not long before comes back
// from the pair's table of recent prices without allocating, and a price
// that shares a slot with another (mantissas priceSlots apart, the same
// mantissa at another exponent, a negative one) is made anew: every
// decoded price is the line's, whichever was in the slot.
func TestDecodeFastRecentPrices(t *testing.T) {
	c := newLineCache()
	line := func(pair, buy, sell string) []byte {
		return fmt.Appendf(nil, `{"pair":%q,"size":0.01,"buyPrice":%s,"sellPrice":%s,"time":"2026-01-02T03:04:05Z","received":"2026-01-02T03:04:05Z"}`,
			pair, buy, sell)
	}
	prices := []string{"100.25", "100.26", "100.25", "141.21", "10025", "1002.5", "-100.25", "100.250", "0.10025",
		"59.29", "100.25", "100.26"} // 141.21 and 59.29 are 100.25 ± priceSlots/100
	for i, buy := range prices {
		for _, pair := range []string{"BTCEUR", "ETHEUR"} {
			l := line(pair, buy, prices[(i+3)%len(prices)])
			var got Update
			if !decodeFast(l, c, &got) {
				t.Fatalf("decodeFast refused %s", l)
			}
			want, err := decodeSlow(l)
			if err != nil {
				t.Fatal(err)
			}
			if !sameUpdate(got, want) {
				t.Fatalf("decodeFast(%s) = %+v, want %+v", l, got, want)
			}
		}
	}
	// Prices going back and forth between values seen before: the last
	// price alone would be made anew every line.
	a, b := line("BTCEUR", "100.25", "100.26"), line("BTCEUR", "100.26", "100.25")
	var u Update
	if n := testing.AllocsPerRun(100, func() { decodeFast(a, c, &u); decodeFast(b, c, &u) }); n != 0 {
		t.Fatalf("decoding prices seen before: %v allocations, want 0", n)
	}
}
