package adminapi

import (
	"context"

	"github.com/roster-dev/roster/db"
)

// The operations of the catalogue's rename and remove, the group-to-product
// mappings and the webhooks: the JSON routes (projects.go, productmap.go,
// webhooks.go) and the console call these, one copy of each.

// UpdateProduct renames a product (name "" keeps it) and, with makeBase,
// moves the base mark to it (refused while a project member lacks it).
func (x *API) UpdateProduct(ctx context.Context, c Caller, ref, name string, makeBase bool) (ProductView, error) {
	p, err := x.a.Store.UpdateProduct(ctx, c.Team.ID, ref, name, makeBase, c.Actor)
	if err != nil {
		return ProductView{}, err
	}
	return ProductViews([]db.Product{p})[0], nil
}

// RemoveProduct removes a product and revokes it from every project member
// (R-MEM-4); the base product cannot be removed.
func (x *API) RemoveProduct(ctx context.Context, c Caller, ref string) (ProductRemoval, error) {
	p, err := x.a.Store.FindProduct(ctx, c.Team.ID, ref)
	if err != nil {
		return ProductRemoval{}, err
	}
	n, err := x.a.Store.RemoveProduct(ctx, c.Team.ID, p.Key, c.Actor)
	if err != nil {
		return ProductRemoval{}, err
	}
	return ProductRemoval{Product: p.Key, Revoked: n}, nil
}

// ListProductMappings is the team's group-to-product mappings with their
// members and those waiting for a seat.
func (x *API) ListProductMappings(ctx context.Context, c Caller) ([]ProductMappingView, error) {
	ms, err := x.a.Store.ProductMappings(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	return ProductMappingViews(ms), nil
}

// MapGroup maps a group (id or name) to a product on a project.
func (x *API) MapGroup(ctx context.Context, c Caller, req ProductMappingRequest) (ProductMappingView, error) {
	if req.Group == "" || req.Project == "" || req.Product == "" {
		return ProductMappingView{}, db.Errorf(db.ErrInvalid, "mapping_invalid", "group, project and product are required")
	}
	m, err := x.a.Store.MapGroup(ctx, c.Team.ID, req.Group, req.Project, req.Product, c.Actor)
	if err != nil {
		return ProductMappingView{}, err
	}
	return ProductMappingViews([]db.ProductMapping{m})[0], nil
}

// UnmapGroup removes a mapping and revokes its grants.
func (x *API) UnmapGroup(ctx context.Context, c Caller, id string) error {
	return x.a.Store.UnmapGroup(ctx, c.Team.ID, id, c.Actor)
}

// ListWebhooks is the team's endpoints (never their secrets).
func (x *API) ListWebhooks(ctx context.Context, c Caller) ([]WebhookView, error) {
	es, err := x.a.Store.ListWebhooks(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	vs := make([]WebhookView, len(es))
	for i, e := range es {
		vs[i] = db.WebhookViewOf(e)
	}
	return vs, nil
}

// CreateWebhook registers an endpoint; the answer holds its secret, once.
func (x *API) CreateWebhook(ctx context.Context, c Caller, url string, events []string) (WebhookCreatedView, error) {
	return AddWebhook(ctx, x.a.Store, x.a.WebhookKey, c.Team.ID, url, events, c.Actor)
}

// DeleteWebhook removes an endpoint.
func (x *API) DeleteWebhook(ctx context.Context, c Caller, id string) (WebhookView, error) {
	e, err := x.a.Store.DeleteWebhook(ctx, c.Team.ID, id, c.Actor)
	if err != nil {
		return WebhookView{}, err
	}
	return db.WebhookViewOf(e), nil
}

// EnableWebhook re-enables an endpoint the dispatcher disabled.
func (x *API) EnableWebhook(ctx context.Context, c Caller, id string) (WebhookView, error) {
	e, err := x.a.Store.EnableWebhook(ctx, c.Team.ID, id, c.Actor)
	if err != nil {
		return WebhookView{}, err
	}
	return db.WebhookViewOf(e), nil
}

// ListDeliveries lists deliveries, newest first, with their attempts.
func (x *API) ListDeliveries(ctx context.Context, c Caller, q db.DeliveryQuery) ([]DeliveryView, error) {
	return ListDeliveryViews(ctx, x.a.Store, c.Team.ID, q)
}

// ReplayEvent sends an event to an endpoint again, as a new delivery.
func (x *API) ReplayEvent(ctx context.Context, c Caller, webhookID string, eventID int64) (DeliveryView, error) {
	if eventID < 1 {
		return DeliveryView{}, db.Errorf(db.ErrInvalid, "event_id_invalid", "event_id must be a positive event id")
	}
	d, err := x.a.Store.ReplayEvent(ctx, c.Team.ID, webhookID, eventID, c.Actor)
	if err != nil {
		return DeliveryView{}, err
	}
	return DeliveryViewOf(d, nil), nil
}

// ReplayDelivery sends a delivery's event again, as a new delivery.
func (x *API) ReplayDelivery(ctx context.Context, c Caller, deliveryID string) (DeliveryView, error) {
	d, err := x.a.Store.ReplayDelivery(ctx, c.Team.ID, deliveryID, c.Actor)
	if err != nil {
		return DeliveryView{}, err
	}
	return DeliveryViewOf(d, nil), nil
}
