package heropay

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The document signs a body in the form JavaScript gives it:
// JSON.stringify(JSON.parse(body)). This file reproduces that round trip
// from ECMA-262 (JSON.parse, JSON.stringify with its QuoteJSONString, and
// Number::toString), independently of the client's normaliser: what it
// parses is JavaScript values (strings are UTF-16 code units, numbers IEEE
// doubles, objects ordered as OrdinaryOwnPropertyKeys orders them), and what
// it prints is those values as JSON.stringify prints them.

// errJSON is a body JSON.parse would throw on.
var errJSON = errors.New("heropay: body is not JSON")

// maxDepth bounds nesting; a payment is two levels deep.
const maxDepth = 256

// jsKind is the type of a JavaScript value JSON.parse can produce.
type jsKind uint8

const (
	jsNull jsKind = iota
	jsBool
	jsNumber
	jsString
	jsArray
	jsObject
)

// jsValue is one parsed JavaScript value.
type jsValue struct {
	kind  jsKind
	truth bool
	num   float64
	str   []uint16 // UTF-16 code units: JSON.parse keeps lone surrogates
	items []jsValue
	props []jsProp // in JavaScript's own-property order once parsed
}

// jsProp is one property of an object.
type jsProp struct {
	key   []uint16
	value jsValue
}

// stringify returns JSON.stringify(JSON.parse(body)). A body that is not
// valid UTF-8 is refused too: the simulator does not guess how a server
// would decode it.
func stringify(body []byte) ([]byte, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: not UTF-8", errJSON)
	}
	p := jsParser{in: body}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.in) {
		return nil, fmt.Errorf("%w: data after the value at byte %d", errJSON, p.pos)
	}
	var out bytes.Buffer
	writeJS(&out, v)
	return out.Bytes(), nil
}

// jsParser reads JSON text as JSON.parse does (ECMA-404 grammar).
type jsParser struct {
	in  []byte
	pos int
}

func (p *jsParser) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errJSON, what, p.pos)
}

// space skips JSON whitespace: only tab, line feed, carriage return and
// space (a byte-order mark is not whitespace).
func (p *jsParser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsParser) value(depth int) (jsValue, error) {
	if depth > maxDepth {
		return jsValue{}, p.fail("nesting too deep")
	}
	if p.pos >= len(p.in) {
		return jsValue{}, p.fail("unexpected end")
	}
	switch c := p.in[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return jsValue{kind: jsString, str: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	for _, lit := range []struct {
		text string
		v    jsValue
	}{{"null", jsValue{kind: jsNull}}, {"true", jsValue{kind: jsBool, truth: true}}, {"false", jsValue{kind: jsBool}}} {
		if bytes.HasPrefix(p.in[p.pos:], []byte(lit.text)) {
			p.pos += len(lit.text)
			return lit.v, nil
		}
	}
	return jsValue{}, p.fail("unexpected character")
}

// expect consumes c after optional whitespace.
func (p *jsParser) expect(c byte) bool {
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *jsParser) array(depth int) (jsValue, error) {
	p.pos++ // '['
	v := jsValue{kind: jsArray}
	if p.expect(']') {
		return v, nil
	}
	for {
		p.space()
		item, err := p.value(depth + 1)
		if err != nil {
			return jsValue{}, err
		}
		v.items = append(v.items, item)
		if p.expect(']') {
			return v, nil
		}
		if !p.expect(',') {
			return jsValue{}, p.fail("expected , or ]")
		}
	}
}

func (p *jsParser) object(depth int) (jsValue, error) {
	p.pos++ // '{'
	obj := jsObjectBuilder{at: map[string]int{}}
	if p.expect('}') {
		return obj.value(), nil
	}
	for {
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return jsValue{}, p.fail("expected a string key")
		}
		key, err := p.string()
		if err != nil {
			return jsValue{}, err
		}
		if !p.expect(':') {
			return jsValue{}, p.fail("expected :")
		}
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return jsValue{}, err
		}
		obj.set(key, v)
		if p.expect('}') {
			return obj.value(), nil
		}
		if !p.expect(',') {
			return jsValue{}, p.fail("expected , or }")
		}
	}
}

