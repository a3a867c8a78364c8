package postgres

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
)

// envChildSchema tells a copy of this test binary that it is a child
// process of TestProcessesShareSchema, and on which schema to work.
const envChildSchema = "KONTOR_TEST_CHILD_SCHEMA"

const (
	childProcesses = 3
	childAppends   = 10 // AppendAudit calls per process
	childBatch     = 5  // records per call
)

// TestProcessesShareSchema runs copies of this test binary as separate
// processes against one schema, all at once: each opens the store (the
// first migrates it), appends audit records, adds one webhook event and
// begins one write. Across processes the Seqs have no gaps, the event is
// added once and every process gets the first idempotency key.
func TestProcessesShareSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.SchemaName(t) // the children create it
	var (
		wg   sync.WaitGroup
		outs [childProcesses]bytes.Buffer
		errs [childProcesses]error
	)
	for i := range childProcesses {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envChildSchema+"="+schema, pgtest.EnvDSN+"="+dsn, fmt.Sprintf("KONTOR_TEST_CHILD_ID=%d", i))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()
	var added int
	keys := map[string]int{}
	for i := range childProcesses {
		if errs[i] != nil {
			t.Fatalf("child %d: %v\n%s", i, errs[i], outs[i].String())
		}
		sc := bufio.NewScanner(&outs[i])
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "added="); ok && v == "true" {
				added++
			}
			if v, ok := strings.CutPrefix(sc.Text(), "idempotency="); ok {
				keys[v]++
			}
		}
	}
	if added != 1 {
		t.Errorf("%d processes added one event: %d report added, want 1", childProcesses, added)
	}
	if len(keys) != 1 {
		t.Errorf("%d processes began one write: keys %v, want one key for all", childProcesses, keys)
	}
	s := openStore(t, dsn, schema)
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	must(t, err)
	const want = childProcesses * childAppends * childBatch
	if len(recs) != want {
		t.Fatalf("%d audit records, want %d", len(recs), want)
	}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("Audit[%d].Seq = %d, want %d: Seqs across processes must run without gaps", i, r.Seq, i+1)
		}
	}
}

// TestChildProcess is TestProcessesShareSchema's child; it does nothing in
// a normal run.
func TestChildProcess(t *testing.T) {
	schema := os.Getenv(envChildSchema)
	if schema == "" {
		t.Skip("runs only as a child of TestProcessesShareSchema")
	}
	id := os.Getenv("KONTOR_TEST_CHILD_ID")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, os.Getenv(pgtest.EnvDSN), Schema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for c := range childAppends {
		recs := make([]store.AuditRecord, childBatch)
		for r := range recs {
			recs[r] = store.AuditRecord{Flow: "products", Key: fmt.Sprintf("p%s-c%d-r%d", id, c, r)}
		}
		if err := s.AppendAudit(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-" + id, PayloadHash: 42})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.BeginWrite(ctx, "orders", "1001", 7, "idem-"+id)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("added=%v\nidempotency=%s\n", added, w.IdempotencyKey)
}
