package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"os"
	"time"

	"github.com/otcdesk/engine/config"
	"github.com/otcdesk/engine/ledger"
)

// ledgerBackup writes a verified backup of the ledger to -out: read
// straight from the file when no engine holds it, else streamed from the
// running engine's admin API (GET /admin/backup), which copies it from
// one read transaction while it keeps writing.
func ledgerBackup(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "backup", "ledger backup -out FILE [-config FILE | -db PATH]",
		"engine ledger backup -config config.toml -out /backups/ledger-$(date +%F).db")
	var lf ledgerFlags
	lf.register(fs)
	out := fs.String("out", "", "write the backup to this new file (required; never overwritten)")
	if code, done := parseLedgerFlags(e, fs, args); done {
		return code
	}
	if *out == "" {
		fmt.Fprintln(e.stderr, "ledger backup: -out FILE is required")
		return exitUsage
	}
	path, timeout, cfg, code := lf.resolve(e)
	if code != exitOK {
		return code
	}
	var rep ledger.BackupReport
	s, err := ledger.Open(path, ledger.Options{ReadOnly: true, LockTimeout: timeout})
	switch {
	case err == nil:
		rep, err = s.BackupFile(ctx, *out)
		s.Close()
	case errors.Is(err, ledger.ErrInUse) && cfg != nil:
		rep, err = backupOverAdmin(ctx, e, *cfg, *out)
	case errors.Is(err, ledger.ErrInUse):
		err = fmt.Errorf("%w: a running engine holds %s: name its configuration with -config, so the backup is streamed over its admin API", err, path)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ledger backup: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: backup of %s written and verified: %d entries, %d intents open (start-up recovery resolves them by Client-Id)\n",
		rep.Path, path, rep.Seq, rep.Intents)
	return exitOK
}

// backupOverAdmin streams the running engine's backup into out.
func backupOverAdmin(ctx context.Context, e *env, cfg config.Config, out string) (ledger.BackupReport, error) {
	secrets, err := config.LoadSecrets(e.getenv)
	if err != nil {
		return ledger.BackupReport{}, err
	}
	if cfg.Admin.Addr == "" || !secrets.AdminToken.IsSet() {
		return ledger.BackupReport{}, errors.New("the engine holds the ledger and its admin API is off: set admin.addr and ADMIN_TOKEN (or use [ledger] backup_dir)")
	}
	client := &http.Client{Timeout: time.Hour}
	scheme := "http://"
	if cfg.Admin.TLSCert != "" {
		pem, err := os.ReadFile(cfg.Admin.TLSCert)
		if err != nil {
			return ledger.BackupReport{}, fmt.Errorf("admin.tls_cert: %w", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		scheme = "https://"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+cfg.Admin.Addr+"/admin/backup", nil)
	if err != nil {
		return ledger.BackupReport{}, err
	}
	req.Header.Set("Authorization", "Bearer "+secrets.AdminToken.Reveal())
	return ledger.WriteBackup(ctx, out, func(w io.Writer) (int64, error) {
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("ask the running engine: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("the running engine answered %s", resp.Status)
		}
		return io.Copy(w, resp.Body)
	})
}

// ledgerRestore replaces the ledger with a backup, which must verify; the
// engine must be stopped.
func ledgerRestore(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "restore", "ledger restore [-config FILE | -db PATH] BACKUP",
		"engine ledger restore -config config.toml /backups/ledger-2026-03-01.db")
	var lf ledgerFlags
	lf.register(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "ledger restore: name one backup file")
		return exitUsage
	}
	src := fs.Arg(0)
	path, timeout, _, code := lf.resolve(e)
	if code != exitOK {
		return code
	}
	rep, err := ledger.Restore(ctx, src, path, timeout)
	switch {
	case errors.Is(err, ledger.ErrInUse):
		fmt.Fprintf(e.stderr, "ledger restore: %s is held by a running engine: stop it first; nothing was changed\n", path)
		return exitFailure
	case errors.Is(err, iofs.ErrNotExist), errors.Is(err, ledger.ErrNotLedger), errors.Is(err, ledger.ErrCorrupt), errors.Is(err, ledger.ErrNewerSchema):
		fmt.Fprintf(e.stderr, "ledger restore: %v\nThe ledger was not changed.\n", err)
		return exitBooks
	case err != nil:
		fmt.Fprintf(e.stderr, "ledger restore: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s restored from %s: %d entries, %d intents open (the next start resolves them by Client-Id lookup, never by sending again)\n",
		path, src, rep.Seq, rep.Intents)
	if rep.Replaced != "" {
		fmt.Fprintf(e.stdout, "the ledger it replaced is kept as %s\n", rep.Replaced)
	}
	return exitOK
}
