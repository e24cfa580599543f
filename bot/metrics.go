package bot

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/buildinfo"
)

// Metrics are the bot's Prometheus metrics, on a registry of their own (so that tests can make
// several). A nil *Metrics records nothing.
type Metrics struct {
	registry *prometheus.Registry

	requests        *prometheus.CounterVec
	claims          *prometheus.CounterVec
	outboxPending   prometheus.Gauge
	outboxParked    prometheus.Gauge
	deliveries      *prometheus.CounterVec
	deliveryLatency prometheus.Histogram
	reminders       prometheus.Counter
}

// NewMetrics registers the bot's metrics, with the Go runtime's and the process's, on a new
// registry:
//
//	guichet_requests_total{endpoint,outcome}     requests to the bot's endpoints
//	guichet_claims_total{outcome}                 claims from buttons and dialogs
//	guichet_outbox_pending, guichet_outbox_parked outbox rows waiting, parked
//	guichet_outbox_deliveries_total{kind,outcome} delivery attempts
//	guichet_outbox_delivery_seconds               from a row's creation to its delivery
//	guichet_reminders_sent_total                  reminder messages delivered through the outbox
//	guichet_build_info{version,commit,goversion}  1, naming the running binary (see buildinfo)
func NewMetrics() *Metrics {
	build := buildinfo.Read()
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "guichet_build_info", Help: "Always 1; its labels name the running binary's version, commit and Go release.",
		ConstLabels: prometheus.Labels{"version": build.Version, "commit": build.Commit, "goversion": build.GoVersion},
	})
	buildInfo.Set(1)
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guichet_requests_total", Help: "Requests to the bot's endpoints, by endpoint and outcome.",
		}, []string{"endpoint", "outcome"}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guichet_claims_total", Help: "Claims made from buttons and dialogs, by outcome.",
		}, []string{"outcome"}),
		outboxPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "guichet_outbox_pending", Help: "Outbox messages waiting for delivery.",
		}),
		outboxParked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "guichet_outbox_parked", Help: "Outbox messages parked after a permanent refusal.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guichet_outbox_deliveries_total", Help: "Outbox delivery attempts, by kind and outcome (delivered, retry, parked).",
		}, []string{"kind", "outcome"}),
		deliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "guichet_outbox_delivery_seconds",
			Help:    "Time from an outbox message's creation to its delivery.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600},
		}),
		reminders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "guichet_reminders_sent_total", Help: "Reminders delivered.",
		}),
	}
	m.registry.MustRegister(m.requests, m.claims, m.outboxPending, m.outboxParked, m.deliveries,
		m.deliveryLatency, m.reminders, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ReminderSent counts one reminder delivered outside the outbox; those delivered through it
// (kind guichet.OutboxReminder) are counted by the dispatcher.
func (m *Metrics) ReminderSent() {
	if m != nil {
		m.reminders.Inc()
	}
}

func (m *Metrics) request(endpoint, outcome string) {
	if m != nil {
		m.requests.WithLabelValues(endpoint, outcome).Inc()
	}
}

func (m *Metrics) claim(outcome string) {
	if m != nil {
		m.claims.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) outbox(pending, parked int) {
	if m != nil {
		m.outboxPending.Set(float64(pending))
		m.outboxParked.Set(float64(parked))
	}
}

func (m *Metrics) delivery(kind, outcome string, latency time.Duration) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(kind, outcome).Inc()
	if outcome == "delivered" && latency >= 0 {
		m.deliveryLatency.Observe(latency.Seconds())
	}
	if outcome == "delivered" && kind == string(guichet.OutboxReminder) {
		m.reminders.Inc()
	}
}
