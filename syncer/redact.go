package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// redactFlow and redactKey are the flow and key of the audit record of an
// erasure: it belongs to no flow, and names no key.
const (
	redactFlow = "redact"
	redactKey  = "redacted"
)

// Redact erases the personal data the engine keeps of the given keys of
// entity: for Shopify's customers/redact (which names a customer and the
// orders to redact) and any other erasure request, such as one under the
// GDPR. RedactAll erases all of an entity, for shop/redact.
//
// The store erases, in one transaction (see store.RedactCounts): the dead
// letters of the keys are deleted, their inbox events lose payload and key
// (a redelivery is still dropped as a duplicate), their links are deleted,
// and their audit records get a placeholder for the key, keeping Seqs and
// fingerprints. Redact then appends an audit record of the erasure itself
// (flow "redact", Op store.OpRedact, key "redacted", the reason and the
// counts in Error) and logs the counts. Neither names a key.
//
// reason says why, e.g. "shopify customers/redact" or "gdpr request
// 2025-117". It is stored and logged, so it must hold no personal data: no
// e-mail address, name or customer id. A reason that quotes one of the
// keys is refused, as is an empty one, before anything is erased.
//
// Keys are the engine's keys, those its flows use (the order number, the
// customer key): map a webhook's ids to them first. Call Redact once per
// entity: for customers/redact, once with the customer's key and once with
// the orders' keys. It is idempotent: a repeated call erases nothing more
// and records an erasure with zero counts, so a caller may retry a failed
// one. A call without keys does nothing: to erase every key, call
// RedactAll.
//
// It does not reach the connected systems, which keep their own data;
// item states and write records, which keep the key with fingerprints
// only; inbox events that came without a key; or an item a flow read
// before the erasure and fails after it, which goes to the dead letters
// again: run Redact again once the source no longer holds the person.
func (s *Syncer) Redact(ctx context.Context, entity kontor.Entity, keys []string, reason string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := checkReason(reason, keys); err != nil {
		return err
	}
	log := s.cfg.logger.With("entity", string(entity), "keys", len(keys), "reason", reason)
	c, err := s.store.Redact(ctx, entity, keys)
	return s.recordErasure(ctx, log, entity, reason, "erased", c, err)
}

// RedactAll erases the personal data the engine keeps of every key of
// entity: for Shopify's shop/redact, sent 48 hours after a shop removed
// the app, which asks to erase everything stored about the shop's
// customers (call it for the customers, the orders and the returns).
//
// The store erases, in one transaction, what Redact erases of every key
// of the entity (see store.Store's RedactAll), and the payloads of the
// entity's inbox events that came without a key. RedactAll then records
// and logs the erasure as Redact does, the audit record's Error starting
// "<reason>: erased all: ". The reason rules are Redact's: not empty, no
// personal data. It is idempotent: a repeated call erases nothing more
// and records an erasure with zero counts.
//
// The store holds the data of every shop and system the engine syncs: an
// engine serving several shops from one store erases the entity's records
// of all of them. What Redact says it does not reach holds here too.
func (s *Syncer) RedactAll(ctx context.Context, entity kontor.Entity, reason string) error {
	if err := checkReason(reason, nil); err != nil {
		return err
	}
	log := s.cfg.logger.With("entity", string(entity), "keys", "all", "reason", reason)
	c, err := s.store.RedactAll(ctx, entity)
	return s.recordErasure(ctx, log, entity, reason, "erased all:", c, err)
}

// recordErasure finishes an erasure the store ran (c, err): it logs a
// failure, or appends the audit record of the erasure and logs its counts.
// what starts the counts in the record's Error.
func (s *Syncer) recordErasure(ctx context.Context, log *slog.Logger, entity kontor.Entity, reason, what string, c store.RedactCounts, err error) error {
	if err != nil {
		log.Error("syncer: erasure failed", "kind", kontor.KindOf(err).String(), "error", err)
		return fmt.Errorf("syncer: redact: %w", err)
	}
	rec := store.AuditRecord{Flow: redactFlow, Entity: entity, Key: redactKey, Op: store.OpRedact,
		Outcome: kontor.Updated, At: s.cfg.now(),
		Error: fmt.Sprintf("%s: %s %d dead letters, %d inbox payloads, %d links, %d audit keys",
			reason, what, c.DeadLetters, c.InboxEvents, c.Links, c.AuditRecords)}
	if c.Total() == 0 {
		rec.Outcome = kontor.Unchanged
	}
	counts := []any{"dead_letters", c.DeadLetters, "inbox_events", c.InboxEvents, "links", c.Links, "audit_records", c.AuditRecords}
	if err := s.store.AppendAudit(ctx, []store.AuditRecord{rec}); err != nil {
		log.Error("syncer: personal data erased, but its audit record failed", append(counts, "error", err)...)
		return fmt.Errorf("syncer: redact: personal data erased, but recording the erasure failed: %w", err)
	}
	log.Info("syncer: personal data erased", counts...)
	return nil
}

// checkReason refuses an empty reason and one that quotes a key: it is
// stored and logged. The error quotes neither.
func checkReason(reason string, keys []string) error {
	if strings.TrimSpace(reason) == "" {
		return kontor.NewError(kontor.KindValidation, "syncer: redact", errors.New("reason: empty; say why, e.g. \"shopify customers/redact\""))
	}
	for i, k := range keys {
		if k != "" && strings.Contains(reason, k) {
			return kontor.NewError(kontor.KindValidation, "syncer: redact",
				fmt.Errorf("reason: quotes keys[%d], personal data; give one without it, e.g. \"shopify customers/redact\"", i))
		}
	}
	return nil
}
