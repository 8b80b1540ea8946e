package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Differential tests for the hub receive path's fast paths: each is compared
// with the general code it short-cuts (frame with frameScan) or with the
// implementation it replaced (unquoteBytes with the version below, as of
// commit 4fd39b2), on the documented shapes and under fuzzing.

// refUnquoteBytes is unquoteBytes before the one-pass rewrite.
func refUnquoteBytes(v, buf []byte) (out []byte, copied bool, err error) {
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

// hubFrameSeeds are invocation frames of the usual layout and of others.
func hubFrameSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for subject, payload := range docPayloads {
		for _, asString := range []bool{false, true} {
			env := envelope(t, ChannelExecutionEvents, subject, "c", payload, asString)
			out = append(out,
				fmt.Appendf(nil, `{"type":1,"target":"executionEvents","arguments":[%s]}`, env),
				fmt.Appendf(nil, `{"type":1,"target":"subscriptions","arguments":[%s]}`, env),
				fmt.Appendf(nil, `{"type":1,"target":"executionEvents","invocationId":"1","arguments":[%s]}`, env),
				fmt.Appendf(nil, `{"type":1,"target":"EXECUTIONEVENTS","arguments":[ %s ]}`, env),
				fmt.Appendf(nil, `{"type":1,"target":"executionEvents","arguments":[%s],"streamIds":["x"]}`, env),
				fmt.Appendf(nil, `{"type":1,"target":"executionEvents","arguments":[%s,%s]}`, env, env),
				fmt.Appendf(nil, `{"type":1,"target":"executionEvents","arguments":[%s]} `, env),
				fmt.Appendf(nil, `{"target":"executionEvents","type":1,"arguments":[%s]}`, env),
			)
			if q, err := json.Marshal(string(env)); err == nil {
				out = append(out, fmt.Appendf(nil, `{"type":1,"target":"subscriptions","arguments":[%s]}`, q))
			}
		}
	}
	return append(out,
		[]byte(`{"type":1,"target":"subscriptions","arguments":[]}`),
		[]byte(`{"type":1,"target":"subscriptions","arguments":[{}],"x":[{}]}`),
		[]byte(`{"type":1,"target":"subscriptions","arguments":[{"subject":"a"}],"x":[{"b":1}]}`),
		[]byte(`{"type":1,"target":"subscriptions","arguments":["{\"subject\":\"x\"}"],"y":["z"]}`),
		[]byte(`{"type":1,"target":"subscriptions\","arguments":[{}]}`),
		[]byte(`{"type":1,"target":"other","arguments":[{}]}`),
		[]byte(`{"type":6}`),
		[]byte(`{"type":1,"target":"subscriptions","arguments":[`),
	)
}

// receiverLog records everything a hubReceiver delivers or counts.
type receiverLog struct {
	prices []PriceUpdate
	events []Event
}

func newLoggedReceiver() (*hubReceiver, *receiverLog) {
	l := &receiverLog{}
	r := newHubReceiver(nil, func(p PriceUpdate) { l.prices = append(l.prices, p) },
		func(ev Event) { l.events = append(l.events, ev) }, nil)
	return r, l
}

// checkFrameMatchesScan fails if frame's fast path and frameScan differ in
// whether they take b, what they deliver, or what they count as dropped.
func checkFrameMatchesScan(t *testing.T, b []byte) {
	t.Helper()
	fast, fl := newLoggedReceiver()
	slow, sl := newLoggedReceiver()
	ft, st := fast.frame(b), slow.frameScan(b)
	if ft != st {
		t.Fatalf("frame(%q) = %v, frameScan = %v", b, ft, st)
	}
	if !reflect.DeepEqual(fl, sl) {
		t.Fatalf("frame(%q) delivered %+v, frameScan %+v", b, fl, sl)
	}
	if !reflect.DeepEqual(fast.errs, slow.errs) || !reflect.DeepEqual(fast.unknown, slow.unknown) {
		t.Fatalf("frame(%q) counted %v %v, frameScan %v %v", b, fast.errs, fast.unknown, slow.errs, slow.unknown)
	}
}

