package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The reconciler decodes every stored webhook at start-up and the handler
// parses each request's envelope. encoding/json's Decoder.Token allocates
// per token, and decoding the data into maps to look up a few keys cost as
// much as decoding the model. This file is a scanner over a webhook body's
// bytes that accepts exactly what encoding/json accepts, so the envelope and
// the few keys looked up inside the data are found without reflection or
// maps. The models are still decoded by encoding/json.
//
// Exactness, not leniency, is the point: every function here mirrors a rule
// of encoding/json's scanner (grammar, white space, nesting limit) or its
// string decoding (escapes, surrogates, invalid UTF-8), and
// FuzzWebhookDecodeMatchesReference holds the decoder built on it to the
// encoding/json one it replaced. Nothing here panics on any input; bounds
// are checked on every index.

// jsonMaxDepth is encoding/json's limit on nested arrays and objects.
const jsonMaxDepth = 10000

// Flags jsonStringEnd reports about a string literal.
const (
	jsonStrEscape   = 1 << iota // holds a backslash escape
	jsonStrNonASCII             // holds a byte ≥ 0x80 (possibly invalid UTF-8)
)

func jsonSkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// jsonStringEnd returns the index just past the string literal starting at
// b[i] == '"', or -1 when the literal is malformed or unterminated. Like
// encoding/json it refuses control characters and unknown escapes and allows
// invalid UTF-8.
func jsonStringEnd(b []byte, i int) (end int, flags uint8) {
	if i >= len(b) || b[i] != '"' {
		return -1, 0
	}
	for j := i + 1; j < len(b); {
		c := b[j]
		switch {
		case c-0x20 < 0x80-0x20 && c != '"' && c != '\\': // printable ASCII
			j++
		case c == '"':
			return j + 1, flags
		case c == '\\':
			flags |= jsonStrEscape
			if j+1 >= len(b) {
				return -1, 0
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return -1, 0
				}
				j += 6
			default:
				return -1, 0
			}
		case c < 0x20:
			return -1, 0
		default:
			flags |= jsonStrNonASCII
			j++
		}
	}
	return -1, 0
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// jsonNumberEnd returns the index just past the number starting at b[i], or
// -1. As in encoding/json the number ends at the first byte that cannot
// continue it (so "01" is the number 0 followed by a stray 1), and it is
// malformed only when the grammar needs another byte ("-", "1.", "1e+").
func jsonNumberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i++; i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return -1
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i
}

// jsonObjectKey reads `"key" :` starting at b[i] and returns the index of
// the member's value (white space skipped), or -1.
func jsonObjectKey(b []byte, i int) int {
	end, _ := jsonStringEnd(b, i)
	if end < 0 {
		return -1
	}
	i = jsonSkipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return jsonSkipWS(b, i+1)
}

// jsonValueEnd returns the index just past the JSON value starting at b[i]
// (its first byte, not white space before it), or -1 when no valid value
// starts there. It accepts exactly what encoding/json's scanner accepts for
// one value; depth is the number of arrays and objects already open around
// the value, which count towards encoding/json's nesting limit. It does not
// recurse: it keeps a byte per open level (on the heap past 32 levels).
func jsonValueEnd(b []byte, i, depth int) int {
	var buf [32]byte
	open := buf[:0] // the '{' and '[' enclosing position i, innermost last
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return -1
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth+len(open) >= jsonMaxDepth {
				return -1
			}
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if i = jsonSkipWS(b, i+1); i < len(b) && b[i] == closer {
				i++
				break // empty
			}
			open = append(open, c)
			if c == '{' {
				if i = jsonObjectKey(b, i); i < 0 {
					return -1
				}
			}
			continue
		case '"':
			if i, _ = jsonStringEnd(b, i); i < 0 {
				return -1
			}
		case 't':
			if !bytes.HasPrefix(b[i:], []byte("true")) {
				return -1
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(b[i:], []byte("false")) {
				return -1
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(b[i:], []byte("null")) {
				return -1
			}
			i += 4
		default:
			if i = jsonNumberEnd(b, i); i < 0 {
				return -1
			}
		}
		// A value ends at i: close what it ends, then find the next value.
		for {
			if len(open) == 0 {
				return i
			}
			if i = jsonSkipWS(b, i); i >= len(b) {
				return -1
			}
			top := open[len(open)-1]
			if b[i] == ',' {
				i = jsonSkipWS(b, i+1)
				if top == '{' {
					if i = jsonObjectKey(b, i); i < 0 {
						return -1
					}
				}
				break
			}
			if top == '{' && b[i] != '}' || top == '[' && b[i] != ']' {
				return -1
			}
			open = open[:len(open)-1]
			i++
		}
	}
}

// jsonValid is json.Valid: one value, white space around it allowed.
func jsonValid(b []byte) bool {
	end := jsonValueEnd(b, jsonSkipWS(b, 0), 0)
	return end >= 0 && jsonSkipWS(b, end) == len(b)
}

// jsonKeyText returns the key literal's text as encoding/json decodes it
// (escapes resolved, invalid UTF-8 replaced by U+FFFD).
func jsonKeyText(key []byte) string {
	if s, ok := jsonPlainString(key); ok {
		return s
	}
	var s string
	// The scanner has checked the literal, and encoding/json decodes every
	// literal its scanner accepts, so this does not fail.
	_ = json.Unmarshal(key, &s)
	return s
}

