package feeds

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

func sampleUpdates(n int) []Update {
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	out := make([]Update, n)
	for i := range out {
		out[i] = Update{Gap: i == 3, Tick: market.Tick{
			Pair: []string{"BTCUSDT", "ETHEUR"}[i%2], Size: decimal.RequireFromString("0.01"),
			BuyPrice:  decimal.RequireFromString("26798.5").Add(decimal.New(int64(i), -8)),
			SellPrice: decimal.RequireFromString("26790.123456789012345678"),
			Time:      base.Add(time.Duration(i) * time.Millisecond), Received: base.Add(time.Duration(i)*time.Millisecond + 3),
		}}
	}
	return out
}

func equalUpdate(a, b Update) bool {
	return a.Gap == b.Gap && a.Tick.Pair == b.Tick.Pair && a.Tick.Size.Equal(b.Tick.Size) &&
		a.Tick.BuyPrice.Equal(b.Tick.BuyPrice) && a.Tick.SellPrice.Equal(b.Tick.SellPrice) &&
		a.Tick.Time.Equal(b.Tick.Time) && a.Tick.Received.Equal(b.Tick.Received)
}

func TestTickFileRoundTrip(t *testing.T) {
	for _, name := range []string{"ticks.ndjson", "ticks.ndjson.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			want := sampleUpdates(50)
			rec, err := CreateRecorder(path, Header{Venue: "hercle", Pairs: []string{"BTCUSDT", "ETHEUR"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range want {
				if err := rec.Write(u); err != nil {
					t.Fatal(err)
				}
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := OpenReader(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Header.Format != Format || len(r.Header.Pairs) != 2 {
				t.Fatalf("header = %+v", r.Header)
			}
			for i, w := range want {
				got, err := r.Next()
				if err != nil {
					t.Fatalf("Next #%d: %v", i, err)
				}
				if !equalUpdate(got, w) {
					t.Fatalf("tick %d = %+v, want %+v", i, got, w)
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("after the last tick: %v, want io.EOF", err)
			}
		})
	}
}

// A recorder killed after a Flush leaves every flushed tick readable.
func TestTickFileKilledRecorder(t *testing.T) {
	for _, name := range []string{"ticks.ndjson", "ticks.ndjson.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			rec, err := CreateRecorder(path, Header{})
			if err != nil {
				t.Fatal(err)
			}
			want := sampleUpdates(10)
			for _, u := range want {
				_ = rec.Write(u)
			}
			if err := rec.Flush(); err != nil {
				t.Fatal(err)
			}
			// Simulate the kill: copy the file as it is now, before Close.
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_ = rec.Close()
			if filepath.Ext(name) != ".gz" {
				b = append(b, `{"pair":"BTCUSDT","si`...) // torn last line
			}
			r, err := NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				_, err := r.Next()
				if err != nil {
					if !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("end = %v, want io.ErrUnexpectedEOF", err)
					}
					break
				}
				n++
			}
			if n != len(want) {
				t.Fatalf("read %d ticks, want %d", n, len(want))
			}
		})
	}
}

func TestTickFileRejectsOtherFormats(t *testing.T) {
	for _, in := range []string{"", "{}\n", `{"format":"other/1"}` + "\n", "not json\n"} {
		if _, err := NewReader(bytes.NewReader([]byte(in))); !errors.Is(err, ErrFormat) {
			t.Fatalf("NewReader(%q) = %v, want ErrFormat", in, err)
		}
	}
}

func FuzzTickReader(f *testing.F) {
	var buf bytes.Buffer
	buf.WriteString(`{"format":"` + Format + `"}` + "\n")
	buf.WriteString(`{"pair":"BTCUSDT","size":0.01,"buyPrice":1,"sellPrice":1,"time":"2026-01-02T03:04:05Z","received":"2026-01-02T03:04:05Z"}` + "\n")
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			if _, err := r.Next(); err != nil {
				return
			}
		}
	})
}
