package heropay

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
)

// The headers of the document's signing scheme. x-api-sign is the
// document's; the document names no header for the API key, and x-api-key,
// its companion, is what the simulator reads.
const (
	SignHeader = "x-api-sign"
	KeyHeader  = "x-api-key"
)

// signature is the document's signature of message: HMAC-SHA512 keyed
// with the API secret, as the hex text Node's digest('hex') writes (lower
// case).
func signature(secret string, message []byte) string {
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write(message)
	return hex.EncodeToString(mac.Sum(nil))
}

// signed reports whether got is message's signature. The document's check
// is that the two strings "are identical", so the comparison is of the
// text, in constant time: a signature in upper-case hex, or with spaces
// around it, is refused as a different string.
func signed(secret string, message []byte, got string) bool {
	want := signature(secret, message)
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
