package adminapi

import (
	"net/http"

	"github.com/roster-dev/roster/db"
)

// SeatView is one product's seat usage (R-MEM-5); seats is null when the
// product has no subscription (no limit).
type SeatView struct {
	Product  string `json:"product"`
	Seats    *int   `json:"seats"`
	Used     int    `json:"used"`
	External int    `json:"external"`
}

// SeatViews renders seat usage.
func SeatViews(us []db.SeatUsage) []SeatView {
	out := make([]SeatView, len(us))
	for i, u := range us {
		out[i] = SeatView{Product: u.Product, Seats: u.Seats, Used: u.Used, External: u.External}
	}
	return out
}

type addSubscriptionRequest struct {
	Product string `json:"product"`
	Seats   int    `json:"seats"`
}

type externalRequest struct {
	On bool `json:"on"`
}

// mountSeats registers the seats and subscriptions routes (issue 11 #6).
func (a *api) mountSeats() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/seats", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.Seats(r.Context(), c))
	})
	a.route("POST", "/teams/{team}/subscriptions", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req addSubscriptionRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if err := x.AddSubscription(r.Context(), c, req.Product, req.Seats); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("PUT", "/teams/{team}/users/{user}/external-subscriptions/{product}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req externalRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if err := x.SetExternalSubscription(r.Context(), c, r.PathValue("user"), r.PathValue("product"), req.On); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("PUT", "/teams/{team}/users/{user}/internal-seats/{product}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req externalRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if err := x.SetInternalSeat(r.Context(), c, r.PathValue("user"), r.PathValue("product"), req.On); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
