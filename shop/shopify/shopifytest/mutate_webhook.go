package shopifytest

import (
	"context"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
)

// webhookSubscriptionCreate, webhookSubscriptionUpdate and
// webhookSubscriptionDelete. The subscription's API version is the one the
// request was served with; its deliveries carry it in
// X-Shopify-API-Version. The endpoint must be https, or http on a loopback
// address (the fake's own concession to httptest receivers).

type webhookPayloadR struct {
	WebhookSubscription *webhookSubR
	UserErrors          []*userError
}

func (root) WebhookSubscriptionCreate(ctx context.Context, a struct {
	Topic               string
	WebhookSubscription in[webhookSubIn]
}) *webhookPayloadR {
	r := rc(ctx)
	in := a.WebhookSubscription.V
	uri := str(in.URI)
	if uri == "" {
		uri = str(in.CallbackURL)
	}
	format := "JSON"
	if in.Format != nil {
		format = *in.Format
	}
	if format != "JSON" {
		return &webhookPayloadR{UserErrors: []*userError{uerr("", "Format XML is not served by shopifytest; use JSON", "webhookSubscription", "format")}}
	}
	var include, namespaces []string
	if in.IncludeFields != nil {
		include = *in.IncludeFields
	}
	if in.MetafieldNamespaces != nil {
		namespaces = *in.MetafieldNamespaces
	}
	if ue := r.srv.addWebhook(a.Topic, uri, format, include, namespaces, str(in.Filter), r.version); ue != nil {
		return &webhookPayloadR{UserErrors: []*userError{ue}}
	}
	return &webhookPayloadR{WebhookSubscription: newWebhookSubR(r.st.webhooks[len(r.st.webhooks)-1]), UserErrors: []*userError{}}
}

func (root) WebhookSubscriptionUpdate(ctx context.Context, a struct {
	ID                  graphql.ID
	WebhookSubscription in[webhookSubIn]
}) *webhookPayloadR {
	r := rc(ctx)
	w, ok := lookup[*webhookSub](r.st, string(a.ID))
	if !ok {
		return &webhookPayloadR{UserErrors: []*userError{uerr("", "Webhook subscription does not exist", "id")}}
	}
	in := a.WebhookSubscription.V
	if uri := str(in.URI) + str(in.CallbackURL); uri != "" {
		if in.URI == nil {
			in.URI = in.CallbackURL
		}
		old := w.uri
		w.uri = "\x00" // let addWebhook's duplicate check ignore this subscription
		if ue := r.srv.checkWebhookURI(w.topic, *in.URI); ue != nil {
			w.uri = old
			return &webhookPayloadR{UserErrors: []*userError{ue}}
		}
		w.uri = *in.URI
	}
	if in.IncludeFields != nil {
		w.includeFields = *in.IncludeFields
	}
	if in.Filter != nil {
		w.filter = *in.Filter
	}
	w.updatedAt = r.now
	return &webhookPayloadR{WebhookSubscription: newWebhookSubR(w), UserErrors: []*userError{}}
}

// checkWebhookURI runs addWebhook's checks without adding.
func (s *Server) checkWebhookURI(topic, uri string) *userError {
	n := len(s.st.webhooks)
	if ue := s.addWebhook(topic, uri, "JSON", nil, nil, "", ""); ue != nil {
		return ue
	}
	w := s.st.webhooks[n]
	s.st.webhooks = s.st.webhooks[:n]
	delete(s.st.nodes, w.id)
	return nil
}

type webhookDeletePayloadR struct {
	DeletedWebhookSubscriptionId *graphql.ID
	UserErrors                   []*userError
}

func (root) WebhookSubscriptionDelete(ctx context.Context, a struct{ ID graphql.ID }) *webhookDeletePayloadR {
	r := rc(ctx)
	w, ok := lookup[*webhookSub](r.st, string(a.ID))
	if !ok {
		return &webhookDeletePayloadR{UserErrors: []*userError{uerr("", "Webhook subscription does not exist", "id")}}
	}
	r.st.webhooks = removeOne(r.st.webhooks, w)
	delete(r.st.nodes, w.id)
	id := a.ID
	return &webhookDeletePayloadR{DeletedWebhookSubscriptionId: &id, UserErrors: []*userError{}}
}

// timezoneAbbreviation is the zone's abbreviation at t ("CET").
func timezoneAbbreviation(zone string, t time.Time) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return "UTC"
	}
	name, _ := t.In(loc).Zone()
	return name
}
