package feeds

import (
	"bytes"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// decodeFast decodes a tick line into u in the layout the Recorder writes: one flat
// object with the keys pair, size, buyPrice, sellPrice, time, received and
// gap (any order, any subset), strings without escapes, bare numbers of at
// most 18 significant digits and UTC times. It reports false for anything
// else (and for anything it is unsure of), and the caller then decodes the
// line with encoding/json, so a line decodes to the same tick either way:
// the fast path only saves the reflection, the big-number parse and
// time.Parse, which dominate a backtest's read time. It leaves u alone
// when it reports false.
//
// c interns pair names, and remembers each pair's last decimals so that
// a repeated size or price (most of them, in a feed sampled faster than
// prices move) is not allocated again: a decimal.Decimal is immutable, so
// ticks may share one. It also remembers the last date read.
//
// It is kept as one function, near the 80-line bound: one linear scan
// of a line whose steps (key, value, next) share the scanner and the
// number buffer; split, they would pass those around without reading any
// clearer, on the backtest's hottest path.
func decodeFast(b []byte, c *lineCache, u *Update) bool {
	var nums [numFields]rawNumber
	var pair []byte
	var at, received time.Time
	gap := false
	s := scanner{b: b}
	s.ws()
	if !s.byte('{') {
		return false
	}
	s.ws()
	if s.byte('}') {
		if !s.end() {
			return false
		}
		*u = Update{}
		return true
	}
	for {
		s.ws()
		key := s.key()
		s.ws()
		if key == keyOther || !s.byte(':') {
			return false
		}
		s.ws()
		ok := false
		switch key {
		case keyPair:
			pair, ok = s.str()
			ok = ok && plainASCII(pair)
		case keySize:
			ok = s.number(&nums[fieldSize])
		case keyBuy:
			ok = s.number(&nums[fieldBuy])
		case keySell:
			ok = s.number(&nums[fieldSell])
		case keyTime:
			ok = s.time(&at, c)
		case keyReceived:
			ok = s.time(&received, c)
		case keyGap:
			switch {
			case s.literal("true"):
				gap, ok = true, true
			case s.literal("false"):
				gap, ok = false, true
			}
		}
		if !ok {
			return false
		}
		s.ws()
		if s.byte(',') {
			continue
		}
		if s.byte('}') {
			break
		}
		return false
	}
	if !s.end() {
		return false
	}
	pc := &pairCache{}
	if pair != nil {
		pc = c.pair(pair)
	}
	name := pc.name
	*u = Update{Gap: gap, Tick: market.Tick{Pair: name, Size: pc.decimal(fieldSize, nums[fieldSize]),
		BuyPrice: pc.decimal(fieldBuy, nums[fieldBuy]), SellPrice: pc.decimal(fieldSell, nums[fieldSell]),
		Time: at, Received: received}}
	return true
}

// The keys of a tick line, as scanner.key tells them.
const (
	keyOther = iota
	keyPair
	keySize
	keyBuy
	keySell
	keyTime
	keyReceived
	keyGap
)

// key reads a quoted key if it is one of a tick line's, exactly (no
// escapes), and returns which; otherwise it returns keyOther. It compares
// the key with its quotes in place, which is what reading the string up to
// its closing quote and comparing the bytes between came to, without the
// search.
func (s *scanner) key() int {
	rest := s.b[s.i:]
	if len(rest) < 2 || rest[0] != '"' {
		return keyOther
	}
	// Each literal is a constant, so that the comparisons compile to a
	// few loads rather than calls.
	key, n := keyOther, 0
	switch rest[1] {
	case 'p':
		if len(rest) >= 6 && string(rest[:6]) == `"pair"` {
			key, n = keyPair, 6
		}
	case 's':
		switch {
		case len(rest) >= 6 && string(rest[:6]) == `"size"`:
			key, n = keySize, 6
		case len(rest) >= 11 && string(rest[:11]) == `"sellPrice"`:
			key, n = keySell, 11
		}
	case 'b':
		if len(rest) >= 10 && string(rest[:10]) == `"buyPrice"` {
			key, n = keyBuy, 10
		}
	case 't':
		if len(rest) >= 6 && string(rest[:6]) == `"time"` {
			key, n = keyTime, 6
		}
	case 'r':
		if len(rest) >= 10 && string(rest[:10]) == `"received"` {
			key, n = keyReceived, 10
		}
	case 'g':
		if len(rest) >= 5 && string(rest[:5]) == `"gap"` {
			key, n = keyGap, 5
		}
	}
	s.i += n
	return key
}

// lineCache is what decodeFast keeps from one line to the next.
type lineCache struct {
	pairs map[string]*pairCache // interned pair names and their last decimals
	// few are the first pairs interned, compared before hashing into
	// pairs: a file holds a handful.
	few []*pairCache
	// date is the date of the last time read ("2026-01-02") and days the
	// days from the epoch to it: ticks come in time order, so most times
	// are on the date before them.
	date  [10]byte
	days  int64
	dated bool
}

func newLineCache() *lineCache { return &lineCache{pairs: map[string]*pairCache{}} }

// maxFewPairs bounds lineCache.few.
const maxFewPairs = 4

// pair returns the interned cache of the pair named name.
func (c *lineCache) pair(name []byte) *pairCache {
	for _, pc := range c.few {
		if pc.name == string(name) {
			return pc
		}
	}
	pc := c.pairs[string(name)]
	if pc == nil {
		pc = &pairCache{name: string(name)}
		if len(c.pairs) >= maxInterned {
			return pc
		}
		c.pairs[pc.name] = pc
	}
	if len(c.few) < maxFewPairs {
		pc.prices = new([priceSlots]recentPrice)
		c.few = append(c.few, pc)
	}
	return pc
}

// The decimal fields of a tick line.
const (
	fieldSize = iota
	fieldBuy
	fieldSell
	numFields
)

// rawNumber is a number as read: mant × 10^exp.
type rawNumber struct {
	mant int64
	exp  int32
	set  bool
}

// pairCache is one pair's interned name and last decimals.
type pairCache struct {
	name string
	last [numFields]rawNumber
	dec  [numFields]decimal.Decimal
	// prices are the pair's recent prices, buy and sell, by mantissa
	// modulo priceSlots (nil for a pair past the first few): a price
	// walks up and down around where it was, so most prices a line
	// holds were seen not long before, and making a decimal anew costs
	// two allocations. Decimals are immutable, so sharing one is safe.
	prices *[priceSlots]recentPrice
}

// priceSlots is the size of a pair's table of recent prices: the prices
// within ±20 units of the last at two decimals, ±2 at three.
const priceSlots = 4096

type recentPrice struct {
	n rawNumber
	d decimal.Decimal
}

// decimal returns n as a decimal, the one made last time if n is the same.
func (c *pairCache) decimal(field int, n rawNumber) decimal.Decimal {
	if !n.set {
		return decimal.Decimal{}
	}
	if c.last[field] == n {
		return c.dec[field]
	}
	var d decimal.Decimal
	if field != fieldSize && c.prices != nil {
		slot := &c.prices[uint64(n.mant)%priceSlots]
		if slot.n != n {
			slot.n, slot.d = n, decimal.New(n.mant, n.exp)
		}
		d = slot.d
	} else {
		d = decimal.New(n.mant, n.exp)
	}
	c.last[field], c.dec[field] = n, d
	return d
}

// maxNumberLen is hercle.Number's bound on a number's text; a longer one
// is left to it (and refused).
const maxNumberLen = 100

// maxInterned bounds the interned pair names, so a hostile file of
// distinct names cannot grow the table without limit.
const maxInterned = 1024

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// str reads a string up to the next quote and returns its bytes (a
// sub-slice of the line) unchecked: each caller accepts only bytes that
// need no escaping (a known key, plainASCII, a time's digits), so an
// escape or a control character always ends in the fallback.
func (s *scanner) str() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	n := bytes.IndexByte(s.b[s.i:], '"')
	if n < 0 {
		return nil, false
	}
	v := s.b[s.i : s.i+n]
	s.i += n + 1
	return v, true
}

