package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lightningnetwork/lnd/lnwire"
	"github.com/lightningnetwork/lnd/zpay32"

	"github.com/otcdesk/engine/internal/clock"
)

// Defaults of LNURLOptions.
const (
	DefaultMinSendableMsat = 1_000           // 1 sat
	DefaultMaxSendableMsat = 100_000_000_000 // 1 BTC
	DefaultInvoiceExpiry   = time.Hour
)

// LNURL-pay paths (LUD-16 and the callback the payRequest names).
const (
	LNURLPayPath      = "/.well-known/lnurlp/"
	lnurlCallbackPath = "/lnurlp/"
)

// LNURLOptions configures the LNURL-pay service the Server answers beside
// the REST API: the payee side of a Lightning Address name@host. Zero
// values take the defaults; the Wrong* fields, Expired and the *Error
// fields make it misbehave, for tests of the paying client.
type LNURLOptions struct {
	// MinSendableMsat and MaxSendableMsat bound the amounts the service
	// accepts, in millisatoshi.
	MinSendableMsat int64
	MaxSendableMsat int64
	// InvoiceExpiry is the lifetime written into each invoice.
	InvoiceExpiry time.Duration

	// WrongAmount issues invoices for 1 sat more than was asked for.
	WrongAmount bool
	// WrongDescriptionHash commits invoices to a hash other than
	// sha256(metadata).
	WrongDescriptionHash bool
	// WrongNetwork issues invoices for another network than
	// Options.LightningNetwork (testnet for mainnet, mainnet otherwise).
	WrongNetwork bool
	// Expired issues invoices that expired a minute before they were
	// served.
	Expired bool
	// PayRequestError and CallbackError, when set, make that step answer
	// {"status":"ERROR","reason":<the text>} with status 200.
	PayRequestError string
	CallbackError   string
}

func (o LNURLOptions) withDefaults() LNURLOptions {
	if o.MinSendableMsat <= 0 {
		o.MinSendableMsat = DefaultMinSendableMsat
	}
	if o.MaxSendableMsat <= 0 {
		o.MaxSendableMsat = DefaultMaxSendableMsat
	}
	if o.InvoiceExpiry <= 0 {
		o.InvoiceExpiry = DefaultInvoiceExpiry
	}
	return o
}

// lightningParams returns the chain parameters of an
// Options.LightningNetwork; zpay32 writes the BOLT11 prefix from them
// (lnbc, lntb, lntbs, lnbcrt).
func lightningParams(name string) (*chaincfg.Params, bool) {
	switch name {
	case "", "mainnet":
		return &chaincfg.MainNetParams, true
	case "testnet":
		return &chaincfg.TestNet3Params, true
	case "signet":
		return &chaincfg.SigNetParams, true
	case "regtest":
		return &chaincfg.RegressionNetParams, true
	}
	return nil, false
}

// lnurlService is the LNURL-pay service: one Lightning node whose key
// comes from the seed, issuing a signed BOLT11 invoice per callback.
type lnurlService struct {
	opts  LNURLOptions
	net   *chaincfg.Params // invoices are issued for it
	key   *btcec.PrivateKey
	clock clock.Clock

	mu     sync.Mutex // guards issued
	issued uint64     // invoices issued; feeds each payment hash
}

func newLNURLService(o Options) (*lnurlService, error) {
	net, ok := lightningParams(o.LightningNetwork)
	if !ok {
		return nil, fmt.Errorf("sim: LightningNetwork %q: want mainnet, testnet, signet or regtest", o.LightningNetwork)
	}
	lo := o.LNURL.withDefaults()
	if lo.MinSendableMsat > lo.MaxSendableMsat {
		return nil, fmt.Errorf("sim: LNURL.MinSendableMsat %d is above MaxSendableMsat %d", lo.MinSendableMsat, lo.MaxSendableMsat)
	}
	if lo.WrongNetwork {
		if net == &chaincfg.MainNetParams {
			net = &chaincfg.TestNet3Params
		} else {
			net = &chaincfg.MainNetParams
		}
	}
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], o.Seed)
	k := sha256.Sum256(append([]byte("otcdesk sim lightning node key\x00"), seed[:]...))
	key, _ := btcec.PrivKeyFromBytes(k[:])
	return &lnurlService{opts: lo, net: net, key: key, clock: o.Clock}, nil
}

// node returns the service's node public key, compressed, in hex.
func (l *lnurlService) node() string {
	return hex.EncodeToString(l.key.PubKey().SerializeCompressed())
}

