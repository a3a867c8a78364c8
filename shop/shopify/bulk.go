package shopify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// Bulk operations move what would take thousands of paged requests in one
// asynchronous job: a bulk query writes its whole result to a JSONL file,
// a bulk mutation runs one mutation per line of an uploaded JSONL file of
// variables. The client starts the job, waits for it (polling, or woken
// by the bulk_operations/finish webhook) and streams the result file line
// by line, so memory stays bounded by one parent object and its children.

// BulkOperation is a bulk job's state.
type BulkOperation struct {
	ID             string
	Status         string  // CREATED, RUNNING, COMPLETED, FAILED, CANCELING, CANCELED, EXPIRED
	ErrorCode      *string // ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT
	ObjectCount    string  // UnsignedInt64
	URL            *string // the result file, when COMPLETED
	PartialDataURL *string // what a FAILED job got done
}

// BulkError is a bulk job that ended without completing. Its kind follows
// the error code: a timeout or an internal error may pass on a new run,
// access denied needs other scopes.
type BulkError struct {
	ID             string
	Status         string
	ErrorCode      string
	PartialDataURL string
}

// Error describes the failed job.
func (e *BulkError) Error() string {
	s := fmt.Sprintf("shopify bulk operation %s ended %s", e.ID, e.Status)
	if e.ErrorCode != "" {
		s += " (" + e.ErrorCode + ")"
	}
	return s
}

// ErrorKind classifies the failure.
func (e *BulkError) ErrorKind() kontor.Kind {
	switch e.ErrorCode {
	case "ACCESS_DENIED":
		return kontor.KindUnauthorized
	case "INTERNAL_SERVER_ERROR", "TIMEOUT":
		return kontor.KindRetryable
	}
	if e.Status == "CANCELED" || e.Status == "EXPIRED" {
		return kontor.KindRetryable
	}
	return kontor.KindPermanent
}

// Is matches the sentinel of its kind.
func (e *BulkError) Is(target error) bool {
	k := e.ErrorKind()
	return errors.Is(kontor.NewError(k, "", nil), target)
}

type bulkOperationFields struct {
	ID             string
	Status         string
	ErrorCode      *string
	ObjectCount    string
	URL            *string `graphql:"url"`
	PartialDataURL *string `graphql:"partialDataUrl"`
}

type bulkRunQuery struct {
	BulkOperationRunQuery struct {
		BulkOperation *bulkOperationFields
		UserErrors    []codedUserError
	} `graphql:"bulkOperationRunQuery(query: $query)"`
}

type bulkRunMutation struct {
	BulkOperationRunMutation struct {
		BulkOperation *bulkOperationFields
		UserErrors    []codedUserError
	} `graphql:"bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath)"`
}

type bulkOperationQuery struct {
	BulkOperation *bulkOperationFields `graphql:"bulkOperation(id: $id)"`
}

// RunBulkQuery starts a bulk query (a query with at least one connection
// and no paging arguments) and returns its operation.
func (c *Client) RunBulkQuery(ctx context.Context, query string) (BulkOperation, error) {
	var m bulkRunQuery
	if err := c.mutate(ctx, "BulkOperationRunQuery", &m, map[string]any{"query": query}, false); err != nil {
		return BulkOperation{}, err
	}
	if err := userErr("bulk", "query", m.BulkOperationRunQuery.UserErrors); err != nil {
		return BulkOperation{}, err
	}
	if m.BulkOperationRunQuery.BulkOperation == nil {
		return BulkOperation{}, errors.New("shopify bulkOperationRunQuery: no operation in the answer")
	}
	return BulkOperation(*m.BulkOperationRunQuery.BulkOperation), nil
}