func TestHubFrameFastPathMatchesScan(t *testing.T) {
	took := 0
	for _, b := range hubFrameSeeds(t) {
		checkFrameMatchesScan(t, b)
		if _, _, ok := usualInvocation(b); ok {
			took++
		}
	}
	if took == 0 {
		t.Fatal("no seed has the usual layout: the fast path is not exercised")
	}
}

func FuzzHubFrameFastPath(f *testing.F) {
	for _, b := range hubFrameSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(checkFrameMatchesScan)
}

func checkUnquoteBytes(t *testing.T, v []byte) {
	got, gc, gerr := unquoteBytes(v, nil)
	want, wc, werr := refUnquoteBytes(v, nil)
	if (gerr == nil) != (werr == nil) || gc != wc || !bytes.Equal(got, want) {
		t.Fatalf("unquoteBytes(%q) = %q, %v, %v; before: %q, %v, %v", v, got, gc, gerr, want, wc, werr)
	}
	if gerr != nil && !errors.Is(gerr, errScan) {
		t.Fatalf("unquoteBytes(%q) error %v is not errScan", v, gerr)
	}
	// Scratch reuse must not change the result.
	if again, _, _ := unquoteBytes(v, make([]byte, 3, 8)); !bytes.Equal(again, got) {
		t.Fatalf("unquoteBytes(%q) with scratch = %q, without %q", v, again, got)
	}
}

var quotedSeeds = []string{
	`""`, `"abc"`, `"a\"b"`, `"a\\"`, `"a\\\"b"`, `"\\\\"`, `"\"`, `"`, `x`, `"abc`, `"ab"c"`, `"a\"`,
	`"\u00e9\n\t\/\b\f\r"`, `"\ud83d\ude00"`, `"\x"`, `"tab	raw"`, `"{\"id\":\"x\",\"pair\":\"BTCUSDT\"}"`,
	`"\u0041" `, `"a\u"`, `"\"\"\""`,
}

func FuzzUnquoteBytes(f *testing.F) {
	for _, s := range quotedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkUnquoteBytes)
}

// checkUTCStamp fails if utcStamp accepts a literal that the general path
// (unquote, then time.Parse with RFC3339Nano) would read differently.
func checkUTCStamp(t *testing.T, v []byte) {
	got, ok := utcStamp(v)
	if !ok {
		return
	}
	s, err := unquote(v)
	if err != nil {
		t.Fatalf("utcStamp(%s) accepted a literal unquote refuses: %v", v, err)
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !got.Equal(want) || got.Location() != want.Location() {
		t.Fatalf("utcStamp(%s) = %v, time.Parse = %v, %v", v, got, want, err)
	}
}

var stampSeeds = []string{
	`"2023-10-11T23:00:57.93094Z"`, `"2024-01-01T12:00:00Z"`, `"2024-02-29T00:00:00Z"`, `"2023-02-29T00:00:00Z"`,
	`"2100-02-29T00:00:00Z"`, `"2000-02-29T23:59:59.999999999Z"`, `"2023-10-11T23:00:57.1234567891234Z"`,
	`"2023-10-11T23:00:57.Z"`, `"2023-10-11T24:00:00Z"`, `"2023-10-11T23:59:60Z"`, `"2023-13-01T00:00:00Z"`,
	`"2023-10-11T23:00:57+02:00"`, `"2023-10-11t23:00:57z"`, `"0000-01-01T00:00:00Z"`, `"2023-10-11T23:00:5\u0037Z"`,
	`"2023-04-31T00:00:00Z"`, `"+023-10-11T23:00:57Z"`, `"2023-10-11T23:00:57.5.5Z"`,
}

func TestUTCStampMatchesTimeParse(t *testing.T) {
	accepted := 0
	for _, s := range stampSeeds {
		checkUTCStamp(t, []byte(s))
		if _, ok := utcStamp([]byte(s)); ok {
			accepted++
		}
	}
	if accepted < 5 {
		t.Fatalf("utcStamp accepted %d of the seeds, want the 5 valid ones at least", accepted)
	}
}

func FuzzUTCStamp(f *testing.F) {
	for _, s := range stampSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkUTCStamp)
}
