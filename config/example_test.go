package config_test

import (
	"fmt"

	"github.com/otcdesk/engine/config"
)

func ExampleParse() {
	_, err := config.Parse("engine.toml", []byte(`
mode = "paper"
[hercle]
timeout = "soon"
api_key = "do-not-put-me-here"
`))
	fmt.Println(err)
	// Output:
	// engine.toml: 2 problem(s):
	//   hercle.api_key: secrets are not read from the config file; remove it and set HERCLE_API_KEY (or HERCLE_API_KEY_FILE)
	//   hercle.timeout: duration "soon": want a form such as "500ms", "30s", "5m" or "1h"
}
