package strategy

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Spec is one [[strategy]] table: an instance of a registered kind.
type Spec struct {
	Kind string `toml:"kind"`
	Name string `toml:"name"`
	// Disabled keeps the table in the file without running it.
	Disabled bool `toml:"disabled"`
	// Params are the kind's own settings, decoded by its factory through
	// Decode, which refuses keys the kind does not know.
	Params map[string]any `toml:"params"`
}

// Decode fills v, the kind's typed params struct, from Params. Keys v has
// no field for are an error, as everywhere else in the file.
func (s Spec) Decode(v any) error {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(s.Params); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	md, err := toml.NewDecoder(&buf).Decode(v)
	if err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = "params." + k.String()
		}
		sort.Strings(keys)
		return fmt.Errorf("unknown key(s) %s", strings.Join(keys, ", "))
	}
	return nil
}
