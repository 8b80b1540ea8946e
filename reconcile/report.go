package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/otcdesk/engine/ledger"
)

// Check names one comparison.
type Check string

// The comparisons a run makes.
const (
	CheckBalances     Check = "balances"
	CheckTrades       Check = "trades"
	CheckTransactions Check = "transactions"
	CheckWithdrawals  Check = "withdrawals"
	CheckTransfers    Check = "transfers"
	CheckWebhooks     Check = "webhooks"
	CheckHeropayments Check = "heropayments"
)

// Outcome classifies a compared record.
type Outcome string

// Outcomes. Pending is not an outcome: a finding younger than the grace
// period keeps its outcome and has Pending set.
const (
	// Matched: both sides agree. Counted, not listed.
	Matched Outcome = "matched"
	// MissingInLedger: the venue has it, the ledger does not. A movement
	// the venue originated is imported (Finding.Imported).
	MissingInLedger Outcome = "missing_in_ledger"
	// MissingAtVenue: the ledger (or a webhook) has it, the venue does not.
	MissingAtVenue Outcome = "missing_at_venue"
	// AmountMismatch: both have it, with different amounts or assets.
	AmountMismatch Outcome = "amount_mismatch"
	// StatusMismatch: both have it, in contradicting states.
	StatusMismatch Outcome = "status_mismatch"
	// WebhookMissing: REST shows an event whose webhook or callback never
	// arrived. A warning: the books may well be right.
	WebhookMissing Outcome = "webhook_missing"
	// Duplicate: a webhook or callback delivered more than once; applied
	// once. A warning.
	Duplicate Outcome = "duplicate"
	// Skipped: a record not compared on its own by design (allocation
	// legs, for example); counted only.
	Skipped Outcome = "skipped"
)

// breaks reports whether a finding with this outcome needs attention.
func (o Outcome) breaks() bool {
	switch o {
	case MissingInLedger, MissingAtVenue, AmountMismatch, StatusMismatch:
		return true
	}
	return false
}

// Finding is one difference between the ledger and a venue.
type Finding struct {
	Check   Check   `json:"check"`
	Outcome Outcome `json:"outcome"`
	// Break reports that the finding needs attention: it counts towards
	// the pause threshold and the command's exit status.
	Break bool `json:"break"`
	// Pending reports a difference younger than the grace period: it may
	// still resolve itself.
	Pending bool `json:"pending,omitempty"`
	// Ref names the record: a trade, transaction, withdrawal or transfer
	// id, a webhook event id, a payment key, or the asset of a balance.
	Ref      string `json:"ref"`
	ClientID string `json:"client_id,omitempty"`
	Asset    string `json:"asset,omitempty"`
	// Venue and Ledger are what each side says: an exact decimal amount or
	// a status.
	Venue  string `json:"venue,omitempty"`
	Ledger string `json:"ledger,omitempty"`
	Detail string `json:"detail"`
	// At is when the event happened at the venue, if known.
	At time.Time `json:"at,omitzero"`
	// FirstSeen is when a run first reported this finding.
	FirstSeen time.Time `json:"first_seen"`
	// Imported is the key of the entry posted to fix it, if any.
	Imported string `json:"imported,omitempty"`

	fix    *ledger.Entry // the entry that would fix it, once not pending
	benign bool          // the fix explains it fully: not a break once imported
	// prepare, if set, refines fix (or withdraws it) with a lookup just
	// before importing.
	prepare func(context.Context) error
	// explains is what the ledger's venue:hercle lacks because of this
	// difference, for one without a fix (a refund whose status was not
	// applied yet).
	explains amounts
}

// key identifies a finding across runs, for FirstSeen.
func (f *Finding) key() string {
	return string(f.Check) + "\x00" + string(f.Outcome) + "\x00" + f.Ref + "\x00" + f.Asset + "\x00" + f.ClientID
}

// Count is how many records of a check ended with an outcome; pending
// findings are counted under "pending".
type Count struct {
	Check   Check   `json:"check"`
	Outcome Outcome `json:"outcome"`
	N       int     `json:"n"`
}

// outcomePending labels pending findings in counts and metrics.
const outcomePending Outcome = "pending"

