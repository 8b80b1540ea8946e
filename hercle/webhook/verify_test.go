package webhook

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// nodeVector is one entry of testdata/vectors.json, written by
// gen_vectors.js with Node's crypto along the document's sample path.
type nodeVector struct {
	Name       string `json:"name"`
	Key        string `json:"key"`
	Timestamp  string `json:"timestamp"`
	BodyBase64 string `json:"body_base64"`
	Signature  string `json:"signature"`
	Valid      bool   `json:"valid"`
}

func (v nodeVector) body(t testing.TB) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(v.BodyBase64)
	if err != nil {
		t.Fatalf("vector %s: body: %v", v.Name, err)
	}
	return b
}

func loadVectors(t testing.TB) []nodeVector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []nodeVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 6 {
		t.Fatalf("%d vectors, want at least 6", len(file.Vectors))
	}
	return file.Vectors
}

// nodeKeys loads key A (PKIX) and key B (PKCS#1) written by gen_vectors.js.
func nodeKeys(t testing.TB) (a, b Key) {
	t.Helper()
	ka, err := LoadKeys("testdata/key_a.pem")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := LoadKeys("testdata/key_b_pkcs1.pem")
	if err != nil {
		t.Fatal(err)
	}
	return ka[0], kb[0]
}

// at returns a clock fixed at the given Unix second.
func at(secs string) clock.Clock {
	var n int64
	for _, c := range secs {
		n = n*10 + int64(c-'0')
	}
	return clock.NewManual(time.Unix(n, 0)).Clock()
}

func TestWebhookNodeVectors(t *testing.T) {
	a, b := nodeKeys(t)
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			ver := Verifier{Keys: []Key{a, b}, Clock: at(v.Timestamp)}
			id, err := ver.Verify(v.Timestamp, v.Signature, v.body(t))
			if !v.Valid {
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("Verify(single-hash vector) = %q, %v; want ErrBadSignature", id, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			want := a.ID
			if v.Key == "b" {
				want = b.ID
			}
			if id != want {
				t.Errorf("verified by key %s, want %s", id, want)
			}
			// Only the key that signed may verify it.
			other := b
			if v.Key == "b" {
				other = a
			}
			only := Verifier{Keys: []Key{other}, Clock: at(v.Timestamp)}
			if _, err := only.Verify(v.Timestamp, v.Signature, v.body(t)); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify with the other key alone = %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestWebhookSingleHashRefused shows that the vectors are over the double
// hash: a verifier over SHA-256(message) alone refuses every valid vector
// and accepts every single-hash one.
func TestWebhookSingleHashRefused(t *testing.T) {
	a, _ := nodeKeys(t)
	checked := 0
	for _, v := range loadVectors(t) {
		if v.Key != "a" {
			continue
		}
		sig, _ := base64.StdEncoding.DecodeString(v.Signature)
		single := sha256.Sum256(append([]byte(v.Timestamp+"."), v.body(t)...))
		err := rsa.VerifyPKCS1v15(a.Key, crypto.SHA256, single[:], sig)
		if v.Valid && err == nil {
			t.Errorf("%s: a single-hash verifier accepted a sample-path signature", v.Name)
		}
		if !v.Valid && err != nil {
			t.Errorf("%s: single-hash vector does not verify over a single hash: %v", v.Name, err)
		}
		checked++
	}
	if checked < 6 {
		t.Fatalf("checked %d vectors", checked)
	}
}

func TestWebhookTamperingRefused(t *testing.T) {
	a, b := nodeKeys(t)
	var v nodeVector
	for _, x := range loadVectors(t) {
		if x.Name == "camel_object_data" {
			v = x
		}
	}
	body := v.body(t)
	ver := Verifier{Keys: []Key{a, b}, Clock: at(v.Timestamp)}
	if _, err := ver.Verify(v.Timestamp, v.Signature, body); err != nil {
		t.Fatalf("untouched vector: %v", err)
	}
	reserialised, err := json.Marshal(json.RawMessage(body)) // compacts whitespace: same JSON, other bytes
	if err != nil {
		t.Fatal(err)
	}
	var anyJSON any
	if err := json.Unmarshal(body, &anyJSON); err != nil {
		t.Fatal(err)
	}
	remarshalled, _ := json.Marshal(anyJSON) // reorders keys, 1000.0 becomes 1000
	nextSecond := "1705329061"
	if v.Timestamp == nextSecond {
		t.Fatal("vector timestamp collides with the altered one")
	}
	cases := []struct {
		name, ts, sig string
		body          []byte
	}{
		{"one byte changed", v.Timestamp, v.Signature, flipByte(body, len(body)/2)},
		{"one byte appended", v.Timestamp, v.Signature, append(append([]byte{}, body...), ' ')},
		{"trailing newline removed", v.Timestamp, v.Signature, body[:len(body)-1]},
		{"compacted", v.Timestamp, v.Signature, reserialised},
		{"re-serialised", v.Timestamp, v.Signature, remarshalled},
		{"other timestamp header", nextSecond, v.Signature, body},
		{"same instant, leading zero", "0" + v.Timestamp, v.Signature, body},
		{"signature truncated", v.Timestamp, v.Signature[:len(v.Signature)-8], body},
		{"signature of another body", v.Timestamp, loadVectors(t)[0].Signature, body},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ver := Verifier{Keys: []Key{a, b}, Clock: at(v.Timestamp)}
			if _, err := ver.Verify(c.ts, c.sig, c.body); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify = %v, want ErrBadSignature", err)
			}
		})
	}
}

