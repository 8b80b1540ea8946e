package hercle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Params are free-form address parameters (addressParams,
// destinationParams): tag, memo, sort code, BIC and the like. Values are
// text. On input a number or boolean value is kept as its literal and a
// nested object or array as its compact JSON text, so an unexpected value
// never fails the response; null and an empty array give empty Params. A
// nil Params marshals as {} (the venue requires the object).
type Params map[string]string

// UnmarshalJSON reads an object of scalar values (see Params).
func (p *Params) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*p = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		if len(arr) > 0 {
			return fmt.Errorf("%w: params are a non-empty array", ErrUnexpectedShape)
		}
		*p = Params{}
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Params, len(raw))
	for k, v := range raw {
		out[k] = text(v)
	}
	*p = out
	return nil
}

// MarshalJSON writes an object; nil writes {}.
func (p Params) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]string(p))
}

// text is a JSON value as text: a string's content, null as "", anything
// else as its compact literal.
func text(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	v = bytes.TrimSpace(v)
	if bytes.Equal(v, []byte("null")) {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return string(v)
	}
	return buf.String()
}

// RoutingCode is one bank routing code, for example {sort_code, 200415}.
type RoutingCode struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// RoutingCodes are a bank account's routing codes. The deposit-address
// pages type them as an array of {type, value}; the ledger page as an
// object. Both are accepted (an object {"aba": "026009593"} becomes one
// entry per key, sorted by key); they marshal as the array.
type RoutingCodes []RoutingCode

// UnmarshalJSON reads the array or the object form.
func (r *RoutingCodes) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		out := make(RoutingCodes, 0, len(m))
		for k, v := range m {
			out = append(out, RoutingCode{Type: k, Value: text(v)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
		*r = out
		return nil
	}
	var arr []RoutingCode
	if err := json.Unmarshal(b, &arr); err != nil {
		return err
	}
	*r = arr
	return nil
}
