package status

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kontor-dev/kontor/syncer"
)

// collector reads a Syncer's status on every scrape.
type collector struct {
	s                                   *syncer.Syncer
	items, requests, missed, waits      *prometheus.Desc
	waited, runs, lastSweep, running, e *prometheus.Desc
}

// Collector returns a prometheus.Collector of s's counters since it was
// built. Register it on your own registry; labels are flow, source,
// target and, for items, outcome — never an item's key.
func Collector(s *syncer.Syncer) prometheus.Collector {
	labels := []string{"flow", "source", "target"}
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("kontor_flow_"+name, help, append(append([]string(nil), labels...), extra...), nil)
	}
	return &collector{
		s:         s,
		items:     d("items_total", "Items a flow handled, by outcome.", "outcome"),
		requests:  d("write_requests_total", "Write calls a flow made to its target."),
		missed:    d("missed_events_total", "Items the sweep wrote that no webhook event had announced."),
		waits:     d("rate_limit_waits_total", "Times a rate limit made a flow wait."),
		waited:    d("rate_limit_wait_seconds_total", "Time a flow spent waiting for rate limits."),
		runs:      d("runs_total", "Finished runs: sweeps, event batches, replays, write jobs."),
		lastSweep: d("last_sweep_timestamp_seconds", "When the flow's last sweep finished, as a Unix time."),
		running:   d("running", "1 while a run of the flow is under way."),
		e:         d("failing", "1 when the flow's last run failed as a whole."),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.items, c.requests, c.missed, c.waits, c.waited, c.runs, c.lastSweep, c.running, c.e} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.s.Status() {
		l := []string{f.Name, f.Source, f.Target}
		t := f.Totals
		for _, o := range []struct {
			name string
			n    int
		}{
			{"created", t.Created}, {"updated", t.Updated}, {"unchanged", t.Unchanged}, {"stale", t.Stale},
			{"echo", t.Echoes}, {"dead_lettered", t.DeadLettered}, {"replayed", t.Replayed}, {"enqueued", t.Enqueued},
		} {
			ch <- prometheus.MustNewConstMetric(c.items, prometheus.CounterValue, float64(o.n), append(l, o.name)...)
		}
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(t.Requests), l...)
		ch <- prometheus.MustNewConstMetric(c.missed, prometheus.CounterValue, float64(t.Missed), l...)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(t.Waits), l...)
		ch <- prometheus.MustNewConstMetric(c.waited, prometheus.CounterValue, t.Waited.Seconds(), l...)
		ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(f.Runs), l...)
		last := 0.0
		if !f.LastSweep.Finished.IsZero() {
			last = float64(f.LastSweep.Finished.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(c.lastSweep, prometheus.GaugeValue, last, l...)
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, b2f(f.Running), l...)
		ch <- prometheus.MustNewConstMetric(c.e, prometheus.GaugeValue, b2f(f.LastError != ""), l...)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