// WaitBulk waits until the bulk operation id has finished, polling every
// poll interval (WithPollInterval) or sooner when the
// bulk_operations/finish webhook reaches a WebhookHandler of this client.
// A job that did not complete is a *BulkError.
func (c *Client) WaitBulk(ctx context.Context, id string) (BulkOperation, error) {
	c.mu.Lock()
	ch, ok := c.bulk[id]
	if !ok {
		ch = make(chan struct{})
		c.bulk[id] = ch
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.bulk, id)
		c.mu.Unlock()
	}()
	for {
		var q bulkOperationQuery
		if err := c.query(ctx, "BulkOperation", &q, map[string]any{"id": graphql.ID(id)}); err != nil {
			return BulkOperation{}, err
		}
		if q.BulkOperation == nil {
			return BulkOperation{}, &kontor.APIError{System: "shopify", Op: "bulkOperation", Kind: kontor.KindNotFound,
				Message: "no bulk operation " + id}
		}
		op := BulkOperation(*q.BulkOperation)
		switch op.Status {
		case "COMPLETED":
			return op, nil
		case "FAILED", "CANCELED", "EXPIRED":
			return op, &BulkError{ID: op.ID, Status: op.Status, ErrorCode: deref(op.ErrorCode), PartialDataURL: deref(op.PartialDataURL)}
		}
		wctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-ch:
				cancel()
			case <-wctx.Done():
			}
		}()
		err := c.cfg.sleep(wctx, c.cfg.pollInterval)
		cancel()
		if ctx.Err() != nil {
			return op, ctx.Err()
		}
		_ = err // woken by the webhook
		select {
		case <-ch:
			// Finished by the webhook; one more poll reads the result. A
			// fresh channel keeps later polls paced.
			c.mu.Lock()
			ch = make(chan struct{})
			c.bulk[id] = ch
			c.mu.Unlock()
		default:
		}
	}
}

// bulkFinished wakes a WaitBulk of the operation, if any.
func (c *Client) bulkFinished(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.bulk[id]; ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
}

// BulkLine is one object of a bulk result with its children: the nodes
// of its nested connections, which Shopify writes as separate lines with
// a __parentId after their parent.
type BulkLine struct {
	Object   json.RawMessage
	Children []json.RawMessage
}

// maxBulkLine bounds one JSONL line.
const maxBulkLine = 16 << 20

