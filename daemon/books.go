package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/risk"
)

// writeHealth stops trading while the ledger cannot be written (disk
// full, read-only, I/O error): money must not move that the books cannot
// record. The first failed commit pauses new intents through risk, logs
// one ERROR line and marks /readyz. A probe write every second while
// failing lifts the pause, and logs once, when it succeeds and no write
// has failed for resumeAfter: a full disk still takes the writes that fit
// in pages the file already has, so one success proves little. Its own
// pause never lifts an operator's kill switch.
type writeHealth struct {
	d *Daemon

	mu       sync.Mutex // guards the fields below
	pauser   *risk.Pauser
	failing  error
	since    time.Time // the first failure of this episode
	lastFail time.Time // the latest failure
}

const writeReason = "ledger writes failing: "

// resumeAfter is how long writes must go without a failure before the
// pause lifts.
const resumeAfter = 3 * time.Second

// failed is the ledger's OnWriteError.
func (w *writeHealth) failed(err error) {
	w.d.m.writeErrors.Inc()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastFail = w.d.o.Clock.Now()
	if w.failing != nil {
		return
	}
	w.failing, w.since = err, w.lastFail
	w.d.m.writeFailing.Set(1)
	w.d.notifyWrite(true, err, w.since)
	w.d.log.Error("ledger writes failing: trading paused until the ledger can be written again (disk full? read-only? I/O error?)", "err", err)
	if w.pauser != nil {
		w.pauser.Pause(err.Error())
	}
}

// recovered lifts the pause after a successful probe, once no write has
// failed for resumeAfter.
func (w *writeHealth) recovered() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing == nil || w.d.o.Clock.Since(w.lastFail) < resumeAfter {
		return
	}
	w.d.log.Info("ledger writes succeed again: trading resumes", "failed_for", w.d.o.Clock.Since(w.since).Round(time.Millisecond))
	w.d.notifyWrite(false, nil, w.since)
	w.failing = nil
	w.d.m.writeFailing.Set(0)
	if w.pauser != nil {
		w.pauser.Resume()
	}
}

// attach gives the health the risk engine to pause.
func (w *writeHealth) attach(rk *risk.Engine) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pauser = rk.PauseFor(writeReason)
	if w.failing != nil {
		w.pauser.Pause(w.failing.Error())
	}
}

// state returns the write error the ledger is failing with, and since
// when; nil when it is healthy.
func (w *writeHealth) state() (error, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failing, w.since
}

// probe writes to the ledger every second while it is failing, so a disk
// with room again is noticed without waiting for other traffic.
func (w *writeHealth) probe(ctx context.Context, store *ledger.Store) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err, _ := w.state(); err != nil {
				pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				if store.Probe(pctx) == nil { // a failure reaches failed
					w.recovered()
				}
				cancel()
			}
		}
	}
}
