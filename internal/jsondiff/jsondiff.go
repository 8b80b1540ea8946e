// Package jsondiff compares generic JSON documents for tests that check a
// model re-encodes what it decoded: numbers compared as decimals, keys
// dropped and values changed reported by path.
//
// It holds no state and is used by tests only.
package jsondiff

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"

	"github.com/shopspring/decimal"
)

// Decode decodes one JSON value generically, numbers as json.Number.
func Decode(b []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

// Compare reports keys of want missing from got and values that differ,
// each under its path from the root, named path (such as "$"). A null or
// "" in want matches a null in got (absent optional values).
func Compare(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": object became " + typeName(got)}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": key dropped")
				continue
			}
			out = append(out, Compare(path+"."+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{path + ": array changed length or type"}
		}
		var out []string
		for i := range w {
			out = append(out, Compare(path+"["+string(rune('0'+i%10))+"]", w[i], g[i])...)
		}
		return out
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return []string{path + ": number became " + typeName(got)}
		}
		if !decimal.RequireFromString(w.String()).Equal(decimal.RequireFromString(g.String())) {
			return []string{path + ": " + w.String() + " became " + g.String()}
		}
	case nil:
	case string:
		if w == "" && got == nil {
			return nil
		}
		if got != w {
			return []string{path + ": " + w + " changed"}
		}
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{path + ": value changed"}
		}
	}
	return nil
}

func typeName(v any) string { return reflect.TypeOf(v).String() }
