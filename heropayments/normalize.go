package heropayments

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects the normaliser accepts.
// JSON.parse goes deeper; nothing Heropayments sends or we build comes near.
const maxDepth = 512

// Normalize returns JSON.stringify(JSON.parse(data)) as Node computes it:
// the text the document says a signature covers.
//
// It follows ECMAScript exactly where the two could differ:
//   - whitespace (space, tab, CR, LF) between tokens is dropped;
//   - numbers go through an IEEE-754 double and are printed by
//     Number::toString: 1.10 → 1.1, 100.0 → 100, 1e-7 → 1e-7,
//     1e21 → 1e+21, 123456789012345678901 → 123456789012345680000, -0 → 0,
//     and a number too large for a double (1e400) becomes null;
//   - strings are re-escaped as JSON.stringify does: \" \\ \b \f \n \r \t,
//     other control characters as \u00xx, lone surrogates as \udxxx, every
//     other character (including / and U+2028) literally, so "\u00e9"
//     becomes "é";
//   - object keys keep their first position and take their last value, and
//     keys that are array indices ("0" … "4294967294") come first in
//     ascending numeric order, as in every JavaScript object.
//
// It returns an error wrapping ErrInvalidJSON wherever JSON.parse throws
// (trailing commas, leading zeros such as 001.10, single quotes, a byte
// order mark, trailing data), and also for invalid UTF-8 and nesting deeper
// than 512, which Node would accept; nothing Heropayments signs contains
// either. The error never quotes the input.
func Normalize(data []byte) ([]byte, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.fail("unexpected data after the JSON value")
	}
	out := make([]byte, 0, len(data))
	return v.appendTo(out), nil
}

// jsValue is a parsed value in the form JSON.stringify will print it.
// Scalars are kept as their final text; only objects need structure.
type jsValue struct {
	text  []byte    // scalars: the printed token
	arr   []jsValue // arrays (isArr)
	obj   *jsObject // objects
	isArr bool
}

// jsObject is a JavaScript object's own properties in creation order.
// Keys are stored as their printed (quoted, escaped) token: two keys are the
// same property exactly when their tokens are equal.
type jsObject struct {
	keys []string
	vals map[string]jsValue
}

func (v jsValue) appendTo(b []byte) []byte {
	switch {
	case v.obj != nil:
		b = append(b, '{')
		for i, k := range v.obj.order() {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, k...)
			b = append(b, ':')
			b = v.obj.vals[k].appendTo(b)
		}
		return append(b, '}')
	case v.isArr:
		b = append(b, '[')
		for i, e := range v.arr {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendTo(b)
		}
		return append(b, ']')
	default:
		return append(b, v.text...)
	}
}

// order returns the keys in ECMAScript's OrdinaryOwnPropertyKeys order:
// array indices ascending, then the other keys in creation order.
func (o *jsObject) order() []string {
	type index struct {
		n   uint32
		key string
	}
	var idx []index
	var rest []string
	for _, k := range o.keys {
		if n, ok := arrayIndex(k); ok {
			idx = append(idx, index{n, k})
		} else {
			rest = append(rest, k)
		}
	}
	if len(idx) == 0 {
		return o.keys
	}
	slices.SortFunc(idx, func(a, b index) int {
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	})
	out := make([]string, 0, len(o.keys))
	for _, i := range idx {
		out = append(out, i.key)
	}
	return append(out, rest...)
}

// arrayIndex reports whether the quoted key token is a canonical array
// index: the decimal form of an integer 0 ≤ n ≤ 2^32−2 without leading zeros.
func arrayIndex(tok string) (uint32, bool) {
	s := tok[1 : len(tok)-1]
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > math.MaxUint32-1 {
		return 0, false
	}
	return uint32(n), true
}

type parser struct {
	data []byte
	pos  int
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", ErrInvalidJSON, what, p.pos)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (jsValue, error) {
	if p.pos >= len(p.data) {
		return jsValue{}, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= maxDepth {
			return jsValue{}, p.fail("nesting too deep")
		}
		return p.object(depth + 1)
	case c == '[':
		if depth >= maxDepth {
			return jsValue{}, p.fail("nesting too deep")
		}
		return p.array(depth + 1)
	case c == '"':
		tok, err := p.str()
		return jsValue{text: tok}, err
	case c == '-' || c >= '0' && c <= '9':
		tok, err := p.number()
		return jsValue{text: tok}, err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	}
	return jsValue{}, p.fail("unexpected character")
}

func (p *parser) literal(word string) (jsValue, error) {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return jsValue{}, p.fail("invalid literal")
	}
	p.pos += len(word)
	return jsValue{text: []byte(word)}, nil
}

