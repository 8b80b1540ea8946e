package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// The webhook data models, written from Hercle's webhook document
// (PascalCase keys; encodeWebhookData turns them to camelCase for the
// second envelope version). Amounts are JSON numbers (num), times ISO 8601.

type whBank struct {
	RefAddressID       string            `json:"RefAddressId"`
	BankName           string            `json:"BankName"`
	BankAddressCountry string            `json:"BankAddressCountry"`
	AccountHolderName  string            `json:"AccountHolderName"`
	Country            string            `json:"Country"`
	AccountNumber      string            `json:"AccountNumber"`
	RoutingCodes       map[string]string `json:"RoutingCodes"`
	IBAN               string            `json:"Iban"`
	BIC                string            `json:"Bic"`
}

type whTransaction struct {
	ID                string  `json:"Id"`
	UserID            string  `json:"UserId"`
	UserEmail         string  `json:"UserEmail"`
	Type              string  `json:"Type"`
	Status            string  `json:"Status"`
	Description       string  `json:"Description"`
	Asset             string  `json:"Asset"`
	Amount            num     `json:"Amount"`
	Debtor            *whBank `json:"Debtor"`
	Creditor          *whBank `json:"Creditor"`
	Source            string  `json:"Source"`
	SourceRefID       string  `json:"SourceRefId"`
	SourceRefClientID string  `json:"SourceRefClientId"`
	CreatedAt         string  `json:"CreatedAt"`
	ApprovedAt        string  `json:"ApprovedAt"`
	ProcessedAt       string  `json:"ProcessedAt"`
}

type whWithdrawal struct {
	ID                string            `json:"Id"`
	UserID            string            `json:"UserId"`
	ClientID          string            `json:"ClientId"`
	Name              string            `json:"Name"`
	Surname           string            `json:"Surname"`
	Company           string            `json:"Company"`
	Destination       string            `json:"Destination"`
	DestinationParams map[string]string `json:"DestinationParams"`
	Network           string            `json:"Network"`
	Amount            num               `json:"Amount"`
	Fee               num               `json:"Fee"`
	Asset             string            `json:"Asset"`
	Status            string            `json:"Status"`
	RefID             string            `json:"RefId"`
	Description       string            `json:"Description"`
	IsInstant         bool              `json:"IsInstant"`
	CreatedAt         string            `json:"CreatedAt"`
}

type whTransferParty struct {
	InternalAddressID string            `json:"InternalAddressId,omitempty"`
	PayeeAddressID    string            `json:"PayeeAddressId,omitempty"`
	Asset             string            `json:"Asset"`
	Address           string            `json:"Address"`
	AddressParams     map[string]string `json:"AddressParams"`
	Network           string            `json:"Network"`
	Amount            num               `json:"Amount"`
	Fee               *num              `json:"Fee,omitempty"`
}

type whTransfer struct {
	ID           string           `json:"Id"`
	UserID       string           `json:"UserId"`
	ClientID     string           `json:"ClientId"`
	Description  string           `json:"Description"`
	Debtor       whTransferParty  `json:"Debtor"`
	Creditor     whTransferParty  `json:"Creditor"`
	ExchangeInfo *json.RawMessage `json:"ExchangeInfo"`
	Status       string           `json:"Status"`
	RefID        string           `json:"RefId"`
	IsInstant    bool             `json:"IsInstant"`
	CreatedAt    string           `json:"CreatedAt"`
	ApprovedAt   string           `json:"ApprovedAt,omitempty"`
	ProcessedAt  string           `json:"ProcessedAt,omitempty"`
}

type whInternalAddress struct {
	ID                  string            `json:"Id"`
	UserID              string            `json:"UserId"`
	EndUserID           string            `json:"EndUserId"`
	Name                string            `json:"Name"`
	Asset               string            `json:"Asset"`
	Address             string            `json:"Address"`
	AddressParams       map[string]string `json:"AddressParams"`
	Network             string            `json:"Network"`
	RefAccountID        string            `json:"RefAccountId"`
	RefAccountType      string            `json:"RefAccountType"`
	RefAccountDetails   string            `json:"RefAccountDetails"`
	MasterFiatAccountID string            `json:"MasterFiatAccountId"`
	VirtualAccountID    string            `json:"VirtualAccountId"`
	Deleted             bool              `json:"Deleted"`
	CreatedAt           string            `json:"CreatedAt"`
}

type whAssetBalance struct {
	Name      string `json:"Name"`
	Available num    `json:"Available"`
	Allocated num    `json:"Allocated"`
}

type whAccountBalance struct {
	UserID   string           `json:"UserId"`
	Sequence uint64           `json:"Sequence"`
	Assets   []whAssetBalance `json:"Assets"`
}

