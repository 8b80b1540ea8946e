package treasury

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A refusal is logged once per reason: a fault at WARN, waiting for the
// venue's approval of a destination at INFO; its end once, at INFO.
func TestRefusalsLoggedOncePerReason(t *testing.T) {
	var buf bytes.Buffer
	tr := &Treasury{log: slog.New(slog.NewTextHandler(&buf, nil))}
	waiting := fmt.Errorf("destination eur-bank: %w", ErrNotApproved)
	capped := fmt.Errorf("policy x: %w", ErrCapReached)
	for _, err := range []error{waiting, waiting, capped, capped, nil, nil} {
		tr.noteRefused("x", err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=INFO msg="treasury: policy waits for the venue's approval`,
		`level=WARN msg="treasury: policy refused`,
		`level=INFO msg="treasury: policy no longer refused"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("log:\n%s\nwant %d lines", buf.String(), len(want))
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %s, want %s", i, lines[i], w)
		}
	}
}
