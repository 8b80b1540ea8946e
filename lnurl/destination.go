package lnurl

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// maxDestination bounds a destination string; an LNURL of a long URL
// stays far below it.
const maxDestination = 2048

// resolve turns a destination into the URL of its payRequest:
//
//   - a Lightning Address name@domain (LUD-16) becomes
//     https://domain/.well-known/lnurlp/name;
//   - a bech32 LNURL lnurl1… (LUD-01) decodes to its URL;
//   - an lnurlp://host/path link (LUD-17) becomes https://host/path;
//   - an https:// URL is the payRequest URL itself.
//
// A "lightning:" prefix is dropped. Plain http is accepted only with
// allowHTTP, which also resolves an address or lnurlp link on a loopback
// host to http. Every error wraps ErrDestination.
func resolve(destination string, allowHTTP bool) (*url.URL, error) {
	s := strings.TrimSpace(destination)
	if s == "" {
		return nil, fmt.Errorf("%w: empty; give a Lightning Address name@domain, an LNURL lnurl1… or an https URL", ErrDestination)
	}
	if len(s) > maxDestination {
		return nil, fmt.Errorf("%w: %d characters is longer than any LNURL (at most %d)", ErrDestination, len(s), maxDestination)
	}
	if len(s) >= len("lightning:") && strings.EqualFold(s[:len("lightning:")], "lightning:") {
		s = s[len("lightning:"):]
	}
	lower := strings.ToLower(s)
	var u *url.URL
	var err error
	switch {
	case strings.HasPrefix(lower, "lnurl1"):
		u, err = decodeLNURL(s)
	case strings.HasPrefix(lower, "lnurlp://"):
		if u, err = url.Parse(s); err == nil {
			u.Scheme = localScheme(u.Host, allowHTTP)
		}
	case strings.Contains(s, "://"):
		u, err = url.Parse(s)
	case strings.Contains(s, "@"):
		u, err = addressURL(s, allowHTTP)
	default:
		return nil, fmt.Errorf("%w: %q is not a Lightning Address name@domain, an LNURL lnurl1… or an https URL",
			ErrDestination, clip(s, 80))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrDestination, clip(s, 80), err)
	}
	if err := checkURL(u, allowHTTP); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrDestination, clip(s, 80), err)
	}
	// LUD-01: a tag in the query makes it another kind of link.
	if tag := u.Query().Get("tag"); tag != "" && tag != "payRequest" {
		return nil, fmt.Errorf("%w: %q is an LNURL %q link, not a pay link", ErrDestination, clip(s, 80), clip(tag, 20))
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// decodeLNURL decodes a bech32 LNURL (LUD-01) to its URL.
func decodeLNURL(s string) (*url.URL, error) {
	hrp, data, err := bech32.DecodeNoLimit(s)
	if err != nil {
		return nil, fmt.Errorf("not a valid bech32 LNURL: %v", err)
	}
	if hrp != "lnurl" {
		return nil, fmt.Errorf("bech32 prefix %q is not lnurl", clip(hrp, 20))
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("LNURL data: %v", err)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("LNURL does not hold a URL")
	}
	return url.Parse(string(b))
}

// addressURL is the payRequest URL of a Lightning Address (LUD-16). The
// user name is limited to a-z0-9-_.+ and compared in lower case, as
// wallets do; the domain may carry a port.
func addressURL(s string, allowHTTP bool) (*url.URL, error) {
	name, domain, _ := strings.Cut(strings.ToLower(s), "@")
	if name == "" || domain == "" || strings.Contains(domain, "@") {
		return nil, fmt.Errorf("a Lightning Address is name@domain")
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.+", c) >= 0) {
			return nil, fmt.Errorf("a Lightning Address's name is limited to a-z, 0-9, '-', '_', '.' and '+'")
		}
	}
	if !validDomain(domain) {
		return nil, fmt.Errorf("domain %q is not a host name, with an optional port", clip(domain, 80))
	}
	return &url.URL{Scheme: localScheme(domain, allowHTTP), Host: domain, Path: "/.well-known/lnurlp/" + name}, nil
}

// validDomain reports whether d is a host name (letters, digits and '-'
// in dot-separated labels), an IPv4 address or a bracketed IPv6 address,
// with an optional :port.
func validDomain(d string) bool {
	host := d
	if h, port, err := net.SplitHostPort(d); err == nil {
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
		host = h
		if strings.HasPrefix(d, "[") {
			host = "[" + h + "]" // SplitHostPort removed the brackets
		}
	}
	if ip6, ok := strings.CutPrefix(host, "["); ok {
		ip6, ok = strings.CutSuffix(ip6, "]")
		return ok && strings.Contains(ip6, ":") && net.ParseIP(ip6) != nil
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}

// localScheme is the scheme of a host named without one: http for a
// loopback host when plain http is allowed (the simulator), else https.
func localScheme(host string, allowHTTP bool) string {
	if allowHTTP && isLoopback(host) {
		return "http"
	}
	return "https"
}

// isLoopback reports whether host (with or without a port) is localhost
// or a loopback IP.
func isLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// checkURL accepts an absolute https URL (http with allowHTTP) with a host
// and no credentials: the rule for payRequest, callback and redirect URLs.
func checkURL(u *url.URL, allowHTTP bool) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		return fmt.Errorf("plain http is refused: an LNURL-pay service must be https (AllowHTTP is for the simulator)")
	default:
		return fmt.Errorf("scheme %q: want https", clip(u.Scheme, 20))
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("the URL has no host")
	}
	if u.User != nil {
		return fmt.Errorf("the URL carries credentials")
	}
	return nil
}