func flipByte(b []byte, i int) []byte {
	out := append([]byte{}, b...)
	out[i] ^= 0x01
	return out
}

func TestWebhookTimestampRules(t *testing.T) {
	a, _ := nodeKeys(t)
	v := loadVectors(t)[0]
	signed := time.Unix(1705329000, 0)
	if v.Timestamp != "1705329000" {
		t.Fatalf("first vector timestamp %s, want 1705329000", v.Timestamp)
	}
	cases := []struct {
		name      string
		ts        string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"on time", v.Timestamp, signed, 0, nil},
		{"5 min late", v.Timestamp, signed.Add(5 * time.Minute), 0, nil},
		{"5 min early", v.Timestamp, signed.Add(-5 * time.Minute), 0, nil},
		{"5 min 1 s late", v.Timestamp, signed.Add(5*time.Minute + time.Second), 0, ErrStaleTimestamp},
		{"5 min 1 s early", v.Timestamp, signed.Add(-5*time.Minute - time.Second), 0, ErrStaleTimestamp},
		{"tolerance 30 s", v.Timestamp, signed.Add(31 * time.Second), 30 * time.Second, ErrStaleTimestamp},
		{"tolerance 1 h", v.Timestamp, signed.Add(59 * time.Minute), time.Hour, nil},
		{"missing", "", signed, 0, ErrMissingTimestamp},
		{"fraction", v.Timestamp + ".5", signed, 0, ErrBadTimestamp},
		{"milliseconds", v.Timestamp + "000", signed, 0, ErrBadTimestamp},
		{"sign", "+" + v.Timestamp, signed, 0, ErrBadTimestamp},
		{"negative", "-1", signed, 0, ErrBadTimestamp},
		{"space", " " + v.Timestamp, signed, 0, ErrBadTimestamp},
		{"text", "yesterday", signed, 0, ErrBadTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ver := Verifier{Keys: []Key{a}, Tolerance: c.tolerance, Clock: clock.NewManual(c.now).Clock()}
			_, err := ver.Verify(c.ts, v.Signature, v.body(t))
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Verify(ts %q at %s) = %v, want %v", c.ts, c.now.UTC().Format(time.TimeOnly), err, c.want)
			}
		})
	}
}

