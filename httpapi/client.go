package httpapi

import "net/http"

// handleGetClient is GET /api/v1/clients/{email}: the client's readings,
// cases with their events, deals and leads, as client --json.
func (s *Server) handleGetClient(w http.ResponseWriter, r *http.Request) {
	email, err := pathRef(r, "email", "client email")
	if err != nil {
		Error(w, r, err)
		return
	}
	v, err := s.desk.Client(r.Context(), email, s.now())
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