// jsonObjectIter reads an object's members in order, checking the grammar
// as it goes, so a caller sees every member before the first malformation
// and nothing after it.
type jsonObjectIter struct {
	b     []byte
	i     int  // next byte to read: after '{' or after the last member's value
	depth int  // arrays and objects open around the members' values
	n     int  // members read
	bad   bool // the object is malformed at i

	// The member next found.
	key   []byte // the key's literal, quotes and escapes intact
	plain bool   // the key has no escape and no byte ≥ 0x80
	value []byte
	text  *string // the key's text once keyText decoded it (not plain keys)
}

// keyText returns the member's key as encoding/json decodes it, decoding a
// key that is not plain once however many names it is compared with.
func (it *jsonObjectIter) keyText() string {
	if it.text == nil {
		s := jsonKeyText(it.key)
		it.text = &s
	}
	return *it.text
}

// next reads the next member into key, plain and value; it returns false
// at the closing brace (i then just past it) or at a malformation (bad).
func (it *jsonObjectIter) next() bool {
	b := it.b
	i := jsonSkipWS(b, it.i)
	if i < len(b) && b[i] == '}' {
		it.i = i + 1
		return false
	}
	if it.n > 0 {
		if i >= len(b) || b[i] != ',' {
			it.bad = true
			return false
		}
		i = jsonSkipWS(b, i+1)
	}
	kEnd, flags := jsonStringEnd(b, i)
	if kEnd < 0 {
		it.bad = true
		return false
	}
	it.key, it.plain, it.text = b[i:kEnd], flags == 0, nil
	if i = jsonSkipWS(b, kEnd); i >= len(b) || b[i] != ':' {
		it.bad = true
		return false
	}
	i = jsonSkipWS(b, i+1)
	vEnd := jsonValueEnd(b, i, it.depth)
	if vEnd < 0 {
		it.bad = true
		return false
	}
	it.value = b[i:vEnd]
	it.i, it.n = vEnd, it.n+1
	return true
}

// keyFold reports strings.EqualFold(key, name), the envelope's key rule,
// Unicode folding included ("ſ" matches "s", "K" (Kelvin) matches "k").
func (it *jsonObjectIter) keyFold(name string) bool {
	if !it.plain {
		return strings.EqualFold(it.keyText(), name)
	}
	k := it.key[1 : len(it.key)-1]
	if len(k) != len(name) {
		return false
	}
	for j := range len(k) {
		if lowerASCII(k[j]) != lowerASCII(name[j]) {
			return false
		}
	}
	return true
}

// keyLower reports strings.ToLower(key) == name for a lower-case ASCII
// name, the rule the data's keys were looked up by (a map by lower-cased
// key). It differs from keyFold: "İ" lowers to "i", "ſ" stays "ſ".
func (it *jsonObjectIter) keyLower(name string) bool {
	if !it.plain {
		return strings.ToLower(it.keyText()) == name
	}
	k := it.key[1 : len(it.key)-1]
	if len(k) != len(name) {
		return false
	}
	for j := range len(k) {
		if lowerASCII(k[j]) != name[j] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// jsonObject starts reading b as one JSON object the way json.Unmarshal
// reads a whole document: white space around it allowed, the members'
// values one level deep. ok is false when b does not start with an object.
// After the members, jsonObjectEnd tells whether b was a valid object.
func jsonObject(b []byte) (it jsonObjectIter, ok bool) {
	i := jsonSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return jsonObjectIter{}, false
	}
	return jsonObjectIter{b: b, i: i + 1, depth: 1}, true
}

// jsonObjectEnd reports whether the members were read to a closing brace
// with nothing but white space after it.
func jsonObjectEnd(it *jsonObjectIter) bool {
	return !it.bad && jsonSkipWS(it.b, it.i) == len(it.b)
}

// jsonPlainString returns the text of the string literal v when it needs no
// decoding: no escape and valid UTF-8, so the bytes are the text. v must be
// a literal the scanner accepted (jsonStringEnd).
func jsonPlainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') >= 0 || !utf8.Valid(s) {
		return "", false
	}
	return string(s), true
}

// jsonUnquote decodes the string literal v into new memory exactly as
// encoding/json does (its unquoteBytes, of which this is a copy apart from
// the buffer handling): escapes resolved, \u surrogate pairs combined, a
// lone surrogate and each byte of invalid UTF-8 replaced by U+FFFD. ok is
// false where encoding/json fails; it also refuses the \' that
// encoding/json's decoder (but not its scanner) would take.
func jsonUnquote(v []byte) (out []byte, ok bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	out = make([]byte, 0, len(s)+2*utf8.UTFMax)
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			r++
			if r >= len(s) {
				return nil, false
			}
			switch s[r] {
			case '"', '\\', '/':
				out = append(out, s[r])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := getu4(s[r-1:])
				if rr < 0 {
					return nil, false
				}
				r += 5
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						out = utf8.AppendRune(out, dec)
						r += 6
						continue
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
				continue
			default:
				return nil, false
			}
			r++
		case c == '"', c < ' ':
			return nil, false
		case c < utf8.RuneSelf:
			// A run of printable ASCII, copied at once.
			start := r
			for r++; r < len(s) && s[r]-' ' < utf8.RuneSelf-' ' && s[r] != '"' && s[r] != '\\'; r++ {
			}
			out = append(out, s[start:r]...)
		default:
			rr, size := utf8.DecodeRune(s[r:])
			out = utf8.AppendRune(out, rr)
			r += size
		}
	}
	return out, true
}

// getu4 decodes \uXXXX at the start of s, or returns -1 (encoding/json's).
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
