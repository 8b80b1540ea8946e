package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/otcdesk/engine/hercle"
)

// Webhook event data models, as Hercle's webhook document (002_…) defines
// them. The keys are PascalCase there and camelCase in the documentation
// site's second version of the page; encoding/json matches struct keys
// without regard to case, so both decode. They are separate from the REST
// models of the same names because the webhook forms differ: ISO 8601
// times where REST end users carry Unix milliseconds, Payee.Type and
// PayeeAddress.Status sent as names, six payee address statuses, bank
// details with routing codes as an object.

// Data is the typed data of a known event type: one of
// *Transaction, *Withdrawal, *Transfer,
// *InternalAddress, *AccountBalance, *EndUser,
// *Payee and *PayeeAddress. The set is closed.
type Data interface{ webhookData() }

func (*Transaction) webhookData()     {}
func (*Withdrawal) webhookData()      {}
func (*Transfer) webhookData()        {}
func (*InternalAddress) webhookData() {}
func (*AccountBalance) webhookData()  {}
func (*EndUser) webhookData()         {}
func (*Payee) webhookData()           {}
func (*PayeeAddress) webhookData()    {}

// RegistrationStatus is an end user's registration status.
type RegistrationStatus string

// Registration statuses.
const (
	RegistrationPending   RegistrationStatus = "PENDING"
	RegistrationActive    RegistrationStatus = "ACTIVE"
	RegistrationRejected  RegistrationStatus = "REJECTED"
	RegistrationSuspended RegistrationStatus = "SUSPENDED"
)

// PersonType is the role of a business person.
type PersonType string

// Business person roles.
const (
	PersonDirector    PersonType = "DIRECTOR"
	PersonShareholder PersonType = "SHAREHOLDER"
	PersonUBO         PersonType = "UBO"
)

// RefAccountType says what backs an internal address.
type RefAccountType string

// Reference account types. The webhook document spells the crypto one
// CRIPTO_ACCOUNT; the hub's examples spell it CRYPTO_ACCOUNT. Use IsCrypto.
const (
	RefAccountVirtual     RefAccountType = "VIRTUAL_ACCOUNT"
	RefAccountCrypto      RefAccountType = "CRYPTO_ACCOUNT"
	RefAccountCryptoAsDoc RefAccountType = "CRIPTO_ACCOUNT"
)

// IsCrypto reports whether t is either spelling of the crypto account type.
func (t RefAccountType) IsCrypto() bool {
	u := RefAccountType(strings.ToUpper(string(t)))
	return u == RefAccountCrypto || u == RefAccountCryptoAsDoc
}

// ConfirmationStrategy is how a payee address is confirmed.
type ConfirmationStrategy string

// Confirmation strategies.
const (
	ConfirmByEmail ConfirmationStrategy = "EMAIL"
	ConfirmByAPI   ConfirmationStrategy = "API"
)

// PayeeType says whether a payee is a person or a business. The
// document defines it as 0 or 1 and shows the name ("PERSON"); both forms
// decode. It marshals as the number.
type PayeeType int

// Payee types in webhooks.
const (
	PayeePerson   PayeeType = 0
	PayeeBusiness PayeeType = 1
)

var payeeTypeNames = []string{"PERSON", "BUSINESS"}

func (t PayeeType) String() string { return enumName(int(t), "PayeeType", payeeTypeNames...) }

// UnmarshalJSON reads a number or a name (PERSON, BUSINESS, and the REST
// names INDIVIDUAL, COMPANY), ignoring case.
func (t *PayeeType) UnmarshalJSON(b []byte) error {
	v, err := enumJSON(b, payeeTypeNames, map[string]int{"INDIVIDUAL": 0, "COMPANY": 1})
	if err == nil {
		*t = PayeeType(v)
	}
	return err
}

// PayeeAddressStatus is the review status of a payee address. The
// document defines it as 0 to 5 and shows the name ("CREATED"); both forms
// decode. It marshals as the number.
type PayeeAddressStatus int

