package woocommercetest

import (
	"net/http"
	"strconv"
)

// This file serves the batch endpoints as WC_REST_Controller::batch_items
// does: {"create":[…],"update":[…],"delete":[ids]} with at most the batch
// limit of objects in all three together (413
// woocommerce_rest_request_entity_too_large beyond it); each object handled
// on its own, in the order create, update, delete; a failed object answered
// in its place as {"id":…,"error":{"code","message","data"}} inside an HTTP
// 200 response (id 0 for a failed create, the object's id otherwise);
// deletes forced; only the lists the request carried in the response, and
// an empty request answered with [].
//
// The objects of a batch skip WordPress' schema check, as in WooCommerce:
// their values are cast as the setters cast them ("5" → 5, 9.5 → "9.5").
// The fake still rejects, per object, values it cannot store: an unknown
// enum value, a malformed date or amount (WooCommerce would store those).

type batchOps struct {
	schema []field
	create func(c *call, raw, in map[string]any) (*reply, *wpError)
	update func(c *call, id int64, in map[string]any) (*reply, *wpError)
	delete func(c *call, id int64) (*reply, *wpError)
}

func (s *Server) batch(c *call, ops batchOps) (*reply, *wpError) {
	raw, err := decodeBody(c.body)
	if err != nil {
		return nil, err
	}
	var perrs []paramError
	lists := map[string][]any{}
	for _, name := range []string{"create", "update", "delete"} {
		v, present := raw[name]
		if !present {
			continue
		}
		arr, isArr := v.([]any)
		if !isArr {
			perrs = append(perrs, typeError(name, "array"))
			continue
		}
		for i, item := range arr {
			if name == "delete" {
				if _, isInt := restInteger(item); !isInt {
					perrs = append(perrs, typeErrorAt(name, i, "integer"))
					break
				}
			} else if _, isObj := item.(map[string]any); !isObj {
				perrs = append(perrs, typeErrorAt(name, i, "object"))
				break
			}
		}
		if len(arr) > 0 {
			lists[name] = arr
		}
	}
	if len(perrs) > 0 {
		return nil, errInvalidParams(perrs)
	}
	total := len(lists["create"]) + len(lists["update"]) + len(lists["delete"])
	if total > s.cfg.batchLimit {
		return nil, newError(http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large",
			"Unable to accept more than "+strconv.Itoa(s.cfg.batchLimit)+" items for this request.")
	}
	c.items = total

	s.mu.Lock()
	defer s.mu.Unlock()
	s.batchItems += total
	resp := object{}
	failed := func(id any, e *wpError) object {
		return object{{"id", id}, {"error", object{{"code", e.Code}, {"message", e.Message}, {"data", append(object{{"status", e.Status}}, e.Extra...)}}}}
	}
	if items := lists["create"]; items != nil {
		var out []any
		for _, item := range items {
			m := item.(map[string]any)
			in, err := checkFields(m, ops.schema, false, s.cfg.loc)
			var rep *reply
			if err == nil {
				rep, err = ops.create(c, m, in)
			}
			if err != nil {
				out = append(out, failed(0, err))
				continue
			}
			out = append(out, rep.body)
		}
		resp = append(resp, kv{"create", out})
	}
	if items := lists["update"]; items != nil {
		var out []any
		for _, item := range items {
			m := item.(map[string]any)
			id, _ := restInteger(m["id"])
			in, err := checkFields(m, ops.schema, false, s.cfg.loc)
			var rep *reply
			if err == nil {
				rep, err = ops.update(c, id, in)
			}
			if err != nil {
				out = append(out, failed(m["id"], err))
				continue
			}
			out = append(out, rep.body)
		}
		resp = append(resp, kv{"update", out})
	}
	if items := lists["delete"]; items != nil {
		var out []any
		for _, item := range items {
			id, _ := restInteger(item)
			if id == 0 {
				continue
			}
			rep, err := ops.delete(c, id)
			if err != nil {
				out = append(out, failed(id, err))
				continue
			}
			out = append(out, rep.body)
		}
		resp = append(resp, kv{"delete", out})
	}
	if len(resp) == 0 {
		return ok([]any{}), nil
	}
	return ok(resp), nil
}

func (s *Server) batchProducts(c *call) (*reply, *wpError) {
	return s.batch(c, batchOps{
		schema: productSchema,
		create: s.createProductLocked,
		update: s.updateProductLocked,
		delete: func(c *call, id int64) (*reply, *wpError) { return s.deleteProductLocked(c, id, true) },
	})
}

func (s *Server) batchVariations(c *call) (*reply, *wpError) {
	s.mu.Lock()
	_, err := s.parentOf(c, http.StatusNotFound)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.batch(c, batchOps{
		schema: variationSchema,
		create: s.createVariationLocked,
		update: s.updateVariationLocked,
		delete: func(c *call, id int64) (*reply, *wpError) { return s.deleteVariationLocked(c, id, true) },
	})
}