// plainASCII reports whether v is printable ASCII without a backslash,
// which encoding/json decodes unchanged (it unescapes and rewrites
// invalid UTF-8).
func plainASCII(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}

// number reads a bare JSON number of at most 18 significant digits and no
// exponent.
func (s *scanner) number(n *rawNumber) bool {
	var mant int64
	var exp int32
	i, neg, digits := s.i, false, 0
	if i < len(s.b) && s.b[i] == '-' {
		neg = true
		i++
	}
	// JSON: a lone 0 or a non-zero digit first.
	switch {
	case i < len(s.b) && s.b[i] == '0':
		i++
	case i < len(s.b) && s.b[i] >= '1' && s.b[i] <= '9':
		for ; i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9'; i++ {
			if digits == 18 {
				return false
			}
			digits++
			mant = mant*10 + int64(s.b[i]-'0')
		}
	default:
		return false
	}
	if i < len(s.b) && s.b[i] == '.' {
		i++
		start := i
		for ; i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9'; i++ {
			if mant != 0 || s.b[i] != '0' {
				if digits == 18 {
					return false
				}
				digits++
			}
			mant = mant*10 + int64(s.b[i]-'0')
			exp--
		}
		if i == start {
			return false
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		return false
	}
	if i-s.i > maxNumberLen {
		return false
	}
	if neg {
		mant = -mant
	}
	*n = rawNumber{mant: mant, exp: exp, set: true}
	s.i = i
	return true
}

