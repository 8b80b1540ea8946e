package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otcdesk/engine/hercle"
)

// Hub channels: the client-method names the hub invokes on the client.
const (
	ChannelExecutionEvents = "executionEvents" // command replies and errors
	ChannelSubscriptions   = "subscriptions"   // price feed
)

// Subjects of the hub's envelopes, as documented. A reply to a command
// carries the command's ClientId; errors use SubjectPreChecksError or a
// subject ending in ".error" instead of the success subject.
const (
	SubjectPriceUpdate                = "execution.feeds.priceUpdate"
	SubjectPairs                      = "execution.pairs"
	SubjectPairPrice                  = "execution.pair.price"
	SubjectOrderExecuted              = "execution.order.executed"
	SubjectRFQCreated                 = "account.requestForQuote.created"
	SubjectOrdersSnapshot             = "account.orders.snapshot"
	SubjectTradesSnapshot             = "account.trades.snapshot"
	SubjectTransactionsSnapshot       = "account.transactions.snapshot"
	SubjectBalancesSnapshot           = "account.balances.snapshot"
	SubjectWithdrawCreated            = "account.withdraw.created"
	SubjectWithdrawalsSnapshot        = "account.withdrawals.snapshot"
	SubjectAddressRegistered          = "account.address.registered"
	SubjectExternalAddressesSnapshot  = "account.externalAddresses.snapshot"
	SubjectInternalAddressCreated     = "account.internalAddress.created"
	SubjectInternalAddressesSnapshot  = "account.internalAddresses.snapshot"
	SubjectTransferCreated            = "banking.transfer.created"
	SubjectTransfersSnapshot          = "banking.transfers.snapshot"
	SubjectLedgerDetails              = "ledger.transaction.details"
	SubjectPayeeRegistered            = "banking.payee.registered"
	SubjectPayeeAddressRegistered     = "banking.payee.address.registered"
	SubjectPayeesSnapshot             = "banking.payees.snapshot"
	SubjectPayeeAddressesSnapshot     = "banking.payee.addresses.snapshot"
	SubjectInvoiceCreated             = "execution.invoice.created"
	SubjectInvoicesSnapshot           = "lightspark.invoices.snapshot"
	SubjectLightningWithdrawalCreated = "execution.withdrawal.lightspark.created"
	SubjectPreChecksError             = "preChecksError"
	errorSubjectSuffix                = ".error"
)

// IsErrorSubject reports whether subject signals a failed command:
// preChecksError or any subject ending in ".error".
func IsErrorSubject(subject string) bool {
	return subject == SubjectPreChecksError || strings.HasSuffix(subject, errorSubjectSuffix)
}

// Event is one decoded hub message.
//
// Data holds the typed payload chosen by Subject:
//
//	execution.feeds.priceUpdate              PriceUpdate
//	execution.pairs                          []Pair
//	execution.pair.price                     SizeQuote
//	execution.order.executed                 Execution (Status 0 Created, 1 Executed, 2 Cancelled, 3 Pending; StatusError)
//	account.requestForQuote.created          RFQ
//	account.orders.snapshot                  []Order
//	account.trades.snapshot                  []Trade
//	account.transactions.snapshot            []Transaction
//	account.balances.snapshot                Balances
//	account.withdraw.created                 Withdrawal
//	account.withdrawals.snapshot             []Withdrawal
//	account.address.registered               AddressResult
//	account.externalAddresses.snapshot       []WhitelistedAddress
//	account.internalAddress.created          DepositAddress
//	account.internalAddresses.snapshot       []DepositAddress
//	banking.transfer.created                 TransferReceipt
//	banking.transfers.snapshot               []Transfer
//	ledger.transaction.details               LedgerTransaction
//	banking.payee.registered                 Payee
//	banking.payee.address.registered         PayeeAddress
//	banking.payees.snapshot                  []Payee
//	banking.payee.addresses.snapshot         []PayeeAddress
//	execution.invoice.created                Invoice
//	lightspark.invoices.snapshot             []LightningInvoice
//	execution.withdrawal.lightspark.created  LightningPayment
//	preChecksError, *.error                  *Error
//
// Snapshot subjects accept a single object where a list is documented, and
// Balances accepts a one-element list (the REST shape), so either reading
// of the docs decodes. Raw keeps the payload's JSON text (unwrapped when the
// venue sent it as a string) for logging and for fields not modelled.
type Event struct {
	Channel  string
	Topic    string
	Subject  string
	Type     string
	ClientID string
	Data     any
	Raw      json.RawMessage
	// DataWasString reports that the venue sent data as a JSON string
	// holding JSON, as the errors page and the guide show.
	DataWasString bool
}

