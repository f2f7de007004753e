package adminapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// WebhookView is an endpoint as the API and the CLI show it (db's shape,
// shared with the webhook.* events); never its secret.
type WebhookView = db.WebhookView

// WebhookCreatedView is the answer to adding an endpoint: the view and,
// this once, the signing secret ("whsec_…").
type WebhookCreatedView struct {
	WebhookView
	Secret string `json:"secret"`
}

// AttemptView is one HTTP attempt of a delivery.
type AttemptView struct {
	N              int       `json:"n"`
	At             time.Time `json:"at"`
	Replica        string    `json:"replica"`
	Status         int       `json:"status"`
	Error          string    `json:"error,omitempty"`
	DurationMS     int64     `json:"duration_ms"`
	ResponsePrefix string    `json:"response_prefix,omitempty"`
}

// DeliveryView is one event on its way to one endpoint, with its attempts.
type DeliveryView struct {
	ID            string        `json:"id"`
	WebhookID     string        `json:"webhook_id"`
	MessageID     string        `json:"message_id"` // the webhook-id header of every attempt
	EventID       int64         `json:"event_id"`
	EventType     string        `json:"event_type"`
	Status        string        `json:"status"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt *time.Time    `json:"next_attempt_at"` // null once delivered or failed
	LastStatus    int           `json:"last_status"`
	LastError     string        `json:"last_error,omitempty"`
	ReplayOf      string        `json:"replay_of,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	AttemptLog    []AttemptView `json:"attempt_log"`
}

// DeliveryViewOf renders a delivery and its attempts.
func DeliveryViewOf(d db.WebhookDelivery, at []db.WebhookAttempt) DeliveryView {
	v := DeliveryView{ID: d.ID, WebhookID: d.EndpointID, MessageID: "msg_" + strconv.FormatInt(d.EventID, 10), EventID: d.EventID,
		EventType: d.EventType, Status: d.Status, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		ReplayOf: d.ReplayOf, CreatedAt: d.CreatedAt, AttemptLog: make([]AttemptView, len(at))}
	if d.Status == db.DeliveryPending {
		n := d.NextAttemptAt
		v.NextAttemptAt = &n
	}
	for i, a := range at {
		v.AttemptLog[i] = AttemptView{N: a.N, At: a.At, Replica: a.Owner, Status: a.Status, Error: a.Error,
			DurationMS: a.DurationMS, ResponsePrefix: a.ResponsePrefix}
	}
	return v
}

// AddWebhook registers an endpoint with a fresh secret sealed under key
// (the server's webhooks.secret_key): the one path of the API and the CLI.
func AddWebhook(ctx context.Context, s db.WebhookStore, key []byte, teamID, url string, events []string, by db.Actor) (WebhookCreatedView, error) {
	if len(key) == 0 {
		return WebhookCreatedView{}, db.Errorf(db.ErrRule, "webhook_key_missing", "webhooks need the server's webhooks.secret_key (ROSTER_WEBHOOKS_SECRET_KEY, 64 hex digits)")
	}
	secret, sealed, err := db.NewWebhookSecret(key)
	if err != nil {
		return WebhookCreatedView{}, err
	}
	e, err := s.CreateWebhook(ctx, teamID, db.NewWebhook{URL: strings.TrimSpace(url), Events: events, SealedSecret: sealed}, by)
	if err != nil {
		return WebhookCreatedView{}, err
	}
	return WebhookCreatedView{WebhookView: db.WebhookViewOf(e), Secret: secret}, nil
}

// DeliveriesPageMax is the most deliveries one listing returns.
const DeliveriesPageMax = 1000

// ListDeliveryViews lists the team's deliveries, newest first, with their attempts.
func ListDeliveryViews(ctx context.Context, s db.WebhookStore, teamID string, q db.DeliveryQuery) ([]DeliveryView, error) {
	ds, err := s.ListDeliveries(ctx, teamID, q)
	if err != nil {
		return nil, err
	}
	out := make([]DeliveryView, len(ds))
	for i, d := range ds {
		at, err := s.DeliveryAttempts(ctx, teamID, d.ID)
		if err != nil {
			return nil, err
		}
		out[i] = DeliveryViewOf(d, at)
	}
	return out, nil
}

// mountWebhooks registers the webhook routes (issue 14 #4); every admin
// role manages them (R-ADM-6), and every change is audited (an event).
func (a *api) mountWebhooks() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/webhooks", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		vs, err := x.ListWebhooks(r.Context(), c)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]any{"webhooks": vs})
		return nil
	})
	a.route("POST", "/teams/{team}/webhooks", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			URL    string   `json:"url"`
			Events []string `json:"events"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.CreateWebhook(r.Context(), c, req.URL, req.Events))
	})
	a.route("DELETE", "/teams/{team}/webhooks/{webhook}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.DeleteWebhook(r.Context(), c, r.PathValue("webhook")))
	})
	a.route("POST", "/teams/{team}/webhooks/{webhook}/enable", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.EnableWebhook(r.Context(), c, r.PathValue("webhook")))
	})
	a.route("POST", "/teams/{team}/webhooks/{webhook}/replay", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			EventID int64 `json:"event_id"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.ReplayEvent(r.Context(), c, r.PathValue("webhook"), req.EventID))
	})
	a.route("GET", "/teams/{team}/webhooks/deliveries", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		q, err := DeliveryQueryOf(r.URL.Query().Get("webhook"), r.URL.Query().Get("event"), r.URL.Query().Get("limit"))
		if err != nil {
			return err
		}
		vs, err := x.ListDeliveries(r.Context(), c, q)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]any{"deliveries": vs})
		return nil
	})
	a.route("POST", "/teams/{team}/webhooks/deliveries/{delivery}/replay", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusCreated)(x.ReplayDelivery(r.Context(), c, r.PathValue("delivery")))
	})
}

// DeliveryQueryOf parses the deliveries listing's webhook, event and limit
// parameters (the API's query and the CLI's flags).
func DeliveryQueryOf(webhook, event, limit string) (db.DeliveryQuery, error) {
	q := db.DeliveryQuery{EndpointID: webhook, Limit: 100}
	if event != "" {
		n, err := strconv.ParseInt(event, 10, 64)
		if err != nil || n < 1 {
			return q, db.Errorf(db.ErrInvalid, "event_invalid", "event must be a positive event id")
		}
		q.EventID = n
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > DeliveriesPageMax {
			return q, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to %d", DeliveriesPageMax)
		}
		q.Limit = n
	}
	return q, nil
}
