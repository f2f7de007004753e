package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// The pages that close issue 13's "every admin API capability has its
// page": Webhooks (endpoints, deliveries, replay), Group → product
// mappings, the catalogue's rename and remove, and a project member's
// level. Every action calls the admin API operation its JSON route calls
// (adminapi/ops_webhooks.go, ops_members.go).
func (c *Console) mountWebhookPages(m *http.ServeMux) {
	m.HandleFunc("GET /console/webhooks", c.signedIn(adminapi.AllAdmins, c.webhooksPage))
	m.HandleFunc("POST /console/webhooks", c.signedIn(adminapi.AllAdmins, c.createWebhook))
	m.HandleFunc("GET /console/webhooks/{webhook}", c.signedIn(adminapi.AllAdmins, c.webhookPage))
	m.HandleFunc("POST /console/webhooks/{webhook}/remove", c.signedIn(adminapi.AllAdmins, c.removeWebhook))
	m.HandleFunc("POST /console/webhooks/{webhook}/enable", c.signedIn(adminapi.AllAdmins, c.enableWebhook))
	m.HandleFunc("POST /console/webhooks/{webhook}/replay", c.signedIn(adminapi.AllAdmins, c.replayEvent))
	m.HandleFunc("POST /console/webhooks/{webhook}/deliveries/{delivery}/replay", c.signedIn(adminapi.AllAdmins, c.replayDelivery))
	m.HandleFunc("GET /console/mappings", c.signedIn(adminapi.AllAdmins, c.mappingsPage))
	m.HandleFunc("POST /console/mappings", c.signedIn(adminapi.AllAdmins, c.addMapping))
	m.HandleFunc("POST /console/mappings/{id}/remove", c.signedIn(adminapi.AllAdmins, c.removeMapping))
	m.HandleFunc("POST /console/catalogue/{product}", c.signedIn(adminapi.AllAdmins, c.renameProduct))
	m.HandleFunc("POST /console/catalogue/{product}/remove", c.signedIn(adminapi.AllAdmins, c.removeProduct))
	m.HandleFunc("POST /console/projects/{project}/members/{user}/level", c.signedIn(adminapi.AllAdmins, c.setProjectLevel))
}

// ---- Webhooks ----

type webhooksView struct {
	Webhooks []adminapi.WebhookView
	Created  *adminapi.WebhookCreatedView
	URL      string
	Events   string
}

