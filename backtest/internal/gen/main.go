// Command gen writes the sample recording in backtest/testdata from the
// venue simulator's price walk on a simulated clock:
//
//	go run ./backtest/internal/gen -out backtest/testdata/sample.ndjson.gz
//
// The defaults make three days (Monday 2026-03-02 to Thursday, so the
// Wednesday maintenance window is inside) of BTCEUR and ETHEUR, a tick per
// pair every 10 seconds, with one three-minute feed outage. The output is
// the same for the same flags.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/otcdesk/engine/backtest/internal/recording"
)

func main() {
	out := flag.String("out", "backtest/testdata/sample.ndjson.gz", "file to write (gzip when it ends in .gz)")
	start := flag.String("start", "2026-03-02T00:00:00Z", "first tick, RFC 3339")
	days := flag.Int("days", 3, "days to record")
	every := flag.Duration("every", 10*time.Second, "time between two ticks of a pair")
	seed := flag.Uint64("seed", 1, "seed of the price walk and receive delays")
	flag.Parse()
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: -start: %v\n", err)
		os.Exit(2)
	}
	n, err := recording.Write(*out, recording.Options{
		Start: t0, Duration: time.Duration(*days) * 24 * time.Hour, Every: *every, Seed: *seed,
		Outages: []recording.Outage{{At: t0.Add(30*time.Hour + 17*time.Minute), For: 3 * time.Minute}},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d ticks\n", *out, n)
}