// Payee address statuses in webhooks.
const (
	PayeeAddressCreated   PayeeAddressStatus = 0
	PayeeAddressPending   PayeeAddressStatus = 1
	PayeeAddressRefused   PayeeAddressStatus = 2
	PayeeAddressReviewing PayeeAddressStatus = 3
	PayeeAddressApproved  PayeeAddressStatus = 4
	PayeeAddressDeleted   PayeeAddressStatus = 5
)

var payeeAddressStatusNames = []string{"CREATED", "PENDING", "REFUSED", "REVIEWING", "APPROVED", "DELETED"}

func (s PayeeAddressStatus) String() string {
	return enumName(int(s), "PayeeAddressStatus", payeeAddressStatusNames...)
}

// UnmarshalJSON reads a number or a name, ignoring case.
func (s *PayeeAddressStatus) UnmarshalJSON(b []byte) error {
	v, err := enumJSON(b, payeeAddressStatusNames, nil)
	if err == nil {
		*s = PayeeAddressStatus(v)
	}
	return err
}

// enumJSON reads an enum sent as an integer, a string holding an integer,
// or a name. An unknown number is kept; an unknown name is an error, since
// the value it stands for cannot be known.
func enumJSON(b []byte, names []string, aliases map[string]int) (int, error) {
	b = bytes.TrimSpace(b)
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
	} else {
		s = string(b)
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	u := strings.ToUpper(strings.TrimSpace(s))
	for i, nm := range names {
		if u == nm {
			return i, nil
		}
	}
	if v, ok := aliases[u]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("hercle: unknown enum value %q (want one of %s)", truncate([]byte(s), 40), strings.Join(names, ", "))
}

// BankDetails is the debtor or creditor bank of a fiat deposit.
type BankDetails struct {
	RefAddressID       string        `json:"RefAddressId"`
	BankName           string        `json:"BankName"`
	BankAddressCountry string        `json:"BankAddressCountry"`
	AccountHolderName  string        `json:"AccountHolderName"`
	Country            string        `json:"Country"`
	AccountNumber      string        `json:"AccountNumber"`
	RoutingCodes       hercle.Params `json:"RoutingCodes"` // {"sort_code": "12-34-56"}
	IBAN               string        `json:"Iban"`
	BIC                string        `json:"Bic"`
}

// Transaction is the data of Banking.Deposit.StatusUpdated.
type Transaction struct {
	ID                string               `json:"Id"`
	UserID            string               `json:"UserId"`
	UserEmail         string               `json:"UserEmail"`
	Type              string               `json:"Type"` // DEPOSIT
	Status            hercle.BankingStatus `json:"Status"`
	Description       string               `json:"Description"`
	Asset             string               `json:"Asset"`
	Amount            hercle.Number        `json:"Amount"`
	Debtor            *BankDetails         `json:"Debtor"`
	Creditor          *BankDetails         `json:"Creditor"`
	Source            string               `json:"Source"` // FiatRepublic
	SourceRefID       string               `json:"SourceRefId"`
	SourceRefClientID string               `json:"SourceRefClientId"`
	CreatedAt         hercle.Time          `json:"CreatedAt"`
	ApprovedAt        hercle.Time          `json:"ApprovedAt"`
	ProcessedAt       hercle.Time          `json:"ProcessedAt"`
}

// Withdrawal is the data of Banking.Withdrawal.Created and
// Banking.Withdrawal.StatusUpdated.
type Withdrawal struct {
	ID                string               `json:"Id"`
	UserID            string               `json:"UserId"`
	ClientID          string               `json:"ClientId"` // the Client-Id the withdrawal was created with
	Name              string               `json:"Name"`
	Surname           string               `json:"Surname"`
	Company           string               `json:"Company"`
	Destination       string               `json:"Destination"`
	DestinationParams hercle.Params        `json:"DestinationParams"`
	Network           string               `json:"Network"`
	Amount            hercle.Number        `json:"Amount"`
	Fee               hercle.Number        `json:"Fee"`
	Asset             string               `json:"Asset"`
	Status            hercle.BankingStatus `json:"Status"`
	RefID             string               `json:"RefId"`
	Description       string               `json:"Description"`
	IsInstant         bool                 `json:"IsInstant"`
	CreatedAt         hercle.Time          `json:"CreatedAt"`
}

