package heropayments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type vectorFile struct {
	Seed     int64  `json:"seed"`
	Secret   string `json:"secret"`
	Encoding string `json:"encoding"`
	Bodies   []struct {
		Name       string `json:"name"`
		Raw        string `json:"raw"`
		Normalized string `json:"normalized"`
		Signature  string `json:"signature"`
	} `json:"bodies"`
	Invalid []struct {
		Name string `json:"name"`
		Raw  string `json:"raw"`
	} `json:"invalid"`
	Queries []struct {
		Query     string `json:"query"`
		Signature string `json:"signature"`
	} `json:"queries"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Bodies) == 0 || v.Encoding != "hex" {
		t.Fatalf("vectors.json: %d bodies, encoding %q", len(v.Bodies), v.Encoding)
	}
	return v
}

func TestNormalizeMatchesNode(t *testing.T) {
	v := loadVectors(t)
	t.Logf("vectors made by Node with seed %d", v.Seed)
	for _, c := range v.Bodies {
		got, err := Normalize([]byte(c.Raw))
		if err != nil {
			t.Errorf("%s: Normalize(%q) error %v, want %q", c.Name, c.Raw, err, c.Normalized)
			continue
		}
		if string(got) != c.Normalized {
			t.Errorf("%s: Normalize(%q) = %q, want %q", c.Name, c.Raw, got, c.Normalized)
		}
	}
	for _, c := range v.Invalid {
		if got, err := Normalize([]byte(c.Raw)); err == nil {
			t.Errorf("%s: Normalize(%q) = %q, want an error (JSON.parse throws)", c.Name, c.Raw, got)
		}
	}
}

func TestNodeSignaturesVerifyInGo(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Bodies {
		if err := VerifyBody(v.Secret, []byte(c.Raw), c.Signature); err != nil {
			t.Errorf("%s: VerifyBody(raw, Node's signature) = %v, want nil", c.Name, err)
		}
		norm, sig, err := SignBody(v.Secret, []byte(c.Raw))
		if err != nil || string(norm) != c.Normalized || sig != c.Signature {
			t.Errorf("%s: SignBody = %q, %s, %v; want %q, %s", c.Name, norm, sig, err, c.Normalized, c.Signature)
		}
	}
	for _, q := range v.Queries {
		if got := SignQuery(v.Secret, q.Query); got != q.Signature {
			t.Errorf("SignQuery(%q) = %s, want Node's %s", q.Query, got, q.Signature)
		}
		if got := SignQuery(v.Secret, "?"+q.Query); got != q.Signature {
			t.Errorf("SignQuery(%q) with a leading '?' = %s, want %s", q.Query, got, q.Signature)
		}
	}
}

func TestTamperedBodyRefused(t *testing.T) {
	v := loadVectors(t)
	const raw = `{"externalOrderId":"wd-1","amount":1.5,"currency":"BTC","address":"bc1q"}`
	_, sig, err := SignBody(v.Secret, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"value changed":          `{"externalOrderId":"wd-1","amount":1.6,"currency":"BTC","address":"bc1q"}`,
		"key order changed":      `{"amount":1.5,"externalOrderId":"wd-1","currency":"BTC","address":"bc1q"}`,
		"key added":              `{"externalOrderId":"wd-1","amount":1.5,"currency":"BTC","address":"bc1q","x":1}`,
		"duplicate key appended": `{"externalOrderId":"wd-1","amount":1.5,"currency":"BTC","address":"bc1q","amount":9}`,
		"wrong secret":           raw,
	} {
		secret := v.Secret
		if name == "wrong secret" {
			secret += "x"
		}
		if err := VerifyBody(secret, []byte(body), sig); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: VerifyBody = %v, want ErrSignature", name, err)
		}
	}
	// Whitespace and number spelling are not changes: they normalise away.
	if err := VerifyBody(v.Secret, []byte(" {\"externalOrderId\" : \"wd-1\", \"amount\": 1.50, \"currency\":\"BTC\",\n\"address\":\"bc1q\"}"), sig); err != nil {
		t.Errorf("VerifyBody(reformatted) = %v, want nil", err)
	}
	if err := VerifyBody(v.Secret, []byte(raw), strings.ToUpper(sig)); err != nil {
		t.Errorf("VerifyBody(upper-case hex) = %v, want nil", err)
	}
	for _, bad := range []string{"", "zz", sig[:len(sig)-2]} {
		if err := VerifyBody(v.Secret, []byte(raw), bad); !errors.Is(err, ErrSignature) {
			t.Errorf("VerifyBody(sig %q) = %v, want ErrSignature", bad, err)
		}
	}
}

// TestGoSignaturesVerifyInNode writes signatures made in Go, over the
// vector bodies and over bodies the client builds, and has Node check them
// with vectors.js verify.
func TestGoSignaturesVerifyInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; Go-made signatures are not cross-checked in Node")
	}
	v := loadVectors(t)
	type goCase struct {
		Name           string  `json:"name"`
		Body           string  `json:"body,omitempty"`
		Query          *string `json:"query,omitempty"`
		Signature      string  `json:"signature"`
		NormalizedBody bool    `json:"normalizedBody"`
	}
	var cases []goCase
	for _, c := range v.Bodies {
		_, sig, err := SignBody(v.Secret, []byte(c.Raw))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, goCase{Name: c.Name, Body: c.Raw, Signature: sig})
	}
	amt := MustAmount("0.0000001")
	for i, body := range []any{
		WithdrawalRequest{ExternalOrderID: "wd-1", CustomerID: "c<1>&", Currency: "USDT", Amount: MustAmount("1234567.891"), Address: "T\u2028x", CallbackURL: "https://e.example/cb?a=1&b=2"},
		WithdrawalRequest{ExternalOrderID: "wd-2", CustomerID: "café", Currency: "BTC", Amount: MustAmount("100.000"), Address: "bc1q"},
		DepositRequest{ExternalOrderID: "dep-1", CustomerID: "c1", Currency: "BTC", Amount: &amt},
		DepositRequest{ExternalOrderID: "dep-2", CustomerID: "c2", Currency: "ETH"},
	} {
		b, err := encodeBody(body)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, goCase{Name: fmt.Sprintf("client body %d", i), Body: string(b), Signature: Sign(v.Secret, b), NormalizedBody: true})
	}
	for _, q := range []string{"", "currency=BTC", "externalOrderId=wd-1&sequence=original"} {
		cases = append(cases, goCase{Name: "query " + q, Query: &q, Signature: SignQuery(v.Secret, q)})
	}
	file := filepath.Join(t.TempDir(), "go_signed.json")
	data, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "testdata/vectors.js", "verify", file).CombinedOutput()
	if err != nil {
		t.Fatalf("node vectors.js verify: %v\n%s", err, out)
	}
	t.Logf("node: %s", bytes.TrimSpace(out))
}