func (p *parser) object(depth int) (jsValue, error) {
	p.pos++ // '{'
	o := &jsObject{vals: map[string]jsValue{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return jsValue{obj: o}, nil
	}
	for {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return jsValue{}, p.fail("expected a string key")
		}
		kt, err := p.str()
		if err != nil {
			return jsValue{}, err
		}
		k := string(kt)
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return jsValue{}, p.fail("expected ':'")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return jsValue{}, err
		}
		if _, dup := o.vals[k]; !dup {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v // last value wins, first position stays
		p.skipSpace()
		if p.pos >= len(p.data) {
			return jsValue{}, p.fail("unexpected end of input in object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case '}':
			p.pos++
			return jsValue{obj: o}, nil
		default:
			return jsValue{}, p.fail("expected ',' or '}'")
		}
	}
}

func (p *parser) array(depth int) (jsValue, error) {
	p.pos++ // '['
	v := jsValue{isArr: true, arr: []jsValue{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		e, err := p.value(depth)
		if err != nil {
			return jsValue{}, err
		}
		v.arr = append(v.arr, e)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return jsValue{}, p.fail("unexpected end of input in array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
		case ']':
			p.pos++
			return v, nil
		default:
			return jsValue{}, p.fail("expected ',' or ']'")
		}
	}
}

// str parses a JSON string and returns the token JSON.stringify prints for
// it. The string is decoded to UTF-16 code units, as JavaScript holds it,
// and encoded again, so escaped and literal forms of one text agree.
func (p *parser) str() ([]byte, error) {
	p.pos++ // opening quote
	var units []uint16
	for {
		if p.pos >= len(p.data) {
			return nil, p.fail("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return appendJSString(nil, units), nil
		case c == '\\':
			if p.pos+1 >= len(p.data) {
				return nil, p.fail("unterminated escape")
			}
			e := p.data[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				units = append(units, uint16(e))
			case 'b':
				units = append(units, '\b')
			case 'f':
				units = append(units, '\f')
			case 'n':
				units = append(units, '\n')
			case 'r':
				units = append(units, '\r')
			case 't':
				units = append(units, '\t')
			case 'u':
				if p.pos+4 > len(p.data) {
					return nil, p.fail("short \\u escape")
				}
				u, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 16)
				if err != nil || !isHex4(p.data[p.pos:p.pos+4]) {
					return nil, p.fail("invalid \\u escape")
				}
				units = append(units, uint16(u))
				p.pos += 4
			default:
				p.pos -= 2
				return nil, p.fail("invalid escape")
			}
		case c < 0x20:
			return nil, p.fail("control character in string")
		case c < utf8.RuneSelf:
			units = append(units, uint16(c))
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return nil, p.fail("invalid UTF-8")
			}
			units = utf16.AppendRune(units, r)
			p.pos += size
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// appendJSString appends the JSON.stringify form of the UTF-16 text units
// (ECMAScript QuoteJSONString, well-formed since ES2019).
func appendJSString(b []byte, units []uint16) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(units); i++ {
		u := units[i]
		switch {
		case u == '"':
			b = append(b, '\\', '"')
		case u == '\\':
			b = append(b, '\\', '\\')
		case u == '\b':
			b = append(b, '\\', 'b')
		case u == '\f':
			b = append(b, '\\', 'f')
		case u == '\n':
			b = append(b, '\\', 'n')
		case u == '\r':
			b = append(b, '\\', 'r')
		case u == '\t':
			b = append(b, '\\', 't')
		case u < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[u>>4], hex[u&0xf])
		case utf16.IsSurrogate(rune(u)):
			if u < 0xdc00 && i+1 < len(units) && units[i+1] >= 0xdc00 && units[i+1] <= 0xdfff {
				b = utf8.AppendRune(b, utf16.DecodeRune(rune(u), rune(units[i+1])))
				i++
				continue
			}
			b = append(b, '\\', 'u', hex[u>>12], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
		default:
			b = utf8.AppendRune(b, rune(u))
		}
	}
	return append(b, '"')
}

// number parses a JSON number and returns the text JSON.stringify prints
// for it after JSON.parse turned it into a double.
func (p *parser) number() ([]byte, error) {
	start := p.pos
	d := p.data
	if p.pos < len(d) && d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && d[p.pos] >= '1' && d[p.pos] <= '9':
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	default:
		return nil, p.fail("invalid number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if !p.digits() {
			return nil, p.fail("invalid number fraction")
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return nil, p.fail("invalid number exponent")
		}
	}
	f, err := strconv.ParseFloat(string(d[start:p.pos]), 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, p.fail("invalid number")
	}
	return appendJSNumber(nil, f), nil
}

func (p *parser) digits() bool {
	s := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos > s
}

// appendJSNumber appends JSON.stringify(f): ECMAScript Number::toString
// (radix 10) for finite values, null for infinities and NaN.
func appendJSNumber(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return append(b, "null"...)
	case f == 0:
		return append(b, '0') // -0 too
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// Shortest round-tripping digits, as ECMAScript requires: "d.ddde±x".
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mant, exp, _ := bytes.Cut(e, []byte("e"))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	x, _ := strconv.Atoi(string(exp))
	k, n := len(digits), x+1 // ECMAScript's k and n: value = digits × 10^(n−k)
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for range n - k {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, '0', '.')
		for range -n {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}
