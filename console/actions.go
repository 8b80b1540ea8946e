package console

import (
	"context"
	"net/http"
)

// verbs describes each action for its confirmation page: what it does,
// whether it names a target and takes a reason, and where the console
// goes back to.
var verbs = map[string]struct {
	title, does    string
	target, reason bool
	back           string
}{
	Pause:           {"Pause trading", "Risk refuses every new intent, trading and treasury alike, until resumed. Intents in flight finish. A restart forgets a pause.", false, true, "/console/"},
	Resume:          {"Resume trading", "Clears a pause, the kill switch and a tripped breaker: new intents are checked and sent again.", false, false, "/console/"},
	Kill:            {"Kill switch", "Stops every new intent, as a pause does, and stays on across restarts until resumed.", false, true, "/console/"},
	StrategyEnable:  {"Enable strategy", "The strategy decides again from its next event.", true, false, "/console/"},
	StrategyDisable: {"Disable strategy", "The strategy decides nothing more; its intents in flight finish.", true, false, "/console/"},
	TreasuryRun:     {"Run treasury policy now", "The policy runs now as its schedule would run it, with every safety rule, its caps and risk's transfer check: it may move money.", true, false, "/console/treasury"},
}

// confirmation is what the confirmation page shows.
type confirmation struct {
	Verb, Title, Does, Target string
	Reason                    bool
	Back                      string
}

// confirm shows what an action would do, with the button that does it. It
// changes nothing.
func (c *Console) confirm(w http.ResponseWriter, r *http.Request, x session) {
	verb, target := r.URL.Query().Get("verb"), r.URL.Query().Get("target")
	v, ok := verbs[verb]
	if !ok || v.target != (target != "") {
		c.refuse(w, r, http.StatusBadRequest, "unknown action, or a target missing or not wanted")
		return
	}
	c.render(w, http.StatusOK, "confirm", page{Title: v.title, CSRF: x.csrf, Data: confirmation{
		Verb: verb, Title: v.title, Does: v.does, Target: target, Reason: v.reason, Back: v.back}})
}

// act performs a confirmed action through the Desk, which records it in
// the audit trail, then shows its outcome on the page it came from.
func (c *Console) act(w http.ResponseWriter, r *http.Request, x session) {
	a := Action{Verb: r.PostFormValue("verb"), Target: r.PostFormValue("target"), Reason: r.PostFormValue("reason")}
	v, ok := verbs[a.Verb]
	if !ok || v.target != (a.Target != "") {
		c.refuse(w, r, http.StatusBadRequest, "unknown action, or a target missing or not wanted")
		return
	}
	if !v.reason {
		a.Reason = ""
	}
	ctx, cancel := context.WithTimeout(r.Context(), actWait)
	defer cancel()
	out := c.o.Desk.Act(ctx, a)
	msg := v.title
	if a.Target != "" {
		msg += " " + a.Target
	}
	if out.OK() {
		msg += ": done. " + out.Message
	} else {
		msg += ": refused. " + out.Message
	}
	c.o.Logger.Warn("console action", "verb", a.Verb, "target", a.Target, "code", out.Code)
	c.sessions.setFlash(x.id, msg)
	http.Redirect(w, r, v.back, http.StatusSeeOther)
}
