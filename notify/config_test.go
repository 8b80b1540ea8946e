package notify

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/otcdesk/engine/internal/tomlval"
)

// docSample returns the TOML sample of the package documentation.
func docSample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "// # Configuration")
	rest, _, _ = strings.Cut(rest, "\n// # ")
	var sample strings.Builder
	for _, line := range strings.Split(rest, "\n") {
		if l, ok := strings.CutPrefix(line, "//\t"); ok {
			sample.WriteString(l + "\n")
		}
	}
	if sample.Len() == 0 {
		t.Fatal("no TOML sample under # Configuration in doc.go")
	}
	return sample.String()
}

// decode reads a [notify] section strictly, as config.Load does.
func decode(t *testing.T, doc string) Config {
	t.Helper()
	var file struct {
		Notify Config `toml:"notify"`
	}
	md, err := toml.Decode(doc, &file)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Fatalf("undecoded keys: %v", u)
	}
	return file.Notify
}

// The operators' sample in doc.go decodes, validates and starts.
func TestDocSampleIsValid(t *testing.T) {
	cfg := decode(t, docSample(t))
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if len(cfg.Sinks) != 3 || cfg.Sinks[1].ChatID != "-1001234567890" || cfg.DedupWindow.Duration != 10*time.Minute {
		t.Errorf("decoded %+v", cfg)
	}
	env := map[string]string{
		"SLACK_WEBHOOK_URL":     "https://hooks.slack.com/services/T0/B0/xyz",
		"TELEGRAM_BOT_TOKEN":    "123456:ABC",
		"NOTIFY_WEBHOOK_SECRET": "whsec-0123456789",
	}
	if _, err := New(cfg, Options{Getenv: func(k string) string { return env[k] }}); err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c := decode(t, "[notify]\n[[notify.sinks]]\nname = \"tg\"\ntype = \"telegram\"\nclasses = [\"kills\"]\nchat_id = \"@desk\"\ntoken_env = \"T\"\n")
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	c = c.WithDefaults()
	s := c.Sinks[0]
	if c.DedupWindow.Duration != DefaultDedupWindow || c.GiveUpAfter.Duration != DefaultGiveUpAfter ||
		c.DrainGrace.Duration != DefaultDrainGrace || c.RequestTimeout.Duration != DefaultRequestTimeout ||
		c.DropLogEvery.Duration != DefaultDropLogEvery || c.QueueSize != DefaultQueueSize ||
		s.RatePerMinute != DefaultRatePerMinute || s.Burst != DefaultBurst || s.BaseURL != DefaultTelegramURL {
		t.Errorf("WithDefaults = %+v", c)
	}
	if d := DefaultConfig(); len(d.Sinks) != 0 || d.QueueSize != DefaultQueueSize {
		t.Errorf("DefaultConfig = %+v", d)
	}
}

func TestValidateNamesEachKey(t *testing.T) {
	ok := func() Config {
		return Config{Sinks: []SinkConfig{
			{Name: "slack", Type: TypeSlack, Classes: []string{"fills"}, URLEnv: "SLACK_URL"},
			{Name: "tg", Type: TypeTelegram, Classes: []string{"kills"}, ChatID: "1", TokenEnv: "TG"},
			{Name: "hook", Type: TypeWebhook, Classes: []string{"breaks"}, URL: "https://example.com/in", SecretEnv: "S"},
		}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		wants []string
	}{
		{"bad type", func(c *Config) { c.Sinks[1].Type = "sms" }, []string{`notify.sinks[1].type: must be "slack", "telegram" or "webhook", got "sms"`}},
		{"no classes", func(c *Config) { c.Sinks[0].Classes = nil }, []string{"notify.sinks[0].classes: must list"}},
		{"unknown and repeated class", func(c *Config) { c.Sinks[0].Classes = []string{"fills", "fill", "fills"} },
			[]string{`notify.sinks[0].classes[1]: unknown class "fill"`, `notify.sinks[0].classes[2]: "fills" is listed twice`}},
		{"duplicate name", func(c *Config) { c.Sinks[2].Name = "slack" }, []string{`notify.sinks[2].name: "slack" is already the name of notify.sinks[0]`}},
		{"bad name", func(c *Config) { c.Sinks[0].Name = "Desk Slack" }, []string{"notify.sinks[0].name: must be lower-case"}},
		{"slack url in the file", func(c *Config) { c.Sinks[0].URL = "https://hooks.slack.com/services/x" },
			[]string{"notify.sinks[0].url: a Slack incoming-webhook URL is a secret"}},
		{"slack without url_env", func(c *Config) { c.Sinks[0].URLEnv = "" }, []string{"notify.sinks[0].url_env: required"}},
		{"telegram without chat or token", func(c *Config) { c.Sinks[1].ChatID, c.Sinks[1].TokenEnv = "", "" },
			[]string{"notify.sinks[1].chat_id: required", "notify.sinks[1].token_env: required"}},
		{"telegram plain http", func(c *Config) { c.Sinks[1].BaseURL = "http://api.example.com" },
			[]string{"notify.sinks[1].base_url: BaseURL: plain http is allowed only to a loopback host"}},
		{"field of another type", func(c *Config) { c.Sinks[1].SecretEnv = "S" }, []string{"notify.sinks[1].secret_env: is not used by a telegram sink"}},
		{"webhook without url", func(c *Config) { c.Sinks[2].URL = "" }, []string{"notify.sinks[2].url: required"}},
		{"webhook with both", func(c *Config) { c.Sinks[2].URLEnv = "U" }, []string{"notify.sinks[2].url: set url or url_env, not both"}},
		{"webhook over http", func(c *Config) { c.Sinks[2].URL = "http://example.com/in" }, []string{"notify.sinks[2].url: plain http is allowed only to a loopback host"}},
		{"webhook without secret", func(c *Config) { c.Sinks[2].SecretEnv = "" }, []string{"notify.sinks[2].secret_env: required"}},
		{"negative rate and burst", func(c *Config) { c.Sinks[0].RatePerMinute, c.Sinks[0].Burst = -1, -1 },
			[]string{"notify.sinks[0].rate_per_minute: must not be negative", "notify.sinks[0].burst: must not be negative"}},
		{"negative duration", func(c *Config) { c.GiveUpAfter = tomlval.Dur(-time.Second) }, []string{"notify.give_up_after: must not be negative"}},
		{"queue size", func(c *Config) { c.QueueSize = -1 }, []string{"notify.queue_size: must be from 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate = nil")
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Validate = %v\nwant a line containing %q", err, want)
				}
			}
			if n, want := strings.Count(err.Error(), "\n"), len(tc.wants); n != want { // a header line, then one per problem
				t.Errorf("Validate reported %d problems, want %d:\n%v", n, want, err)
			}
		})
	}
}

func TestDecodeErrorsNameTheKey(t *testing.T) {
	c := decode(t, "[notify]\ndedup_window = 600\ndrain_grace = \"soon\"\n")
	err := c.WithDefaults().Validate()
	for _, want := range []string{"notify.dedup_window: duration must be a string", `notify.drain_grace: duration "soon"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	var cfg struct {
		Notify Config `toml:"notify"`
	}
	if _, err := toml.Decode("[[notify.sinks]]\nchat_id = 1.5\n", &cfg); err == nil || !strings.Contains(err.Error(), "chat_id must be a number or a string") {
		t.Errorf("chat_id = 1.5: %v", err)
	}
}
