package hercle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Webhook event data models, as Hercle's webhook document (002_…) defines
// them. The keys are PascalCase there and camelCase in the documentation
// site's second version of the page; encoding/json matches struct keys
// without regard to case, so both decode. They are separate from the REST
// models of the same names because the webhook forms differ: ISO 8601
// times where REST end users carry Unix milliseconds, Payee.Type and
// PayeeAddress.Status sent as names, six payee address statuses, bank
// details with routing codes as an object.

// WebhookData is the typed data of a known event type: one of
// *WebhookTransaction, *WebhookWithdrawal, *WebhookTransfer,
// *WebhookInternalAddress, *WebhookAccountBalance, *WebhookEndUser,
// *WebhookPayee and *WebhookPayeeAddress. The set is closed.
type WebhookData interface{ webhookData() }

func (*WebhookTransaction) webhookData()     {}
func (*WebhookWithdrawal) webhookData()      {}
func (*WebhookTransfer) webhookData()        {}
func (*WebhookInternalAddress) webhookData() {}
func (*WebhookAccountBalance) webhookData()  {}
func (*WebhookEndUser) webhookData()         {}
func (*WebhookPayee) webhookData()           {}
func (*WebhookPayeeAddress) webhookData()    {}

// BankingStatus is the status of a fiat deposit, withdrawal or payout.
// Values are kept as sent, so an undocumented one is not lost.
type BankingStatus string

// Banking statuses. Withdrawals use EXECUTING, payouts PENDING; the rest
// are common to both.
const (
	BankingCreated    BankingStatus = "CREATED"
	BankingConfirming BankingStatus = "CONFIRMING"
	BankingConfirmed  BankingStatus = "CONFIRMED"
	BankingExecuting  BankingStatus = "EXECUTING"
	BankingPending    BankingStatus = "PENDING"
	BankingSuccess    BankingStatus = "SUCCESS"
	BankingFailure    BankingStatus = "FAILURE"
	BankingRejected   BankingStatus = "REJECTED"
)

// Final reports whether the status can no longer change (SUCCESS, FAILURE
// or REJECTED), ignoring case.
func (s BankingStatus) Final() bool {
	switch BankingStatus(strings.ToUpper(string(s))) {
	case BankingSuccess, BankingFailure, BankingRejected:
		return true
	}
	return false
}

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

// WebhookPayeeType says whether a payee is a person or a business. The
// document defines it as 0 or 1 and shows the name ("PERSON"); both forms
// decode. It marshals as the number.
type WebhookPayeeType int

// Payee types in webhooks.
const (
	WebhookPayeePerson   WebhookPayeeType = 0
	WebhookPayeeBusiness WebhookPayeeType = 1
)

var payeeTypeNames = []string{"PERSON", "BUSINESS"}

func (t WebhookPayeeType) String() string { return name(int(t), "WebhookPayeeType", payeeTypeNames...) }

// UnmarshalJSON reads a number or a name (PERSON, BUSINESS, and the REST
// names INDIVIDUAL, COMPANY), ignoring case.
func (t *WebhookPayeeType) UnmarshalJSON(b []byte) error {
	v, err := enumJSON(b, payeeTypeNames, map[string]int{"INDIVIDUAL": 0, "COMPANY": 1})
	if err == nil {
		*t = WebhookPayeeType(v)
	}
	return err
}

// WebhookPayeeAddressStatus is the review status of a payee address. The
// document defines it as 0 to 5 and shows the name ("CREATED"); both forms
// decode. It marshals as the number.
type WebhookPayeeAddressStatus int

// Payee address statuses in webhooks.
const (
	WebhookPayeeAddressCreated   WebhookPayeeAddressStatus = 0
	WebhookPayeeAddressPending   WebhookPayeeAddressStatus = 1
	WebhookPayeeAddressRefused   WebhookPayeeAddressStatus = 2
	WebhookPayeeAddressReviewing WebhookPayeeAddressStatus = 3
	WebhookPayeeAddressApproved  WebhookPayeeAddressStatus = 4
	WebhookPayeeAddressDeleted   WebhookPayeeAddressStatus = 5
)

