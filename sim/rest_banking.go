package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/otcdesk/engine/market"
)

// bankingRoutes registers the banking paths: end users, deposit accounts,
// payees, transfers, the ledger and simulate-payin. A route table.
func (a *api) bankingRoutes(h func(string, endpoint)) {
	h("POST /api/v1/end-users/businesses", a.registerBusiness)
	h("POST /api/v1/banking/business-end-users", a.registerBusiness)
	h("GET /api/v1/end-users/businesses", a.endUsers(Business))
	h("POST /api/v1/end-users/individuals", a.registerIndividual)
	h("POST /api/v1/banking/individual-end-users", a.registerIndividual)
	h("GET /api/v1/end-users/individuals", a.endUsers(Individual))

	h("POST /api/v1/deposit-accounts", a.createDepositAccount)
	h("POST /api/v1/banking/deposit-accounts", a.createDepositAccount)
	h("GET /api/v1/deposit-accounts", a.depositAccounts)

	h("POST /api/v1/payee", a.registerPayee)
	h("POST /api/v1/banking/payee", a.registerPayee)
	h("GET /api/v1/payees", a.payees)
	h("POST /api/v1/payees/{payeeId}/addresses", a.registerPayeeAddress)
	h("GET /api/v1/payee-addresses", a.payeeAddresses)

	h("POST /api/v1/transfer", a.createTransfer)
	h("POST /api/v1/banking/transfers", a.createTransfer)
	h("GET /api/v1/transfers", a.transfers)

	h("GET /api/v1/transactions/{transactionId}", func(r *http.Request) (int, any, error) {
		return a.ledger(r.PathValue("transactionId"))
	})
	h("GET /api/v1/banking/ledger", func(r *http.Request) (int, any, error) {
		id := r.URL.Query().Get("transactionId")
		if id == "" {
			return 0, nil, missing("transactionId")
		}
		return a.ledger(id)
	})
	h("POST /api/v1/simulate-payin", a.simulatePayIn)
}

func (a *api) createDepositAccount(r *http.Request) (int, any, error) {
	var b depositAccountBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	d, err := a.v.CreateDepositAccount(DepositAccountRequest{Asset: market.Asset(b.Asset), Network: b.Network,
		FiatAccountID: b.FiatAccountID, EndUserID: b.EndUserID})
	return http.StatusCreated, a.v.wireDepositAccount(d), err
}

func (a *api) depositAccounts(r *http.Request) (int, any, error) {
	q, err := cursorQuery(r.URL.Query(), "from", "to")
	if err != nil {
		return 0, nil, err
	}
	p, err := a.v.DepositAccounts(q)
	return http.StatusOK, toCursorPage(p, a.v.wireDepositAccount), err
}

func (a *api) registerPayee(r *http.Request) (int, any, error) {
	var b payeeBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	if b.Type == nil {
		return 0, nil, missing("type")
	}
	for _, f := range []struct{ name, v string }{{"name", b.Name}, {"surname", b.Surname}, {"country", b.Country},
		{"city", b.City}, {"address", b.Address}, {"postalCode", b.PostalCode}} {
		if f.v == "" {
			return 0, nil, missing(f.name)
		}
	}
	p, err := a.v.RegisterPayee(Payee{EndUserID: b.EndUserID, Type: PayeeType(*b.Type), Name: b.Name, Surname: b.Surname,
		Company: b.Company, Country: b.Country, State: b.State, City: b.City, Address: b.Address, PostalCode: b.PostalCode})
	return http.StatusCreated, a.v.wirePayee(p), err
}

func (a *api) payees(r *http.Request) (int, any, error) {
	q, err := cursorQuery(r.URL.Query(), "from", "to")
	if err != nil {
		return 0, nil, err
	}
	p, err := a.v.Payees(q)
	return http.StatusOK, toCursorPage(p, a.v.wirePayee), err
}

func (a *api) registerPayeeAddress(r *http.Request) (int, any, error) {
	var b payeeAddressBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	for _, f := range []struct{ name, v string }{{"name", b.Name}, {"asset", b.Asset}, {"address", b.Address}} {
		if f.v == "" {
			return 0, nil, missing(f.name)
		}
	}
	if b.AddressParams == nil {
		return 0, nil, missing("addressParams")
	}
	pa, err := a.v.RegisterPayeeAddress(PayeeAddress{PayeeID: r.PathValue("payeeId"), Name: b.Name,
		Asset: market.Asset(b.Asset), Address: b.Address, Params: b.AddressParams, Network: b.Network})
	return http.StatusCreated, toWirePayeeAddress(pa), err
}

