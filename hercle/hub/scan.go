package hub

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
// (grown to len(v) if need be) and returns it (copied true), so the caller
// may keep it as scratch. v must be exactly one string literal. One pass:
// the unescaped text never outgrows v, so it is written by index.
func unquoteBytes(v, buf []byte) (out []byte, copied bool, err error) {
	n := len(v)
	if n < 2 || v[0] != '"' {
		return nil, false, errScan
	}
	bs := bytes.IndexByte(v[1:], '\\')
	if bs < 0 {
		// Without escapes the only quote after the first must be the last byte.
		if bytes.IndexByte(v[1:], '"') != n-2 {
			return nil, false, errScan
		}
		return v[1 : n-1], false, nil
	}
	bs++
	if bytes.IndexByte(v[1:bs], '"') >= 0 {
		return nil, false, errScan // the literal ends before its first escape
	}
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	out = buf[:n]
	w := copy(out, v[1:bs])
	for i := bs; i < n; i++ {
		c := v[i]
		if c == '"' {
			if i != n-1 {
				return nil, false, errScan
			}
			return out[:w], true, nil
		}
		if c != '\\' {
			out[w] = c
			w++
			continue
		}
		if i++; i == n {
			return nil, false, errScan
		}
		switch v[i] {
		case '"', '\\', '/':
			out[w] = v[i]
		case 'b':
			out[w] = '\b'
		case 'f':
			out[w] = '\f'
		case 'n':
			out[w] = '\n'
		case 'r':
			out[w] = '\r'
		case 't':
			out[w] = '\t'
		case 'u':
			// Rare in a payload: let encoding/json do surrogates right. It
			// allows trailing space; a literal must end at v's last byte.
			var s string
			if v[n-1] != '"' || json.Unmarshal(v, &s) != nil {
				return nil, false, errScan
			}
			return append(buf[:0], s...), true, nil
		default:
			return nil, false, errScan
		}
		w++
	}
	return nil, false, errScan // no closing quote
}

// keyIs reports whether the raw (quoted-content) key equals name. Keys with
// escapes never match; the venue does not send them.
func keyIs(key []byte, name string) bool { return string(key) == name }
