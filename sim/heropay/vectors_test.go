package heropay

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// The vectors were made by Node's crypto and JSON from the document's
// recipe (heropayments/testdata/vectors.js). They belong to no Go code:
// the client reads them too, and each side is checked against Node, not
// against the other.
const vectorsDir = "../../heropayments/testdata"

type nodeVectors struct {
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

// readVectors reads vectors.json; with node on the PATH it first has Node
// make them again and checks the file is what Node makes now.
func readVectors(t *testing.T) nodeVectors {
	t.Helper()
	stored, err := os.ReadFile(filepath.Join(vectorsDir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if node, err := exec.LookPath("node"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "vectors.js")
		cmd.Dir = vectorsDir
		fresh, err := cmd.Output()
		if err != nil {
			t.Fatalf("node vectors.js: %v", err)
		}
		if !bytes.Equal(dropComment(t, fresh), dropComment(t, stored)) {
			t.Fatalf("vectors.json differs from what node vectors.js makes now; regenerate it")
		}
	} else {
		t.Log("node is not on PATH: using the stored vectors.json as it is")
	}
	var v nodeVectors
	if err := json.Unmarshal(stored, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Bodies) == 0 || len(v.Queries) == 0 || v.Encoding != "hex" {
		t.Fatalf("vectors.json: %d bodies, %d queries, encoding %q", len(v.Bodies), len(v.Queries), v.Encoding)
	}
	t.Logf("vectors made by Node with seed %d", v.Seed)
	return v
}

// dropComment removes the comment naming Node's version, which is all
// that may differ between two machines.
func dropComment(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "comment")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStringifyMatchesNode(t *testing.T) {
	v := readVectors(t)
	for _, c := range v.Bodies {
		got, err := stringify([]byte(c.Raw))
		if err != nil || string(got) != c.Normalized {
			t.Errorf("%s: stringify(%q) = %q, %v; want Node's %q", c.Name, c.Raw, got, err, c.Normalized)
		}
	}
	for _, c := range v.Invalid {
		if got, err := stringify([]byte(c.Raw)); err == nil {
			t.Errorf("%s: stringify(%q) = %q, want an error: JSON.parse throws", c.Name, c.Raw, got)
		}
	}
}

// TestSignatureMatchesNode: the simulator's signature of the stringified
// body, and of each query, is Node's, character for character, and the
// request check accepts exactly those.
func TestSignatureMatchesNode(t *testing.T) {
	v := readVectors(t)
	for _, c := range v.Bodies {
		msg, err := stringify([]byte(c.Raw))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if got := signature(v.Secret, msg); got != c.Signature {
			t.Errorf("%s: signature = %s, want Node's %s", c.Name, got, c.Signature)
		}
		if !signed(v.Secret, msg, c.Signature) {
			t.Errorf("%s: Node's signature refused", c.Name)
		}
	}
	for _, q := range v.Queries {
		if got := signature(v.Secret, []byte(q.Query)); got != q.Signature {
			t.Errorf("signature(query %q) = %s, want Node's %s", q.Query, got, q.Signature)
		}
	}
}

// TestSignedRefuses: the document compares strings, so anything but
// Node's text of the right HMAC is refused.
func TestSignedRefuses(t *testing.T) {
	v := readVectors(t)
	c := v.Bodies[0]
	msg := []byte(c.Normalized)
	raw, err := hex.DecodeString(c.Signature)
	if err != nil {
		t.Fatal(err)
	}
	for name, sig := range map[string]string{
		"empty":           "",
		"upper-case hex":  strings.ToUpper(c.Signature),
		"trailing space":  c.Signature + " ",
		"truncated":       c.Signature[:len(c.Signature)-2],
		"another body's":  v.Bodies[1].Signature,
		"base64 encoding": base64.StdEncoding.EncodeToString(raw),
	} {
		if signed(v.Secret, msg, sig) {
			t.Errorf("signed(%s) = true, want false", name)
		}
	}
	if signed(v.Secret+"x", msg, c.Signature) {
		t.Error("signed with another secret = true, want false")
	}
}

// TestCallbackSignaturesVerifyInNode has Node check what the simulator
// sends as callbacks: each body must already be in JSON.stringify form and
// its x-api-sign Node's HMAC of it (vectors.js verify).
func TestCallbackSignaturesVerifyInNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; the simulator's callback signatures are not checked by Node")
	}
	v := readVectors(t)
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	d := decimal.RequireFromString
	type nodeCase struct {
		Name           string `json:"name"`
		Body           string `json:"body"`
		Signature      string `json:"signature"`
		NormalizedBody bool   `json:"normalizedBody"`
	}
	var cases []nodeCase
	for i, p := range []Payment{
		{ID: "a1", ExternalOrderID: "dep-1", Sequence: SequenceOriginal, Flow: FlowV2, Type: KindDeposit, Status: StatusFinished,
			CustomerID: "café <&> \u2028", Currency: "BTC", PaidAmount: d("0.00000001"), MerchantAmount: d("600.50"),
			PayAddress: "hp01", CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(4 * time.Hour)},
		{ID: "b2", ExternalOrderID: "wd-1", Sequence: SequenceOriginal, Flow: FlowCustody, Type: KindWithdrawal, Status: StatusPending,
			CustomerID: "c1", Currency: "USDT", Amount: d("1234567.891"), MerchantAmount: d("1234567.891"), Address: "T\"x\"",
			CreatedAt: at, UpdatedAt: at},
	} {
		body, err := encodeJS(p.wire())
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, nodeCase{Name: fmt.Sprintf("callback %d", i), Body: string(body),
			Signature: signature(v.Secret, body), NormalizedBody: true})
	}
	file := filepath.Join(t.TempDir(), "sim_signed.json")
	data, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "vectors.js", "verify", file)
	cmd.Dir = vectorsDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node vectors.js verify: %v\n%s", err, out)
	}
	t.Logf("node: %s", bytes.TrimSpace(out))
}

// FuzzStringify: stringify never panics, its output is stable (a second
// round trip changes nothing) and is valid JSON.
func FuzzStringify(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1e400,-0,"\ud800"]`, `{"2":1,"1":2,"a":{"b":[]}}`, `"\u2028"`, `1.10`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := stringify(b)
		if err != nil {
			return
		}
		again, err := stringify(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("stringify(stringify(%q)) = %q, %v; want %q", b, again, err, out)
		}
		if !json.Valid(out) {
			t.Fatalf("stringify(%q) = %q, not valid JSON", b, out)
		}
	})
}
