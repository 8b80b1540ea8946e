package heropayments

import (
	"encoding/json"
	"os"
	"testing"
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
