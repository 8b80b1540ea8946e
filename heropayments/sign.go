package heropayments

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
)

// SignHeader is the header that carries a request's or a callback's
// signature.
const SignHeader = "x-api-sign"

// Sign returns the signature of data: HMAC-SHA512 keyed with secret,
// lower-case hex, as the document's Node example computes it
// (createHmac('sha512', secret).update(data).digest('hex')).
func Sign(secret string, data []byte) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}

// SignBody normalises a JSON body (see Normalize) and signs the normal
// form. The returned body is what must be sent, byte for byte.
func SignBody(secret string, body []byte) (normalized []byte, sig string, err error) {
	n, err := Normalize(body)
	if err != nil {
		return nil, "", err
	}
	return n, Sign(secret, n), nil
}

// SignQuery signs a GET request's raw query string, without "?"; an empty
// query signs the empty string.
func SignQuery(secret, rawQuery string) string {
	return Sign(secret, []byte(strings.TrimPrefix(rawQuery, "?")))
}

// VerifyBody checks sig against HMAC-SHA512(secret, JSON.stringify(body)),
// in constant time. It accepts hex in either case. It returns an error
// wrapping ErrInvalidJSON when body cannot be normalised and ErrSignature
// when sig is missing or wrong; the error never quotes the body or sig.
func VerifyBody(secret string, body []byte, sig string) error {
	n, err := Normalize(body)
	if err != nil {
		return err
	}
	return verify(secret, n, sig)
}

func verify(secret string, data []byte, sig string) error {
	if sig == "" {
		return fmt.Errorf("%w: no %s header", ErrSignature, SignHeader)
	}
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != sha512.Size {
		return fmt.Errorf("%w: %s is not %d hex-encoded bytes", ErrSignature, SignHeader, sha512.Size)
	}
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(data)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body", ErrSignature, SignHeader)
	}
	return nil
}
