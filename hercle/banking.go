package hercle

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// The end-user and deposit-account endpoints work in the Sandbox only, per
// their documentation pages. Parts of their schemas lie beyond the stored
// docs excerpts; those parts are json.RawMessage, passed through verbatim.

// Address is a postal address (the individual end-user page's Address
// Object; the business pages' address object is assumed to match).
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
}

// Business describes a business end user.
type Business struct {
	ID                 string  `json:"id,omitempty"` // set in responses
	CompanyName        string  `json:"companyName"`
	TradingName        string  `json:"tradingName"`
	Type               string  `json:"type"` // LIMITED, PARTNERSHIP, SOLE_TRADER
	RegistrationNumber string  `json:"registrationNumber"`
	RegistrationDate   string  `json:"registrationDate"` // YYYY-MM-DD
	RegisteredAddress  Address `json:"registeredAddress"`
	TradingAddress     Address `json:"tradingAddress"`
	Website            string  `json:"website,omitempty"`
	Phone              string  `json:"phone,omitempty"`
}

// BusinessEndUserRequest registers a business end user
// (POST /api/v1/end-users/businesses).
type BusinessEndUserRequest struct {
	Business Business `json:"business"`
	// BusinessPersons are the directors and UBOs, at least one. Their
	// object's schema lies beyond the stored docs excerpt.
	BusinessPersons []json.RawMessage `json:"businessPersons"`
	IPAddress       string            `json:"ipAddress"`
	Sector          string            `json:"sector"` // OTHER_PRODUCTS_SERVICES, BLOCKCHAIN, LICENSED_ALCOHOL_SERVICES
}

// BusinessEndUser is a registered business end user.
type BusinessEndUser struct {
	ID                 string            `json:"id"`
	Business           Business          `json:"business"`
	BusinessPersons    []json.RawMessage `json:"businessPersons"`
	IPAddress          string            `json:"ipAddress"`
	RegistrationStatus string            `json:"registrationStatus"` // ACTIVE, PENDING, REJECTED, …
	Sector             string            `json:"sector"`
	CreatedAt          UnixMillis        `json:"createdAt"`
	UpdatedAt          UnixMillis        `json:"updatedAt"`
}

// Person describes an individual end user.
type Person struct {
	FirstName    string   `json:"firstName"`
	MiddleName   string   `json:"middleName,omitempty"`
	LastName     string   `json:"lastName"`
	Email        string   `json:"email"`
	Phone        string   `json:"phone"` // E.164
	Dob          string   `json:"dob"`   // YYYY-MM-DD
	BirthCountry string   `json:"birthCountry,omitempty"`
	Nationality  []string `json:"nationality"`
	Address      Address  `json:"address"`
	// IdentificationDocument's schema lies beyond the stored docs excerpt.
	IdentificationDocument json.RawMessage `json:"identificationDocument,omitempty"`
}

// IndividualEndUserRequest registers an individual end user
// (POST /api/v1/end-users/individuals).
type IndividualEndUserRequest struct {
	Person    Person `json:"person"`
	IPAddress string `json:"ipAddress"`
}

// IndividualEndUser is a registered individual end user.
type IndividualEndUser struct {
	ID                 string     `json:"id"`
	Person             Person     `json:"person"`
	IPAddress          string     `json:"ipAddress"`
	RegistrationStatus string     `json:"registrationStatus"`
	CreatedAt          UnixMillis `json:"createdAt"`
	UpdatedAt          UnixMillis `json:"updatedAt"`
}

// DepositAccountRequest creates a deposit account (POST /api/v1/deposit-accounts).
type DepositAccountRequest struct {
	Asset         string `json:"asset"`
	Network       string `json:"network"`
	FiatAccountID string `json:"fiatAccountId,omitempty"` // "fac_…", required for fiat
	EndUserID     string `json:"endUserId,omitempty"`     // "eus_…"
}

// DepositAccount is a fiat bank account or crypto address to receive on.
type DepositAccount struct {
	ID                string             `json:"id"`
	UserID            string             `json:"userId"`
	EndUserID         string             `json:"endUserId"`
	Name              string             `json:"name"`
	Asset             string             `json:"asset"`
	Network           string             `json:"network"`
	RefAccountID      string             `json:"refAccountId"`
	RefAccountType    string             `json:"refAccountType"`
	RefAccountDetails *RefAccountDetails `json:"refAccountDetails"`
}

// RegisterBusinessEndUser registers a business end user (Sandbox only).
func (c *Client) RegisterBusinessEndUser(ctx context.Context, req BusinessEndUserRequest) (BusinessEndUser, error) {
	var out BusinessEndUser
	if len(req.BusinessPersons) == 0 {
		return out, fmt.Errorf("%w: a business end user needs at least one business person", ErrInvalidInput)
	}
	return out, c.do(ctx, request{route: routeRegisterBusiness, body: req}, &out)
}

// BusinessEndUsers iterates the business end users (Sandbox only). The
// optional q.From and q.To have no documented maximum and are sent as is.
func (c *Client) BusinessEndUsers(ctx context.Context, q CursorQuery) iter.Seq2[BusinessEndUser, error] {
	return cursorPages[BusinessEndUser](ctx, c, routeBusinesses, nil, nil, cursorSpec{fromKey: "from", toKey: "to"}, q)
}

// RegisterIndividualEndUser registers an individual end user (Sandbox only).
func (c *Client) RegisterIndividualEndUser(ctx context.Context, req IndividualEndUserRequest) (IndividualEndUser, error) {
	var out IndividualEndUser
	return out, c.do(ctx, request{route: routeRegisterIndividual, body: req}, &out)
}

// IndividualEndUsers iterates the individual end users (Sandbox only).
func (c *Client) IndividualEndUsers(ctx context.Context, q CursorQuery) iter.Seq2[IndividualEndUser, error] {
	return cursorPages[IndividualEndUser](ctx, c, routeIndividuals, nil, nil, cursorSpec{fromKey: "from", toKey: "to"}, q)
}

// CreateDepositAccount creates a deposit account (Sandbox only).
func (c *Client) CreateDepositAccount(ctx context.Context, req DepositAccountRequest) (DepositAccount, error) {
	var out DepositAccount
	if req.Asset == "" || req.Network == "" {
		return out, fmt.Errorf("%w: deposit account needs asset and network", ErrInvalidInput)
	}
	return out, c.do(ctx, request{route: routeCreateDepositAcct, body: req}, &out)
}

// DepositAccounts iterates the deposit accounts (Sandbox only). The
// endpoint takes no date range; q.From and q.To are ignored.
func (c *Client) DepositAccounts(ctx context.Context, q CursorQuery) iter.Seq2[DepositAccount, error] {
	q.From, q.To = time.Time{}, time.Time{}
	return cursorPages[DepositAccount](ctx, c, routeDepositAccounts, nil, nil, cursorSpec{fromKey: "from", toKey: "to"}, q)
}