// time reads a quoted UTC time in RFC 3339 with up to nine fractional
// digits ("2026-01-02T03:04:05.123Z"), the form encoding/json writes for a
// UTC time.Time. The date is c's when it is the last one read.
func (s *scanner) time(t *time.Time, c *lineCache) bool {
	v, ok := s.str()
	if !ok || len(v) < 20 || v[len(v)-1] != 'Z' {
		return false
	}
	if v[10] != 'T' || v[13] != ':' || v[16] != ':' {
		return false
	}
	if !c.dated || string(v[:10]) != string(c.date[:]) {
		days, ok := parseDate(v)
		if !ok {
			return false
		}
		copy(c.date[:], v[:10])
		c.days, c.dated = days, true
	}
	hour, ok4 := digitsAt(v, 11, 2)
	minute, ok5 := digitsAt(v, 14, 2)
	sec, ok6 := digitsAt(v, 17, 2)
	if !ok4 || !ok5 || !ok6 || hour > 23 || minute > 59 || sec > 59 {
		return false
	}
	nsec := 0
	if rest := v[19 : len(v)-1]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return false
		}
		n, ok := digitsAt(rest, 1, len(rest)-1)
		if !ok {
			return false
		}
		for range 10 - len(rest) {
			n *= 10
		}
		nsec = n
	}
	// time.Date would do, at several times the cost; the fields are
	// already checked, so the Unix time follows directly.
	secs := c.days*86400 + int64(hour*3600+minute*60+sec)
	*t = time.Unix(secs, int64(nsec)).UTC()
	return true
}

// parseDate checks the date v starts with ("2026-01-02") and returns its
// days since the epoch.
func parseDate(v []byte) (int64, bool) {
	if v[4] != '-' || v[7] != '-' {
		return 0, false
	}
	year, ok1 := digitsAt(v, 0, 4)
	month, ok2 := digitsAt(v, 5, 2)
	day, ok3 := digitsAt(v, 8, 2)
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return 0, false
	}
	return daysSinceEpoch(year, month, day), true
}

// daysSinceEpoch returns the days from 1970-01-01 to a proleptic Gregorian
// date (Howard Hinnant's days_from_civil).
func daysSinceEpoch(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func digitsAt(v []byte, at, n int) (int, bool) {
	x := 0
	for _, c := range v[at : at+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int(c-'0')
	}
	return x, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// tick returns the Update a tickLine decoded by encoding/json stands for.
func (l tickLine) update() Update {
	return Update{Gap: l.Gap, Tick: market.Tick{Pair: l.Pair, Size: l.Size.Decimal, BuyPrice: l.BuyPrice.Decimal,
		SellPrice: l.SellPrice.Decimal, Time: l.Time, Received: l.Received}}
}