// PriceUpdate is one execution.feeds.priceUpdate: the prices at which the
// account can buy and sell Size of Pair until the quote expires. ID is the
// PriceId for PlaceOtcOrder.
type PriceUpdate struct {
	ID        string        `json:"id"`
	Pair      string        `json:"pair"`
	Size      hercle.Number `json:"size"`
	BuyPrice  hercle.Number `json:"buyPrice"`
	SellPrice hercle.Number `json:"sellPrice"`
	MarkPrice hercle.Number `json:"markPrice"`
	Timestamp hercle.Time   `json:"timestamp"`
}

// Error is the payload of preChecksError and *.error envelopes: a command
// the hub refused. Message holds data.message, or the whole data when the
// venue sent a bare text; StatusError holds data.statusError.
type Error struct {
	Subject     string
	ClientID    string
	Message     string
	StatusError string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.StatusError
	}
	return fmt.Sprintf("hercle: hub %s for client id %q: %s", e.Subject, e.ClientID, redactSnippet(msg))
}

// redactSnippet bounds text echoed from the venue in errors.
func redactSnippet(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// Decoding failures, counted by reason in engine_hercle_hub_decode_errors_total.
var (
	// ErrMalformed: the envelope is not a JSON object (or a string holding one).
	ErrMalformed = errors.New("hercle: malformed hub envelope")
	// ErrBadData: data is a string that does not hold JSON where a payload is required.
	ErrBadData = errors.New("hercle: hub data is not JSON")
	// ErrWrongType: data does not fit the subject's documented shape.
	ErrWrongType = errors.New("hercle: hub data has the wrong type for its subject")
	// ErrUnknownSubject: a subject this package does not know; the event is
	// still returned, with Data set to its raw JSON.
	ErrUnknownSubject = errors.New("hercle: unknown hub subject")
)

// DecodeEvent decodes one hub message argument: the envelope
// {channel, topic, subject, type, clientId, data} as a JSON object or a JSON
// string holding one, with data as an embedded object or array or a string
// holding JSON.
//
// For an unknown subject it returns the event (Data is the raw payload) and
// ErrUnknownSubject; other errors wrap ErrMalformed, ErrBadData or
// ErrWrongType and return a zero event. It never panics.
func DecodeEvent(arg []byte) (Event, error) {
	var d hubDecoder
	return d.decode(arg)
}

// hubDecoder holds scratch buffers reused across messages by one goroutine.
type hubDecoder struct {
	env   []byte            // unescaped envelope when it arrived as a string
	buf   []byte            // unescaped data when it arrived as a string
	pairs map[string]string // pair names seen, so each is allocated once

	priceData []byte // a price update's data between decodeRest and decodeFast
}

// maxPairNames bounds the pair-name cache against a hostile stream.
const maxPairNames = 1024

// pair returns the pair name in v, shared with earlier messages.
func (d *hubDecoder) pair(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' {
		if s, ok := d.pairs[string(v[1:len(v)-1])]; ok {
			return s, nil
		}
	}
	s, err := unquoteOrNull(v)
	if err == nil && len(d.pairs) < maxPairNames {
		if d.pairs == nil {
			d.pairs = map[string]string{}
		}
		d.pairs[s] = s
	}
	return s, err
}

func (d *hubDecoder) decode(arg []byte) (Event, error) {
	ev, p, isPrice, err := d.decodeFast(arg)
	if isPrice && err == nil {
		ev.Data = p
	}
	return ev, err
}

