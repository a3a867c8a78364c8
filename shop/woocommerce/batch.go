package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// A batch request, POST <resource>/batch, takes {"create":[…],
// "update":[…]} with at most the batch limit of objects in all, and answers
// HTTP 200 with the same lists in the same order, each entry either the
// object as written or {"id":…,"error":{"code","message","data":{"status"}}}
// for an item that failed alone. WooCommerce handles the items one by one,
// so a batch is not atomic: items before a failure are written.

// batchOp is one object of a batch write.
type batchOp struct {
	create bool
	body   any // the object; an update carries its "id"
}

// batchResult is what the shop answered for one op.
type batchResult struct {
	id       int64
	modified Date
	raw      json.RawMessage
	err      error // the item's own failure
}

// batchItem is the part of any answered object the batch machinery reads.
type batchItem struct {
	ID              int64       `json:"id"`
	DateModifiedGMT Date        `json:"date_modified_gmt"`
	Error           *BatchError `json:"error"`
}

// batch sends ops to path (e.g. "/products/batch") in requests of at most
// the batch limit and returns one result per op, in order. The error is
// for a request that failed whole (no response, a 4xx or 5xx for the
// request, an answer that does not line up with it): then the ops of that
// and later requests have no result, and the caller fails the call.
// Requests with only updates are marked idempotent, so transport.Retry
// resends them after a 503 or a dropped connection; creates are sent once.
func (c *Client) batch(ctx context.Context, path string, ops []batchOp) ([]batchResult, error) {
	out := make([]batchResult, 0, len(ops))
	limit := c.cfg.batchLimit
	for start := 0; start < len(ops); start += limit {
		chunk := ops[start:min(start+limit, len(ops))]
		var body struct {
			Create []any `json:"create,omitempty"`
			Update []any `json:"update,omitempty"`
		}
		var creates, updates []int // positions in chunk
		for i, op := range chunk {
			if op.create {
				body.Create = append(body.Create, op.body)
				creates = append(creates, i)
			} else {
				body.Update = append(body.Update, op.body)
				updates = append(updates, i)
			}
		}
		rctx := ctx
		if len(creates) == 0 {
			rctx = transport.WithIdempotent(ctx)
		}
		var resp struct {
			Create []json.RawMessage `json:"create"`
			Update []json.RawMessage `json:"update"`
		}
		if _, err := c.do(rctx, http.MethodPost, path, nil, body, &resp); err != nil {
			return nil, err
		}
		if len(resp.Create) != len(creates) || len(resp.Update) != len(updates) {
			return nil, kontor.NewError(kontor.KindRetryable, System+" POST "+opPath(path),
				fmt.Errorf("the shop answered %d creates and %d updates for %d and %d sent", len(resp.Create), len(resp.Update), len(creates), len(updates)))
		}
		res := make([]batchResult, len(chunk))
		for k, raw := range resp.Create {
			res[creates[k]] = decodeBatchItem(raw, path)
		}
		for k, raw := range resp.Update {
			res[updates[k]] = decodeBatchItem(raw, path)
		}
		out = append(out, res...)
	}
	return out, nil
}

func decodeBatchItem(raw json.RawMessage, path string) batchResult {
	var it batchItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return batchResult{raw: raw, err: kontor.NewError(kontor.KindRetryable, System+" POST "+opPath(path),
			fmt.Errorf("decoding a batch item: %w", err))}
	}
	if it.Error != nil {
		return batchResult{id: it.ID, raw: raw, err: itemError("POST "+opPath(path), it.Error)}
	}
	if it.ID == 0 {
		return batchResult{raw: raw, err: kontor.NewError(kontor.KindRetryable, System+" POST "+opPath(path),
			fmt.Errorf("a batch item came back without an id or an error"))}
	}
	return batchResult{id: it.ID, modified: it.DateModifiedGMT, raw: raw}
}

// itemError turns a batch item's error into a *kontor.APIError: the kind
// from WooCommerce's code where transport.ClassifyCode knows it, else from
// data.status.
func itemError(op string, be *BatchError) error {
	kind := kontor.KindForStatus(be.Data.Status)
	if k, ok := transport.ClassifyCode(be.Code); ok {
		kind = k
	}
	if kind == kontor.KindUnknown {
		kind = kontor.KindPermanent
	}
	return &kontor.APIError{
		System:     System,
		Op:         op,
		Kind:       kind,
		StatusCode: be.Data.Status,
		Code:       redactor.String(be.Code),
		Message:    redactor.String(be.Message),
	}
}

// failed is a failed result for key.
func failed(key string, err error) kontor.Result {
	return kontor.Result{Key: key, Outcome: kontor.Failed, Err: err}
}

// conflict is a per-item error of kind conflict.
func conflict(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindConflict, System+" "+op, fmt.Errorf(format, args...))
}

// permanent is a per-item error of kind permanent.
func permanent(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindPermanent, System+" "+op, fmt.Errorf(format, args...))
}

// notFound is a per-item error of kind not found.
func notFound(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindNotFound, System+" "+op, fmt.Errorf(format, args...))
}
