package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/sim"
)

func TestRecordAgainstSimHub(t *testing.T) {
	v := sim.NewVenue(sim.Options{Seed: 3})
	mux := http.NewServeMux()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := sim.MountHub(ctx, mux, v, sim.HubOptions{APIKey: "k", PriceInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer func() {
		cancel()
		h.Close()
		srv.Close()
	}()
	out := filepath.Join(t.TempDir(), "ticks.ndjson.gz")
	code, stdout, stderr := runEngine(t, map[string]string{"HERCLE_API_KEY": "k"},
		"record", "-pairs", "BTCUSDT,ETHEUR", "-size", "0.01", "-out", out, "-duration", "1500ms", "-url", srv.URL, "-flush", "100ms")
	if code != exitOK {
		t.Fatalf("record exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "ticks") {
		t.Fatalf("stdout = %q", stdout)
	}
	r, err := feeds.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seen := map[string]int{}
	for {
		u, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[u.Tick.Pair]++
	}
	if seen["BTCUSDT"] == 0 || seen["ETHEUR"] == 0 || len(seen) != 2 {
		t.Fatalf("ticks per pair = %v", seen)
	}
}

func TestRecordUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"record", "-out", "x"},
		{"record", "-pairs", "BTCUSDT"},
		{"record", "-pairs", "BTCUSDT,ETHEUR", "-size", "1,2,3", "-out", "x"},
		{"record", "-pairs", "BTCUSDT", "-size", "-1", "-out", "x"},
	} {
		code, _, stderr := runEngine(t, map[string]string{"HERCLE_API_KEY": "k"}, args...)
		if code != exitUsage || !strings.Contains(stderr, "record:") {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if code, _, stderr := runEngine(t, nil, "record", "-pairs", "BTCUSDT", "-out", "x"); code != exitUsage || !strings.Contains(stderr, "HERCLE_API_KEY") {
		t.Fatalf("without a key: exit %d, stderr %q", code, stderr)
	}
}

// A pair listed twice (the feed keeps one size per pair, so only the last
// would be recorded) is refused before the output file is touched.
func TestRecordRefusesRepeatedPair(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ticks.ndjson")
	if err := os.WriteFile(out, []byte("earlier recording\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runEngine(t, map[string]string{"HERCLE_API_KEY": "k"},
		"record", "-pairs", "BTCUSDT,btcusdt", "-size", "0.01,1", "-out", out, "-url", "http://127.0.0.1:1", "-duration", "1s")
	if code != exitUsage || !strings.Contains(stderr, "BTCUSDT") {
		t.Fatalf("exit %d, stderr %q; want a usage error naming BTCUSDT", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "earlier recording\n" {
		t.Fatalf("output file changed: %q, %v", b, err)
	}
}