// decodeFast is decode without boxing a price update into Event.Data:
// for execution.feeds.priceUpdate it returns the update in p, isPrice set.
// Errors are as decode's; an unknown subject returns the event too.
func (d *hubDecoder) decodeFast(arg []byte) (Event, PriceUpdate, bool, error) {
	ev, err := d.decodeRest(arg)
	if err == errPricePending {
		p, err := d.decodePriceUpdate(d.priceData)
		d.priceData = nil
		if err != nil {
			return Event{}, PriceUpdate{}, false, err
		}
		return ev, p, true, nil
	}
	return ev, PriceUpdate{}, false, err
}

// errPricePending tells decodeFast that the envelope is a price update
// whose data (in d.priceData) is still to be decoded; it never leaves this file.
var errPricePending = errors.New("hercle: price update pending")

func (d *hubDecoder) decodeRest(arg []byte) (Event, error) {
	var ev Event
	arg = bytes.TrimSpace(arg)
	if len(arg) > 0 && arg[0] == '"' {
		env, copied, err := unquoteBytes(arg, d.env)
		if err != nil {
			return Event{}, fmt.Errorf("%w: envelope string", ErrMalformed)
		}
		if copied {
			d.env = env[:0]
		}
		arg = env
	}
	var data []byte
	err := scanObject(arg, func(key, value []byte) error {
		var err error
		switch {
		case keyIs(key, "channel"):
			ev.Channel, err = internOrUnquote(value)
		case keyIs(key, "topic"):
			ev.Topic, err = internOrUnquote(value)
		case keyIs(key, "subject"):
			ev.Subject, err = internOrUnquote(value)
		case keyIs(key, "type"):
			ev.Type, err = internOrUnquote(value)
		case keyIs(key, "clientId"):
			ev.ClientID, err = unquoteOrNull(value)
		case keyIs(key, "data"):
			data = value
		}
		return err
	})
	if err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if ev.Subject == "" {
		return Event{}, fmt.Errorf("%w: no subject", ErrMalformed)
	}
	if len(data) > 0 && data[0] == '"' {
		ev.DataWasString = true
		s, copied, err := unquoteBytes(data, d.buf)
		if err != nil {
			return Event{}, fmt.Errorf("%w: data string", ErrMalformed)
		}
		if copied {
			d.buf = s[:0]
		}
		data = bytes.TrimSpace(s)
		if IsErrorSubject(ev.Subject) && !json.Valid(data) {
			// An error's data may be a bare message rather than JSON.
			ev.Data = &Error{Subject: ev.Subject, ClientID: ev.ClientID, Message: string(data)}
			ev.Raw = json.RawMessage(mustJSONString(string(data)))
			return ev, nil
		}
	}
	if ev.Subject == SubjectPriceUpdate {
		// Raw is left empty on the hot path: the typed value carries everything.
		d.priceData = data
		return ev, errPricePending
	}
	if len(data) == 0 || !json.Valid(data) {
		return Event{}, fmt.Errorf("%w: subject %s", ErrBadData, ev.Subject)
	}
	ev.Raw = append(json.RawMessage(nil), data...)
	if IsErrorSubject(ev.Subject) {
		ev.Data = decodeHubError(ev, data)
		return ev, nil
	}
	dec, ok := subjectDecoders[ev.Subject]
	if !ok {
		ev.Data = ev.Raw
		return ev, fmt.Errorf("%w: %q", ErrUnknownSubject, redactSnippet(ev.Subject))
	}
	v, err := dec(data)
	if err != nil {
		return Event{}, fmt.Errorf("%w: %s: %v", ErrWrongType, ev.Subject, err)
	}
	ev.Data = v
	return ev, nil
}

// internOrUnquote returns a shared string for the escape-free values every
// price update repeats (channel, topic, subject, type), so decoding them
// does not allocate; anything else is unquoted. Pair names are not among
// them (the set is the venue's): see hubDecoder.pair.
func internOrUnquote(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' {
		switch string(v[1 : len(v)-1]) {
		case ChannelExecutionEvents:
			return ChannelExecutionEvents, nil
		case ChannelSubscriptions:
			return ChannelSubscriptions, nil
		case SubjectPriceUpdate:
			return SubjectPriceUpdate, nil
		case "message":
			return "message", nil
		case "Execution":
			return "Execution", nil
		case "Subscriptions":
			return "Subscriptions", nil
		case "execution":
			return "execution", nil
		}
	}
	return unquoteOrNull(v)
}