// TransferParty is the debtor (an internal address) or creditor (a
// payee address) of a payout.
type TransferParty struct {
	InternalAddressID string         `json:"InternalAddressId,omitempty"` // debtor
	PayeeAddressID    string         `json:"PayeeAddressId,omitempty"`    // creditor
	Asset             string         `json:"Asset"`
	Address           string         `json:"Address"`
	AddressParams     hercle.Params  `json:"AddressParams"`
	Network           string         `json:"Network"`
	Amount            hercle.Number  `json:"Amount"`
	Fee               *hercle.Number `json:"Fee,omitempty"` // debtor only
}

// Transfer is the data of Banking.Payout.Created and
// Banking.Payout.StatusUpdated.
type Transfer struct {
	ID          string         `json:"Id"`
	UserID      string         `json:"UserId"`
	ClientID    string         `json:"ClientId"`
	Description string         `json:"Description"`
	Debtor      *TransferParty `json:"Debtor"`
	Creditor    *TransferParty `json:"Creditor"`
	// ExchangeInfo's schema is not documented (the sample has null); it is
	// kept verbatim.
	ExchangeInfo json.RawMessage      `json:"ExchangeInfo"`
	Status       hercle.BankingStatus `json:"Status"`
	RefID        string               `json:"RefId"`
	IsInstant    bool                 `json:"IsInstant"`
	CreatedAt    hercle.Time          `json:"CreatedAt"`
	ApprovedAt   hercle.Time          `json:"ApprovedAt"`
	ProcessedAt  hercle.Time          `json:"ProcessedAt"`
}

// InternalAddress is the data of VirtualAccount.Registered.
type InternalAddress struct {
	ID             string         `json:"Id"`
	UserID         string         `json:"UserId"`
	EndUserID      string         `json:"EndUserId"`
	Name           string         `json:"Name"`
	Asset          string         `json:"Asset"`
	Address        string         `json:"Address"`
	AddressParams  hercle.Params  `json:"AddressParams"`
	Network        string         `json:"Network"`
	RefAccountID   string         `json:"RefAccountId"`
	RefAccountType RefAccountType `json:"RefAccountType"`
	// RefAccountDetails is a string in the document's sample and an object
	// in REST responses; it is kept verbatim.
	RefAccountDetails   json.RawMessage `json:"RefAccountDetails"`
	MasterFiatAccountID string          `json:"MasterFiatAccountId"`
	VirtualAccountID    string          `json:"VirtualAccountId"`
	Deleted             bool            `json:"Deleted"`
	CreatedAt           hercle.Time     `json:"CreatedAt"`
}

// AssetBalance is one asset of an account balance.
type AssetBalance struct {
	Name      string        `json:"Name"`
	Available hercle.Number `json:"Available"`
	Allocated hercle.Number `json:"Allocated"`
}

// AccountBalance is the data of Balance.Updated. Sequence orders
// balance updates: a consumer must not apply one older than the last
// applied.
type AccountBalance struct {
	UserID   string         `json:"UserId"`
	Sequence int64          `json:"Sequence"`
	Assets   []AssetBalance `json:"Assets"`
}

// Address is a postal address in end-user data.
type Address struct {
	Line1      string `json:"Line1"`
	Line2      string `json:"Line2"`
	City       string `json:"City"`
	State      string `json:"State"`
	PostalCode string `json:"PostalCode"`
	Country    string `json:"Country"`
}

// IdentificationDocument is an individual's identity document.
type IdentificationDocument struct {
	Type   string `json:"Type"` // PASSPORT, …
	Number string `json:"Number"`
}

// Person is an individual end user or a business person. Business
// persons carry only the names and Email.
type Person struct {
	FirstName              string                  `json:"FirstName"`
	MiddleName             string                  `json:"MiddleName"`
	LastName               string                  `json:"LastName"`
	Email                  string                  `json:"Email"`
	Phone                  string                  `json:"Phone,omitempty"`
	Dob                    string                  `json:"Dob,omitempty"` // YYYY-MM-DD
	BirthCountry           string                  `json:"BirthCountry,omitempty"`
	Nationality            []string                `json:"Nationality,omitempty"`
	Address                *Address                `json:"Address,omitempty"`
	IdentificationDocument *IdentificationDocument `json:"IdentificationDocument,omitempty"`
}

