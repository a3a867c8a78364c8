package shopify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	graphql "github.com/hasura/go-graphql-client"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// This file runs GraphQL operations and turns what goes wrong into
// classified errors: HTTP failures, top-level GraphQL errors (THROTTLED,
// ACCESS_DENIED, ...) and the userErrors of mutation payloads.

// userError is Shopify's UserError: what a mutation refused and why.
type userError struct {
	Field   []string
	Message string
}

// codedUserError is the typed user error most newer payloads return,
// with a machine-readable code.
type codedUserError struct {
	Field   []string
	Message string
	Code    string
}

// query runs a read. Reads are safe to resend, so transport.Retry may
// retry them.
func (c *Client) query(ctx context.Context, op string, q any, vars map[string]any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := c.gql.Query(transport.WithIdempotent(ctx), q, vars, graphql.OperationName(op))
	return c.scrub(classify(op, err))
}

// mutate runs a mutation. An idempotent one (an upsert, a set with an
// idempotency key) may be resent after a 5xx or a dropped connection;
// any other is sent once (a throttled one is resent by the pacer, since
// Shopify did not run it).
func (c *Client) mutate(ctx context.Context, op string, m any, vars map[string]any, idempotent bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if idempotent {
		ctx = transport.WithIdempotent(ctx)
	}
	err := c.gql.Mutate(ctx, m, vars, graphql.OperationName(op))
	return c.scrub(classify(op, err))
}

// scrub removes the access token from an error's texts, whatever its
// shape: a server may echo it (in a 401 body, say) in a form the generic
// redactor does not recognise.
func (c *Client) scrub(err error) error {
	var api *kontor.APIError
	if err == nil || !errors.As(err, &api) {
		return err
	}
	for _, s := range []*string{&api.Message, &api.Body, &api.Code} {
		*s = strings.ReplaceAll(*s, c.token, "[REDACTED]")
	}
	return err
}

// classify turns the GraphQL client's error into a classified one: the
// transport's own errors (a cancelled context, exhausted retries, a
// version fallback) pass through; an HTTP error status becomes a
// *kontor.APIError by the transport's rules; a GraphQL error becomes one
// by its extensions.code. Messages are redacted: Shopify sometimes echoes
// input values in them.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var gerrs graphql.Errors
	if !errors.As(err, &gerrs) || len(gerrs) == 0 {
		return kontor.NewError(kontor.KindUnknown, "shopify "+op, err)
	}
	e := gerrs[0]
	code, _ := e.Extensions["code"].(string)
	switch code {
	case graphql.ErrRequestError:
		inner := e.Unwrap()
		var ne graphql.NetworkError
		if errors.As(inner, &ne) {
			return statusError(op, ne.StatusCode(), ne.Body())
		}
		if inner == nil {
			inner = errors.New(transport.DefaultRedactor.String(e.Message))
		}
		var cl kontor.Classified
		if errors.As(inner, &cl) || errors.Is(inner, context.Canceled) || errors.Is(inner, context.DeadlineExceeded) {
			return fmt.Errorf("shopify %s: %w", op, inner)
		}
		return kontor.NewError(kontor.KindRetryable, "shopify "+op, inner)
	case graphql.ErrJsonDecode, graphql.ErrGraphQLDecode, graphql.ErrGraphQLExtensionsDecode:
		return kontor.NewError(kontor.KindPermanent, "shopify "+op,
			fmt.Errorf("undecodable response: %s", transport.DefaultRedactor.String(e.Message)))
	case graphql.ErrGraphQLEncode, graphql.ErrJsonEncode:
		return kontor.NewError(kontor.KindPermanent, "shopify "+op, fmt.Errorf("building the request: %s", e.Message))
	}
	api := &kontor.APIError{System: "shopify", Op: op, Kind: kontor.KindPermanent, Code: code}
	for _, ge := range gerrs {
		c, _ := ge.Extensions["code"].(string)
		if k, ok := transport.ClassifyCode(c); ok {
			api.Kind, api.Code = k, c
			break
		}
	}
	var msgs []string
	for i, ge := range gerrs {
		if i == 3 {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(gerrs)-3))
			break
		}
		m := transport.DefaultRedactor.String(ge.Message)
		if p := pathString(ge.Path); p != "" {
			m += " (at " + p + ")"
		}
		msgs = append(msgs, m)
	}
	api.Message = strings.Join(msgs, "; ")
	return api
}

// statusError classifies an HTTP error status the way transport does for
// every system, reading the remote's error body for its code and message.
func statusError(op string, status int, body string) error {
	resp := &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(body)),
	}
	return transport.CheckResponse("shopify", op, resp)
}

func pathString(path []any) string {
	parts := make([]string, 0, len(path))
	for _, p := range path {
		switch v := p.(type) {
		case string:
			parts = append(parts, v)
		case float64:
			parts = append(parts, strconv.Itoa(int(v)))
		default:
			parts = append(parts, fmt.Sprint(v))
		}
	}
	return strings.Join(parts, ".")
}

// userErr turns a payload's user errors into the error of one item:
// codes with a meaning of their own (a stale compare-and-swap value is a
// conflict) keep their kind, the rest are validation errors naming the
// field.
func userErr(entity kontor.Entity, key string, errs []codedUserError) error {
	if len(errs) == 0 {
		return nil
	}
	e := errs[0]
	if k, ok := transport.ClassifyCode(e.Code); ok {
		return &kontor.APIError{System: "shopify", Op: string(entity) + " write", Kind: k, Code: e.Code,
			Message: transport.DefaultRedactor.String(e.Message)}
	}
	if e.Code == "NOT_FOUND" {
		return &kontor.APIError{System: "shopify", Op: string(entity) + " write", Kind: kontor.KindNotFound, Code: e.Code,
			Message: transport.DefaultRedactor.String(e.Message)}
	}
	reason := transport.DefaultRedactor.String(e.Message)
	if e.Code != "" {
		reason += " (" + e.Code + ")"
	}
	return &kontor.ValidationError{Entity: entity, Key: key, Field: strings.Join(e.Field, "."), Reason: reason}
}

// plainUserErr is userErr for payloads whose user errors carry no code.
func plainUserErr(entity kontor.Entity, key string, errs []userError) error {
	coded := make([]codedUserError, len(errs))
	for i, e := range errs {
		coded[i] = codedUserError{Field: e.Field, Message: e.Message}
	}
	return userErr(entity, key, coded)
}
