package ledger

import (
	"context"
	"errors"
	"testing"
)

func TestEventsWalksOneSourceProcessedOrNot(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, ev := range []Event{
		{Source: SourceHercleWebhook, ID: "b", Type: "T", Body: []byte(`{}`)},
		{Source: SourceHercleWebhook, ID: "a", Type: "T", Body: []byte(`{}`)},
		{Source: SourceHeropaymentsCallback, ID: "c", Type: "T", Body: []byte(`{}`)},
	} {
		if _, _, err := s.PutEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkProcessed(ctx, SourceHercleWebhook, "a"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := s.Events(ctx, SourceHercleWebhook, func(ev Event) error {
		ids = append(ids, ev.ID+":"+map[bool]string{true: "done", false: "open"}[!ev.Processed.IsZero()])
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != "a:done" || ids[1] != "b:open" {
		t.Errorf("Events = %v, want [a:done b:open]", ids)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.Events(ctx, SourceHercleWebhook, func(Event) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("Events with a failing fn = %v after %d calls, want stop after 1", err, n)
	}
}
