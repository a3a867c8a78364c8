package kontor

import (
	"slices"
	"time"
)

// Meta is what every entity carries besides its data: its keys in both
// worlds and what orders its versions. The key people use (a SKU, an order
// number) is a field of the entity itself.
type Meta struct {
	// ERPKey is the entity's key in the ERP: an item number, a document
	// number, a GUID.
	ERPKey string `json:"erp_key,omitempty"`
	// ShopKey is the entity's key in the shop: a product ID, a GraphQL GID.
	ShopKey string `json:"shop_key,omitempty"`
	// Version is a counter that grows with every change where the source
	// system has one (a row version, a change sequence); 0 when unknown.
	Version int64 `json:"version,omitempty"`
	// UpdatedAt is when the source system last changed the entity.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Identity returns the Meta itself. Every entity embeds Meta, so generic
// code reaches any entity's keys and version through this method.
func (m *Meta) Identity() *Meta { return m }

// Newer reports whether m describes a later state of the entity than o:
// by Version when both have one, else by UpdatedAt. Equal states are not
// newer, so a replayed event is never applied over itself.
func (m Meta) Newer(o Meta) bool {
	if m.Version != 0 && o.Version != 0 {
		return m.Version > o.Version
	}
	return m.UpdatedAt.After(o.UpdatedAt)
}

// sortedKeys returns m's keys in order, for hashing maps deterministically.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
