package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

// The engine's state in an SQLite file: a second process (here, a second
// Syncer on the reopened file) knows what the first one wrote.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kontor-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kontor.db")

	erp, shop := memerp.New(), memshop.New()
	for i := range 5 {
		if _, err := erp.PutProduct(kontortest.SampleProduct(i)); err != nil {
			panic(err)
		}
	}
	for run := range 2 {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			panic(err)
		}
		s := syncer.New(st)
		if err := s.Add(syncer.Products(erp, shop)); err != nil {
			panic(err)
		}
		rep, err := s.Sync(ctx, "products")
		if err != nil {
			panic(err)
		}
		fmt.Printf("run %d: created %d, unchanged %d, requests %d\n", run+1, rep.Created, rep.Unchanged, rep.Requests)
		if err := st.Close(); err != nil {
			panic(err)
		}
	}
	// Output:
	// run 1: created 5, unchanged 0, requests 1
	// run 2: created 0, unchanged 5, requests 0
}
