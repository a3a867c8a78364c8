package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// subscribe makes sure the shop delivers shopTopics to uri: it asks which
// topics are subscribed there already and creates the others with
// webhookSubscriptionCreate (Client.Subscribe). Shopify refuses a second
// subscription of a topic to one address, so it must not be asked twice.
// It returns how many it created.
func (a *app) subscribe(ctx context.Context, uri string) (int, error) {
	have, err := a.subscribedTopics(ctx, uri)
	if err != nil {
		return 0, err
	}
	var missing []string
	for _, t := range shopTopics {
		if !slices.Contains(have, t) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	ids, err := a.shop.Subscribe(ctx, uri, missing...)
	return len(ids), err
}

// subscribedTopics lists the topics subscribed to uri. The connector has
// no call for it, so this is one GraphQL query of its own, with the same
// token and version.
func (a *app) subscribedTopics(ctx context.Context, uri string) ([]string, error) {
	base := a.cfg.ShopifyEndpoint
	if base == "" {
		domain := a.cfg.ShopifyShop
		if !strings.Contains(domain, ".") {
			domain += ".myshopify.com"
		}
		base = "https://" + domain
	}
	body, err := json.Marshal(map[string]any{
		"query":     `query Subscriptions($uri: String) { webhookSubscriptions(first: 250, uri: $uri) { nodes { topic } } }`,
		"variables": map[string]any{"uri": uri},
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		base+"/admin/api/"+a.cfg.ShopifyAPIVersion+"/graphql.json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", a.cfg.ShopifyToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("listing webhook subscriptions: %w", redactToken(err, a.cfg.ShopifyToken))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("listing webhook subscriptions: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Data struct {
			WebhookSubscriptions struct {
				Nodes []struct {
					Topic string `json:"topic"`
				} `json:"nodes"`
			} `json:"webhookSubscriptions"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("listing webhook subscriptions: %w", err)
	}
	if len(out.Errors) > 0 {
		return nil, fmt.Errorf("listing webhook subscriptions: %s", out.Errors[0].Message)
	}
	topics := make([]string, 0, len(out.Data.WebhookSubscriptions.Nodes))
	for _, n := range out.Data.WebhookSubscriptions.Nodes {
		topics = append(topics, n.Topic)
	}
	return topics, nil
}

// redactToken removes the token from an error's text (a URL error quotes
// the request, not its headers, but a proxy's message might).
func redactToken(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "[REDACTED]"))
}