func (a *api) payeeAddresses(r *http.Request) (int, any, error) {
	q, err := cursorQuery(r.URL.Query(), "from", "to")
	if err != nil {
		return 0, nil, err
	}
	p, err := a.v.PayeeAddresses(r.URL.Query().Get("payeeId"), q)
	return http.StatusOK, toCursorPage(p, toWirePayeeAddress), err
}

func (a *api) createTransfer(r *http.Request) (int, any, error) {
	id, err := clientID(r)
	if err != nil {
		return 0, nil, err
	}
	var b transferBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	if b.Amount == nil {
		return 0, nil, missing("amount")
	}
	t, err := a.v.CreateTransfer(TransferRequest{Asset: market.Asset(b.Asset), Amount: b.Amount.Decimal,
		InternalAddressID: b.InternalAddressID, PayeeAddressID: b.PayeeAddressID, Description: b.Description, ClientID: id})
	return http.StatusCreated, wireTransferReceipt{ID: t.ID, Asset: string(t.Asset), Amount: n(t.Amount),
		InternalAddressID: t.InternalAddressID, PayeeAddressID: t.PayeeAddressID, Description: nullable(t.Description)}, err
}

func (a *api) ledger(id string) (int, any, error) {
	e, err := a.v.Ledger(id)
	return http.StatusOK, wireLedger{ID: e.ID, RefID: e.RefID, UserID: a.v.userID, Type: e.Type, Status: string(e.Status),
		Description: e.Description, Asset: string(e.Asset), Amount: n(e.Amount), Debtor: toWireAccount(e.Debtor),
		Creditor: toWireAccount(e.Creditor), Timestamp: wtime(e.Time)}, err
}

// cursorQuery reads pageSize (required), paginationToken and the optional
// date bounds named from and to.
func cursorQuery(q url.Values, from, to string) (CursorQuery, error) {
	var c CursorQuery
	s := q.Get("pageSize")
	if s == "" {
		return c, missing("pageSize")
	}
	var err error
	if c.Size, err = atoi("pageSize", s); err != nil {
		return c, err
	}
	if s := q.Get(from); s != "" {
		if c.From, err = parseTime(from, s); err != nil {
			return c, err
		}
	}
	if s := q.Get(to); s != "" {
		if c.To, err = parseTime(to, s); err != nil {
			return c, err
		}
	}
	c.Token = q.Get("paginationToken")
	return c, nil
}

func (a *api) registerBusiness(r *http.Request) (int, any, error) {
	var b businessUserBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	if len(b.Business) == 0 {
		return 0, nil, missing("business")
	}
	var biz businessBody
	if err := decodeJSON(b.Business, &biz); err != nil {
		return 0, nil, err
	}
	for _, f := range []struct{ name, v string }{{"companyName", biz.CompanyName}, {"tradingName", biz.TradingName},
		{"registrationNumber", biz.RegistrationNumber}, {"registrationDate", biz.RegistrationDate}} {
		if f.v == "" {
			return 0, nil, missing("business." + f.name)
		}
	}
	if !slices.Contains([]string{"LIMITED", "PARTNERSHIP", "SOLE_TRADER"}, biz.Type) {
		return 0, nil, invalid("business.type", "business.type must be LIMITED, PARTNERSHIP or SOLE_TRADER")
	}
	for _, f := range []struct {
		name string
		ad   *addressBody
	}{{"business.registeredAddress", biz.RegisteredAddress}, {"business.tradingAddress", biz.TradingAddress}} {
		if f.ad == nil {
			return 0, nil, missing(f.name)
		}
		if err := f.ad.check(f.name); err != nil {
			return 0, nil, err
		}
	}
	if len(b.BusinessPersons) == 0 {
		return 0, nil, missing("businessPersons")
	}
	if !slices.Contains([]string{"OTHER_PRODUCTS_SERVICES", "BLOCKCHAIN", "LICENSED_ALCOHOL_SERVICES"}, b.Sector) {
		return 0, nil, invalid("sector", "sector must be OTHER_PRODUCTS_SERVICES, BLOCKCHAIN or LICENSED_ALCOHOL_SERVICES")
	}
	persons, _ := json.Marshal(b.BusinessPersons)
	u, err := a.v.RegisterEndUser(Business, map[string]json.RawMessage{"business": b.Business, "businessPersons": persons}, b.IPAddress, b.Sector)
	if err != nil {
		return 0, nil, err
	}
	// The response's business object carries an id; it is the end user's.
	biz.ID = u.ID
	u.Profile["business"], _ = json.Marshal(biz)
	return http.StatusCreated, toWireEndUser(u), nil
}