type whIndividualEndUser struct {
	ID                 string          `json:"Id"`
	Person             json.RawMessage `json:"Person"`
	IPAddress          string          `json:"IpAddress"`
	RegistrationStatus string          `json:"RegistrationStatus"`
	CreatedAt          string          `json:"CreatedAt"`
	UpdatedAt          string          `json:"UpdatedAt"`
}

type whBusinessEndUser struct {
	ID                 string            `json:"Id"`
	Business           json.RawMessage   `json:"Business"`
	BusinessPersons    []json.RawMessage `json:"BusinessPersons"`
	IPAddress          string            `json:"IpAddress"`
	RegistrationStatus string            `json:"RegistrationStatus"`
	Sector             string            `json:"Sector"`
	CreatedAt          string            `json:"CreatedAt"`
	UpdatedAt          string            `json:"UpdatedAt"`
}

type whPayee struct {
	ID         string `json:"Id"`
	UserID     string `json:"UserId"`
	EndUserID  string `json:"EndUserId"`
	Type       int    `json:"Type"`
	Name       string `json:"Name"`
	Surname    string `json:"Surname"`
	Company    string `json:"Company"`
	Country    string `json:"Country"`
	State      string `json:"State"`
	City       string `json:"City"`
	Address    string `json:"Address"`
	PostalCode string `json:"PostalCode"`
	Disabled   bool   `json:"Disabled"`
	Deleted    bool   `json:"Deleted"`
}

type whPayeeAddress struct {
	ID                   string            `json:"Id"`
	PayeeID              string            `json:"PayeeId"`
	Name                 string            `json:"Name"`
	Asset                string            `json:"Asset"`
	Address              string            `json:"Address"`
	AddressParams        map[string]string `json:"AddressParams"`
	Network              string            `json:"Network"`
	Status               int               `json:"Status"`
	Comment              string            `json:"Comment"`
	ConfirmationStrategy string            `json:"ConfirmationStrategy"`
}

// webhook is one webhook to send: its type and data (a model above).
type webhook struct {
	typ  string
	data any
}

// webhookStatus is the webhook document's word for a movement status.
func webhookStatus(s MovementStatus) string {
	if s == MovementConfirmed {
		return "SUCCESS"
	}
	return string(s)
}

func whTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func toWhBank(a *Account) *whBank {
	if a == nil {
		return nil
	}
	return &whBank{BankName: a.BankName, BankAddressCountry: a.BankAddressCountry, AccountHolderName: a.AccountHolderName,
		Country: a.Country, AccountNumber: a.AccountNumber, RoutingCodes: nonNil(a.RoutingCodes), IBAN: a.IBAN, BIC: a.BIC}
}

// webhooksFor returns the webhooks of one venue event (none for events
// that have no documented webhook). It reads the venue for details the
// event does not carry (a deposit's debtor, a transfer's addresses); those
// never change once created. v.mu must not be held.
func (v *Venue) webhooksFor(ev Event) []webhook {
	switch e := ev.(type) {
	case DepositCredited:
		t := e.Transaction
		tx := whTransaction{ID: t.ID, UserID: v.userID, UserEmail: UserEmail, Type: "DEPOSIT", Status: "SUCCESS",
			Description: "deposit", Asset: string(t.Asset), Amount: n(t.Amount), SourceRefID: t.RefID,
			CreatedAt: whTime(t.Time), ApprovedAt: whTime(t.Time), ProcessedAt: whTime(t.Time)}
		if IsFiat(t.Asset) {
			tx.Source = "FiatRepublic"
		}
		if le, ok := v.ledgerEntry(t.ID); ok {
			tx.Debtor, tx.Creditor = toWhBank(le.Debtor), toWhBank(le.Creditor)
		}
		return []webhook{{WebhookDepositStatusUpdated, tx}}

	case WithdrawalChanged:
		w := e.Withdrawal
		typ := WebhookWithdrawalStatusUpdated
		if w.Status == MovementCreated {
			typ = WebhookWithdrawalCreated
		}
		return []webhook{{typ, whWithdrawal{ID: w.ID, UserID: v.userID, ClientID: w.ClientID, Destination: w.Destination,
			DestinationParams: nonNil(w.Params), Network: w.Network, Amount: n(w.Amount), Fee: n(w.Fee),
			Asset: string(w.Asset), Status: webhookStatus(w.Status), RefID: w.RefID, Description: w.Description,
			IsInstant: w.Instant, CreatedAt: whTime(w.Time)}}}

	case TransferChanged:
		return []webhook{v.transferWebhook(e.Transfer)}

	case DepositAddressCreated:
		return []webhook{v.internalAddressWebhook(e.Address)}

	case BalanceChanged:
		b := whAccountBalance{UserID: e.Balances.UserID, Sequence: e.Balances.Sequence, Assets: []whAssetBalance{}}
		for _, a := range e.Balances.Assets {
			b.Assets = append(b.Assets, whAssetBalance{Name: string(a.Name), Available: n(a.Available), Allocated: n(a.Allocated)})
		}
		return []webhook{{WebhookBalanceUpdated, b}}

	case EndUserCreated:
		return []webhook{{WebhookEndUserCreated, whEndUser(e.EndUser)}}
	case EndUserUpdated:
		return []webhook{{WebhookEndUserUpdated, whEndUser(e.EndUser)}}
	case EndUserStatusChanged:
		return []webhook{{WebhookEndUserStatusUpdated, whEndUser(e.EndUser)}}

	case PayeeCreated:
		p := e.Payee
		return []webhook{{WebhookPayeeCreated, whPayee{ID: p.ID, UserID: v.userID, EndUserID: p.EndUserID, Type: int(p.Type),
			Name: p.Name, Surname: p.Surname, Company: p.Company, Country: p.Country, State: p.State, City: p.City,
			Address: p.Address, PostalCode: p.PostalCode, Disabled: p.Disabled, Deleted: p.Deleted}}}
	case PayeeAddressCreated:
		return []webhook{{WebhookPayeeStatusUpdated, whPayeeAddr(e.PayeeAddress)}}
	case PayeeAddressChanged:
		return []webhook{{WebhookPayeeStatusUpdated, whPayeeAddr(e.PayeeAddress)}}
	}
	return nil
}