// jsObjectBuilder collects properties as JSON.parse defines them
// (CreateDataProperty): a repeated key replaces the value and keeps the
// place of its first definition.
type jsObjectBuilder struct {
	props []jsProp
	at    map[string]int // key as text → index in props
}

func (b *jsObjectBuilder) set(key []uint16, v jsValue) {
	k := unitsKey(key)
	if i, ok := b.at[k]; ok {
		b.props[i].value = v
		return
	}
	b.at[k] = len(b.props)
	b.props = append(b.props, jsProp{key: key, value: v})
}

// value orders the properties as OrdinaryOwnPropertyKeys does: array
// indices (canonical integers up to 2³²−2) ascending, then the other keys
// in the order they were first defined.
func (b *jsObjectBuilder) value() jsValue {
	var indices, rest []jsProp
	for _, pr := range b.props {
		if _, ok := arrayIndex(pr.key); ok {
			indices = append(indices, pr)
		} else {
			rest = append(rest, pr)
		}
	}
	for i := 1; i < len(indices); i++ { // insertion sort: few index keys
		for j := i; j > 0; j-- {
			a, _ := arrayIndex(indices[j-1].key)
			c, _ := arrayIndex(indices[j].key)
			if a <= c {
				break
			}
			indices[j-1], indices[j] = indices[j], indices[j-1]
		}
	}
	return jsValue{kind: jsObject, props: append(indices, rest...)}
}

// unitsKey is s as a map key: two bytes a code unit, so that keys differing
// only in lone surrogates stay apart.
func unitsKey(s []uint16) string {
	b := make([]byte, 0, 2*len(s))
	for _, u := range s {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

// arrayIndex reports whether key is an array index: the canonical decimal
// text of an integer from 0 to 2³²−2.
func arrayIndex(key []uint16) (uint64, bool) {
	if len(key) == 0 || len(key) > 10 || (key[0] == '0' && len(key) > 1) {
		return 0, false
	}
	var n uint64
	for _, u := range key {
		if u < '0' || u > '9' {
			return 0, false
		}
		n = n*10 + uint64(u-'0')
	}
	return n, n <= math.MaxUint32-1
}

// string reads a string literal into UTF-16 code units.
func (p *jsParser) string() ([]uint16, error) {
	p.pos++ // opening quote
	var out []uint16
	for {
		if p.pos >= len(p.in) {
			return nil, p.fail("unterminated string")
		}
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			return out, nil
		case c < 0x20:
			return nil, p.fail("control character in a string")
		case c == '\\':
			u, err := p.escape()
			if err != nil {
				return nil, err
			}
			out = append(out, u)
		case c < utf8.RuneSelf:
			out = append(out, uint16(c))
			p.pos++
		default:
			r, n := utf8.DecodeRune(p.in[p.pos:])
			out = utf16.AppendRune(out, r)
			p.pos += n
		}
	}
}

// escape reads one escape sequence, the backslash included.
func (p *jsParser) escape() (uint16, error) {
	if p.pos+1 >= len(p.in) {
		return 0, p.fail("unterminated escape")
	}
	c := p.in[p.pos+1]
	p.pos += 2
	if i := strings.IndexByte(`"\/bfnrt`, c); i >= 0 {
		return uint16("\"\\/\b\f\n\r\t"[i]), nil
	}
	if c != 'u' || p.pos+4 > len(p.in) {
		return 0, p.fail("invalid escape")
	}
	var u uint16
	for _, h := range p.in[p.pos : p.pos+4] {
		var d byte
		switch {
		case h >= '0' && h <= '9':
			d = h - '0'
		case h >= 'a' && h <= 'f':
			d = h - 'a' + 10
		case h >= 'A' && h <= 'F':
			d = h - 'A' + 10
		default:
			return 0, p.fail("invalid \\u escape")
		}
		u = u<<4 | uint16(d)
	}
	p.pos += 4
	return u, nil
}

// number reads a number literal and rounds it to the nearest double, as
// JSON.parse does: beyond the double range it is ±Infinity, below it 0.
func (p *jsParser) number() (jsValue, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.in[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.in) && p.in[p.pos] == '0':
		p.pos++
	case digits() == 0:
		return jsValue{}, p.fail("invalid number")
	}
	if p.pos < len(p.in) && p.in[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return jsValue{}, p.fail("invalid number")
		}
	}
	if p.pos < len(p.in) && (p.in[p.pos] == 'e' || p.in[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.in) && (p.in[p.pos] == '+' || p.in[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return jsValue{}, p.fail("invalid number")
		}
	}
	f, err := strconv.ParseFloat(string(p.in[start:p.pos]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return jsValue{}, p.fail("invalid number")
	}
	return jsValue{kind: jsNumber, num: f}, nil
}

// writeJS prints v as JSON.stringify does.
func writeJS(out *bytes.Buffer, v jsValue) {
	switch v.kind {
	case jsNull:
		out.WriteString("null")
	case jsBool:
		out.WriteString(strconv.FormatBool(v.truth))
	case jsNumber:
		out.WriteString(numberText(v.num))
	case jsString:
		quote(out, v.str)
	case jsArray:
		out.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				out.WriteByte(',')
			}
			writeJS(out, item)
		}
		out.WriteByte(']')
	case jsObject:
		out.WriteByte('{')
		for i, pr := range v.props {
			if i > 0 {
				out.WriteByte(',')
			}
			quote(out, pr.key)
			out.WriteByte(':')
			writeJS(out, pr.value)
		}
		out.WriteByte('}')
	}
}

