package kontor

import (
	"context"
	"time"
)

// Event is a real-time hint that something changed in a system: a verified
// webhook delivery, an ERP change notification. A connector's webhook
// endpoint turns what its system sends into Events and hands them to an
// EventHandler, normally the engine's inbox. Events are hints: the engine's
// reconciling sweep stays the truth, so an event may be lost, repeated or
// arrive out of order without losing or duplicating anything.
type Event struct {
	// ID is the sender's delivery or event id; a repeat of an id is
	// dropped.
	ID string `json:"id"`
	// Topic is the sender's name for what happened, e.g. "orders/create".
	Topic string `json:"topic,omitempty"`
	// Entity is the entity the event is about, when the connector knows
	// it; empty for events the engine need not act on.
	Entity Entity `json:"entity,omitempty"`
	// Key is the key of the entity it names, when known.
	Key string `json:"key,omitempty"`
	// Payload is the entity as Kontor JSON (a Product, an Order, ...)
	// when the connector could build it from the delivery, else empty: an
	// event without a payload makes the flow read its source again.
	Payload []byte `json:"payload,omitempty"`
	// At is when the sender says the change happened; zero if unknown.
	At time.Time `json:"at,omitzero"`
}

// EventHandler receives the events a connector's webhook endpoint verified.
// It returns once the event is stored; an error makes the endpoint refuse
// the delivery, so the sender (where it retries) sends it again.
type EventHandler func(ctx context.Context, ev Event) error