// transferWebhook is Banking.Payout.Created or .StatusUpdated for a
// transfer's change.
func (v *Venue) transferWebhook(t Transfer) webhook {
	typ := WebhookPayoutStatusUpdated
	if t.Status == MovementCreated {
		typ = WebhookPayoutCreated
	}
	fee := n(decimal.Zero) // the simulator charges no fee
	out := whTransfer{ID: t.ID, UserID: v.userID, ClientID: t.ClientID, Description: t.Description,
		Debtor: whTransferParty{InternalAddressID: t.InternalAddressID, Asset: string(t.Asset),
			Address: firstNonEmpty(t.Debtor.IBAN, t.Debtor.Address), AddressParams: map[string]string{},
			Amount: n(t.Amount), Fee: &fee},
		Creditor: whTransferParty{PayeeAddressID: t.PayeeAddressID, Asset: string(t.Asset),
			Address: t.Creditor.AccountNumber, AddressParams: map[string]string{}, Amount: n(t.Amount)},
		Status: webhookStatus(t.Status), RefID: t.RefID, CreatedAt: whTime(t.Time)}
	if d, ok := v.depositAddress(t.InternalAddressID); ok {
		out.Debtor.Network = d.Network
		out.Debtor.AddressParams = nonNil(d.Params)
	}
	if pa, ok := v.payeeAddress(t.PayeeAddressID); ok {
		out.Creditor.Address, out.Creditor.Network, out.Creditor.AddressParams = pa.Address, pa.Network, nonNil(pa.Params)
	}
	if t.Status != MovementCreated {
		out.ApprovedAt = whTime(t.confirmAt)
	}
	if t.Status.Final() {
		out.ProcessedAt = whTime(t.settleAt)
	}
	return webhook{typ, out}
}

// internalAddressWebhook is VirtualAccount.Registered for a new deposit
// address or account.
func (v *Venue) internalAddressWebhook(d DepositAddress) webhook {
	ia := whInternalAddress{ID: d.ID, UserID: v.userID, EndUserID: d.EndUserID, Name: d.Name, Asset: string(d.Asset),
		Address: d.Address, AddressParams: nonNil(d.Params), Network: d.Network, RefAccountID: d.RefAccountID,
		RefAccountType: d.RefAccountType, RefAccountDetails: d.Address, CreatedAt: whTime(d.Created)}
	if d.RefAccountType == "CRYPTO_ACCOUNT" {
		ia.RefAccountType = "CRIPTO_ACCOUNT" // the webhook document's spelling
	}
	if d.Bank != nil {
		ia.VirtualAccountID = d.RefAccountID
		ia.RefAccountDetails = fmt.Sprintf("%s, %s, IBAN %s, BIC %s", d.Bank.BankName, d.Bank.AccountHolderName, d.Bank.IBAN, d.Bank.BIC)
	}
	if a, ok := v.depositAccount(d.ID); ok {
		ia.MasterFiatAccountID = a.FiatAccountID
	}
	return webhook{WebhookVirtualAccountRegistered, ia}
}