// ParseBulkJSONL streams a bulk result: it calls fn once per root object
// with its children, in file order. Memory holds one root and its
// children at a time: Shopify writes children after their parent and
// before the next root. A child whose parent is not the current root is
// an error.
func ParseBulkJSONL(r io.Reader, fn func(BulkLine) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var cur *BulkLine
	ids := make(map[string]bool) // the IDs in the current root, any depth
	flush := func() error {
		if cur == nil {
			return nil
		}
		err := fn(*cur)
		cur = nil
		clear(ids)
		return err
	}
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return fmt.Errorf("shopify bulk result line %d: %w", n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var head struct {
			ParentID string `json:"__parentId"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return fmt.Errorf("shopify bulk result line %d: %w", n, err)
		}
		if head.ParentID == "" {
			if err := flush(); err != nil {
				return err
			}
			cur = &BulkLine{Object: line}
			collectIDs(line, ids)
			continue
		}
		if cur == nil || !ids[head.ParentID] {
			return fmt.Errorf("shopify bulk result line %d: parent %s is not the current object", n, head.ParentID)
		}
		cur.Children = append(cur.Children, line)
		collectIDs(line, ids)
	}
}

// readLine reads one line without its newline, at most maxBulkLine long.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			if err == io.EOF && len(out) > 0 {
				return out, nil
			}
			return nil, err
		}
		out = append(out, chunk...)
		if len(out) > maxBulkLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxBulkLine)
		}
		if !isPrefix {
			return out, nil
		}
	}
}

// collectIDs adds every "id" value of a JSON object, nested ones too.
func collectIDs(line []byte, ids map[string]bool) {
	var v any
	if json.Unmarshal(line, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["id"].(string); ok {
				ids[id] = true
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
}

// download streams a bulk result file to ParseBulkJSONL.
func (c *Client) download(ctx context.Context, url string, fn func(BulkLine) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("shopify: bulk result: %w", err)
	}
	resp, err := c.files.Do(req)
	if err != nil {
		return kontor.NewError(kontor.KindRetryable, "shopify bulk result", err)
	}
	defer resp.Body.Close()
	if err := transport.CheckResponse("shopify", "GET bulk result", resp); err != nil {
		return err
	}
	return ParseBulkJSONL(resp.Body, fn)
}

// stockBulkQuery reads every variant with its inventory levels: one
// connection nested in another, as bulk queries allow.
const stockBulkQuery = `{ productVariants { edges { node { id sku inventoryItem { id updatedAt inventoryLevels { edges { node { updatedAt location { id } quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity } } } } } } } } }`

// BulkReadStock reads the whole catalog's stock levels with one bulk
// query and hands each to fn as it streams in: the full read for a
// catalog too large to page through (see ReadStock for the fields).
func (c *Client) BulkReadStock(ctx context.Context, fn func(kontor.StockLevel) error) error {
	if err := c.loadLocations(ctx); err != nil {
		return err
	}
	op, err := c.RunBulkQuery(ctx, stockBulkQuery)
	if err != nil {
		return err
	}
	if op, err = c.WaitBulk(ctx, op.ID); err != nil {
		return err
	}
	if op.URL == nil || *op.URL == "" {
		return nil // no objects
	}
	return c.download(ctx, *op.URL, func(l BulkLine) error {
		var v struct {
			ID            string
			SKU           *string `json:"sku"`
			InventoryItem struct {
				ID        string
				UpdatedAt time.Time
			}
		}
		if err := json.Unmarshal(l.Object, &v); err != nil {
			return fmt.Errorf("shopify bulk stock: %w", err)
		}
		sku := deref(v.SKU)
		if sku == "" {
			return nil
		}
		c.remember(sku, itemRef{variant: v.ID, inventoryItem: v.InventoryItem.ID})
		for _, ch := range l.Children {
			var lvl levelNode
			if err := json.Unmarshal(ch, &lvl); err != nil {
				return fmt.Errorf("shopify bulk stock: %w", err)
			}
			s := kontor.StockLevel{
				Meta:      kontor.Meta{ShopKey: v.InventoryItem.ID + "@" + lvl.Location.ID, UpdatedAt: laterOf(v.InventoryItem.UpdatedAt, lvl.UpdatedAt)},
				SKU:       sku,
				Location:  c.warehouseOf(lvl.Location.ID),
				Available: decimal.NewFromInt(quantity(lvl, "available")),
				OnHand:    decimal.NewFromInt(quantity(lvl, "on_hand")),
				Reserved:  decimal.NewFromInt(quantity(lvl, "committed")),
				Incoming:  decimal.NewFromInt(quantity(lvl, "incoming")),
			}
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	})
}

type stagedUploadsCreate struct {
	StagedUploadsCreate struct {
		StagedTargets []struct {
			URL         *string `graphql:"url"`
			ResourceURL *string `graphql:"resourceUrl"`
			Parameters  []struct {
				Name  string
				Value string
			}
		}
		UserErrors []userError
	} `graphql:"stagedUploadsCreate(input: $input)"`
}

type stagedUploadInput struct {
	Resource   string `json:"resource"`
	Filename   string `json:"filename"`
	MimeType   string `json:"mimeType"`
	HTTPMethod string `json:"httpMethod"`
}

func (stagedUploadInput) GetGraphQLType() string { return "StagedUploadInput" }

// maxBulkFile is Shopify's limit on a bulk mutation's variables file.
const maxBulkFile = 100 << 20

// upload stages a JSONL file and returns its stagedUploadPath (the key
// parameter of the staged target).
func (c *Client) upload(ctx context.Context, filename string, data []byte) (string, error) {
	var m stagedUploadsCreate
	in := []stagedUploadInput{{Resource: "BULK_MUTATION_VARIABLES", Filename: filename, MimeType: "text/jsonl", HTTPMethod: "POST"}}
	if err := c.mutate(ctx, "StagedUploadsCreate", &m, map[string]any{"input": in}, true); err != nil {
		return "", err
	}
	if err := plainUserErr("bulk", filename, m.StagedUploadsCreate.UserErrors); err != nil {
		return "", err
	}
	if len(m.StagedUploadsCreate.StagedTargets) == 0 || m.StagedUploadsCreate.StagedTargets[0].URL == nil {
		return "", errors.New("shopify stagedUploadsCreate: no target in the answer")
	}
	t := m.StagedUploadsCreate.StagedTargets[0]
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	key := ""
	for _, p := range t.Parameters {
		if p.Name == "key" {
			key = p.Value
		}
		if err := mw.WriteField(p.Name, p.Value); err != nil {
			return "", err
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		return "", err
	}
	if _, err := fw.Write(data); err != nil {
		return "", err
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(transport.WithIdempotent(ctx), http.MethodPost, *t.URL, bytes.NewReader(body.Bytes()))
	if err != nil {
		return "", fmt.Errorf("shopify staged upload: %w", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.files.Do(req)
	if err != nil {
		return "", kontor.NewError(kontor.KindRetryable, "shopify staged upload", err)
	}
	defer drain(resp)
	if err := transport.CheckResponse("shopify", "POST staged upload", resp); err != nil {
		return "", err
	}
	if key == "" {
		return "", errors.New("shopify staged upload: the target has no key parameter")
	}
	return key, nil
}

// WriteProductsBulk upserts a large catalog (10,000 products and more)
// with one bulk mutation of productSet: the same inputs and identity as
// WriteProducts, in one staged JSONL file, one line per product. It
// returns one result per product; a product that succeeded is Updated
// (the bulk result does not tell a create from an update). Invalid
// products fail alone and are left out of the file.
func (c *Client) WriteProductsBulk(ctx context.Context, products []kontor.Product) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]kontor.Result, len(products))
	var file bytes.Buffer
	var lines []int // line number → product index
	enc := json.NewEncoder(&file)
	for i := range products {
		p := &products[i]
		out[i].Key = p.Key()
		in, err := c.productInput(p)
		if err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		if err := c.resolveCollections(ctx, p, in); err != nil {
			return nil, err
		}
		if err := enc.Encode(map[string]any{"input": *in, "identifier": c.identifier(p)}); err != nil {
			return nil, err
		}
		if file.Len() > maxBulkFile {
			return nil, kontor.NewError(kontor.KindPermanent, "shopify bulk products",
				fmt.Errorf("the variables file passes Shopify's %d MB limit at product %d: write fewer at a time", maxBulkFile>>20, i))
		}
		lines = append(lines, i)
	}
	if len(lines) == 0 {
		return out, nil
	}
	key, err := c.upload(ctx, "products.jsonl", file.Bytes())
	if err != nil {
		return nil, err
	}
	mutation, err := graphql.ConstructMutation(&productSet{}, map[string]any{"input": productSetInput{}, "identifier": productSetIdentifiers{}})
	if err != nil {
		return nil, err
	}
	var m bulkRunMutation
	if err := c.mutate(ctx, "BulkOperationRunMutation", &m, map[string]any{"mutation": mutation, "stagedUploadPath": key}, false); err != nil {
		return nil, err
	}
	if err := userErr("bulk", "products", m.BulkOperationRunMutation.UserErrors); err != nil {
		return nil, err
	}
	if m.BulkOperationRunMutation.BulkOperation == nil {
		return nil, errors.New("shopify bulkOperationRunMutation: no operation in the answer")
	}
	op, err := c.WaitBulk(ctx, m.BulkOperationRunMutation.BulkOperation.ID)
	if err != nil {
		return nil, err
	}
	seen := make([]bool, len(lines))
	if op.URL != nil && *op.URL != "" {
		err = c.download(ctx, *op.URL, func(l BulkLine) error {
			var r struct {
				Data struct {
					ProductSet struct {
						Product *struct {
							ID        string    `json:"id"`
							UpdatedAt time.Time `json:"updatedAt"`
						} `json:"product"`
						UserErrors []codedUserError `json:"userErrors"`
					} `json:"productSet"`
				} `json:"data"`
				Errors     []struct{ Message string } `json:"errors"`
				LineNumber int                        `json:"__lineNumber"`
			}
			if err := json.Unmarshal(l.Object, &r); err != nil {
				return fmt.Errorf("shopify bulk products result: %w", err)
			}
			if r.LineNumber < 0 || r.LineNumber >= len(lines) {
				return fmt.Errorf("shopify bulk products result: line number %d out of range", r.LineNumber)
			}
			seen[r.LineNumber] = true
			i := lines[r.LineNumber]
			ps := r.Data.ProductSet
			switch {
			case len(ps.UserErrors) > 0:
				out[i].Outcome, out[i].Err = kontor.Failed, userErr(kontor.EntityProduct, out[i].Key, ps.UserErrors)
			case len(r.Errors) > 0 || ps.Product == nil:
				msg := "no product in the result"
				if len(r.Errors) > 0 {
					msg = transport.DefaultRedactor.String(r.Errors[0].Message)
				}
				out[i].Outcome, out[i].Err = kontor.Failed, kontor.NewError(kontor.KindRetryable, "shopify bulk productSet", errors.New(msg))
			default:
				out[i].Outcome, out[i].Target = kontor.Updated, kontor.Meta{ShopKey: ps.Product.ID, UpdatedAt: ps.Product.UpdatedAt}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for k, ok := range seen {
		if !ok {
			i := lines[k]
			out[i].Outcome, out[i].Err = kontor.Failed, kontor.NewError(kontor.KindRetryable, "shopify bulk productSet",
				errors.New("the bulk result has no line for this product"))
		}
	}
	return out, nil
}