// mount registers the service's two endpoints. They sit beside the
// Hercle API, outside its faults and authentication: an LNURL-pay
// service is public and is not Hercle.
func (l *lnurlService) mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+LNURLPayPath+"{name}", l.payRequest)
	mux.HandleFunc("GET "+lnurlCallbackPath+"{name}/callback", l.callback)
}

// lnurlName reports whether name is a LUD-16 user name: a-z0-9-_. and +.
func lnurlName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.+", c) >= 0) {
			return false
		}
	}
	return true
}

// metadata is the LUD-06 metadata of name's pay link, as the string both
// answers carry and the invoice's description hash commits to.
func lnurlMetadata(name, host string) string {
	b, _ := json.Marshal([][]string{
		{"text/plain", "Payment to " + name + " on the Hercle simulator"},
		{"text/identifier", name + "@" + host},
	})
	return string(b)
}

// lnurlError answers LUD-06's error form.
func lnurlError(w http.ResponseWriter, status int, reason string) {
	writeJSON(w, status, struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}{"ERROR", reason})
}

func (l *lnurlService) payRequest(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch {
	case !lnurlName(name):
		lnurlError(w, http.StatusNotFound, "no such user: names are a-z, 0-9, '-', '_', '.' and '+'")
	case l.opts.PayRequestError != "":
		lnurlError(w, http.StatusOK, l.opts.PayRequestError)
	default:
		writeJSON(w, http.StatusOK, struct {
			Tag         string `json:"tag"`
			Callback    string `json:"callback"`
			MinSendable int64  `json:"minSendable"`
			MaxSendable int64  `json:"maxSendable"`
			Metadata    string `json:"metadata"`
		}{"payRequest", "http://" + r.Host + lnurlCallbackPath + name + "/callback",
			l.opts.MinSendableMsat, l.opts.MaxSendableMsat, lnurlMetadata(name, r.Host)})
	}
}

func (l *lnurlService) callback(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !lnurlName(name) {
		lnurlError(w, http.StatusNotFound, "no such user")
		return
	}
	if l.opts.CallbackError != "" {
		lnurlError(w, http.StatusOK, l.opts.CallbackError)
		return
	}
	msat, err := strconv.ParseInt(r.URL.Query().Get("amount"), 10, 64)
	if err != nil || msat < l.opts.MinSendableMsat || msat > l.opts.MaxSendableMsat {
		lnurlError(w, http.StatusBadRequest, fmt.Sprintf("amount must be whole millisatoshi from %d to %d",
			l.opts.MinSendableMsat, l.opts.MaxSendableMsat))
		return
	}
	pr, err := l.invoice(msat, lnurlMetadata(name, r.Host))
	if err != nil {
		lnurlError(w, http.StatusInternalServerError, "cannot issue an invoice")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		PR     string   `json:"pr"`
		Routes []string `json:"routes"`
	}{pr, []string{}})
}

// invoice issues a signed BOLT11 invoice for msat whose description hash
// is sha256(metadata), bent by the misbehaviour options.
func (l *lnurlService) invoice(msat int64, metadata string) (string, error) {
	l.mu.Lock()
	l.issued++
	n := l.issued
	l.mu.Unlock()

	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], n)
	preimage := sha256.Sum256(append(l.key.Serialize(), counter[:]...))
	paymentHash := sha256.Sum256(preimage[:])
	paymentAddr := sha256.Sum256(append(preimage[:], 's'))

	descHash := sha256.Sum256([]byte(metadata))
	if l.opts.WrongDescriptionHash {
		descHash = sha256.Sum256([]byte(metadata + " "))
	}
	if l.opts.WrongAmount {
		msat += 1000
	}
	created := l.clock.Now().Truncate(time.Second)
	if l.opts.Expired {
		created = created.Add(-l.opts.InvoiceExpiry - time.Minute)
	}
	features := lnwire.NewFeatureVector(lnwire.NewRawFeatureVector(lnwire.TLVOnionPayloadRequired,
		lnwire.PaymentAddrRequired), lnwire.Features)
	inv, err := zpay32.NewInvoice(l.net, paymentHash, created,
		zpay32.Amount(lnwire.MilliSatoshi(msat)), zpay32.DescriptionHash(descHash),
		zpay32.Expiry(l.opts.InvoiceExpiry), zpay32.PaymentAddr(paymentAddr), zpay32.Features(features))
	if err != nil {
		return "", err
	}
	return inv.Encode(zpay32.MessageSigner{SignCompact: func(msg []byte) ([]byte, error) {
		h := sha256.Sum256(msg)
		return ecdsa.SignCompact(l.key, h[:], true)
	}})
}
