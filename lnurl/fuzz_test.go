package lnurl

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodePayRequest: any answer to the payRequest GET is decoded
// without panicking, and what is accepted is usable: an allowed callback,
// 1 ≤ min ≤ max, metadata that is a JSON array; an ERROR answer keeps a
// short reason.
func FuzzDecodePayRequest(f *testing.F) {
	for _, s := range []string{
		`{"tag":"payRequest","callback":"https://x.example/cb?id=1","minSendable":1000,"maxSendable":2000,"metadata":"[[\"text/plain\",\"hi\"]]"}`,
		`{"tag":"payRequest","callback":"http://127.0.0.1/cb","minSendable":"1000","maxSendable":1000,"metadata":"[[\"image/png;base64\",\"AA==\"],[\"text/plain\",3]]"}`,
		`{"status":"ERROR","reason":"no such user"}`,
		`{"status":"error","reason":"x` + strings.Repeat("y\n", 300) + `"}`,
		`{"tag":"withdrawRequest"}`,
		`{"tag":"payRequest","callback":"https://x.example/cb","minSendable":1e3,"maxSendable":2000,"metadata":"[]"}`,
		`{"tag":"payRequest","callback":"https://x.example/cb","minSendable":-1,"maxSendable":9223372036854775808,"metadata":"[[1]]"}`,
		`null`, `[]`, `{"metadata":[]}`, `{`, ``,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, allowHTTP bool) {
		p, err := decodePayRequest(body, allowHTTP)
		var ae *answerError
		if errors.As(err, &ae) {
			if utf8.RuneCountInString(ae.reason) > maxReason+1 || strings.ContainsAny(ae.reason, "\n\r") {
				t.Fatalf("reason %q is not clipped to one short line", ae.reason)
			}
			return
		}
		if err != nil {
			return
		}
		if checkURL(p.callback, allowHTTP) != nil {
			t.Fatalf("accepted callback %q", p.callback)
		}
		if p.minSendable < 1 || p.maxSendable < p.minSendable {
			t.Fatalf("accepted bounds [%d, %d]", p.minSendable, p.maxSendable)
		}
		var entries []json.RawMessage
		if json.Unmarshal([]byte(p.metadata), &entries) != nil {
			t.Fatalf("accepted metadata %q", p.metadata)
		}
		u := callbackURL(p.callback, p.minSendable)
		if !strings.HasSuffix(u.String(), "amount="+strconv.FormatInt(p.minSendable, 10)) || u.Host != p.callback.Host {
			t.Fatalf("callback %q: want %q with amount=%d last", u, p.callback, p.minSendable)
		}
	})
}

// FuzzDecodeCallback: any answer to the callback is decoded without
// panicking, and any invoice it carries is refused or verified without
// panicking; one that passes is for the amount, hash and network asked.
func FuzzDecodeCallback(f *testing.F) {
	for _, s := range []string{
		`{"pr":"lnbc2500u1pvjluezpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4js","routes":[]}`,
		`{"pr":"lnbcrt10n1garbage"}`, `{"pr":"LNTBS1"}`, `{"pr":"ln1"}`, `{"pr":"1"}`,
		`{"status":"ERROR","reason":"offline"}`, `{"routes":[]}`, `{"pr":5}`, `"pr"`, `{}`,
	} {
		f.Add([]byte(s))
	}
	net, _ := lookupNetwork(Mainnet)
	hash := descriptionHash(`[["text/plain","x"]]`)
	now := time.Date(2025, 12, 3, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		pr, err := decodeCallback(body)
		if err != nil {
			return
		}
		if pr == "" {
			t.Fatal("accepted an empty pr")
		}
		inv, err := verify(pr, net, 250_000_000, hash, now)
		var re *RefusedError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("verify error %v is not a *RefusedError", err)
		}
		if err == nil && (inv.AmountMsat != 250_000_000 || inv.Network != Mainnet || !now.Before(inv.Expires)) {
			t.Fatalf("verified %+v", inv)
		}
	})
}

// FuzzResolve: any destination resolves to an allowed URL or is refused
// with ErrDestination, and a resolved URL resolves to itself.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{
		"satoshi@bitcoin.org", "Desk+eur@pay.example.com:8443", "desk@127.0.0.1:1", "lightning:desk@[::1]:80",
		"LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35XVUKXEFCV5MKVV34X5EKZD3EV56NYD3HXQURZEPEXEJXXEPNXSCRVWFNV9NXZCN9XQ6XYEFHVGCXXCMYXYMNSERXFQ5FNS",
		"lnurlp://service.com/api?q=1", "https://pay.example.com/p#f", "http://127.0.0.1/p", "https://u@x/",
		"https://x/?tag=login", "a@b@c", "@", "lnurl1", "lightning:", "",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, dest string, allowHTTP bool) {
		u, err := resolve(dest, allowHTTP)
		if err != nil {
			if !errors.Is(err, ErrDestination) {
				t.Fatalf("resolve(%q) = %v, not ErrDestination", dest, err)
			}
			return
		}
		if err := checkURL(u, allowHTTP); err != nil || u.Fragment != "" {
			t.Fatalf("resolve(%q) = %q: %v", dest, u, err)
		}
		again, err := resolve(u.String(), allowHTTP)
		if err != nil || again.String() != u.String() {
			t.Fatalf("resolve(%q) = %q, which resolves to %q, %v", dest, u, again, err)
		}
	})
}