var payeeAddressStatusNames = []string{"CREATED", "PENDING", "REFUSED", "REVIEWING", "APPROVED", "DELETED"}

func (s WebhookPayeeAddressStatus) String() string {
	return name(int(s), "WebhookPayeeAddressStatus", payeeAddressStatusNames...)
}

// UnmarshalJSON reads a number or a name, ignoring case.
func (s *WebhookPayeeAddressStatus) UnmarshalJSON(b []byte) error {
	v, err := enumJSON(b, payeeAddressStatusNames, nil)
	if err == nil {
		*s = WebhookPayeeAddressStatus(v)
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

// WebhookBankDetails is the debtor or creditor bank of a fiat deposit.
type WebhookBankDetails struct {
	RefAddressID       string `json:"RefAddressId"`
	BankName           string `json:"BankName"`
	BankAddressCountry string `json:"BankAddressCountry"`
	AccountHolderName  string `json:"AccountHolderName"`
	Country            string `json:"Country"`
	AccountNumber      string `json:"AccountNumber"`
	RoutingCodes       Params `json:"RoutingCodes"` // {"sort_code": "12-34-56"}
	IBAN               string `json:"Iban"`
	BIC                string `json:"Bic"`
}

// WebhookTransaction is the data of Banking.Deposit.StatusUpdated.
type WebhookTransaction struct {
	ID                string              `json:"Id"`
	UserID            string              `json:"UserId"`
	UserEmail         string              `json:"UserEmail"`
	Type              string              `json:"Type"` // DEPOSIT
	Status            BankingStatus       `json:"Status"`
	Description       string              `json:"Description"`
	Asset             string              `json:"Asset"`
	Amount            Number              `json:"Amount"`
	Debtor            *WebhookBankDetails `json:"Debtor"`
	Creditor          *WebhookBankDetails `json:"Creditor"`
	Source            string              `json:"Source"` // FiatRepublic
	SourceRefID       string              `json:"SourceRefId"`
	SourceRefClientID string              `json:"SourceRefClientId"`
	CreatedAt         Time                `json:"CreatedAt"`
	ApprovedAt        Time                `json:"ApprovedAt"`
	ProcessedAt       Time                `json:"ProcessedAt"`
}

// WebhookWithdrawal is the data of Banking.Withdrawal.Created and
// Banking.Withdrawal.StatusUpdated.
type WebhookWithdrawal struct {
	ID                string        `json:"Id"`
	UserID            string        `json:"UserId"`
	ClientID          string        `json:"ClientId"` // the Client-Id the withdrawal was created with
	Name              string        `json:"Name"`
	Surname           string        `json:"Surname"`
	Company           string        `json:"Company"`
	Destination       string        `json:"Destination"`
	DestinationParams Params        `json:"DestinationParams"`
	Network           string        `json:"Network"`
	Amount            Number        `json:"Amount"`
	Fee               Number        `json:"Fee"`
	Asset             string        `json:"Asset"`
	Status            BankingStatus `json:"Status"`
	RefID             string        `json:"RefId"`
	Description       string        `json:"Description"`
	IsInstant         bool          `json:"IsInstant"`
	CreatedAt         Time          `json:"CreatedAt"`
}

// WebhookTransferParty is the debtor (an internal address) or creditor (a
// payee address) of a payout.
type WebhookTransferParty struct {
	InternalAddressID string  `json:"InternalAddressId,omitempty"` // debtor
	PayeeAddressID    string  `json:"PayeeAddressId,omitempty"`    // creditor
	Asset             string  `json:"Asset"`
	Address           string  `json:"Address"`
	AddressParams     Params  `json:"AddressParams"`
	Network           string  `json:"Network"`
	Amount            Number  `json:"Amount"`
	Fee               *Number `json:"Fee,omitempty"` // debtor only
}

// WebhookTransfer is the data of Banking.Payout.Created and
// Banking.Payout.StatusUpdated.
type WebhookTransfer struct {
	ID          string                `json:"Id"`
	UserID      string                `json:"UserId"`
	ClientID    string                `json:"ClientId"`
	Description string                `json:"Description"`
	Debtor      *WebhookTransferParty `json:"Debtor"`
	Creditor    *WebhookTransferParty `json:"Creditor"`
	// ExchangeInfo's schema is not documented (the sample has null); it is
	// kept verbatim.
	ExchangeInfo json.RawMessage `json:"ExchangeInfo"`
	Status       BankingStatus   `json:"Status"`
	RefID        string          `json:"RefId"`
	IsInstant    bool            `json:"IsInstant"`
	CreatedAt    Time            `json:"CreatedAt"`
	ApprovedAt   Time            `json:"ApprovedAt"`
	ProcessedAt  Time            `json:"ProcessedAt"`
}

// WebhookInternalAddress is the data of VirtualAccount.Registered.
type WebhookInternalAddress struct {
	ID             string         `json:"Id"`
	UserID         string         `json:"UserId"`
	EndUserID      string         `json:"EndUserId"`
	Name           string         `json:"Name"`
	Asset          string         `json:"Asset"`
	Address        string         `json:"Address"`
	AddressParams  Params         `json:"AddressParams"`
	Network        string         `json:"Network"`
	RefAccountID   string         `json:"RefAccountId"`
	RefAccountType RefAccountType `json:"RefAccountType"`
	// RefAccountDetails is a string in the document's sample and an object
	// in REST responses; it is kept verbatim.
	RefAccountDetails   json.RawMessage `json:"RefAccountDetails"`
	MasterFiatAccountID string          `json:"MasterFiatAccountId"`
	VirtualAccountID    string          `json:"VirtualAccountId"`
	Deleted             bool            `json:"Deleted"`
	CreatedAt           Time            `json:"CreatedAt"`
}

// WebhookAssetBalance is one asset of an account balance.
type WebhookAssetBalance struct {
	Name      string `json:"Name"`
	Available Number `json:"Available"`
	Allocated Number `json:"Allocated"`
}

// WebhookAccountBalance is the data of Balance.Updated. Sequence orders
// balance updates: a consumer must not apply one older than the last
// applied.
type WebhookAccountBalance struct {
	UserID   string                `json:"UserId"`
	Sequence int64                 `json:"Sequence"`
	Assets   []WebhookAssetBalance `json:"Assets"`
}

// WebhookAddress is a postal address in end-user data.
type WebhookAddress struct {
	Line1      string `json:"Line1"`
	Line2      string `json:"Line2"`
	City       string `json:"City"`
	State      string `json:"State"`
	PostalCode string `json:"PostalCode"`
	Country    string `json:"Country"`
}

// WebhookIdentificationDocument is an individual's identity document.
type WebhookIdentificationDocument struct {
	Type   string `json:"Type"` // PASSPORT, …
	Number string `json:"Number"`
}

// WebhookPerson is an individual end user or a business person. Business
// persons carry only the names and Email.
type WebhookPerson struct {
	FirstName              string                         `json:"FirstName"`
	MiddleName             string                         `json:"MiddleName"`
	LastName               string                         `json:"LastName"`
	Email                  string                         `json:"Email"`
	Phone                  string                         `json:"Phone,omitempty"`
	Dob                    string                         `json:"Dob,omitempty"` // YYYY-MM-DD
	BirthCountry           string                         `json:"BirthCountry,omitempty"`
	Nationality            []string                       `json:"Nationality,omitempty"`
	Address                *WebhookAddress                `json:"Address,omitempty"`
	IdentificationDocument *WebhookIdentificationDocument `json:"IdentificationDocument,omitempty"`
}

// WebhookIndividualEndUser is an individual end user.
type WebhookIndividualEndUser struct {
	ID                 string             `json:"Id"`
	Person             WebhookPerson      `json:"Person"`
	IPAddress          string             `json:"IpAddress"`
	RegistrationStatus RegistrationStatus `json:"RegistrationStatus"`
	CreatedAt          Time               `json:"CreatedAt"`
	UpdatedAt          Time               `json:"UpdatedAt"`
}

// WebhookBusiness is the company of a business end user.
type WebhookBusiness struct {
	ID                 string         `json:"Id"`
	CompanyName        string         `json:"CompanyName"`
	TradingName        string         `json:"TradingName"`
	Type               string         `json:"Type"` // LIMITED, …
	RegistrationNumber string         `json:"RegistrationNumber"`
	RegistrationDate   string         `json:"RegistrationDate"` // YYYY-MM-DD
	RegisteredAddress  WebhookAddress `json:"RegisteredAddress"`
	TradingAddress     WebhookAddress `json:"TradingAddress"`
	Website            string         `json:"Website"`
	Phone              string         `json:"Phone"`
}

// WebhookBusinessPerson is a director, shareholder or UBO of a business.
type WebhookBusinessPerson struct {
	ID                string        `json:"Id"`
	Person            WebhookPerson `json:"Person"`
	BusinessEndUserID string        `json:"BusinessEndUserId"`
	PersonTypes       []PersonType  `json:"PersonTypes"`
	Ownership         Number        `json:"Ownership"` // percent
	CreatedAt         Time          `json:"CreatedAt"`
	UpdatedAt         Time          `json:"UpdatedAt"`
}

// WebhookBusinessEndUser is a business end user.
type WebhookBusinessEndUser struct {
	ID                 string                  `json:"Id"`
	Business           WebhookBusiness         `json:"Business"`
	BusinessPersons    []WebhookBusinessPerson `json:"BusinessPersons"`
	IPAddress          string                  `json:"IpAddress"`
	RegistrationStatus RegistrationStatus      `json:"RegistrationStatus"`
	Sector             string                  `json:"Sector"`
	CreatedAt          Time                    `json:"CreatedAt"`
	UpdatedAt          Time                    `json:"UpdatedAt"`
}

// WebhookEndUser is the data of the EndUser.* events: exactly one of
// Individual and Business is set, told apart by the data's Person or
// Business key. The document assigns only BusinessEndUser to
// EndUser.Updated and EndUser.StatusUpdated; the union is used for all
// three so an individual's update is never decoded into the wrong shape.
type WebhookEndUser struct {
	Individual *WebhookIndividualEndUser
	Business   *WebhookBusinessEndUser
}

// WebhookPayee is the data of Payee.Created.
type WebhookPayee struct {
	ID         string           `json:"Id"`
	UserID     string           `json:"UserId"`
	EndUserID  string           `json:"EndUserId"`
	Type       WebhookPayeeType `json:"Type"`
	Name       string           `json:"Name"`
	Surname    string           `json:"Surname"`
	Company    string           `json:"Company"`
	Country    string           `json:"Country"`
	State      string           `json:"State"`
	City       string           `json:"City"`
	Address    string           `json:"Address"`
	PostalCode string           `json:"PostalCode"`
	Disabled   bool             `json:"Disabled"`
	Deleted    bool             `json:"Deleted"`
}

// WebhookPayeeAddress is the data of Payee.StatusUpdated.
type WebhookPayeeAddress struct {
	ID                   string                    `json:"Id"`
	PayeeID              string                    `json:"PayeeId"`
	Name                 string                    `json:"Name"`
	Asset                string                    `json:"Asset"`
	Address              string                    `json:"Address"`
	AddressParams        Params                    `json:"AddressParams"`
	Network              string                    `json:"Network"`
	Status               WebhookPayeeAddressStatus `json:"Status"`
	Comment              string                    `json:"Comment"`
	ConfirmationStrategy ConfirmationStrategy      `json:"ConfirmationStrategy"`
}