// Report is the result of one run. Its JSON form is what the ledger stores
// and `engine reconcile -json` prints.
type Report struct {
	// ID is the ledger's report id once stored; zero for a dry run.
	ID       uint64    `json:"id,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Since and Until bound the venue history compared.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Grace is the grace period, as Go writes durations ("10m0s").
	Grace  string `json:"grace"`
	DryRun bool   `json:"dry_run,omitempty"`
	// Breaks, Pending and Imported count findings: those needing
	// attention, those still within the grace period, those fixed by an
	// imported entry.
	Breaks   int `json:"breaks"`
	Pending  int `json:"pending"`
	Imported int `json:"imported"`
	// BalanceSequence is the venue balance snapshot compared (0: none).
	BalanceSequence int64 `json:"balance_sequence,omitempty"`
	// BalancesCompared is whether the balances were compared: not when the
	// venue's balance sequence kept moving while the ledger was read.
	BalancesCompared bool      `json:"balances_compared,omitempty"`
	Counts           []Count   `json:"counts"`
	Findings         []Finding `json:"findings"`
	// Truncated counts findings left out of Findings (warnings first, then
	// pending ones); Counts still include them.
	Truncated int `json:"truncated,omitempty"`
	// Skipped lists checks that did not run, and why.
	Skipped []string `json:"skipped,omitempty"`
}

// Clean reports whether the run found no breaks.
func (r Report) Clean() bool { return r.Breaks == 0 }

// Count returns the number of records of check with outcome (pending for
// "pending").
func (r Report) Count(c Check, o Outcome) int {
	for _, n := range r.Counts {
		if n.Check == c && n.Outcome == o {
			return n.N
		}
	}
	return 0
}

// Find returns the findings of check with outcome.
func (r Report) Find(c Check, o Outcome) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == c && f.Outcome == o {
			out = append(out, f)
		}
	}
	return out
}

// maxFindings bounds a report's listed findings; breaks are kept first.
const maxFindings = 5000

// DecodeReport decodes a report's JSON form (as stored in the ledger or
// printed with -json). Unknown fields are ignored, so a newer engine's
// reports still read; a report without its times is refused.
func DecodeReport(b []byte) (Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrBadReport, err)
	}
	// Token, not More: More answers false before a stray '}' or ']'.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Report{}, fmt.Errorf("%w: data after the report", ErrBadReport)
	}
	if r.Started.IsZero() || r.Finished.IsZero() || r.Finished.Before(r.Started) {
		return Report{}, fmt.Errorf("%w: start and finish times missing or out of order", ErrBadReport)
	}
	if r.Breaks < 0 || r.Pending < 0 || r.Imported < 0 || r.Truncated < 0 {
		return Report{}, fmt.Errorf("%w: negative count", ErrBadReport)
	}
	return r, nil
}

// WriteText prints the report for people: a summary line, the counts per
// check, and every finding, breaks first.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	status := "CLEAN"
	if !r.Clean() {
		status = fmt.Sprintf("%d BREAK(S)", r.Breaks)
	}
	id := "not stored (dry run)"
	if r.ID != 0 {
		id = fmt.Sprintf("report %d", r.ID)
	}
	fmt.Fprintf(&b, "Reconciliation %s: %s; %d pending, %d imported; %s\n", r.Finished.UTC().Format(time.RFC3339), status, r.Pending, r.Imported, id)
	fmt.Fprintf(&b, "Venue history %s .. %s, grace %s", r.Since.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339), r.Grace)
	if r.BalanceSequence != 0 {
		fmt.Fprintf(&b, ", balance sequence %d", r.BalanceSequence)
	}
	b.WriteString("\n")
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "Skipped: %s\n", s)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tOUTCOME\tRECORDS")
	for _, c := range r.Counts {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", c.Check, c.Outcome, c.N)
	}
	tw.Flush()
	if len(r.Findings) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\tCHECK\tOUTCOME\tREF\tASSET\tVENUE\tLEDGER\tDETAIL")
		for _, f := range r.Findings {
			mark := "warn"
			switch {
			case f.Break:
				mark = "BREAK"
			case f.Pending:
				mark = "pending"
			case f.Imported != "":
				mark = "fixed"
			}
			detail := f.Detail
			if f.Imported != "" {
				detail += " [imported as " + f.Imported + "]"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, f.Check, f.Outcome, dash(f.Ref), dash(f.Asset),
				dash(f.Venue), dash(f.Ledger), oneLine(detail))
		}
		tw.Flush()
	}
	if r.Truncated > 0 {
		fmt.Fprintf(&b, "... and %d more finding(s) not listed\n", r.Truncated)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s)
}

// oneLine keeps a value on one table row.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

// sortFindings orders findings: breaks, then pending, then warnings; within
// each by check, outcome and ref, so reports of the same state compare
// equal.
func sortFindings(fs []Finding) {
	rank := func(f Finding) int {
		switch {
		case f.Break:
			return 0
		case f.Pending:
			return 1
		}
		return 2
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Outcome != b.Outcome {
			return a.Outcome < b.Outcome
		}
		if a.Ref != b.Ref {
			return a.Ref < b.Ref
		}
		return a.Asset < b.Asset
	})
}
