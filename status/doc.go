// Package status shows what a running Syncer does: a status page for
// people, JSON for machines, and Prometheus metrics.
//
// # The page
//
// Handler serves, relative to where it is mounted:
//
//	GET  /                              the status page (HTML, no build step)
//	GET  /status.json                   the same as JSON
//	GET  /events                        server-sent events: the JSON again on every change
//	POST /dead-letters/{id}/replay      replays one dead letter (operator)
//
// For each flow it shows the last and the next sweep, items synced, what
// is in the dead letters (with the reason and an excerpt of the payload
// with personal data masked), events the webhooks missed and the sweep
// found, and rate-limit waits; below, the audit trail, newest first. The
// page updates itself while flows run: a few lines of inline script listen
// to /events and swap in the re-rendered flows.
//
// # Roles
//
// The page is read-only by default. WithAuth decides each request's role:
// RoleViewer may look, RoleOperator may also replay dead letters. Without
// WithAuth every request is a viewer and nobody can replay.
// BearerTokens is a ready-made decision by Authorization header.
//
// # Metrics
//
// Collector exposes a Syncer's counters as Prometheus metrics with only
// low-cardinality labels (flow, source, target, outcome), never a SKU or
// an order number. Register it on a registry of your own: library code
// never touches the global one.
package status
