package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestHandlerMasksSecrets(t *testing.T) {
	const key = "hk_live_0123456789abcdef"
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil), key, "ab"))
	log.Info("dial "+key, "url", "wss://x/hub?access_token="+key, "err", errors.New("401 for Bearer "+key),
		"api_key", "anything", "nested", slog.GroupValue(slog.String("v", key)), "n", 3,
		"stringer", fmt.Sprint(key))
	log.With("header", "Bearer "+key).WithGroup("g").Info("again", "token", "x")
	out := buf.String()
	if strings.Contains(out, key) || strings.Contains(out, "anything") {
		t.Fatalf("secret leaked: %s", out)
	}
	if !strings.Contains(out, `"n":3`) || !strings.Contains(out, Mask) {
		t.Fatalf("unexpected output: %s", out)
	}
	// A too-short "secret" is not scrubbed everywhere.
	if !strings.Contains(out, "dial") {
		t.Fatalf("message lost: %s", out)
	}
}
