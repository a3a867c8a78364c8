// Package bridge serves a connector over HTTP and dials it from another
// process, so tests can kill the process that runs the engine while the
// systems it syncs live on, as real shops and ERPs do. It is a test
// harness, not a protocol for production: loopback only, no auth.
//
// The server speaks three routes: GET /capabilities, GET /read/{entity}
// (newline-delimited JSON, ended by an error line when the read fails) and
// POST /write/{entity}, which carries the batch's idempotency keys and
// field mask with the items, so a connector behind the bridge sees exactly
// the context the engine gave the client.
package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"

	"github.com/kontor-dev/kontor"
)

// wireError is an error as it crosses the bridge: its kind survives.
type wireError struct {
	Kind    kontor.Kind `json:"kind"`
	Message string      `json:"message"`
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	return &wireError{Kind: kontor.KindOf(err), Message: err.Error()}
}

func (w *wireError) err(op string) error {
	if w == nil {
		return nil
	}
	if w.Kind == kontor.KindValidation {
		return &kontor.ValidationError{Field: "remote", Reason: w.Message}
	}
	return kontor.NewError(w.Kind, "bridge "+op, errors.New(w.Message))
}

type writeRequest struct {
	Items           json.RawMessage `json:"items"`
	IdempotencyKeys []string        `json:"idempotency_keys,omitempty"`
	Fields          []string        `json:"fields,omitempty"`
}

type wireResult struct {
	Key     string         `json:"key"`
	Outcome kontor.Outcome `json:"outcome"`
	Target  kontor.Meta    `json:"target"`
	Error   *wireError     `json:"error,omitempty"`
}

type writeResponse struct {
	Results []wireResult `json:"results,omitempty"`
	Error   *wireError   `json:"error,omitempty"`
}

type readLine struct {
	Item  json.RawMessage `json:"item,omitempty"`
	Error *wireError      `json:"error,omitempty"`
}

// Handler serves conn over HTTP.
func Handler(conn kontor.Connector) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /capabilities", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(conn.Capabilities())
	})
	mux.HandleFunc("GET /read/{entity}", func(w http.ResponseWriter, r *http.Request) {
		var since kontor.Cursor
		if s := r.URL.Query().Get("since"); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				http.Error(w, "since: "+err.Error(), http.StatusBadRequest)
				return
			}
			since.Since = t
		}
		e := kontor.Entity(r.PathValue("entity"))
		if err := kontor.Require(conn, e, kontor.Read); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		serveRead(r.Context(), w, conn, e, since)
	})
	mux.HandleFunc("POST /write/{entity}", func(w http.ResponseWriter, r *http.Request) {
		e := kontor.Entity(r.PathValue("entity"))
		if err := kontor.Require(conn, e, kontor.Write); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		var req writeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
			return
		}
		ctx := r.Context()
		if len(req.IdempotencyKeys) > 0 {
			ctx = kontor.WithIdempotencyKeys(ctx, req.IdempotencyKeys)
		}
		if req.Fields != nil {
			ctx = kontor.WithFields(ctx, req.Fields)
		}
		results, err := serveWrite(ctx, conn, e, req.Items)
		resp := writeResponse{Error: toWire(err)}
		for _, res := range results {
			resp.Results = append(resp.Results, wireResult{Key: res.Key, Outcome: res.Outcome, Target: res.Target, Error: toWire(res.Err)})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
	return mux
}

func streamItems[T any](ctx context.Context, w http.ResponseWriter, seq iter.Seq2[T, error]) {
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	for v, err := range seq {
		if err != nil {
			_ = enc.Encode(readLine{Error: toWire(err)})
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			_ = enc.Encode(readLine{Error: toWire(err)})
			return
		}
		if enc.Encode(readLine{Item: b}) != nil || ctx.Err() != nil {
			return
		}
	}
	if flusher != nil {
		flusher.Flush()
	}
}

func serveRead(ctx context.Context, w http.ResponseWriter, conn kontor.Connector, e kontor.Entity, since kontor.Cursor) {
	switch e {
	case kontor.EntityProduct:
		streamItems(ctx, w, conn.(kontor.ProductReader).ReadProducts(ctx, since))
	case kontor.EntityPrice:
		streamItems(ctx, w, conn.(kontor.PriceReader).ReadPrices(ctx, since))
	case kontor.EntityStock:
		streamItems(ctx, w, conn.(kontor.StockReader).ReadStock(ctx, since))
	case kontor.EntityOrder:
		streamItems(ctx, w, conn.(kontor.OrderReader).ReadOrders(ctx, since))
	case kontor.EntityCustomer:
		streamItems(ctx, w, conn.(kontor.CustomerReader).ReadCustomers(ctx, since))
	case kontor.EntityShipment:
		streamItems(ctx, w, conn.(kontor.ShipmentReader).ReadShipments(ctx, since))
	case kontor.EntityReturn:
		streamItems(ctx, w, conn.(kontor.ReturnReader).ReadReturns(ctx, since))
	case kontor.EntityStatus:
		streamItems(ctx, w, conn.(kontor.StatusReader).ReadStatusUpdates(ctx, since))
	}
}

func decodeWrite[T any](ctx context.Context, raw json.RawMessage, fn func(context.Context, []T) ([]kontor.Result, error)) ([]kontor.Result, error) {
	var items []T
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, kontor.NewError(kontor.KindPermanent, "bridge decode", err)
	}
	return fn(ctx, items)
}

