package main

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roster-dev/roster/directory"
)

// metrics are Roster's Prometheus metrics (issue 14 #1), on a registry of
// their own. Instrumentation lives here, in the composition: the HTTP
// middleware, and the OnRun / OnSignIn hooks the feature packages expose,
// so no feature package imports Prometheus. Every label value comes from a
// fixed set — route patterns, methods, status codes, SCIM resource types,
// fixed reason codes — never a team, user, group or connection id or an
// email (TestMetricsLabelsBounded).
type metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	scimOps      *prometheus.CounterVec
	dirRuns      *prometheus.CounterVec
	dirDuration  prometheus.Histogram
	dirChanges   *prometheus.CounterVec
	dirSuccess   prometheus.Gauge
	ssoSignIns   *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	webhookTime  *prometheus.HistogramVec
}

func newMetrics(pool func() sql.DBStats) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_http_requests_total", Help: "HTTP requests by route pattern, method and status code."},
		[]string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "roster_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
		[]string{"route", "method"})
	m.scimOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_scim_operations_total", Help: "SCIM operations by resource type, operation and status code."},
		[]string{"resource", "op", "code"})
	m.dirRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_directory_runs_total", Help: "Directory sync runs by mode and result (ok or error)."},
		[]string{"mode", "result"})
	m.dirDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "roster_directory_run_duration_seconds", Help: "Directory sync run duration.",
		Buckets: []float64{.1, .5, 1, 5, 15, 30, 60, 120, 300, 900}})
	m.dirChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_directory_changes_total", Help: "Users changed by directory sync, by change."},
		[]string{"change"})
	m.dirSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "roster_directory_last_success_timestamp_seconds", Help: "When a directory sync run last succeeded on this replica (any connection)."})
	m.ssoSignIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_sso_signins_total", Help: "SAML sign-ins by result (ok or failed) and reason (a fixed code; empty on success)."},
		[]string{"result", "reason"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roster_webhook_deliveries_total", Help: "Webhook delivery attempts by result (delivered, retry, failed)."},
		[]string{"result"})
	m.webhookTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "roster_webhook_attempt_duration_seconds", Help: "Webhook delivery attempt latency by result.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
		[]string{"result"})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.scimOps, m.dirRuns, m.dirDuration, m.dirChanges, m.dirSuccess, m.ssoSignIns,
		m.webhooks, m.webhookTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		poolCollector{pool})
	return m
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observeRequest is logRequests' observer.
func (m *metrics) observeRequest(r *http.Request, info requestInfo) {
	code := strconv.Itoa(info.status)
	m.httpRequests.WithLabelValues(info.route, methodLabel(info.method), code).Inc()
	m.httpDuration.WithLabelValues(info.route, methodLabel(info.method)).Observe(info.duration.Seconds())
	if strings.HasPrefix(r.URL.Path, "/scim/v2/") {
		res, op := scimOp(r.Method, r.URL.Path)
		m.scimOps.WithLabelValues(res, op, code).Inc()
	}
}

// methodLabel keeps the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

// scimOp names a SCIM request by resource type and operation from its path,
// never carrying the id: GET /scim/v2/Users/abc is (Users, get).
func scimOp(method, path string) (resource, op string) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(path, "/scim/v2/"), "/"), "/")
	resource = "other"
	switch parts[0] {
	case "Users", "Groups", "Bulk", "Me", "ServiceProviderConfig", "Schemas", "ResourceTypes":
		resource = parts[0]
	}
	one := len(parts) > 1 && parts[1] != ""
	switch {
	case method == "GET" && one:
		op = "get"
	case method == "GET":
		op = "list"
	case method == "POST" && len(parts) > 1 && parts[1] == ".search":
		op = "search"
	case method == "POST":
		op = "create"
	case method == "PUT":
		op = "replace"
	case method == "PATCH":
		op = "patch"
	case method == "DELETE":
		op = "delete"
	default:
		op = "other"
	}
	return resource, op
}

// observeDirectoryRun is the directory syncer's OnRun hook.
func (m *metrics) observeDirectoryRun(now func() time.Time) func(directory.Report, error) {
	return func(rep directory.Report, err error) {
		mode := rep.Mode
		if mode != "full" && mode != "delta" {
			mode = "none"
		}
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.dirRuns.WithLabelValues(mode, result).Inc()
		m.dirDuration.Observe(float64(rep.DurationMS) / 1000)
		if rep.DryRun {
			return
		}
		m.dirChanges.WithLabelValues("created").Add(float64(rep.Created))
		m.dirChanges.WithLabelValues("updated").Add(float64(rep.Updated))
		m.dirChanges.WithLabelValues("deactivated").Add(float64(rep.Deactivated))
		m.dirChanges.WithLabelValues("deleted").Add(float64(rep.Deleted))
		if err == nil {
			m.dirSuccess.Set(float64(now().Unix()))
		}
	}
}

// observeSignIn is the SSO service's OnSignIn hook.
func (m *metrics) observeSignIn(reason string) {
	if reason == "" {
		m.ssoSignIns.WithLabelValues("ok", "").Inc()
		return
	}
	m.ssoSignIns.WithLabelValues("failed", reasonLabel(reason)).Inc()
}

// reasonLabel keeps a reason code a plain short word, so even a future
// reason carrying data cannot grow the label set.
func reasonLabel(s string) string {
	if len(s) > 40 {
		return "other"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return "other"
		}
	}
	return s
}

// poolCollector exports the database pool's statistics.
type poolCollector struct{ stats func() sql.DBStats }

var (
	poolOpen    = prometheus.NewDesc("roster_db_open_connections", "Open database connections.", nil, nil)
	poolInUse   = prometheus.NewDesc("roster_db_in_use_connections", "Database connections in use.", nil, nil)
	poolIdle    = prometheus.NewDesc("roster_db_idle_connections", "Idle database connections.", nil, nil)
	poolMax     = prometheus.NewDesc("roster_db_max_open_connections", "Maximum open database connections.", nil, nil)
	poolWaits   = prometheus.NewDesc("roster_db_wait_count_total", "Connections waited for.", nil, nil)
	poolWaitDur = prometheus.NewDesc("roster_db_wait_seconds_total", "Time spent waiting for a connection.", nil, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolMax, poolWaits, poolWaitDur} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(poolWaitDur, prometheus.CounterValue, s.WaitDuration.Seconds())
}

// observeWebhookAttempt is the webhook dispatcher's OnAttempt hook; result
// is one of webhook.ResultDelivered, ResultRetry, ResultFailed.
func (m *metrics) observeWebhookAttempt(result string, took time.Duration) {
	m.webhooks.WithLabelValues(result).Inc()
	m.webhookTime.WithLabelValues(result).Observe(took.Seconds())
}
