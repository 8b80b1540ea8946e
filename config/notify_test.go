package config

import (
	"os"
	"strings"
	"testing"

	"github.com/otcdesk/engine/notify"
	"github.com/otcdesk/engine/portfolio"
)

// TestNotifyExampleSection: the shipped file notifies nobody and costs
// with FIFO; its commented [notify] example, uncommented, is valid and
// names no secret, only the variables holding them.
func TestNotifyExampleSection(t *testing.T) {
	b, err := os.ReadFile("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := Parse("config.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped.Notify.Sinks) != 0 || shipped.Portfolio.Method != string(portfolio.FIFO) {
		t.Fatalf("shipped: %d sinks, method %q; want none, fifo", len(shipped.Notify.Sinks), shipped.Portfolio.Method)
	}
	text := string(b)
	i := strings.Index(text, "# [notify]\n")
	if i < 0 {
		t.Fatal("config.toml has no commented [notify] example")
	}
	var lines []string
	for _, l := range strings.Split(text[i:], "\n") {
		l = strings.TrimPrefix(strings.TrimPrefix(l, "#"), " ")
		if strings.HasPrefix(l, "[[notify.sinks]]") {
			l = "[[notify.sinks]]" // its trailing comment is a shell line
		}
		lines = append(lines, l)
	}
	cfg, err := Parse("config.toml with [notify]", []byte(text[:i]+strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("the [notify] example does not load: %v", err)
	}
	if len(cfg.Notify.Sinks) != 3 {
		t.Fatalf("example sinks = %d, want slack, telegram and webhook", len(cfg.Notify.Sinks))
	}
	env := map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x", "TELEGRAM_BOT_TOKEN": "123456:ABCdef", "NOTIFY_WEBHOOK_SECRET": "0123456789abcdef0123456789abcdef"}
	if _, err := notify.New(cfg.Notify, notify.Options{Getenv: func(k string) string { return env[k] }}); err != nil {
		t.Errorf("notify.New(example) = %v", err)
	}
}
