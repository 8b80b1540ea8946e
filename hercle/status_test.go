package hercle

import "testing"

func TestBankingStatusEffect(t *testing.T) {
	for _, c := range []struct {
		status BankingStatus
		want   Effect
	}{
		{BankingCreated, EffectPending},
		{BankingConfirming, EffectPending},
		{BankingConfirmed, EffectPending},
		{BankingExecuting, EffectPending},
		{BankingPending, EffectPending},
		{BankingSuccess, EffectSucceed},
		{"success", EffectSucceed},
		{BankingFailure, EffectFail},
		{BankingRejected, EffectFail},
		{"rejected", EffectFail},
		{" SUCCESS", EffectUnknown},
		{"REFUNDED", EffectUnknown},
		{"", EffectUnknown},
	} {
		if got := c.status.Effect(); got != c.want {
			t.Errorf("BankingStatus(%q).Effect() = %v, want %v", c.status, got, c.want)
		}
		// Only final statuses may move money.
		if final := c.status.Final(); final != (c.want == EffectSucceed || c.want == EffectFail) {
			t.Errorf("BankingStatus(%q).Effect() = %v disagrees with BankingStatus.Final() = %v", c.status, c.want, final)
		}
	}
}

// TestMovementStatusEffect pins the REST reading that execution's lookup
// by Client-Id and reconciliation use: CONFIRMED is done at REST.
func TestMovementStatusEffect(t *testing.T) {
	for _, c := range []struct {
		status MovementStatus
		want   Effect
	}{
		{MovementCreated, EffectPending},
		{MovementConfirming, EffectPending},
		{MovementConfirmed, EffectSucceed},
		{"SUCCESS", EffectSucceed},
		{" confirmed ", EffectSucceed},
		{"FAILURE", EffectFail},
		{"failed", EffectFail},
		{"REJECTED", EffectFail},
		{"EXECUTING", EffectUnknown},
		{"COMPLETED", EffectUnknown},
		{"", EffectUnknown},
	} {
		if got := c.status.Effect(); got != c.want {
			t.Errorf("MovementStatus(%q).Effect() = %v, want %v", c.status, got, c.want)
		}
	}
}
