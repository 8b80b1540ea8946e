package sim

import (
	"encoding/json"
	"maps"
	"strings"
	"time"
)

// Test hooks for the banking changes the REST API does not make (Hercle's
// compliance team makes them): end-user updates and status changes, and
// payee address reviews. Each emits its event, which the webhook emitter
// turns into EndUser.Updated, EndUser.StatusUpdated or Payee.StatusUpdated.

// Registration statuses of an end user.
const (
	EndUserPending   = "PENDING"
	EndUserActive    = "ACTIVE"
	EndUserRejected  = "REJECTED"
	EndUserSuspended = "SUSPENDED"
)

// Review statuses of a payee address, numbered as the webhook document
// does.
const (
	PayeeAddressStatusCreated   = 0
	PayeeAddressStatusPending   = 1
	PayeeAddressStatusRefused   = 2
	PayeeAddressStatusReviewing = 3
	PayeeAddressStatusApproved  = 4
	PayeeAddressStatusDeleted   = 5
)

// EndUserUpdate changes an end user's details; zero fields are left as
// they are. Profile keys replace the profile's keys of the same name
// ("person", or "business" and "businessPersons").
type EndUserUpdate struct {
	Profile   map[string]json.RawMessage
	IPAddress string
	Sector    string
}

// UpdateEndUser changes an end user's details and emits EndUserUpdated.
// Errors: ErrNotFound, ErrInvalid (a profile value that is not JSON, or
// nothing to change).
func (v *Venue) UpdateEndUser(id string, up EndUserUpdate) (EndUser, error) {
	now := v.begin()
	defer v.mu.Unlock()
	u := v.endUserLocked(id)
	if u == nil {
		return EndUser{}, notFound("end user", id)
	}
	if len(up.Profile) == 0 && up.IPAddress == "" && up.Sector == "" {
		return EndUser{}, invalid("profile", "nothing to update")
	}
	for k, raw := range up.Profile {
		if !json.Valid(raw) {
			return EndUser{}, invalid("profile."+k, "profile.%s is not JSON", k)
		}
	}
	profile := make(map[string]json.RawMessage, len(u.Profile)+len(up.Profile))
	for k, raw := range u.Profile {
		profile[k] = raw
	}
	for k, raw := range up.Profile {
		profile[k] = append(json.RawMessage(nil), raw...)
	}
	u.Profile = profile
	if up.IPAddress != "" {
		u.IPAddress = up.IPAddress
	}
	if up.Sector != "" {
		u.Sector = up.Sector
	}
	u.Updated = now
	uc := u.clone()
	v.emitLocked(now, func(h EventHeader) Event { return EndUserUpdated{h, uc} })
	return uc, nil
}

// SetEndUserStatus sets an end user's registration status (PENDING,
// ACTIVE, REJECTED or SUSPENDED) and emits EndUserStatusChanged. Errors:
// ErrNotFound, ErrInvalid (an unknown status), ErrConflict (already in it).
func (v *Venue) SetEndUserStatus(id, status string) (EndUser, error) {
	now := v.begin()
	defer v.mu.Unlock()
	u := v.endUserLocked(id)
	if u == nil {
		return EndUser{}, notFound("end user", id)
	}
	status = strings.ToUpper(status)
	switch status {
	case EndUserPending, EndUserActive, EndUserRejected, EndUserSuspended:
	default:
		return EndUser{}, invalid("registrationStatus", "registration status must be PENDING, ACTIVE, REJECTED or SUSPENDED, got %q", status)
	}
	if u.RegistrationStatus == status {
		return EndUser{}, conflict("end user %s is already %s", id, status)
	}
	prev := u.RegistrationStatus
	u.RegistrationStatus, u.Updated = status, now
	uc := u.clone()
	v.emitLocked(now, func(h EventHeader) Event { return EndUserStatusChanged{h, uc, prev} })
	return uc, nil
}

