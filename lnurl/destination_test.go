package lnurl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/otcdesk/engine/lnurl"
)

// lud01 is LUD-01's example LNURL and the URL it encodes.
const (
	lud01    = "LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35XVUKXEFCV5MKVV34X5EKZD3EV56NYD3HXQURZEPEXEJXXEPNXSCRVWFNV9NXZCN9XQ6XYEFHVGCXXCMYXYMNSERXFQ5FNS"
	lud01URL = "https://service.com/api?q=3fc3645b439ce8e7f2553a69e5267081d96dcd340693afabe04be7b0ccd178df"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		dest      string
		allowHTTP bool
		want      string // empty: refused with ErrDestination
	}{
		{dest: "satoshi@bitcoin.org", want: "https://bitcoin.org/.well-known/lnurlp/satoshi"},
		{dest: "  Satoshi@Bitcoin.ORG ", want: "https://bitcoin.org/.well-known/lnurlp/satoshi"},
		{dest: "lightning:desk+eur@pay.example.com", want: "https://pay.example.com/.well-known/lnurlp/desk+eur"},
		{dest: "desk@example.com:8443", want: "https://example.com:8443/.well-known/lnurlp/desk"},
		{dest: "desk@127.0.0.1:8080", want: "https://127.0.0.1:8080/.well-known/lnurlp/desk"},
		{dest: "desk@127.0.0.1:8080", allowHTTP: true, want: "http://127.0.0.1:8080/.well-known/lnurlp/desk"},
		{dest: "desk@[::1]:8080", allowHTTP: true, want: "http://[::1]:8080/.well-known/lnurlp/desk"},
		{dest: "desk@localhost", allowHTTP: true, want: "http://localhost/.well-known/lnurlp/desk"},
		{dest: "desk@example.com", allowHTTP: true, want: "https://example.com/.well-known/lnurlp/desk"},
		{dest: lud01, want: lud01URL},
		{dest: strings.ToLower(lud01), want: lud01URL},
		{dest: "LIGHTNING:" + lud01, want: lud01URL},
		{dest: "lnurlp://service.com/api?q=1", want: "https://service.com/api?q=1"},
		{dest: "lnurlp://127.0.0.1:9/p", allowHTTP: true, want: "http://127.0.0.1:9/p"},
		{dest: "https://pay.example.com/lnurlp/desk#frag", want: "https://pay.example.com/lnurlp/desk"},
		{dest: "https://pay.example.com/x?tag=payRequest", want: "https://pay.example.com/x?tag=payRequest"},
		{dest: "http://127.0.0.1:8080/.well-known/lnurlp/desk", allowHTTP: true, want: "http://127.0.0.1:8080/.well-known/lnurlp/desk"},

		{dest: ""},
		{dest: "   "},
		{dest: "http://pay.example.com/lnurlp/desk"},
		{dest: "ftp://pay.example.com/x"},
		{dest: "https://user:pw@pay.example.com/x"},
		{dest: "https:///nohost"},
		{dest: "https://pay.example.com/x?tag=login"},
		{dest: "lnbc2500u1pvjluez"},
		{dest: "desk"},
		{dest: "@example.com"},
		{dest: "desk@"},
		{dest: "de sk@example.com"},
		{dest: "desk!@example.com"},
		{dest: "a@b@example.com"},
		{dest: "desk@example.com/path"},
		{dest: "desk@exa mple.com"},
		{dest: "desk@example.com?x=1"},
		{dest: lud01[:len(lud01)-1] + "Q"}, // mixed case
		{dest: lud01[:len(lud01)-1] + "T"}, // checksum
		{dest: "lnurl1qqqqqq"},
		{dest: strings.Repeat("a", 3000) + "@example.com"},
	} {
		c, err := lnurl.New(lnurl.Config{AllowHTTP: tc.allowHTTP})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Resolve(tc.dest)
		if tc.want == "" {
			if !errors.Is(err, lnurl.ErrDestination) {
				t.Errorf("Resolve(%q) = %q, %v; want ErrDestination", tc.dest, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q, AllowHTTP %v) = %q, %v; want %q", tc.dest, tc.allowHTTP, got, err, tc.want)
		}
	}
}
