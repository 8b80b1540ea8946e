package webhook

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// Webhook signature scheme
//
// Hercle signs each webhook with RSA (PKCS#1 v1.5, SHA-256) and sends the
// signature base64-encoded in X-Webhook-Signature, with the Unix time in
// seconds at which it signed in X-Webhook-Timestamp. The webhook document's
// Node and Python samples, which are the only precise statement of the
// scheme, compute
//
//	digest = SHA-256(timestamp + "." + rawBody)
//
// and pass digest to an RSA-SHA256 verifier, which hashes its input again.
// The signature is therefore over SHA-256(SHA-256(message)). This file
// verifies exactly that; the Node-made vectors in testdata/webhook prove it.

// Header names of a Hercle webhook request.
const (
	HeaderSignature = "X-Webhook-Signature"
	HeaderTimestamp = "X-Webhook-Timestamp"
	HeaderID        = "X-Webhook-Id"
)

// DefaultTolerance is how far X-Webhook-Timestamp may be from the
// receiver's clock, in either direction, as the documents' samples allow.
const DefaultTolerance = 5 * time.Minute

// MinKeyBits is the smallest RSA modulus accepted for a webhook key.
const MinKeyBits = 2048

// Webhook errors. Verify and the Handler wrap one of them, so callers
// branch with errors.Is; none of them carries a signature, key or body.
var (
	ErrMissingTimestamp = errors.New("hercle: webhook: missing " + HeaderTimestamp)
	ErrBadTimestamp     = errors.New("hercle: webhook: malformed " + HeaderTimestamp)
	ErrStaleTimestamp   = errors.New("hercle: webhook: timestamp outside the tolerance")
	ErrMissingSignature = errors.New("hercle: webhook: missing " + HeaderSignature)
	ErrBadSignature     = errors.New("hercle: webhook: signature does not verify")
	ErrBadEnvelope      = errors.New("hercle: webhook: body is not a webhook envelope")
	ErrKey              = errors.New("hercle: webhook: unusable public key")
)

// Key is one RSA public key that webhooks may be signed with. ID is a
// short fingerprint, safe to log: the first 16 hex digits of the SHA-256 of
// the key's PKIX (SubjectPublicKeyInfo) encoding.
type Key struct {
	ID  string
	Key *rsa.PublicKey
}

// NewKey wraps pub, refusing keys shorter than MinKeyBits.
func NewKey(pub *rsa.PublicKey) (Key, error) {
	if pub == nil || pub.N == nil {
		return Key{}, fmt.Errorf("%w: no key", ErrKey)
	}
	if bits := pub.N.BitLen(); bits < MinKeyBits {
		return Key{}, fmt.Errorf("%w: RSA key of %d bits, want at least %d", ErrKey, bits, MinKeyBits)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrKey, err)
	}
	sum := sha256.Sum256(der)
	return Key{ID: hex.EncodeToString(sum[:8]), Key: pub}, nil
}

// ParseKeys reads every RSA public key in PEM data: "PUBLIC KEY"
// (PKIX, as Hercle's document shows), "RSA PUBLIC KEY" (PKCS#1) and
// "CERTIFICATE" blocks (the certificate's key is used; its validity dates
// and chain are not checked, as the key is pinned). Any other block, a
// private key in particular, is an error, as is data with no key at all.
func ParseKeys(data []byte) ([]Key, error) {
	var keys []Key
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		pub, err := parsePEMPublicKey(block)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", n, block.Type, err)
		}
		k, err := NewKey(pub)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", n, block.Type, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no PEM public key found", ErrKey)
	}
	return keys, nil
}

func parsePEMPublicKey(block *pem.Block) (*rsa.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKey, err)
		}
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %T is not an RSA key", ErrKey, k)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKey, err)
		}
		return pub, nil
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKey, err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: certificate key %T is not RSA", ErrKey, cert.PublicKey)
		}
		return pub, nil
	}
	if strings.Contains(block.Type, "PRIVATE") {
		return nil, fmt.Errorf("%w: a private key where a public key belongs; give the receiver only the public key", ErrKey)
	}
	return nil, fmt.Errorf("%w: unsupported PEM block type", ErrKey)
}