func (c *Console) renderWebhooks(w http.ResponseWriter, r *http.Request, s session, status int, v webhooksView, notice, msg string) error {
	ws, err := c.Ops.ListWebhooks(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Webhooks = ws
	c.render(w, r, status, "webhooks", page{Title: "webhooks.title", Nav: "webhooks", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) webhooksPage(w http.ResponseWriter, r *http.Request, s session) error {
	notice := ""
	if r.URL.Query().Get("removed") != "" {
		notice = tr(lang(r), "webhooks.removed")
	}
	return c.renderWebhooks(w, r, s, http.StatusOK, webhooksView{}, notice, "")
}

// createWebhook registers an endpoint and shows its secret this once. An
// endpoint receives every change of the team, so, like a SCIM token, it
// needs a recent sign-in.
func (c *Console) createWebhook(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	v := webhooksView{URL: strings.TrimSpace(r.PostForm.Get("url")), Events: strings.TrimSpace(r.PostForm.Get("events"))}
	if c.Now().Sub(s.CreatedAt) > c.ReauthWithin {
		return c.renderWebhooks(w, r, s, http.StatusForbidden, v, "", tr(lang(r), "reauth.needed"))
	}
	events := strings.FieldsFunc(v.Events, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	created, err := c.Ops.CreateWebhook(r.Context(), s.Caller, v.URL, events)
	return outcome(err, http.StatusCreated, tr(lang(r), "webhooks.created"), func(status int, notice, msg string, failed bool) error {
		if failed {
			return c.renderWebhooks(w, r, s, status, v, "", msg)
		}
		return c.renderWebhooks(w, r, s, status, webhooksView{Created: &created}, notice, "")
	})
}

type webhookView struct {
	Webhook    adminapi.WebhookView
	Deliveries []adminapi.DeliveryView
	EventID    string
}

func (c *Console) renderWebhook(w http.ResponseWriter, r *http.Request, s session, status int, eventID, notice, msg string) error {
	id := r.PathValue("webhook")
	ws, err := c.Ops.ListWebhooks(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v := webhookView{EventID: eventID}
	found := false
	for _, x := range ws {
		if x.ID == id {
			v.Webhook, found = x, true
		}
	}
	if !found {
		return db.Errorf(db.ErrNotFound, "webhook_not_found", "the team has no webhook %q", id)
	}
	if v.Deliveries, err = c.Ops.ListDeliveries(r.Context(), s.Caller, db.DeliveryQuery{EndpointID: id, Limit: 100}); err != nil {
		return err
	}
	c.render(w, r, status, "webhook", page{Title: "webhook.title", Nav: "webhooks", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) webhookPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderWebhook(w, r, s, http.StatusOK, "", "", "")
}

func (c *Console) removeWebhook(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	_, err := c.Ops.DeleteWebhook(r.Context(), s.Caller, r.PathValue("webhook"))
	return outcome(err, http.StatusSeeOther, "", func(status int, _, msg string, failed bool) error {
		if failed {
			return c.renderWebhooks(w, r, s, status, webhooksView{}, "", msg)
		}
		http.Redirect(w, r, "/console/webhooks?removed=1", http.StatusSeeOther)
		return nil
	})
}

func (c *Console) enableWebhook(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	_, err := c.Ops.EnableWebhook(r.Context(), s.Caller, r.PathValue("webhook"))
	return outcome(err, http.StatusOK, tr(lang(r), "webhook.enabled"), func(status int, notice, msg string, _ bool) error {
		return c.renderWebhook(w, r, s, status, "", notice, msg)
	})
}

// replayEvent sends one event (by its id, from the audit log or a
// receiver's webhook-id) to this endpoint again.
func (c *Console) replayEvent(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	raw := strings.TrimSpace(r.PostForm.Get("event_id"))
	n, perr := strconv.ParseInt(strings.TrimPrefix(raw, "msg_"), 10, 64)
	var err error
	var d adminapi.DeliveryView
	if perr != nil || n < 1 {
		err = invalid("event_id_invalid", tr(lang(r), "webhook.event_invalid"))
	} else {
		d, err = c.Ops.ReplayEvent(r.Context(), s.Caller, r.PathValue("webhook"), n)
	}
	return outcome(err, http.StatusCreated, trf(lang(r), "webhook.replayed", d.EventType, strconv.FormatInt(d.EventID, 10)), func(status int, notice, msg string, failed bool) error {
		if failed {
			return c.renderWebhook(w, r, s, status, raw, "", msg)
		}
		return c.renderWebhook(w, r, s, status, "", notice, "")
	})
}

func (c *Console) replayDelivery(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	d, err := c.Ops.ReplayDelivery(r.Context(), s.Caller, r.PathValue("delivery"))
	if err == nil && d.WebhookID != r.PathValue("webhook") {
		// The delivery is the team's but another endpoint's: say where it went.
		r.SetPathValue("webhook", d.WebhookID)
	}
	return outcome(err, http.StatusCreated, trf(lang(r), "webhook.replayed", d.EventType, strconv.FormatInt(d.EventID, 10)), func(status int, notice, msg string, _ bool) error {
		return c.renderWebhook(w, r, s, status, "", notice, msg)
	})
}

// ---- Group → product mappings ----

type mappingsView struct {
	Mappings []adminapi.ProductMappingView
	Projects []adminapi.ProjectView
	Products []adminapi.ProductView
	Add      adminapi.ProductMappingRequest
}

func (c *Console) renderMappings(w http.ResponseWriter, r *http.Request, s session, status int, add adminapi.ProductMappingRequest, notice, msg string) error {
	v := mappingsView{Add: add}
	var err error
	if v.Mappings, err = c.Ops.ListProductMappings(r.Context(), s.Caller); err != nil {
		return err
	}
	if v.Projects, err = c.Ops.ListProjects(r.Context(), s.Caller); err != nil {
		return err
	}
	if v.Products, err = c.Ops.ListProducts(r.Context(), s.Caller); err != nil {
		return err
	}
	c.render(w, r, status, "mappings", page{Title: "mappings.title", Nav: "mappings", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) mappingsPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderMappings(w, r, s, http.StatusOK, adminapi.ProductMappingRequest{}, "", "")
}

func (c *Console) addMapping(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	in := adminapi.ProductMappingRequest{Group: strings.TrimSpace(f.Get("group")), Project: f.Get("project"), Product: f.Get("product")}
	m, err := c.Ops.MapGroup(r.Context(), s.Caller, in)
	return outcome(err, http.StatusCreated, trf(lang(r), "mappings.added", m.GroupName, m.Product, m.ProjectName), func(status int, notice, msg string, failed bool) error {
		if failed {
			return c.renderMappings(w, r, s, status, in, "", msg)
		}
		return c.renderMappings(w, r, s, status, adminapi.ProductMappingRequest{}, notice, "")
	})
}

func (c *Console) removeMapping(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	err := c.Ops.UnmapGroup(r.Context(), s.Caller, r.PathValue("id"))
	return outcome(err, http.StatusOK, tr(lang(r), "mappings.removed"), func(status int, notice, msg string, _ bool) error {
		return c.renderMappings(w, r, s, status, adminapi.ProductMappingRequest{}, notice, msg)
	})
}

// ---- Catalogue: rename, move the base mark, remove ----

func (c *Console) renameProduct(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	p, err := c.Ops.UpdateProduct(r.Context(), s.Caller, r.PathValue("product"), strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("base") == "on")
	return outcome(err, http.StatusOK, trf(lang(r), "catalogue.saved", p.Name), func(status int, notice, msg string, _ bool) error {
		return c.renderCatalogue(w, r, s, status, catalogueView{}, notice, msg)
	})
}

func (c *Console) removeProduct(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	key := r.PathValue("product")
	if r.PostForm.Get("confirm") != "yes" {
		return c.renderCatalogue(w, r, s, http.StatusOK, catalogueView{ConfirmRemove: key}, "", "")
	}
	rm, err := c.Ops.RemoveProduct(r.Context(), s.Caller, key)
	return outcome(err, http.StatusOK, trf(lang(r), "catalogue.removed", rm.Product, strconv.Itoa(rm.Revoked)), func(status int, notice, msg string, _ bool) error {
		return c.renderCatalogue(w, r, s, status, catalogueView{}, notice, msg)
	})
}

// ---- Project member level ----

func (c *Console) setProjectLevel(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	m, err := c.Ops.SetProjectLevel(r.Context(), s.Caller, r.PathValue("project"), r.PathValue("user"), r.PostForm.Get("level"))
	return outcome(err, http.StatusOK, trf(lang(r), "project.level_saved", m.Email, tr(lang(r), "plevel."+m.Level)), func(status int, notice, msg string, _ bool) error {
		return c.renderProject(w, r, s, status, nil, notice, msg)
	})
}
