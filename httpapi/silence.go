package httpapi

import (
	"net/http"
	"strings"

	proactive "github.com/ptd-agents/ptd-proactive"
)

// silenceBody is the body of POST /api/v1/silences.
type silenceBody struct {
	Match    string `json:"match"`
	Type     string `json:"type"`
	Owner    string `json:"owner"`
	StartsAt string `json:"starts_at"`
	Until    string `json:"until"`
	For      string `json:"for"`
	By       string `json:"by"`
	Reason   string `json:"reason"`
}

// handleListSilences is GET /api/v1/silences: the silences not yet ended
// (started or not); all=true adds the ended ones.
func (s *Server) handleListSilences(w http.ResponseWriter, r *http.Request) {
	v, err := queryOne(r.URL.Query(), "all")
	if err != nil {
		Error(w, r, err)
		return
	}
	var all bool
	switch strings.ToLower(v) {
	case "", "false", "0":
	case "true", "1":
		all = true
	default:
		Error(w, r, proactive.Errorf(proactive.EINVALID, "query parameter all: %q: use true or false", v))
		return
	}
	ss, err := s.desk.ListSilences(r.Context(), all, s.now())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ss)
}

// handleAddSilence is POST /api/v1/silences: a new silence from starts_at
// (default now) until until, or for counted from its start; 201 with it.
func (s *Server) handleAddSilence(w http.ResponseWriter, r *http.Request) {
	var body silenceBody
	if err := decodeBody(r, &body); err != nil {
		Error(w, r, err)
		return
	}
	in := proactive.Silence{Match: body.Match, Type: proactive.AnomalyType(strings.ToLower(strings.TrimSpace(body.Type))),
		Owner: body.Owner, CreatedBy: strings.TrimSpace(body.By), Reason: body.Reason}
	if in.CreatedBy == "" {
		in.CreatedBy = proactive.ActorAPI
	}
	if body.StartsAt != "" {
		t, err := parseBodyTime("starts_at", body.StartsAt)
		if err != nil {
			Error(w, r, err)
			return
		}
		in.StartsAt = t
	}
	end, d, err := parseEnd(body.Until, body.For)
	if err != nil {
		Error(w, r, err)
		return
	}
	sil, err := s.desk.AddSilence(r.Context(), in, end, d, s.now())
	if err != nil {
		Error(w, r, err)
		return
	}
	s.casesChanged("silence", nil)
	writeJSON(w, http.StatusCreated, sil)
}

// handleExpireSilence is DELETE /api/v1/silences/{id}: the silence ends
// now (an ended one is left as it is); it answers the silence.
func (s *Server) handleExpireSilence(w http.ResponseWriter, r *http.Request) {
	if _, err := readBody(r); err != nil {
		Error(w, r, err)
		return
	}
	ref, err := pathRef(r, "id", "silence id")
	if err != nil {
		Error(w, r, err)
		return
	}
	sil, changed, err := s.desk.ExpireSilence(r.Context(), ref, s.now())
	if err != nil {
		Error(w, r, err)
		return
	}
	if changed {
		s.casesChanged("silence", nil)
	}
	writeJSON(w, http.StatusOK, sil)
}