// numberText is JSON.stringify of a number: "null" when not finite, else
// Number::toString(x) (ECMA-262 6.1.6.1.20) from the shortest digits
// that read back as x.
func numberText(x float64) string {
	switch {
	case math.IsInf(x, 0) || math.IsNaN(x):
		return "null"
	case x == 0:
		return "0" // -0 too
	case x < 0:
		return "-" + numberText(-x)
	}
	// 'e' with precision -1 gives the shortest digits d.ddd and the
	// exponent; JavaScript's n is that exponent plus one.
	sci := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(sci, "e")
	digits := strings.Replace(mant, ".", "", 1)
	e, _ := strconv.Atoi(exp)
	k, n := len(digits), e+1
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits
	}
	sign := "+"
	if n-1 < 0 {
		sign = "-"
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	return m + "e" + sign + strconv.Itoa(abs(n-1))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// quote prints a string as QuoteJSONString does: the two-character escapes
// for \b \t \n \f \r " and \, \u00xx for the other controls, \uxxxx (lower
// case) for a lone surrogate, everything else as it is, in UTF-8.
func quote(out *bytes.Buffer, s []uint16) {
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		u := s[i]
		switch {
		case u == '"' || u == '\\':
			out.WriteByte('\\')
			out.WriteByte(byte(u))
		case u == '\b':
			out.WriteString(`\b`)
		case u == '\t':
			out.WriteString(`\t`)
		case u == '\n':
			out.WriteString(`\n`)
		case u == '\f':
			out.WriteString(`\f`)
		case u == '\r':
			out.WriteString(`\r`)
		case u < 0x20:
			fmt.Fprintf(out, `\u%04x`, u)
		case u >= 0xd800 && u < 0xdc00 && i+1 < len(s) && s[i+1] >= 0xdc00 && s[i+1] < 0xe000:
			out.WriteRune(utf16.DecodeRune(rune(u), rune(s[i+1])))
			i++
		case u >= 0xd800 && u < 0xe000:
			fmt.Fprintf(out, `\u%04x`, u)
		default:
			out.WriteRune(rune(u))
		}
	}
	out.WriteByte('"')
}
