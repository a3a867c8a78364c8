package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer"
)

// detailLines is how many changes and failures the plan lists per flow.
const detailLines = 5

// plan runs every flow as a dry run and prints what it would do: a table
// of creates, updates, archives and write requests per flow, then the
// first changes and failures of each. It returns an error when a flow
// could not be planned (a system unreachable, a credential refused).
func (a *app) plan(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "Dry run: nothing is written to Business Central, Shopify or the state. Run with -apply to sync.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Mappings:")
	for _, e := range slices.Sorted(maps.Keys(a.maps.versions)) {
		fmt.Fprintf(w, "  %-9s %s\n", e, a.maps.versions[e])
	}
	fmt.Fprintln(w)

	plans := make([]syncer.Plan, 0, len(a.s.Flows()))
	var errs []error
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\tfrom → to\tcreate\tupdate\tarchive\tunchanged\tfailing\twrite requests\t")
	for _, fs := range a.s.Status() {
		p, err := a.s.Plan(ctx, fs.Name)
		if err != nil {
			errs = append(errs, err)
			fmt.Fprintf(tw, "%s\t%s → %s\t\t\t\t\t\tcannot plan\t\n", fs.Name, fs.Source, fs.Target)
			continue
		}
		plans = append(plans, p)
		c, u, ar := p.Counts()
		fmt.Fprintf(tw, "%s\t%s → %s\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
			fs.Name, fs.Source, fs.Target, c, u, ar, p.Unchanged, len(p.Failures), p.Requests)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, sf := range a.skipped {
		fmt.Fprintf(w, "  (%s is not set up: %s)\n", sf.name, sf.why)
	}

	for _, p := range plans {
		if len(p.Changes) == 0 && len(p.Failures) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", p.Flow)
		entity := entityOf(a.s, p.Flow)
		for i, c := range p.Changes {
			if i == detailLines {
				fmt.Fprintf(w, "  … and %d more changes\n", len(p.Changes)-i)
				break
			}
			fmt.Fprintf(w, "  %-7s %s%s\n", c.Op, c.Key, fields(entity, c.Fields))
		}
		for i, f := range p.Failures {
			if i == detailLines {
				fmt.Fprintf(w, "  … and %d more failures\n", len(p.Failures)-i)
				break
			}
			fmt.Fprintf(w, "  %-7s %s: %s: %s\n", "fails", f.Key, f.Class, f.Error)
		}
	}
	for _, err := range errs {
		fmt.Fprintf(w, "\n%v\n", err)
	}
	return errors.Join(errs...)
}

// entityOf returns the entity of the named flow.
func entityOf(s *syncer.Syncer, flow string) kontor.Entity {
	for _, fs := range s.Status() {
		if fs.Name == flow {
			return fs.Entity
		}
	}
	return ""
}

// personal are the entities whose values carry personal data (names,
// addresses, e-mail addresses): their changes are listed by field name
// only, so a plan can be pasted into a ticket.
var personal = []kontor.Entity{kontor.EntityOrder, kontor.EntityCustomer, kontor.EntityReturn}

// fields summarises a change's fields: "title: "Old" → "New"" for the
// first few, the number of the others.
func fields(e kontor.Entity, fcs []syncer.FieldChange) string {
	if len(fcs) == 0 {
		return ""
	}
	const shown = 3
	// The entity's own fields first, then those kept in extra; the SKU is
	// the key already shown.
	fcs = slices.DeleteFunc(slices.Clone(fcs), func(fc syncer.FieldChange) bool { return fc.Path == "sku" })
	slices.SortStableFunc(fcs, func(a, b syncer.FieldChange) int {
		return cmpBool(strings.HasPrefix(a.Path, "extra."), strings.HasPrefix(b.Path, "extra."))
	})
	var b strings.Builder
	b.WriteString("  ")
	for i, fc := range fcs {
		if i == shown {
			fmt.Fprintf(&b, " (+%d more fields)", len(fcs)-shown)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		switch {
		case slices.Contains(personal, e):
			b.WriteString(fc.Path)
		case fc.Old == "":
			fmt.Fprintf(&b, "%s=%s", fc.Path, short(fc.New))
		default:
			fmt.Fprintf(&b, "%s: %s → %s", fc.Path, short(fc.Old), short(fc.New))
		}
	}
	return b.String()
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// short cuts a JSON value to a length that fits a line.
func short(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}
