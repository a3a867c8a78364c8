package status_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/status"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
)

// The status page and metrics of a Syncer: mount the Handler under a
// path, register the Collector on a registry of your own.
func Example() {
	ctx := context.Background()
	erp, shop := memerp.New(), memshop.New()
	for i := range 3 {
		if _, err := erp.PutProduct(kontortest.SampleProduct(i)); err != nil {
			panic(err)
		}
	}
	s := syncer.New(store.NewMemory())
	if err := s.Add(syncer.Products(erp, shop)); err != nil {
		panic(err)
	}
	if _, err := s.Sync(ctx, "products"); err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/status/", http.StripPrefix("/status", status.Handler(s,
		status.WithAuth(status.BearerTokens(map[string]status.Role{"operator-secret": status.RoleOperator}, true)))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/status/status.json")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var snap status.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		panic(err)
	}
	for _, f := range snap.Flows {
		fmt.Printf("%s (%s → %s): created %d, in dead letters %d\n", f.Name, f.Source, f.Target, f.Totals.Created, f.DeadLetters)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(status.Collector(s))
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(mfs), "metric families")
	// Output:
	// products (memerp → memshop): created 3, in dead letters 0
	// 9 metric families
}