// IndividualEndUser is an individual end user.
type IndividualEndUser struct {
	ID                 string             `json:"Id"`
	Person             Person             `json:"Person"`
	IPAddress          string             `json:"IpAddress"`
	RegistrationStatus RegistrationStatus `json:"RegistrationStatus"`
	CreatedAt          hercle.Time        `json:"CreatedAt"`
	UpdatedAt          hercle.Time        `json:"UpdatedAt"`
}

// Business is the company of a business end user.
type Business struct {
	ID                 string  `json:"Id"`
	CompanyName        string  `json:"CompanyName"`
	TradingName        string  `json:"TradingName"`
	Type               string  `json:"Type"` // LIMITED, …
	RegistrationNumber string  `json:"RegistrationNumber"`
	RegistrationDate   string  `json:"RegistrationDate"` // YYYY-MM-DD
	RegisteredAddress  Address `json:"RegisteredAddress"`
	TradingAddress     Address `json:"TradingAddress"`
	Website            string  `json:"Website"`
	Phone              string  `json:"Phone"`
}

// BusinessPerson is a director, shareholder or UBO of a business.
type BusinessPerson struct {
	ID                string        `json:"Id"`
	Person            Person        `json:"Person"`
	BusinessEndUserID string        `json:"BusinessEndUserId"`
	PersonTypes       []PersonType  `json:"PersonTypes"`
	Ownership         hercle.Number `json:"Ownership"` // percent
	CreatedAt         hercle.Time   `json:"CreatedAt"`
	UpdatedAt         hercle.Time   `json:"UpdatedAt"`
}

// BusinessEndUser is a business end user.
type BusinessEndUser struct {
	ID                 string             `json:"Id"`
	Business           Business           `json:"Business"`
	BusinessPersons    []BusinessPerson   `json:"BusinessPersons"`
	IPAddress          string             `json:"IpAddress"`
	RegistrationStatus RegistrationStatus `json:"RegistrationStatus"`
	Sector             string             `json:"Sector"`
	CreatedAt          hercle.Time        `json:"CreatedAt"`
	UpdatedAt          hercle.Time        `json:"UpdatedAt"`
}

// EndUser is the data of the EndUser.* events: exactly one of
// Individual and Business is set, told apart by the data's Person or
// Business key. The document assigns only BusinessEndUser to
// EndUser.Updated and EndUser.StatusUpdated; the union is used for all
// three so an individual's update is never decoded into the wrong shape.
type EndUser struct {
	Individual *IndividualEndUser
	Business   *BusinessEndUser
}

// Payee is the data of Payee.Created.
type Payee struct {
	ID         string    `json:"Id"`
	UserID     string    `json:"UserId"`
	EndUserID  string    `json:"EndUserId"`
	Type       PayeeType `json:"Type"`
	Name       string    `json:"Name"`
	Surname    string    `json:"Surname"`
	Company    string    `json:"Company"`
	Country    string    `json:"Country"`
	State      string    `json:"State"`
	City       string    `json:"City"`
	Address    string    `json:"Address"`
	PostalCode string    `json:"PostalCode"`
	Disabled   bool      `json:"Disabled"`
	Deleted    bool      `json:"Deleted"`
}

// PayeeAddress is the data of Payee.StatusUpdated.
type PayeeAddress struct {
	ID                   string               `json:"Id"`
	PayeeID              string               `json:"PayeeId"`
	Name                 string               `json:"Name"`
	Asset                string               `json:"Asset"`
	Address              string               `json:"Address"`
	AddressParams        hercle.Params        `json:"AddressParams"`
	Network              string               `json:"Network"`
	Status               PayeeAddressStatus   `json:"Status"`
	Comment              string               `json:"Comment"`
	ConfirmationStrategy ConfirmationStrategy `json:"ConfirmationStrategy"`
}

// enumName is the name of value v of an enum, or typ(v) outside names.
func enumName(v int, typ string, names ...string) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(v) + ")"
}

// truncate bounds venue text quoted in an error.
func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