func (v *Venue) endUserLocked(id string) *EndUser {
	for _, u := range v.endUsers {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (u *EndUser) clone() EndUser {
	c := *u
	c.Profile = make(map[string]json.RawMessage, len(u.Profile))
	for k, raw := range u.Profile {
		c.Profile[k] = append(json.RawMessage(nil), raw...)
	}
	return c
}

// SetPayeeAddressStatus records a review of a payee address: status 0 to 5
// (PayeeAddressStatusCreated … PayeeAddressStatusDeleted) with an optional comment, and
// emits PayeeAddressChanged. A deleted address is final. Errors:
// ErrNotFound, ErrInvalid (status out of range), ErrConflict (deleted, or
// already in that status).
func (v *Venue) SetPayeeAddressStatus(id string, status int, comment string) (PayeeAddress, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if status < PayeeAddressStatusCreated || status > PayeeAddressStatusDeleted {
		return PayeeAddress{}, invalid("status", "payee address status must be from 0 to 5, got %d", status)
	}
	for _, a := range v.payeeAddresses {
		if a.ID != id {
			continue
		}
		switch {
		case a.Deleted:
			return PayeeAddress{}, conflict("payee address %s is deleted", id)
		case a.Status == status:
			return PayeeAddress{}, conflict("payee address %s already has status %d", id, status)
		}
		v.reviewPayeeAddressLocked(now, a, status, comment)
		return a.clone(), nil
	}
	return PayeeAddress{}, notFound("payee address", id)
}

// reviewPayeeAddressLocked moves a to status and emits PayeeAddressChanged.
func (v *Venue) reviewPayeeAddressLocked(now time.Time, a *PayeeAddress, status int, comment string) {
	prev := a.Status
	a.Status, a.Comment, a.AuditBy, a.AuditDate = status, comment, "compliance@sim.invalid", now
	a.Deleted = status == PayeeAddressStatusDeleted
	ac := a.clone()
	v.emitLocked(now, func(h EventHeader) Event { return PayeeAddressChanged{h, ac, prev} })
}

// ApprovePayeeAddress approves a payee address, as Hercle's compliance
// team would: the manual approval of `engine sim`'s control endpoint and
// a test hook. Errors as SetPayeeAddressStatus's.
func (v *Venue) ApprovePayeeAddress(id string) (PayeeAddress, error) {
	return v.SetPayeeAddressStatus(id, PayeeAddressStatusApproved, "approved by the simulator")
}

// RefusePayeeAddress refuses a payee address. Errors as
// SetPayeeAddressStatus's.
func (v *Venue) RefusePayeeAddress(id string) (PayeeAddress, error) {
	return v.SetPayeeAddressStatus(id, PayeeAddressStatusRefused, "refused by the simulator")
}

// Approvals are what waits for the venue's compliance team.
type Approvals struct {
	// Whitelist are the whitelist entries still Pending.
	Whitelist []WhitelistedAddress
	// PayeeAddresses are the payee addresses neither approved, refused
	// nor deleted (CREATED, PENDING or REVIEWING).
	PayeeAddresses []PayeeAddress
}

// PendingApprovals lists the whitelist entries and payee addresses
// waiting for a review, oldest first: with manual approval, what an
// operator approves through ApproveWhitelist and ApprovePayeeAddress.
func (v *Venue) PendingApprovals() Approvals {
	v.begin()
	defer v.mu.Unlock()
	out := Approvals{Whitelist: []WhitelistedAddress{}, PayeeAddresses: []PayeeAddress{}}
	for _, w := range v.whitelist {
		if w.Status == AddressPending {
			out.Whitelist = append(out.Whitelist, w.clone())
		}
	}
	for _, a := range v.payeeAddresses {
		switch a.Status {
		case PayeeAddressStatusCreated, PayeeAddressStatusPending, PayeeAddressStatusReviewing:
			out.PayeeAddresses = append(out.PayeeAddresses, a.clone())
		}
	}
	return out
}

func (a *PayeeAddress) clone() PayeeAddress {
	c := *a
	c.Params = maps.Clone(a.Params)
	return c
}
