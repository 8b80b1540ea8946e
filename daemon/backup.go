package daemon

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
)

// startBackups writes a verified backup of the ledger into
// [ledger] backup_dir every backup_every, keeping the newest backup_keep,
// while the engine runs. A failed backup is logged and counted; it does
// not stop the engine.
func (r *run) startBackups(context.Context) error {
	cfg := r.d.cfg.Ledger
	if cfg.BackupDir == "" {
		return nil
	}
	r.g.start("ledger backups", func(ctx context.Context) error {
		t := time.NewTicker(cfg.BackupEvery.Duration)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case now := <-t.C:
				rep, err := r.store.BackupInto(ctx, cfg.BackupDir, cfg.BackupKeep, now)
				r.d.backedUp(rep, err)
			}
		}
	})
	return nil
}

// backedUp counts and logs a backup.
func (d *Daemon) backedUp(rep ledger.BackupReport, err error) {
	if err != nil {
		d.m.backups.WithLabelValues("failed").Inc()
		d.log.Error("ledger backup failed", "err", err)
		return
	}
	d.m.backups.WithLabelValues("ok").Inc()
	d.m.lastBackup.SetToCurrentTime()
	d.log.Info("ledger backup written and verified", "path", rep.Path, "entries", rep.Seq, "bytes", rep.Bytes, "open_intents", rep.Intents)
}

// backup streams a consistent copy of the ledger (GET /admin/backup), for
// `engine ledger backup` while the engine holds the file. The command
// verifies what it receives before keeping it.
func (d *Daemon) backup(w http.ResponseWriter, r *http.Request) {
	if code, why := d.auth.check(r); code != 0 {
		d.m.admin.WithLabelValues("backup", strconv.Itoa(code)).Inc()
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		writeJSON(w, code, map[string]string{"error": why})
		return
	}
	d.mu.Lock()
	store := d.store
	d.mu.Unlock()
	if store == nil {
		d.m.admin.WithLabelValues("backup", "503").Inc()
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "starting up"})
		return
	}
	// A large ledger takes longer than the listener's write timeout. The
	// runtime holds a connection's deadline against the system clock,
	// whatever the daemon's clock reads.
	var wall clock.Clock
	http.NewResponseController(w).SetWriteDeadline(wall.Now().Add(time.Hour))
	w.Header().Set("Content-Type", "application/octet-stream")
	n, err := store.Backup(r.Context(), w)
	if err != nil {
		// The status is sent; the command finds the copy short or
		// unverifiable and keeps nothing.
		d.log.Error("backup over the admin API failed", "bytes", n, "err", err)
		d.m.admin.WithLabelValues("backup", "500").Inc()
		return
	}
	d.m.admin.WithLabelValues("backup", "200").Inc()
	d.log.Info("ledger backup streamed over the admin API", "bytes", n)
}
