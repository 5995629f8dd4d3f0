package desk

import proactive "github.com/ptd-agents/ptd-proactive"

// ActionResult is what a manual action answers on the CLI (--json) and
// the HTTP API: the action, the cases after it, and the events it
// recorded (none when it changed nothing).
type ActionResult struct {
	Action string                `json:"action"`
	Cases  []proactive.Case      `json:"cases"`
	Events []proactive.CaseEvent `json:"events"`
}

// NewActionResult builds an ActionResult, with empty lists rather than nil.
func NewActionResult(action string, cs []proactive.Case, evs []proactive.CaseEvent) ActionResult {
	if cs == nil {
		cs = []proactive.Case{}
	}
	if evs == nil {
		evs = []proactive.CaseEvent{}
	}
	return ActionResult{Action: action, Cases: cs, Events: evs}
}

// DismissResult is what a dismiss answers: the alert, and the ids of the
// cases it acknowledged (none when dismissed again).
type DismissResult struct {
	ID           string   `json:"id"`
	Dismissed    bool     `json:"dismissed"`
	Acknowledged []string `json:"acknowledged"`
}

// NewDismissResult builds a DismissResult from what Dismiss returned.
func NewDismissResult(a proactive.Alert, acked []proactive.Case) DismissResult {
	ids := make([]string, 0, len(acked))
	for _, c := range acked {
		ids = append(ids, c.ID)
	}
	return DismissResult{ID: a.ID, Dismissed: true, Acknowledged: ids}
}