func (a *api) registerIndividual(r *http.Request) (int, any, error) {
	var b individualUserBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	if len(b.Person) == 0 {
		return 0, nil, missing("person")
	}
	var p personBody
	if err := decodeJSON(b.Person, &p); err != nil {
		return 0, nil, err
	}
	switch {
	case len(p.FirstName) < 1 || len(p.FirstName) > 100:
		return 0, nil, invalid("person.firstName", "person.firstName must be 1 to 100 characters")
	case len(p.LastName) < 1 || len(p.LastName) > 100:
		return 0, nil, invalid("person.lastName", "person.lastName must be 1 to 100 characters")
	case p.Dob == "":
		return 0, nil, missing("person.dob")
	case len(p.Nationality) == 0:
		return 0, nil, missing("person.nationality")
	case p.Phone == "":
		return 0, nil, missing("person.phone")
	case p.Email == "":
		return 0, nil, missing("person.email")
	case p.Address == nil:
		return 0, nil, missing("person.address")
	}
	if err := p.Address.check("person.address"); err != nil {
		return 0, nil, err
	}
	u, err := a.v.RegisterEndUser(Individual, map[string]json.RawMessage{"person": b.Person}, b.IPAddress, "")
	return http.StatusCreated, toWireEndUser(u), err
}

func (a *api) endUsers(kind EndUserKind) endpoint {
	return func(r *http.Request) (int, any, error) {
		q, err := cursorQuery(r.URL.Query(), "from", "to")
		if err != nil {
			return 0, nil, err
		}
		p, err := a.v.EndUsers(kind, q)
		return http.StatusOK, toCursorPage(p, toWireEndUser), err
	}
}

// transferStatuses maps the numeric status filter of GET /transfers, which
// the page types as a number without listing values, to the text statuses
// in their lifecycle order.
var transferStatuses = []MovementStatus{MovementCreated, MovementConfirming, MovementConfirmed, MovementFailure}

func (a *api) transfers(r *http.Request) (int, any, error) {
	qs := r.URL.Query()
	c, err := cursorQuery(qs, "startDate", "endDate")
	if err != nil {
		return 0, nil, err
	}
	q := TransferQuery{CursorQuery: c, ClientID: qs.Get("transferClientId"), Asset: market.Asset(qs.Get("asset")), RefID: qs.Get("refId")}
	if s := qs.Get("status"); s != "" {
		i, err := atoi("status", s)
		if err != nil || i < 0 || i >= len(transferStatuses) {
			return 0, nil, invalid("status", "status must be 0 to %d", len(transferStatuses)-1)
		}
		q.Status = &transferStatuses[i]
	}
	p, err := a.v.Transfers(q)
	return http.StatusOK, toCursorPage(p, a.v.wireTransfer), err
}

func (a *api) simulatePayIn(r *http.Request) (int, any, error) {
	var b payInBody
	if err := decodeBody(r.Body, &b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.Amount == nil:
		return 0, nil, missing("amount")
	case b.From == nil:
		return 0, nil, missing("from")
	}
	p, err := a.v.SimulatePayIn(PayInRequest{Amount: b.Amount.Decimal, ToAddress: b.ToAddress,
		From:     Account{AccountHolderName: b.From.AccountHolderName, IBAN: b.From.IBAN, AccountNumber: b.From.AccountNumber},
		FromType: b.FromType, PaymentScheme: b.PaymentScheme, Reference: b.Reference})
	return http.StatusOK, struct {
		Amount         num    `json:"amount"`
		DepositAddress string `json:"depositAddress"`
	}{n(p.Amount), p.DepositAddress}, err
}
