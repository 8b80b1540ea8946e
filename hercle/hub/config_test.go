package hub

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestConfigNeverPrintsKey(t *testing.T) {
	c := Config{BaseURL: "https://example.test", APIKey: "sk_test_eyJhbGciOiJIUzI1NiJ9.s3cr3t"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("hub", "c", c)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("hub", "c", c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", &c), logged.String()} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("hub config printed with its key: %s", s)
		}
	}
}