// LoadKeys reads the PEM files at paths (each may hold several keys)
// and returns all their keys. During a key rotation, list the old and the
// new key; a webhook verifies if any key accepts it.
func LoadKeys(paths ...string) ([]Key, error) {
	var keys []Key
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("hercle: webhook key file: %w", err)
		}
		ks, err := ParseKeys(data)
		if err != nil {
			return nil, fmt.Errorf("hercle: webhook key file %s: %w", p, err)
		}
		keys = append(keys, ks...)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key files given", ErrKey)
	}
	return keys, nil
}

// Verifier checks the signature and freshness of webhook requests.
// It is safe for concurrent use once built; do not change its fields while
// it is in use. The zero value has no keys and refuses everything.
type Verifier struct {
	// Keys are the accepted public keys; several during a rotation.
	Keys []Key
	// Tolerance is the largest accepted distance between the timestamp
	// header and Clock, in either direction. Zero means
	// DefaultTolerance.
	Tolerance time.Duration
	// Clock is the receiver's clock; the zero value is the system clock.
	Clock clock.Clock
}

// maxTimestampLen bounds the timestamp header: ten digits until 2286.
const maxTimestampLen = 12

// Verify checks a request's timestamp header against the clock and its
// signature header against the raw body, in that order (as the samples
// do). timestamp and signature are the header values as received; body is
// the raw body exactly as received. It returns the ID of the key that
// verified. Errors wrap ErrMissingTimestamp, ErrBadTimestamp,
// ErrStaleTimestamp, ErrMissingSignature or ErrBadSignature.
//
// The timestamp must be a plain decimal integer of seconds (the Python
// sample's int(); the Node sample would also take a fraction, which Hercle's
// "Unix timestamp (seconds)" does not send). The message is signed over the
// header's exact text, so a timestamp written differently from the signed
// one ("01705329000") does not verify. The signature is standard base64,
// with or without padding.
func (v *Verifier) Verify(timestamp, signature string, body []byte) (keyID string, err error) {
	if err := v.CheckTimestamp(timestamp); err != nil {
		return "", err
	}
	return v.VerifySignature(timestamp, signature, body)
}

// CheckTimestamp checks the timestamp header alone, so a receiver can
// refuse a stale request before reading its body.
func (v *Verifier) CheckTimestamp(timestamp string) error {
	if timestamp == "" {
		return ErrMissingTimestamp
	}
	if len(timestamp) > maxTimestampLen || !allDigits(timestamp) {
		return ErrBadTimestamp
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	skew := v.Clock.Since(time.Unix(secs, 0))
	if skew > tol || skew < -tol {
		return fmt.Errorf("%w: %s off the receiver's clock (tolerance %s)", ErrStaleTimestamp, skew.Round(time.Second), tol)
	}
	return nil
}

// VerifySignature checks the signature alone, without the clock; Verify
// is what a receiver calls. It is exported for re-verifying a stored
// delivery later, when its timestamp is long past.
func (v *Verifier) VerifySignature(timestamp, signature string, body []byte) (keyID string, err error) {
	if signature == "" {
		return "", ErrMissingSignature
	}
	sig, err := decodeSignature(signature)
	if err != nil {
		return "", fmt.Errorf("%w: not base64", ErrBadSignature)
	}
	hashed := webhookDigest(timestamp, body)
	for _, k := range v.Keys {
		if k.Key == nil || len(sig) != k.Key.Size() {
			continue
		}
		if rsa.VerifyPKCS1v15(k.Key, crypto.SHA256, hashed[:], sig) == nil {
			return k.ID, nil
		}
	}
	if len(v.Keys) == 0 {
		return "", fmt.Errorf("%w: no public keys configured", ErrBadSignature)
	}
	return "", ErrBadSignature
}

// webhookDigest is the value RSA signs: SHA-256 of SHA-256(timestamp "." body).
func webhookDigest(timestamp string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	var inner [sha256.Size]byte
	h.Sum(inner[:0])
	return sha256.Sum256(inner[:])
}

// maxSignatureLen bounds the header before decoding: base64 of a 16384-bit
// signature is 2732 characters.
const maxSignatureLen = 4096

func decodeSignature(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxSignatureLen {
		return nil, errors.New("too long")
	}
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