func TestWebhookSignatureHeaderForms(t *testing.T) {
	a, _ := nodeKeys(t)
	v := loadVectors(t)[0]
	ver := Verifier{Keys: []Key{a}, Clock: at(v.Timestamp)}
	for _, c := range []struct {
		name, sig string
		want      error
	}{
		{"padded", v.Signature, nil},
		{"unpadded", strings.TrimRight(v.Signature, "="), nil},
		{"missing", "", ErrMissingSignature},
		{"not base64", "!!!!", ErrBadSignature},
		{"url alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(v.Signature), ErrBadSignature},
		{"huge", strings.Repeat("A", 10000), ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ver.Verify(v.Timestamp, c.sig, v.body(t))
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("Verify = %v, want %v", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), v.Signature[:20]) {
				t.Errorf("error echoes the signature: %v", err)
			}
		})
	}
	if _, err := (&Verifier{Clock: at(v.Timestamp)}).Verify(v.Timestamp, v.Signature, v.body(t)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("zero verifier accepted a signature: %v", err)
	}
}

func TestParseWebhookKeys(t *testing.T) {
	a, b := nodeKeys(t)
	pemA, _ := os.ReadFile("testdata/key_a.pem")
	pemB, _ := os.ReadFile("testdata/key_b_pkcs1.pem")

	both, err := ParseKeys(append(append([]byte{}, pemA...), pemB...))
	if err != nil || len(both) != 2 || both[0].ID != a.ID || both[1].ID != b.ID {
		t.Fatalf("two keys in one file = %v, %v", both, err)
	}
	files, err := LoadKeys("testdata/key_a.pem", "testdata/key_b_pkcs1.pem")
	if err != nil || len(files) != 2 {
		t.Fatalf("LoadKeys(2 files) = %v, %v", files, err)
	}
	if len(a.ID) != 16 || a.ID == b.ID {
		t.Errorf("key IDs %q, %q: want distinct 16-hex fingerprints", a.ID, b.ID)
	}

	cert := certificateFor(t, a.Key)
	fromCert, err := ParseKeys(cert)
	if err != nil || fromCert[0].ID != a.ID {
		t.Fatalf("certificate key = %v, %v; want key A (%s)", fromCert, err, a.ID)
	}

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	privDER := x509.MarshalPKCS1PrivateKey(small)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("-----BEGIN PUBLIC KEY-----\neyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...\n-----END PUBLIC KEY-----\n")},
		{"1024-bit", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: smallDER})},
		{"private key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: privDER})},
		{"ECDSA", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}})},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseKeys(c.data)
			if !errors.Is(err, ErrKey) {
				t.Errorf("ParseKeys = %v, want ErrKey", err)
			}
			if c.name == "private key" && err != nil && strings.Contains(err.Error(), string(privDER[:8])) {
				t.Errorf("error echoes key material: %v", err)
			}
		})
	}
	if _, err := LoadKeys(filepath.Join(t.TempDir(), "absent.pem")); err == nil {
		t.Error("LoadKeys(absent file) = nil error")
	}
	if _, err := LoadKeys(); !errors.Is(err, ErrKey) {
		t.Errorf("LoadKeys() = %v, want ErrKey", err)
	}
}

// certificateFor wraps pub in a certificate signed by a throwaway ECDSA
// issuer (making one needs no RSA private key).
func certificateFor(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	issuer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hercle webhooks (test)"},
		NotBefore:    time.Unix(1700000000, 0),
		NotAfter:     time.Unix(1900000000, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// testSigner is a Go key for tests that sign fresh requests (handler,
// fuzz, benchmark). It is generated once per test binary.
var testSigner = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// otherSigner is a second key, for forgeries.
var otherSigner = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// signWebhook signs as Hercle does: PKCS#1 v1.5 over the double hash.
func signWebhook(t testing.TB, k *rsa.PrivateKey, ts string, body []byte) string {
	t.Helper()
	d := webhookDigest(ts, body)
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func testWebhookKey(t testing.TB) Key {
	t.Helper()
	k, err := NewKey(&testSigner().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