func whPayeeAddr(a PayeeAddress) whPayeeAddress {
	return whPayeeAddress{ID: a.ID, PayeeID: a.PayeeID, Name: a.Name, Asset: string(a.Asset), Address: a.Address,
		AddressParams: nonNil(a.Params), Network: a.Network, Status: a.Status, Comment: a.Comment, ConfirmationStrategy: "API"}
}

// whEndUser builds the individual or business model from the registration
// document the venue keeps (the REST request's person, or business and
// businessPersons objects), adding the ids and times the webhook carries.
func whEndUser(u EndUser) any {
	created, updated := whTime(u.Created), whTime(u.Updated)
	if u.Kind == Individual {
		return whIndividualEndUser{ID: u.ID, Person: objectWith(u.Profile["person"], nil), IPAddress: u.IPAddress,
			RegistrationStatus: u.RegistrationStatus, CreatedAt: created, UpdatedAt: updated}
	}
	b := whBusinessEndUser{ID: u.ID, Business: objectWith(u.Profile["business"], map[string]any{"id": u.ID}),
		BusinessPersons: []json.RawMessage{}, IPAddress: u.IPAddress, RegistrationStatus: u.RegistrationStatus,
		Sector: u.Sector, CreatedAt: created, UpdatedAt: updated}
	var persons []json.RawMessage
	_ = json.Unmarshal(u.Profile["businessPersons"], &persons) // absent or malformed: no persons
	for i, p := range persons {
		b.BusinessPersons = append(b.BusinessPersons, objectWith(p, map[string]any{
			"id": fmt.Sprintf("bp_%s_%d", strings.TrimPrefix(u.ID, "eus_"), i+1), "businessEndUserId": u.ID,
			"createdAt": created, "updatedAt": updated,
		}))
	}
	return b
}

// objectWith returns the JSON object raw with the keys of add it lacks
// (compared without regard to case); raw that is not an object counts as
// empty.
func objectWith(raw json.RawMessage, add map[string]any) json.RawMessage {
	m := map[string]json.RawMessage{}
	if json.Unmarshal(raw, &m) != nil || m == nil {
		m = map[string]json.RawMessage{}
	}
	for k, val := range add {
		found := false
		for have := range m {
			found = found || strings.EqualFold(have, k)
		}
		if !found {
			m[k], _ = json.Marshal(val)
		}
	}
	b, _ := json.Marshal(m)
	return b
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (v *Venue) ledgerEntry(id string) (LedgerEntry, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.ledger[id]
	if !ok {
		return LedgerEntry{}, false
	}
	return *e, true
}

func (v *Venue) depositAddress(id string) (DepositAddress, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, d := range v.deposits {
		if d.ID == id {
			return d.clone(), true
		}
	}
	return DepositAddress{}, false
}

func (v *Venue) depositAccount(id string) (DepositAccount, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, a := range v.depositAccounts {
		if a.ID == id {
			return *a, true
		}
	}
	return DepositAccount{}, false
}

func (v *Venue) payeeAddress(id string) (PayeeAddress, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, a := range v.payeeAddresses {
		if a.ID == id {
			return a.clone(), true
		}
	}
	return PayeeAddress{}, false
}

// encodeWebhookData marshals a model and sets every object key's first
// letter to upper case (the document's PascalCase) or, with camel, lower
// case (the second version's camelCase). The contents of map-valued
// fields are keys chosen by users and banks and keep their case. Numbers
// keep their exact text.
func encodeWebhookData(data any, camel bool) (json.RawMessage, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := recaseValue(dec, &out, camel, false); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("sim: webhook data: trailing data")
	}
	return out.Bytes(), nil
}

// keepCase lists the fields whose object keys are data, not field names.
func keepCase(key string) bool {
	switch strings.ToLower(key) {
	case "addressparams", "destinationparams", "routingcodes":
		return true
	}
	return false
}

func recaseValue(dec *json.Decoder, out *bytes.Buffer, camel, keep bool) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for i := 0; dec.More(); i++ {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				if i > 0 {
					out.WriteByte(',')
				}
				name := k
				if !keep {
					name = recase(k, camel)
				}
				writeToken(out, name)
				out.WriteByte(':')
				if err := recaseValue(dec, out, camel, keep || keepCase(k)); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := recaseValue(dec, out, camel, keep); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case json.Number:
		out.WriteString(t.String())
	default: // string, bool, nil
		writeToken(out, t)
	}
	return nil
}

func writeToken(out *bytes.Buffer, v any) {
	b, _ := json.Marshal(v) // a string, bool or nil always marshals
	out.Write(b)
}

func recase(k string, camel bool) string {
	r, size := utf8.DecodeRuneInString(k)
	if size == 0 {
		return k
	}
	if camel {
		return string(unicode.ToLower(r)) + k[size:]
	}
	return string(unicode.ToUpper(r)) + k[size:]
}
