package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/feeds"
	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/hub"
)

// cmdRecord records hub price updates to a tick file until -duration passes
// or the process is interrupted.
func cmdRecord(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "record", "record -pairs P1,P2 [-size S] -out FILE [-duration D] [-url URL]",
		"HERCLE_API_KEY=… engine record -pairs BTCUSDT,ETHEUR -size 0.01 -out ticks.ndjson.gz -duration 1h")
	pairsFlag := fs.String("pairs", "", "comma-separated pairs to record, e.g. BTCUSDT,ETHEUR (required)")
	sizeFlag := fs.String("size", "1", "size in the base asset the prices are for: one size, or one per pair, comma-separated")
	out := fs.String("out", "", "tick file to write (NDJSON; gzip when it ends in .gz); truncated if it exists (required)")
	duration := fs.Duration("duration", 0, "how long to record; 0 records until interrupted")
	baseURL := fs.String("url", hercle.SandboxURL, "Hercle API base URL; the hub is at URL"+hub.Path)
	flush := fs.Duration("flush", time.Second, "how often buffered ticks are flushed to the file")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "record: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	pairs, sizes, err := parsePairsSizes(*pairsFlag, *sizeFlag)
	if err == nil && *out == "" {
		err = errors.New("-out is required")
	}
	if err == nil && (*duration < 0 || *flush <= 0) {
		err = errors.New("-duration must be ≥ 0 and -flush > 0")
	}
	key := e.getenv("HERCLE_API_KEY")
	if err == nil && key == "" {
		err = errors.New("HERCLE_API_KEY is not set: export the API key of the account to record with")
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "record: %v\nRun 'engine record -h' for the flags and an example.\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	src, err := feeds.NewSource(feeds.Config{Logger: log, Clock: e.clock})
	if err != nil {
		fmt.Fprintf(e.stderr, "record: %v\n", err)
		return exitFailure
	}
	client, err := hub.NewClient(hub.Config{
		BaseURL: *baseURL, APIKey: key, Logger: log, Clock: e.clock, Seed: uint64(e.clock.Now().UnixNano()),
		OnPrice: src.HandlePrice, OnState: src.HandleState,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "record: %v\n", err)
		return exitUsage
	}
	rec, err := feeds.CreateRecorder(*out, feeds.Header{Venue: "hercle", Pairs: pairs, Started: e.clock.Now().UTC()})
	if err != nil {
		fmt.Fprintf(e.stderr, "record: %v\n", err)
		return exitFailure
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = client.Run(ctx)
	}()
	for i, p := range pairs {
		if err := src.Subscribe(ctx, client, fmt.Sprintf("rec-%d-%s", i, p), p, sizes[i]); err != nil {
			log.Warn("subscribe failed; the hub client retries on reconnect", "pair", p, "err", err)
		}
	}
	code := recordLoop(ctx, src, rec, *flush, log)
	wg.Wait()
	if err := rec.Close(); err != nil {
		fmt.Fprintf(e.stderr, "record: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: %d ticks\n", *out, rec.Count())
	return code
}

// recordLoop writes updates until ctx ends, flushing every flush.
func recordLoop(ctx context.Context, src *feeds.Source, rec *feeds.Recorder, flush time.Duration, log *slog.Logger) int {
	t := time.NewTicker(flush)
	defer t.Stop()
	for {
		select {
		case u := <-src.Updates():
			if err := rec.Write(u); err != nil {
				log.Error("record: write failed; stopping", "err", err)
				return exitFailure
			}
		case <-t.C:
			if err := rec.Flush(); err != nil {
				log.Error("record: flush failed; stopping", "err", err)
				return exitFailure
			}
		case <-ctx.Done():
			for {
				select {
				case u := <-src.Updates():
					if err := rec.Write(u); err != nil {
						return exitFailure
					}
				default:
					return exitOK
				}
			}
		}
	}
}

// parsePairsSizes reads -pairs and -size: one size for every pair or one per pair.
func parsePairsSizes(pairsFlag, sizeFlag string) ([]string, []decimal.Decimal, error) {
	var pairs []string
	seen := map[string]bool{}
	for _, p := range strings.Split(pairsFlag, ",") {
		if p = strings.ToUpper(strings.TrimSpace(p)); p != "" {
			if seen[p] {
				// The feed keeps one size per pair: only the last would be recorded.
				return nil, nil, fmt.Errorf("-pairs lists %s twice; a pair is recorded at one size", p)
			}
			seen[p] = true
			pairs = append(pairs, p)
		}
	}
	if len(pairs) == 0 {
		return nil, nil, errors.New("-pairs is required, e.g. -pairs BTCUSDT,ETHEUR")
	}
	var sizes []decimal.Decimal
	for _, s := range strings.Split(sizeFlag, ",") {
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil || !d.IsPositive() {
			return nil, nil, fmt.Errorf("-size %q: sizes must be positive decimals", s)
		}
		sizes = append(sizes, d)
	}
	switch len(sizes) {
	case 1:
		for len(sizes) < len(pairs) {
			sizes = append(sizes, sizes[0])
		}
	case len(pairs):
	default:
		return nil, nil, fmt.Errorf("-size has %d sizes for %d pairs: give one, or one per pair", len(sizes), len(pairs))
	}
	return pairs, sizes, nil
}