func serveWrite(ctx context.Context, conn kontor.Connector, e kontor.Entity, raw json.RawMessage) ([]kontor.Result, error) {
	switch e {
	case kontor.EntityProduct:
		return decodeWrite(ctx, raw, conn.(kontor.ProductWriter).WriteProducts)
	case kontor.EntityPrice:
		return decodeWrite(ctx, raw, conn.(kontor.PriceWriter).WritePrices)
	case kontor.EntityStock:
		return decodeWrite(ctx, raw, conn.(kontor.StockWriter).WriteStock)
	case kontor.EntityOrder:
		return decodeWrite(ctx, raw, conn.(kontor.OrderWriter).WriteOrders)
	case kontor.EntityCustomer:
		return decodeWrite(ctx, raw, conn.(kontor.CustomerWriter).WriteCustomers)
	case kontor.EntityShipment:
		return decodeWrite(ctx, raw, conn.(kontor.ShipmentWriter).WriteShipments)
	case kontor.EntityReturn:
		return decodeWrite(ctx, raw, conn.(kontor.ReturnWriter).WriteReturns)
	case kontor.EntityStatus:
		return decodeWrite(ctx, raw, conn.(kontor.StatusWriter).WriteStatusUpdates)
	}
	return nil, fmt.Errorf("bridge: unknown entity %q", e)
}

// Conn is a connector on the far side of a bridge. It implements every
// reader and writer interface; its Capabilities are the served
// connector's, so kontor.Require accepts exactly what that one can do.
type Conn struct {
	base   *url.URL
	client *http.Client
	caps   kontor.Capabilities
}

// Dial connects to a bridge at baseURL and fetches its capabilities. A nil
// client is http.DefaultClient.
func Dial(ctx context.Context, baseURL string, client *http.Client) (*Conn, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := &Conn{base: u, client: client}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.JoinPath("capabilities").String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, kontor.NewError(kontor.KindRetryable, "bridge dial", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, kontor.NewError(kontor.KindForStatus(resp.StatusCode), "bridge dial", fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	if err := json.NewDecoder(resp.Body).Decode(&c.caps); err != nil {
		return nil, kontor.NewError(kontor.KindRetryable, "bridge dial", err)
	}
	return c, nil
}

// Capabilities returns the served connector's capabilities.
func (c *Conn) Capabilities() kontor.Capabilities { return c.caps }

func read[T any](c *Conn, ctx context.Context, e kontor.Entity, since kontor.Cursor) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		u := c.base.JoinPath("read", string(e))
		if !since.Since.IsZero() {
			u.RawQuery = url.Values{"since": {since.Since.Format(time.RFC3339Nano)}}.Encode()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			yield(zero, err)
			return
		}
		resp, err := c.client.Do(req)
		if err != nil {
			yield(zero, kontor.NewError(kontor.KindRetryable, "bridge read "+string(e), err))
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			yield(zero, kontor.NewError(kontor.KindForStatus(resp.StatusCode), "bridge read "+string(e), errors.New(string(bytes.TrimSpace(b)))))
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if err := ctx.Err(); err != nil {
				yield(zero, err) // what is buffered was not asked for any more
				return
			}
			var line readLine
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				yield(zero, kontor.NewError(kontor.KindRetryable, "bridge read "+string(e), err))
				return
			}
			if line.Error != nil {
				yield(zero, line.Error.err("read "+string(e)))
				return
			}
			var v T
			if err := json.Unmarshal(line.Item, &v); err != nil {
				yield(zero, kontor.NewError(kontor.KindPermanent, "bridge read "+string(e), err))
				return
			}
			if !yield(v, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(zero, kontor.NewError(kontor.KindRetryable, "bridge read "+string(e), err))
		} else if err := ctx.Err(); err != nil {
			yield(zero, err)
		}
	}
}

func write[T any](c *Conn, ctx context.Context, e kontor.Entity, items []T) ([]kontor.Result, error) {
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	req := writeRequest{Items: raw, Fields: kontor.Fields(ctx)}
	for i := range items {
		if k := kontor.IdempotencyKey(ctx, i); k != "" {
			if req.IdempotencyKeys == nil {
				req.IdempotencyKeys = make([]string, len(items))
			}
			req.IdempotencyKeys[i] = k
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	op := "write " + string(e)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath("write", string(e)).String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, kontor.NewError(kontor.KindRetryable, "bridge "+op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, kontor.NewError(kontor.KindForStatus(resp.StatusCode), "bridge "+op, errors.New(string(bytes.TrimSpace(b))))
	}
	var wr writeResponse
	if err := json.NewDecoder(resp.Body).Decode(&wr); err != nil {
		return nil, kontor.NewError(kontor.KindRetryable, "bridge "+op, err)
	}
	if wr.Error != nil {
		return nil, wr.Error.err(op)
	}
	out := make([]kontor.Result, len(wr.Results))
	for i, r := range wr.Results {
		out[i] = kontor.Result{Key: r.Key, Outcome: r.Outcome, Target: r.Target, Err: r.Error.err(op)}
	}
	return out, nil
}