func unquoteOrNull(v []byte) (string, error) {
	if string(v) == "null" {
		return "", nil
	}
	return unquote(v)
}

func mustJSONString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

func decodeHubError(ev Event, data []byte) *Error {
	e := &Error{Subject: ev.Subject, ClientID: ev.ClientID}
	switch data[0] {
	case '{':
		var body struct {
			Message     json.RawMessage `json:"message"`
			StatusError json.RawMessage `json:"statusError"`
		}
		if json.Unmarshal(data, &body) == nil {
			e.Message = textOf(body.Message)
			e.StatusError = textOf(body.StatusError)
			return e
		}
	case '"':
		var s string
		if json.Unmarshal(data, &s) == nil {
			e.Message = s
			return e
		}
	}
	e.Message = string(data)
	return e
}

// textOf returns a JSON string's text, or other JSON as written.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// decodePriceUpdate is the hot path: no reflection, decimals parsed from
// their text.
func (d *hubDecoder) decodePriceUpdate(data []byte) (PriceUpdate, error) {
	var p PriceUpdate
	if len(data) == 0 {
		return p, fmt.Errorf("%w: no data", ErrBadData)
	}
	if data[0] != '{' {
		if !json.Valid(data) {
			return p, fmt.Errorf("%w: price update", ErrBadData)
		}
		return p, fmt.Errorf("%w: price update is not an object", ErrWrongType)
	}
	err := scanObject(data, func(key, value []byte) error {
		var err error
		switch {
		case keyIs(key, "id"):
			p.ID, err = unquoteOrNull(value)
		case keyIs(key, "pair"):
			p.Pair, err = d.pair(value)
		case keyIs(key, "size"):
			err = hercle.ParseNumber(value, &p.Size)
		case keyIs(key, "buyPrice"):
			err = hercle.ParseNumber(value, &p.BuyPrice)
		case keyIs(key, "sellPrice"):
			err = hercle.ParseNumber(value, &p.SellPrice)
		case keyIs(key, "markPrice"):
			err = hercle.ParseNumber(value, &p.MarkPrice)
		case keyIs(key, "timestamp"), keyIs(key, "timeStamp"):
			err = parseTimeValue(value, &p.Timestamp)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, errScan) {
			return PriceUpdate{}, fmt.Errorf("%w: price update", ErrBadData)
		}
		return PriceUpdate{}, fmt.Errorf("%w: price update: %v", ErrWrongType, err)
	}
	if p.Pair == "" || p.BuyPrice.IsZero() && p.SellPrice.IsZero() {
		return PriceUpdate{}, fmt.Errorf("%w: price update without pair or prices", ErrWrongType)
	}
	return p, nil
}

var errNotTime = errors.New("timestamp is not a string")

func parseTimeValue(v []byte, t *hercle.Time) error {
	if string(v) == "null" {
		return nil
	}
	if len(v) == 0 || v[0] != '"' {
		return errNotTime
	}
	if tt, ok := utcStamp(v); ok {
		t.Time = tt
		return nil
	}
	s, err := unquote(v)
	if err != nil {
		return err
	}
	// The venue's own format first: RFC 3339 with fractional seconds. Raw
	// is kept only for text that does not parse that way.
	if tt, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = tt
		return nil
	}
	t.Raw = s
	t.Time, _ = hercle.ParseTime(s)
	return nil
}

