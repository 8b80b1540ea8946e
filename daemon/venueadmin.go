package daemon

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/otcdesk/engine/hercle"
)

// venueWait bounds an admin call to the venue.
const venueWait = 20 * time.Second

func (d *Daemon) restOrNil() *hercle.Client {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rest
}

// whitelistBody is the body of POST /admin/whitelist.
type whitelistBody struct {
	Name    string `json:"name"`
	Asset   string `json:"asset"`
	Address string `json:"address"`
	Network string `json:"network"`
}

// addressAnswer is what the whitelist verbs answer.
type addressAnswer struct {
	hercle.AddressResult
}

func (a addressAnswer) auditNote() string { return "address " + a.AddressID }

// whitelistList answers GET /admin/whitelist: the venue's withdrawal
// whitelist, with each address's approval status.
func (d *Daemon) whitelistList(r *http.Request) (int, any) {
	rest := d.restOrNil()
	if rest == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), venueWait)
	defer cancel()
	list, err := rest.WhitelistedAddresses(ctx)
	if err != nil {
		return http.StatusBadGateway, errBody("venue: " + err.Error())
	}
	if list == nil {
		list = []hercle.WhitelistedAddress{}
	}
	return http.StatusOK, list
}

// whitelistAdd answers POST /admin/whitelist: the venue is asked to
// whitelist the address; it sends nothing there until the venue approves
// it and a treasury destination names it.
func (d *Daemon) whitelistAdd(r *http.Request) (int, any) {
	var b whitelistBody
	if err := decodeBody(r, &b); err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	var missing []string
	for _, f := range []struct{ k, v string }{{"name", b.Name}, {"asset", b.Asset}, {"address", b.Address}, {"network", b.Network}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.k)
		}
	}
	if len(missing) > 0 {
		return http.StatusBadRequest, errBody("required: " + strings.Join(missing, ", "))
	}
	rest := d.restOrNil()
	if rest == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), venueWait)
	defer cancel()
	res, err := rest.WhitelistAddress(ctx, hercle.WhitelistRequest{Name: b.Name, Asset: strings.ToUpper(b.Asset), Address: b.Address, Network: b.Network})
	if err != nil {
		return http.StatusBadGateway, errBody("venue: " + err.Error())
	}
	d.log.Warn("whitelist address added by admin", "by", d.who(), "asset", b.Asset, "network", b.Network, "address_id", res.AddressID)
	return http.StatusOK, addressAnswer{res}
}

// whitelistRemove answers DELETE /admin/whitelist/{id}.
func (d *Daemon) whitelistRemove(r *http.Request) (int, any) {
	rest := d.restOrNil()
	if rest == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), venueWait)
	defer cancel()
	res, err := rest.RemoveWhitelistedAddress(ctx, r.PathValue("id"))
	if err != nil {
		return http.StatusBadGateway, errBody("venue: " + err.Error())
	}
	d.log.Warn("whitelist address removed by admin", "by", d.who(), "address_id", r.PathValue("id"))
	return http.StatusOK, addressAnswer{res}
}

// payeeBody is the body of POST /admin/payees: a bank-transfer
// beneficiary, a person or a company.
type payeeBody struct {
	Type       string `json:"type"` // individual or company
	Name       string `json:"name"`
	Surname    string `json:"surname"`
	Company    string `json:"company"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2
	State      string `json:"state"`
	City       string `json:"city"`
	Address    string `json:"address"`
	PostalCode string `json:"postal_code"`
	EndUserID  string `json:"end_user_id"`
}

type payeeAnswer struct {
	hercle.Payee
}

func (a payeeAnswer) auditNote() string { return "payee " + a.ID }

// payeeAdd answers POST /admin/payees: the payee is registered at the
// venue; its addresses are registered by the treasury destinations that
// name it.
func (d *Daemon) payeeAdd(r *http.Request) (int, any) {
	var b payeeBody
	if err := decodeBody(r, &b); err != nil {
		return http.StatusBadRequest, errBody(err.Error())
	}
	req := hercle.PayeeRequest{Name: b.Name, Surname: b.Surname, Company: b.Company, Country: strings.ToUpper(b.Country),
		State: b.State, City: b.City, Address: b.Address, PostalCode: b.PostalCode, EndUserID: b.EndUserID}
	var ps []string
	switch b.Type {
	case "individual":
		req.Type = hercle.PayeeIndividual
		if b.Surname == "" {
			ps = append(ps, "surname: required for an individual")
		}
	case "company":
		req.Type = hercle.PayeeCompany
		if b.Company == "" {
			ps = append(ps, "company: required for a company")
		}
	default:
		ps = append(ps, fmt.Sprintf("type %q: want individual or company", b.Type))
	}
	for _, f := range []struct{ k, v string }{{"name", b.Name}, {"country", b.Country}, {"city", b.City}, {"address", b.Address}, {"postal_code", b.PostalCode}} {
		if strings.TrimSpace(f.v) == "" {
			ps = append(ps, f.k+": required")
		}
	}
	if len(b.Country) != 0 && len(b.Country) != 2 {
		ps = append(ps, "country: an ISO 3166-1 alpha-2 code, such as IT")
	}
	if len(ps) > 0 {
		return http.StatusBadRequest, errBody(strings.Join(ps, "; "))
	}
	rest := d.restOrNil()
	if rest == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	ctx, cancel := context.WithTimeout(r.Context(), venueWait)
	defer cancel()
	p, err := rest.RegisterPayee(ctx, req)
	if err != nil {
		return http.StatusBadGateway, errBody("venue: " + err.Error())
	}
	d.log.Warn("payee registered by admin", "by", d.who(), "payee_id", p.ID)
	return http.StatusOK, payeeAnswer{p}
}

// operatorRoutes adds the operator's verbs beyond status, journal, pause,
// resume and kill. Each verb's action label is its audit action.
func (d *Daemon) operatorRoutes(mux *http.ServeMux) {
	for _, rt := range []struct {
		pattern, action string
		h               func(*http.Request) (int, any)
	}{
		{"GET /admin/audit", "audit", d.auditList},
		{"GET /admin/strategies", "strategies", d.strategiesList},
		{"POST /admin/strategies/{name}/enable", "strategy.enable", d.strategyEnable},
		{"POST /admin/strategies/{name}/disable", "strategy.disable", d.strategyDisable},
		{"POST /admin/strategies/{name}/params", "strategy.params", d.strategyParams},
		{"POST /admin/treasury/{policy}/run", "treasury.run", d.runPolicy},
		{"POST /admin/order", "order", d.order},
		{"POST /admin/convert", "convert", d.convert},
		{"GET /admin/intents", "intents", d.intents},
		{"POST /admin/intents/{id}/resolve", "intent.resolve", d.resolve},
		{"GET /admin/whitelist", "whitelist", d.whitelistList},
		{"POST /admin/whitelist", "whitelist.add", d.whitelistAdd},
		{"DELETE /admin/whitelist/{id}", "whitelist.remove", d.whitelistRemove},
		{"POST /admin/payees", "payee.add", d.payeeAdd},
		{"POST /admin/reload", "reload", d.reload},
	} {
		mux.HandleFunc(rt.pattern, d.admin(rt.action, rt.h))
	}
}
