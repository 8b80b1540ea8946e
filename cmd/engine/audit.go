package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/otcdesk/engine/ledger"
)

// ledgerAudit lists the audit trail of operator actions.
func ledgerAudit(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "audit", "ledger audit [-config FILE | -db PATH] [-action VERB] [-since T] [-until T] [-limit N] [-json]",
		"engine ledger audit -db data/ledger.db -since 2025-03-01 -action order")
	var lf ledgerFlags
	lf.register(fs)
	action := fs.String("action", "", "only this verb, for example pause, order, strategy.params, intent.resolve")
	since := fs.String("since", "", "only records at or after this time (RFC 3339 or YYYY-MM-DD, UTC)")
	until := fs.String("until", "", "only records before this time (RFC 3339 or YYYY-MM-DD, UTC)")
	limit := fs.Int("limit", 0, "only the newest N records (0: all)")
	if code, done := parseLedgerFlags(e, fs, args); done {
		return code
	}
	f := ledger.AuditFilter{Action: *action, Limit: *limit}
	var err error
	if f.Since, err = parseWhen(*since); err != nil {
		fmt.Fprintf(e.stderr, "ledger audit: -since: %v\n", err)
		return exitUsage
	}
	if f.Until, err = parseWhen(*until); err != nil {
		fmt.Fprintf(e.stderr, "ledger audit: -until: %v\n", err)
		return exitUsage
	}
	if *limit < 0 {
		fmt.Fprintln(e.stderr, "ledger audit: -limit must not be negative")
		return exitUsage
	}
	s, code := lf.open(e)
	if s == nil {
		if code == exitFailure {
			fmt.Fprintln(e.stderr, "(a running engine serves its audit trail: engine admin audit)")
		}
		return code
	}
	defer s.Close()
	recs, err := s.Audit(ctx, f)
	if err != nil {
		fmt.Fprintf(e.stderr, "ledger audit: %v\n", err)
		return exitFailure
	}
	if lf.json {
		if recs == nil {
			recs = []ledger.AuditRecord{}
		}
		return writeJSON(e, recs)
	}
	writeAudit(e, recs)
	return exitOK
}

// writeAudit prints audit records as a table.
func writeAudit(e *env, recs []ledger.AuditRecord) {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tWHO\tACTION\tTARGET\tRESULT\tDETAIL")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Time.UTC().Format(time.RFC3339), r.Who, r.Action, r.Target, r.Result, r.Detail)
	}
	tw.Flush()
}