// utcStamp parses the quoted literal v if it is the venue's usual timestamp,
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z", straight from the bytes, to what
// time.Parse(time.RFC3339Nano, …) gives for it (same range checks; digits
// past the ninth are ignored, as there). ok is false for anything else,
// offsets and escapes included, which the caller parses the general way.
func utcStamp(v []byte) (t time.Time, ok bool) {
	const minLen = len(`"2006-01-02T15:04:05Z"`)
	n := len(v)
	if n < minLen || v[0] != '"' || v[n-1] != '"' || v[n-2] != 'Z' {
		return time.Time{}, false
	}
	s := v[1 : n-2]
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	ok = true
	num := func(b []byte, lo, hi int) int {
		x := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				ok = false
				return lo
			}
			x = x*10 + int(c-'0')
		}
		if x < lo || x > hi {
			ok = false
			return lo
		}
		return x
	}
	year, month := num(s[0:4], 0, 9999), num(s[5:7], 1, 12)
	day := num(s[8:10], 1, daysIn(month, year))
	hour, minute, sec := num(s[11:13], 0, 23), num(s[14:16], 0, 59), num(s[17:19], 0, 59)
	if !ok {
		return time.Time{}, false
	}
	nsec := 0
	if frac := s[19:]; len(frac) > 0 {
		if len(frac) < 2 || frac[0] != '.' {
			return time.Time{}, false
		}
		for i, c := range frac[1:] {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			if i < 9 {
				nsec = nsec*10 + int(c-'0')
			}
		}
		for i := len(frac) - 1; i < 9; i++ {
			nsec *= 10
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn returns the number of days in month (1 to 12) of year.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// subjectDecoders maps every documented reply subject to its payload decoder.
// It is read-only after package initialisation.
var subjectDecoders = map[string]func([]byte) (any, error){
	SubjectPairs:                      decodeList[hercle.Pair],
	SubjectPairPrice:                  decodeOne[hercle.SizeQuote],
	SubjectOrderExecuted:              decodeOne[hercle.Execution],
	SubjectRFQCreated:                 decodeOne[hercle.RFQ],
	SubjectOrdersSnapshot:             decodeList[hercle.Order],
	SubjectTradesSnapshot:             decodeList[hercle.Trade],
	SubjectTransactionsSnapshot:       decodeList[hercle.Transaction],
	SubjectBalancesSnapshot:           decodeOne[hercle.Balances],
	SubjectWithdrawCreated:            decodeOne[hercle.Withdrawal],
	SubjectWithdrawalsSnapshot:        decodeList[hercle.Withdrawal],
	SubjectAddressRegistered:          decodeOne[hercle.AddressResult],
	SubjectExternalAddressesSnapshot:  decodeList[hercle.WhitelistedAddress],
	SubjectInternalAddressCreated:     decodeOne[hercle.DepositAddress],
	SubjectInternalAddressesSnapshot:  decodeList[hercle.DepositAddress],
	SubjectTransferCreated:            decodeOne[hercle.TransferReceipt],
	SubjectTransfersSnapshot:          decodeList[hercle.Transfer],
	SubjectLedgerDetails:              decodeOne[hercle.LedgerTransaction],
	SubjectPayeeRegistered:            decodeOne[hercle.Payee],
	SubjectPayeeAddressRegistered:     decodeOne[hercle.PayeeAddress],
	SubjectPayeesSnapshot:             decodeList[hercle.Payee],
	SubjectPayeeAddressesSnapshot:     decodeList[hercle.PayeeAddress],
	SubjectInvoiceCreated:             decodeOne[hercle.Invoice],
	SubjectInvoicesSnapshot:           decodeList[hercle.LightningInvoice],
	SubjectLightningWithdrawalCreated: decodeOne[hercle.LightningPayment],
}

// decodeOne decodes an object; a one-element array (the REST shape of some
// replies) is accepted too.
func decodeOne[T any](data []byte) (any, error) {
	var v T
	if data[0] == '[' {
		var list []T
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		if len(list) != 1 {
			return nil, fmt.Errorf("%d elements where one object belongs", len(list))
		}
		return list[0], nil
	}
	if data[0] != '{' {
		return nil, errors.New("not an object")
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeList decodes an array; a single object becomes a one-element list,
// and null an empty one.
func decodeList[T any](data []byte) (any, error) {
	switch data[0] {
	case '[':
		var list []T
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, err
		}
		return list, nil
	case '{':
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return []T{v}, nil
	case 'n':
		return []T{}, nil
	}
	return nil, errors.New("not an array")
}
