package hercle

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// The hub delivers price updates at high rates; encoding/json's reflection
// costs several microseconds per envelope. hub_scan.go is a small,
// allocation-light scanner for the two shapes on the hot path: a flat JSON
// object whose members are read as raw values, and JSON strings. Anything it
// does not understand is an error, never a panic; colder paths use
// encoding/json on the raw values it returns.

var errScan = errors.New("hercle: malformed JSON")

// maxScanDepth bounds nesting inside skipped values, so hostile input cannot
// make the scanner recurse or loop without limit (it does not recurse at all;
// the bound keeps the depth counter meaningful).
const maxScanDepth = 64

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanString returns the index just past the closing quote of the string
// starting at b[i] == '"'. A quote is the closing one when an even number of
// backslashes precedes it, so the scan costs one IndexByte per quote. Escapes
// and control characters are checked by unquote, not here.
func scanString(b []byte, i int) (end int, err error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errScan
	}
	start := i + 1
	for i = start; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, errScan
		}
		q := i + j
		n := 0
		for k := q - 1; k >= start && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, nil
		}
		i = q + 1
	}
}

// hasEscape reports whether the quoted literal v holds a backslash.
func hasEscape(v []byte) bool { return bytes.IndexByte(v, '\\') >= 0 }

// scanValue returns the index just past the JSON value starting at b[i].
// Nested objects and arrays are skipped by bracket matching with string
// awareness; their inner grammar is checked later by whoever decodes them.
func scanValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errScan
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{' || c == '[':
		var stack [maxScanDepth]byte
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, err := scanString(b, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				if depth == maxScanDepth {
					return 0, errScan
				}
				stack[depth] = b[i]
				depth++
			case '}', ']':
				if depth == 0 {
					return 0, errScan
				}
				depth--
				if open := stack[depth]; (open == '{') != (b[i] == '}') {
					return 0, errScan
				}
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errScan
	case c == '-' || (c >= '0' && c <= '9'):
		j := i
		for j < len(b) && (b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || (b[j] >= '0' && b[j] <= '9')) {
			j++
		}
		return j, nil
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return 0, errScan
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errScan
	}
	return i + len(lit), nil
}

// scanObject calls member for each member of the JSON object b, with the key
// (still quoted, escapes intact) and the raw value. Trailing bytes other than
// white space are an error.
func scanObject(b []byte, member func(key, value []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errScan
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		if skipSpace(b, i+1) != len(b) {
			return errScan
		}
		return nil
	}
	for {
		kEnd, err := scanString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return errScan
		}
		i = skipSpace(b, i+1)
		vEnd, err := scanValue(b, i)
		if err != nil {
			return err
		}
		if err := member(key, b[i:vEnd]); err != nil {
			return err
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return errScan
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			if skipSpace(b, i+1) != len(b) {
				return errScan
			}
			return nil
		default:
			return errScan
		}
	}
}

// unquote returns the text of the JSON string literal v (with quotes). The
// common case without escapes costs one allocation for the string; strings
// with escapes go through encoding/json, which handles \u and surrogates.
func unquote(v []byte) (string, error) {
	end, err := scanString(v, 0)
	if err != nil || end != len(v) {
		return "", errScan
	}
	if !hasEscape(v) {
		body := v[1 : len(v)-1]
		for _, c := range body {
			if c < 0x20 {
				return "", errScan
			}
		}
		if !utf8.Valid(body) {
			return "", errScan
		}
		return string(body), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", errScan
	}
	return s, nil
}

// unquoteBytes is unquote into a byte slice. Without escapes it returns a
// sub-slice of v (copied false); with escapes it writes into buf's storage
// and returns it (copied true), so the caller may keep it as scratch.
func unquoteBytes(v, buf []byte) (out []byte, copied bool, err error) {
	end, err := scanString(v, 0)
	if err != nil || end != len(v) {
		return nil, false, errScan
	}
	if !hasEscape(v) {
		return v[1 : len(v)-1], false, nil
	}
	buf = buf[:0]
	for i := 1; i < len(v)-1; i++ {
		c := v[i]
		if c != '\\' {
			buf = append(buf, c)
			continue
		}
		i++
		switch v[i] {
		case '"', '\\', '/':
			buf = append(buf, v[i])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			// Rare in a payload: let encoding/json do surrogates right.
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, false, errScan
			}
			return append(buf[:0], s...), true, nil
		default:
			return nil, false, errScan
		}
	}
	return buf, true, nil
}

// keyIs reports whether the raw (quoted-content) key equals name. Keys with
// escapes never match; the venue does not send them.
func keyIs(key []byte, name string) bool { return string(key) == name }
